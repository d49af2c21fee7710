"""The generative prior handed to solvers: a frozen decoder plus what is known about its latent space."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class GenerativePrior:
    """A frozen generator G: R^k → images (B, C, H, W) in [0, 1], with its latent prior.

    ``prior`` is ``"gaussian"`` (z ~ N(mean, diag(std²)); mean 0 and std 1 for GAN/VAE, the empirical
    code statistics for a plain AE) or ``"uniform"`` (z ~ U[-1, 1]^k; solvers clip to the box).
    ``encoder`` (AE/VAE) maps images to a latent code; ``discriminator`` (GAN) returns logits.
    """

    name: str
    decoder: nn.Module
    latent_dim: int
    prior: str = "gaussian"
    channels: int = 1
    size: int = 32
    encoder: nn.Module | None = None
    discriminator: nn.Module | None = None
    projector: nn.Module | None = None  # NPGD's image → latent network (loaded on demand if None)
    latent_mean: torch.Tensor | None = None
    latent_std: torch.Tensor | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # derived statistics of the decoder (e.g. the blind solver's mean spectrum), keyed with id(decoder) so a
    # replaced decoder never meets a stale entry; kept on the CPU
    stats_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for m in (self.decoder, self.encoder, self.discriminator, self.projector):
            if m is not None:
                m.eval().requires_grad_(False)  # frozen: ~2× faster latent steps (ANCHORS.md)
        dev = self.device
        if self.latent_mean is None:
            self.latent_mean = torch.zeros(self.latent_dim, device=dev)
        if self.latent_std is None:
            self.latent_std = torch.ones(self.latent_dim, device=dev)

    @property
    def device(self) -> torch.device:
        return next(self.decoder.parameters()).device

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)

    def to(self, device) -> "GenerativePrior":
        for attr in ("decoder", "encoder", "discriminator", "projector"):
            m = getattr(self, attr)
            if m is not None:
                m.to(device)
        self.latent_mean = self.latent_mean.to(device)
        self.latent_std = self.latent_std.to(device)
        return self

    def __call__(self, z: torch.Tensor) -> torch.Tensor:  # (B, k) -> (B, C, H, W)
        return self.decoder(z)

    def sample_latent(self, n: int, generator: torch.Generator, radius: float = 1.0) -> torch.Tensor:
        """n latent draws; ``radius`` > 1 scales the draw away from the high-probability region."""
        dev = self.device
        if self.prior == "uniform":
            z = torch.rand(n, self.latent_dim, generator=generator, device=generator.device).mul(2).sub(1)
            return (z.to(dev) * radius)
        e = torch.randn(n, self.latent_dim, generator=generator, device=generator.device).to(dev)
        return self.latent_mean + radius * self.latent_std * e

    def penalty(self, z: torch.Tensor) -> torch.Tensor:
        """‖(z − mean)/std‖² per row: the Gaussian prior's negative log-density up to constants."""
        if self.prior == "uniform":
            return z.pow(2).sum(1)
        return ((z - self.latent_mean) / self.latent_std).pow(2).sum(1)

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """Project onto the prior's support in place (clip to [-1, 1] for a uniform prior)."""
        if self.prior == "uniform":
            z.clamp_(-1.0, 1.0)
        return z

    def encode(self, x: torch.Tensor) -> torch.Tensor | None:
        """Latent code of images (mean for a VAE), or None where there is no encoder."""
        if self.encoder is None:
            return None
        out = self.encoder(x)
        return out[0] if isinstance(out, tuple) else out
