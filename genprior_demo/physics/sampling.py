"""Super-resolution, Gaussian compressed sensing and subsampled Fourier measurements."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import LinearOperator


class SuperResolution(LinearOperator):
    """Anti-alias then subsample by ``factor``.

    ``filter="box"``: f×f average pooling. Then A Aᵀ = I/f², so Aᵀ (nearest upsampling / f²) and
    A† = f²Aᵀ (nearest upsampling) are exact closed forms.
    ``filter="bicubic"``: torch's antialiased bicubic downscaling; Aᵀ by autograd, A† by CG.
    """

    name = "sr"
    full_row_rank = True

    def __init__(self, in_shape, factor: int, filter: str = "box", device="cpu"):
        super().__init__(in_shape, device)
        _, H, W = self.in_shape
        if H % factor or W % factor:
            raise ValueError(f"image {H}×{W} is not divisible by the SR factor {factor}")
        self.factor, self.filter = int(factor), filter
        self.params = dict(factor=factor, filter=filter)

    def A(self, x):
        f = self.factor
        if self.filter == "box":
            return F.avg_pool2d(x, f)
        return F.interpolate(x, size=(x.shape[-2] // f, x.shape[-1] // f), mode="bicubic",
                             antialias=True, align_corners=False)

    def A_adjoint(self, y):
        if self.filter == "box":
            f = self.factor
            return F.interpolate(y, scale_factor=f, mode="nearest") / (f * f)
        return super().A_adjoint(y)

    def A_dagger(self, y, **kw):
        if self.filter == "box":
            return F.interpolate(y, scale_factor=self.factor, mode="nearest")
        return super().A_dagger(y, **kw)

    def naive_inverse(self, y):
        return F.interpolate(y, size=self.in_shape[1:], mode="bicubic", align_corners=False), "bicubic upsampling"

    def observation_image(self, y):
        return y[:1].clamp(0, 1), f"low-resolution y ({y.shape[-1]}×{y.shape[-2]}, shown enlarged)"


class GaussianCS(LinearOperator):
    """y = A vec(x), A ∈ R^{m×n} with A_ij ~ N(0, 1/m) (Bora et al. 2017; Duff et al. m = 150 of 784).

    A† = Aᵀ(AAᵀ)⁻¹ for m ≤ n (pinv in general) is precomputed once.
    """

    name = "cs-gaussian"

    def __init__(self, in_shape, m: int, generator: torch.Generator, device="cpu"):
        super().__init__(in_shape, device)
        n = self.in_shape[0] * self.in_shape[1] * self.in_shape[2]
        self.m = int(m)
        self.full_row_rank = self.m <= n
        M = torch.randn(self.m, n, generator=generator) / self.m**0.5
        self.M = M.to(self.device)
        self.M_pinv = torch.linalg.pinv(M.double()).float().to(self.device)  # (n, m)
        self.params = dict(m=m)

    def A(self, x):
        return x.flatten(1) @ self.M.T  # (B, m)

    def A_adjoint(self, y):
        return (y @ self.M).view(-1, *self.in_shape)

    def A_dagger(self, y, **_):
        return (y @ self.M_pinv.T).view(-1, *self.in_shape)


class SubsampledFourier(LinearOperator):
    """y = M ⊙ F x with the orthonormal 2-D DFT and a random frequency mask M of about ``ratio``
    (Abu Hussein et al. use 0.3 and 0.5), always keeping DC. M is made conjugate-symmetric, so that
    for real images AᵀA = Re F⁻¹ M F is an orthogonal projector and A† = Aᵀ (zero-filled inverse FFT).
    Measurements are stored as real tensors (B, C, H, W, 2) with zeros off the mask.
    """

    name = "cs-fourier"

    def __init__(self, in_shape, ratio: float, generator: torch.Generator, device="cpu"):
        super().__init__(in_shape, device)
        _, H, W = self.in_shape
        m = torch.rand(H, W, generator=generator) < ratio
        m[0, 0] = True
        # symmetrise: frequency (u, v) kept iff (-u, -v) kept
        m = m | torch.roll(torch.flip(m, dims=(0, 1)), shifts=(1, 1), dims=(0, 1))
        self.mask = m.float().to(self.device)
        self.params = dict(ratio=ratio)
        self.actual_ratio = float(m.float().mean())

    def A(self, x):
        return torch.view_as_real(torch.fft.fft2(x, norm="ortho") * self.mask)

    def A_adjoint(self, y):
        Y = torch.view_as_complex(y.contiguous()) * self.mask
        return torch.fft.ifft2(Y, norm="ortho").real

    def A_dagger(self, y, **_):
        return self.A_adjoint(y)

    def AtA(self, x):
        return torch.fft.ifft2(torch.fft.fft2(x, norm="ortho") * self.mask, norm="ortho").real

    def measured(self):
        return self.mask[..., None].expand(*self.mask.shape, 2)

    def observation_image(self, y):
        return self.A_dagger(y[:1]).clamp(0, 1), f"k-space samples ({100 * self.actual_ratio:.0f}%) — shown: zero-filled inverse FFT A†y"
