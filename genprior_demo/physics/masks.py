"""Inpainting masks (Pajot et al. 2019: Remove-Pixel, Remove-Pixel-Channel, Patch-Band), a centre box
and a user-painted mask. A is multiplication by a 0/1 mask, so Aᵀ = A† = A (an orthogonal projector)."""
from __future__ import annotations

import torch

from .base import LinearOperator


class Mask(LinearOperator):
    name = "mask"

    def __init__(self, in_shape, mask: torch.Tensor, device="cpu"):
        super().__init__(in_shape, device)
        mask = torch.as_tensor(mask, dtype=torch.float32)
        while mask.ndim < 3:
            mask = mask.unsqueeze(0)
        if tuple(mask.shape[-2:]) != self.in_shape[1:]:
            raise ValueError(f"mask is {tuple(mask.shape[-2:])}, image is {self.in_shape[1:]}")
        self.mask = (mask > 0.5).float().expand(self.in_shape).contiguous().to(self.device)  # (C, H, W)

    def A(self, x):
        return x * self.mask

    A_adjoint = A

    def A_dagger(self, y, **_):
        return y * self.mask

    def AtA(self, x):
        return x * self.mask

    def observed_mask(self):
        return self.mask

    def measured(self):
        return self.mask

    def observation_image(self, y):
        frac = float(self.mask.mean())
        return y[:1].clamp(0, 1), f"observed pixels ({100 * frac:.0f}% kept; missing shown black)"


def remove_pixel(in_shape, p: float, generator: torch.Generator) -> torch.Tensor:
    """Each pixel removed (all channels) with probability p."""
    _, H, W = in_shape
    return (torch.rand(1, H, W, generator=generator) >= p).float()


def remove_pixel_channel(in_shape, p: float, generator: torch.Generator) -> torch.Tensor:
    """Each (pixel, channel) removed independently with probability p."""
    return (torch.rand(in_shape, generator=generator) >= p).float()


def patch_band(in_shape, h: int, generator: torch.Generator) -> torch.Tensor:
    """A horizontal band of height h removed at a uniformly random row."""
    _, H, W = in_shape
    if h > H:
        raise ValueError(f"band height h={h} exceeds the image height {H}")
    top = int(torch.randint(0, H - h + 1, (1,), generator=generator))
    m = torch.ones(1, H, W)
    m[:, top:top + h] = 0
    return m


def box(in_shape, size: int) -> torch.Tensor:
    """A centred size×size box removed."""
    _, H, W = in_shape
    if size > min(H, W):
        raise ValueError(f"box size {size} exceeds the image {H}×{W}")
    m = torch.ones(1, H, W)
    t, l = (H - size) // 2, (W - size) // 2
    m[:, t:t + size, l:l + size] = 0
    return m
