"""Random corruption processes F(x; θ) with a fresh θ per image, batched — the "known corruption
distribution" of UAIR (Pajot et al., ICLR 2019, §4.2): Remove-Pixel, Remove-Pixel-Channel, Patch-Band,
Convolve-Noise.

θ is drawn once (``draw_theta``) and can be applied again (``apply``): UAIR's likelihood term (their
eq. 9) re-corrupts a reconstruction with *the same* θ that produced a simulated observation.
``corrupt(name, x, g)`` = ``apply(name, x, draw_theta(...))`` returns the observations y (B, C, H, W) and
the observed-entry mask (B, C, H, W) (all ones for Convolve-Noise). Missing entries are observable in
practice (they are flagged), so the reconstruction network receives the mask as extra channels — on
MNIST a missing pixel and black background are otherwise the same value.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .blur import uniform_kernel


@dataclass(frozen=True)
class Corruption:
    name: str            # also the operator name in the registry
    params: dict         # the operator's parameters (Pajot et al.'s settings, scaled to 32×32)
    description: str
    residual: bool       # reconstruction network G(y) = y + Net(y): Pajot et al. App. B, for the two
    #                      corruptions whose observations are close to the image (Patch-Band, Convolve-Noise)
    channels: int = 1    # the images it is trained on (Remove-Pixel-Channel needs colour: on one channel it
    #                      *is* Remove-Pixel)


CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in [
    Corruption("remove-pixel", {"p": 0.9}, "each pixel missing with probability p = 0.9", False),
    Corruption("remove-pixel-channel", {"p": 0.9},
               "each (pixel, colour channel) missing independently with probability p = 0.9 (colour digits)",
               False, channels=3),
    Corruption("patch-band", {"h": 10}, "a horizontal band of height 10 of 32 missing (20 of 64 in the paper)", True),
    Corruption("convolve-noise", {"l": 3, "sigma_c": 0.15}, "3×3 mean filter plus Gaussian noise σ_C = 0.15", True),
]}


def draw_theta(name: str, shape: tuple, g: torch.Generator, device=None) -> torch.Tensor:
    """θ for a batch of ``shape`` (B, C, H, W): the 0/1 mask (B, C, H, W) for the masks, the noise for
    Convolve-Noise."""
    c = CORRUPTIONS[name]
    B, C, H, W = shape
    dev = device if device is not None else g.device
    if name == "remove-pixel":
        m = torch.rand(B, 1, H, W, generator=g, device=g.device) >= c.params["p"]
        return m.expand(B, C, H, W).to(dev, torch.float32)
    if name == "remove-pixel-channel":
        return (torch.rand(B, C, H, W, generator=g, device=g.device) >= c.params["p"]).to(dev, torch.float32)
    if name == "patch-band":
        h = c.params["h"]
        top = torch.randint(0, H - h + 1, (B, 1, 1, 1), generator=g, device=g.device).to(dev)
        rows = torch.arange(H, device=dev).view(1, 1, H, 1)
        return (~((rows >= top) & (rows < top + h))).expand(B, C, H, W).to(torch.float32)
    if name == "convolve-noise":
        return c.params["sigma_c"] * torch.randn(shape, generator=g, device=g.device).to(dev)
    raise KeyError(name)


def apply(name: str, x: torch.Tensor, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """F(x; θ) and the observed-entry mask."""
    if name == "convolve-noise":
        B, C, H, W = x.shape
        l = CORRUPTIONS[name].params["l"]
        k = uniform_kernel(l).to(x)
        xp = torch.nn.functional.pad(x.reshape(B * C, 1, H, W), (l // 2,) * 4, mode="circular")
        blurred = torch.nn.functional.conv2d(xp, k[None, None]).reshape(B, C, H, W)  # periodic, as the registry's operator
        return blurred + theta.to(x), torch.ones_like(x)
    m = theta.to(x)
    return x * m, m


def corrupt(name: str, x: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """y = F(x; θ) with θ drawn independently for every image of ``x`` (B, C, H, W) from ``g``."""
    return apply(name, x, draw_theta(name, tuple(x.shape), g, x.device))


def colour_digits(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Grey digits (B, 1, H, W) → colour digits (B, 3, H, W): each digit tinted with its own colour, a
    uniform RGB vector scaled so its largest channel is 1 (the data for Remove-Pixel-Channel)."""
    c = torch.rand(x.shape[0], 3, 1, 1, generator=g, device=g.device).to(x)
    c = c / c.amax(1, keepdim=True).clamp_min(1e-6)
    return x * c
