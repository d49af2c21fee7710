"""UAIR inference (Pajot et al., ICLR 2019): amortised reconstruction x̂ = G_rec(y, mask), one forward
pass, by a network trained only on corrupted observations (``genprior_demo.train.uair``)."""
from __future__ import annotations

import torch

from ..config import UAIRConfig
from ..physics.masks import Mask
from .base import Clock, Step, StepStream, register, residual_norm


def observed_mask(physics, y: torch.Tensor) -> torch.Tensor:
    """The observed-pixel mask (B, 1, H, W) the network takes: the operator's mask, else ones."""
    B, _, H, W = y.shape
    if isinstance(physics, Mask):
        return physics.mask[:1].expand(B, 1, H, W).to(y)
    return torch.ones(B, 1, H, W, device=y.device, dtype=y.dtype)


@register("uair", UAIRConfig, needs_prior=True, prior_kind="uair", title="UAIR network (amortised)",
          objective="x̂ = G_rec(y): trained adversarially from corrupted observations only",
          reference="Pajot, de Bézenac & Gallinari, Unsupervised Adversarial Image Reconstruction, ICLR 2019")
def uair(y: torch.Tensor, physics, prior, cfg: UAIRConfig = UAIRConfig()) -> StepStream:
    if tuple(y.shape[1:]) != tuple(physics.in_shape):
        raise ValueError("UAIR networks take image-shaped observations (masks, blur + noise)")
    clock = Clock()
    with torch.no_grad():
        x = prior(y, observed_mask(physics, y))
        if cfg.clamp:
            x = x.clamp(0, 1)
    clock.pause()
    step = Step(1, x, {}, float(residual_norm(physics, x, y).mean()), clock.total, done=True)
    yield step
    return step
