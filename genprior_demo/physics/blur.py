"""Circular convolutions by FFT: blur (Gaussian, uniform, motion), Sobel edge map, Convolve-Noise.

Periodic boundaries make A diagonal in the Fourier basis, so Aᵀ and A† are closed forms:
Aᵀ = F⁻¹ conj(K) F and A† = F⁻¹ (conj(K)/|K|² on |K| > rcond·max|K|, 0 elsewhere) F.
On 32×32 a whole A costs tens of microseconds — much less than one generator step.
"""
from __future__ import annotations

import math

import torch

from .base import LinearOperator


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-0.5 * (r / sigma) ** 2)
    k = g[:, None] * g[None, :]
    return (k / k.sum()).float()


def uniform_kernel(size: int) -> torch.Tensor:
    return torch.full((size, size), 1.0 / size**2)


def motion_kernel(length: int, angle_deg: float) -> torch.Tensor:
    """A line segment of ``length`` pixels at ``angle_deg``, splatted bilinearly, summing to 1."""
    size = length if length % 2 else length + 1
    k = torch.zeros(size, size, dtype=torch.float64)
    c = (size - 1) / 2
    t = torch.linspace(-(length - 1) / 2, (length - 1) / 2, 8 * length, dtype=torch.float64)
    a = math.radians(angle_deg)
    xs, ys = c + t * math.cos(a), c - t * math.sin(a)
    x0, y0 = xs.floor().long(), ys.floor().long()
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = (x0 + dx).clamp(0, size - 1), (y0 + dy).clamp(0, size - 1)
        k.index_put_((yi, xi), w, accumulate=True)
    return (k / k.sum()).float()


SOBEL = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # Anirudh et al.


class Convolution(LinearOperator):
    """y = k ⊛ x with periodic boundary (the kernel's centre at pixel (0, 0)), same kernel per channel."""

    name = "convolution"

    def __init__(self, in_shape, kernel: torch.Tensor, device="cpu", rcond: float = 1e-3):
        super().__init__(in_shape, device)
        _, H, W = self.in_shape
        kh, kw = kernel.shape
        if kh > H or kw > W:
            raise ValueError(f"kernel {kh}×{kw} is larger than the image {H}×{W}")
        self.kernel = kernel.to(self.device)
        full = torch.zeros(H, W)
        full[:kh, :kw] = kernel
        full = torch.roll(full, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))
        self.K = torch.fft.rfft2(full).to(self.device)  # (H, W//2+1) complex
        mag2 = self.K.abs() ** 2
        keep = mag2 > (rcond**2) * mag2.max()
        self.K_pinv = torch.where(keep, self.K.conj() / mag2.clamp_min(1e-30), torch.zeros_like(self.K))

    def _apply(self, x: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
        return torch.fft.irfft2(torch.fft.rfft2(x) * K, s=x.shape[-2:])

    def A(self, x):
        return self._apply(x, self.K)

    def A_adjoint(self, y):
        return self._apply(y, self.K.conj())

    def A_dagger(self, y, **_):
        return self._apply(y, self.K_pinv)

    def AtA(self, x):
        return self._apply(x, self.K.abs() ** 2)

    def observation_image(self, y):
        if not self.is_blur:  # signed edges: show 0.5 + y/2
            return (0.5 + 0.5 * y[:1]).clamp(0, 1), "edge map y (grey = 0)"
        return y[:1].clamp(0, 1), "blurred observation y"


def make_blur(name: str, kernel: torch.Tensor, in_shape, device, **params) -> Convolution:
    op = Convolution(in_shape, kernel, device)
    op.name, op.params = name, params
    return op
