"""Parallel-beam tomography (Radon transform) with n angles in [0°, 180°), in torch.

The image is zero-padded to its diagonal D, rotated by each angle with bilinear ``grid_sample`` and
summed along columns: sinogram (B, C, n, D). Aᵀ is autograd's exact adjoint of this discretisation,
A† is CGLS, and :meth:`fbp` is filtered back-projection (ramp filter) — the naive inverse of Duff et al.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .base import LinearOperator


class Tomography(LinearOperator):
    name = "tomography"

    def __init__(self, in_shape, angles: int, device="cpu"):
        super().__init__(in_shape, device)
        _, H, W = self.in_shape
        self.n = int(angles)
        # scikit-image's geometry (radon(circle=False)): diagonal padding, rotation about pixel D//2
        self.D = int(math.ceil(math.sqrt(2) * max(H, W)))
        ph, pw = self.D // 2 - H // 2, self.D // 2 - W // 2
        self.pad = (pw, self.D - W - pw, ph, self.D - H - ph)
        th = -torch.arange(self.n, dtype=torch.float64) * math.pi / self.n
        c, s = torch.cos(th), torch.sin(th)
        ctr = (2 * (self.D // 2) + 1) / self.D - 1  # centre pixel in grid_sample's [-1, 1] coordinates
        tx, ty = ctr - (c * ctr - s * ctr), ctr - (s * ctr + c * ctr)
        theta = torch.stack([torch.stack([c, -s, tx], 1), torch.stack([s, c, ty], 1)], 1).float()  # (n, 2, 3)
        self.grid = F.affine_grid(theta, (self.n, 1, self.D, self.D), align_corners=False).to(self.device)
        self.params = dict(angles=angles)

    def A(self, x):  # (B, C, H, W) -> (B, C, n, D)
        B, C = x.shape[:2]
        xp = F.pad(x, self.pad).reshape(1, B * C, self.D, self.D).expand(self.n, -1, -1, -1)
        rot = F.grid_sample(xp, self.grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return rot.sum(2).permute(1, 0, 2).reshape(B, C, self.n, self.D)

    def fbp(self, y: torch.Tensor) -> torch.Tensor:
        """Filtered back-projection: ramp filter 2|f| along the detector, then π/(2n)·Aᵀ."""
        P = 2 * self.D
        f = torch.fft.rfftfreq(P, device=y.device)
        Yf = torch.fft.rfft(F.pad(y, (0, P - self.D)), dim=-1) * (2 * f.abs())
        filt = torch.fft.irfft(Yf, n=P, dim=-1)[..., : self.D]
        return self.A_adjoint(filt) * math.pi / (2 * self.n)

    def naive_inverse(self, y):
        return self.fbp(y), "filtered back-projection"

    def observation_image(self, y):
        s = y[:1]
        s = (s - s.amin()) / (s.amax() - s.amin()).clamp_min(1e-8)
        return s, f"sinogram ({self.n} angles × {self.D} detector bins)"
