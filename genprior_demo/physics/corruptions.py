"""Random corruption processes F(x; θ) with a fresh θ per image, batched — the "known corruption
distribution" of UAIR (Pajot et al., ICLR 2019): Remove-Pixel, Patch-Band, Convolve-Noise.

``corrupt(name, x, g)`` returns the observations y (B, C, H, W) and the observed-pixel mask (B, 1, H, W)
(all ones for Convolve-Noise). Missing pixels are observable in practice (they are flagged), so the
reconstruction network receives the mask as an extra channel — on MNIST a missing pixel and black
background are otherwise the same value.
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


CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in [
    Corruption("remove-pixel", {"p": 0.9}, "each pixel missing with probability p = 0.9"),
    Corruption("patch-band", {"h": 8}, "a horizontal band of height 8 (of 32; 16 of 64 in the paper) missing"),
    Corruption("convolve-noise", {"l": 3, "sigma_c": 0.15}, "3×3 mean filter plus Gaussian noise σ_C = 0.15"),
]}


def corrupt(name: str, x: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """y = F(x; θ) with θ drawn independently for every image of ``x`` (B, C, H, W) from ``g``."""
    c = CORRUPTIONS[name]
    B, C, H, W = x.shape
    dev = x.device
    if name == "remove-pixel":
        m = (torch.rand(B, 1, H, W, generator=g, device=g.device) >= c.params["p"]).to(dev, x.dtype)
        return x * m, m
    if name == "patch-band":
        h = c.params["h"]
        top = torch.randint(0, H - h + 1, (B, 1, 1, 1), generator=g, device=g.device).to(dev)
        rows = torch.arange(H, device=dev).view(1, 1, H, 1)
        m = ~((rows >= top) & (rows < top + h))
        m = m.expand(B, 1, H, W).to(x.dtype)
        return x * m, m
    if name == "convolve-noise":
        k = uniform_kernel(c.params["l"]).to(dev, x.dtype)
        pad = c.params["l"] // 2
        blurred = torch.nn.functional.conv2d(torch.nn.functional.pad(x.reshape(B * C, 1, H, W), (pad,) * 4, mode="circular"),
                                             k[None, None]).reshape(B, C, H, W)  # periodic, as the registry's operator
        noise = torch.randn(x.shape, generator=g, device=g.device).to(dev, x.dtype)
        return blurred + c.params["sigma_c"] * noise, torch.ones(B, 1, H, W, device=dev, dtype=x.dtype)
    raise KeyError(name)
