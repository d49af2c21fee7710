"""Small generators for fast tests whose output really depends on z.

The decoder is a smooth generalised-linear model G(z) = sigmoid(a · Σ_i z_i B_i + b) with k smooth
random basis images B_i (blurred noise): images vary by O(0.3) per pixel across codes (the DCGAN/VAE
decoders at random initialisation vary by ~5e-4, so any code "recovers" their flat grey output).
The encoder / projector is its exact left inverse on the range, E(x) = B⁺ (logit(x) − b)/a, so
G(E(G(z))) = G(z): NPGD and encoder starts are meaningful too. A tiny discriminator makes blind
inversion's realism term non-trivial.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genprior_demo.device import seeded
from genprior_demo.generators.prior import GenerativePrior

SIZE = 32


def _smooth_basis(k: int, g: torch.Generator, size: int = SIZE, sigma: float = 3.0) -> torch.Tensor:
    r = torch.arange(-8, 9, dtype=torch.float32)
    w = torch.exp(-r**2 / (2 * sigma**2))
    w = w / w.sum()
    noise = torch.randn(k, 1, size, size, generator=g)
    b = F.conv2d(F.pad(noise, (8, 8, 0, 0), mode="circular"), w.view(1, 1, 1, -1))
    b = F.conv2d(F.pad(b, (0, 0, 8, 8), mode="circular"), w.view(1, 1, -1, 1))
    return b / b.flatten(1).norm(dim=1).view(k, 1, 1, 1) * size  # unit RMS per pixel


class TinyDecoder(nn.Module):
    def __init__(self, k: int, seed: int = 0, gain: float = 1.0):
        super().__init__()
        g = seeded(seed)
        self.basis = nn.Parameter(_smooth_basis(k, g))  # (k, 1, H, W)
        self.bias = nn.Parameter(torch.full((1, 1, SIZE, SIZE), -1.0))
        self.gain = gain

    def forward(self, z):  # (B, k) -> (B, 1, H, W)
        return torch.sigmoid(self.gain * torch.einsum("bk,kchw->bchw", z, self.basis) + self.bias)


class TinyEncoder(nn.Module):
    """Left inverse of a TinyDecoder: weighted least squares in logit space, weights x(1 − x) (the
    sigmoid's slope, one Gauss–Newton step), so it is exact on the range and saturated or off-range
    pixels (a gradient step's w) count little."""

    def __init__(self, dec: TinyDecoder):
        super().__init__()
        self.register_buffer("basis", dec.basis.detach().flatten(1).clone())  # (k, n)
        self.register_buffer("bias", dec.bias.detach().flatten().clone())  # (n,)
        self.gain = dec.gain
        self.anchor = nn.Parameter(torch.zeros(1), requires_grad=False)  # so .parameters() has a device

    def forward(self, x):
        p = x.flatten(1).clamp(1e-3, 1 - 1e-3)  # (B, n)
        t = (torch.logit(p) - self.bias) / self.gain
        w = p * (1 - p)
        M = torch.einsum("kn,bn,jn->bkj", self.basis, w, self.basis)
        r = torch.einsum("kn,bn->bk", self.basis, w * t)
        return torch.linalg.solve(M, r)


class TinyDiscriminator(nn.Module):
    def __init__(self, seed: int = 0):
        super().__init__()
        g = seeded(seed + 1)
        self.w = nn.Parameter(torch.randn(1, 1, 5, 5, generator=g) * 0.2)

    def forward(self, x):
        return F.conv2d(x, self.w, padding=2).flatten(1).mean(1) * 4.0


def tiny_prior(kind: str = "gan", latent: int = 8, prior: str = "uniform", seed: int = 0) -> GenerativePrior:
    dec = TinyDecoder(latent, seed)
    enc = TinyEncoder(dec)
    return GenerativePrior(f"tiny-{kind}", dec, latent, prior, 1, SIZE,
                           encoder=enc if kind in ("vae", "ae") else None,
                           discriminator=TinyDiscriminator(seed) if kind == "gan" else None,
                           projector=TinyEncoder(dec))


def random_prior(kind: str = "gan", latent: int = 8, prior: str = "uniform", seed: int = 0) -> GenerativePrior:
    """The shipped architectures (DCGAN / conv AE-VAE) at random initialisation, narrow — for tests of
    checkpoints and network plumbing, not of solvers (their output barely depends on z)."""
    from genprior_demo.device import init_parameters
    from genprior_demo.generators import build

    p = build(kind, latent, prior, name=f"random-{kind}", gan_width=8, ae_width=8)
    for m in (p.decoder, p.encoder, p.discriminator):
        if m is not None:
            init_parameters(m, seeded(seed))
    return p
