"""UAIR inference (Pajot et al., ICLR 2019): amortised reconstruction x̂ = G_rec(y, mask), one forward
pass, by a network trained only on corrupted observations (``genprior_demo.train.uair``)."""
from __future__ import annotations

import torch

from ..config import UAIRConfig
from .base import Emitter, StepStream, data_step, register


def observed_mask(physics, y: torch.Tensor) -> torch.Tensor:
    """The observed-pixel mask (B, 1, H, W) the network takes: the operator's mask, else ones."""
    B, _, H, W = y.shape
    mask = physics.observed_mask()
    if mask is not None:
        return mask[:1].expand(B, 1, H, W).to(y)
    return torch.ones(B, 1, H, W, device=y.device, dtype=y.dtype)


@register("uair", UAIRConfig, needs_prior=True, prior_kind="uair", title="UAIR network (amortised)",
          objective="x̂ = G_rec(y): trained adversarially from corrupted observations only",
          reference="Pajot, de Bézenac & Gallinari, Unsupervised Adversarial Image Reconstruction, ICLR 2019")
def uair(problem, prior, cfg: UAIRConfig = UAIRConfig()) -> StepStream:
    y, physics = problem.y, problem.physics
    if tuple(y.shape[1:]) != tuple(physics.in_shape):
        raise ValueError("UAIR networks take image-shaped observations (masks, blur + noise)")
    emit = Emitter()
    with torch.no_grad():
        x = prior(y, observed_mask(physics, y))
        if cfg.clamp:
            x = x.clamp(0, 1)
    yield from ()  # one forward pass: nothing to stream
    return emit.final(lambda: data_step(1, x, problem))
