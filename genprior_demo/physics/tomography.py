"""Parallel-beam tomography (Radon transform) with n angles in [0°, 180°), in torch.

The image is zero-padded to its diagonal D, rotated by each angle with bilinear ``grid_sample`` and
summed along columns: sinogram (B, C, n, D). Aᵀ is autograd's exact adjoint of this discretisation,
A† is CGLS, and :meth:`fbp` is filtered back-projection (ramp filter) — the naive inverse of Duff et al.

The same discretisation is applied as a matrix: :func:`system_matrix` writes grid_sample's bilinear
weights (the 4 corners of every rotated sample, summed along each detector column) into an (n·D, H·W)
matrix once per operator, dense, when it has at most ``DENSE_MAX`` entries; larger geometries resample as
before (a sparse CSR matrix was tried: 0.6× the resampling's speed at 64×64, 90 angles). It equals
:meth:`Tomography.A_resample` to float rounding (tested) and is ≈ 9× faster forward + backward at 32×32 and
56×56 (``benchmarks/bench_tomography.py``, docs/BENCHMARKS.md).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .base import LinearOperator


DENSE_MAX = 16_000_000  # entries (64 MB of float32): 56×56 at 30 angles is 7.5 M (built in 0.08 s)


def system_matrix(grid: torch.Tensor, pad: tuple, H: int, W: int) -> torch.Tensor:
    """The dense (n·D, H·W) matrix of "zero-pad, rotate by ``grid`` (bilinear, zeros outside, align_corners=False),
    sum each column": row a·D + j is angle a's detector bin j."""
    n, D = grid.shape[0], grid.shape[1]
    g = grid.double().cpu()
    ix, iy = ((g[..., 0] + 1) * D - 1) / 2, ((g[..., 1] + 1) * D - 1) / 2  # grid_sample's pixel coordinates
    x0, y0 = ix.floor(), iy.floor()
    row = (torch.arange(n).view(n, 1, 1) * D + torch.arange(D).view(1, 1, D)).expand(n, D, D)
    rows, cols, vals = [], [], []
    for dx in (0, 1):
        for dy in (0, 1):
            cx, cy = x0 + dx, y0 + dy
            w = (1 - (ix - cx).abs()) * (1 - (iy - cy).abs())
            u, v = cx.long() - pad[0], cy.long() - pad[2]  # column / row in the unpadded image
            ok = (u >= 0) & (u < W) & (v >= 0) & (v < H) & (w > 0)
            rows.append(row[ok])
            cols.append((v * W + u)[ok])
            vals.append(w[ok])
    idx = torch.stack([torch.cat(rows), torch.cat(cols)])
    M = torch.zeros(n * D, H * W, dtype=torch.float64)
    M.index_put_((idx[0], idx[1]), torch.cat(vals), accumulate=True)  # a pixel hit twice in one column adds up
    return M.float()


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
        small = self.n * self.D * H * W <= DENSE_MAX  # else: A resamples, Aᵀ is autograd's adjoint of it
        self.M = system_matrix(self.grid, self.pad, H, W).to(self.device) if small else None
        self.params = dict(angles=angles)

    def A(self, x):  # (B, C, H, W) -> (B, C, n, D)
        if self.M is None:
            return self.A_resample(x)
        B, C = x.shape[:2]
        flat = x.reshape(B * C, -1)
        y = flat @ self.M.T
        return y.reshape(B, C, self.n, self.D)

    def A_adjoint(self, y):
        if self.M is None:
            return super().A_adjoint(y)
        B, C = y.shape[:2]
        flat = y.reshape(B * C, -1)
        x = flat @ self.M
        return x.reshape(B, C, *self.in_shape[1:])

    def A_resample(self, x):
        """The reference: rotate with grid_sample and sum (what :attr:`M` is built from)."""
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
