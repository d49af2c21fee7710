"""PGD-GAN (Shah & Hegde, ICASSP 2018): projected gradient descent onto the range of G.

    w = x − η Aᵀ(A x − y),   x ← G(argmin_z ‖G(z) − w‖²)
The projection is an inner Adam loop warm-started from the previous z (restarts only the first time).
"""
from __future__ import annotations

import torch

from ..config import PGDGANConfig
from ..device import seeded
from .base import Clock, Step, StepStream, register, residual_norm
from .latent import best_of_restarts, descend


def project_to_range(prior, w: torch.Tensor, z: torch.Tensor, iters: int, lr: float) -> torch.Tensor:
    """Inner loop: Adam on z (rows = images × restarts) for min ‖G(z) − w‖², returns the new z."""
    z = z.detach().clone().requires_grad_(True)
    R = z.shape[0] // w.shape[0]
    w_rep = w.repeat_interleave(R, 0)

    def objective():
        x = prior(z)
        d = (x - w_rep).pow(2).flatten(1).sum(1)
        return d, {"data": d}, x

    for _ in descend([z], [lr], objective, iters, after_step=lambda: prior.project(z)):
        pass
    return z.detach()


@register("pgd-gan", PGDGANConfig, needs_prior=True, title="PGD-GAN",
          objective="x ← G(argmin_z ‖G(z) − (x − ηAᵀ(Ax − y))‖²)",
          reference="Shah & Hegde, Solving Linear Inverse Problems Using GAN Priors: An Algorithm with Provable Guarantees, ICASSP 2018")
def pgd_gan(y: torch.Tensor, physics, prior, cfg: PGDGANConfig = PGDGANConfig()) -> StepStream:
    clock = Clock()
    B = y.shape[0]
    eta = cfg.step / physics.norm() ** 2
    x = torch.zeros((B, *physics.in_shape), device=y.device)
    with torch.no_grad():
        z = prior.sample_latent(B * cfg.restarts, seeded(cfg.seed))
    for t in range(1, cfg.iters + 1):
        with torch.no_grad():
            w = x - eta * physics.A_adjoint(physics.A(x) - y)
        z = project_to_range(prior, w, z, cfg.inner_iters, cfg.inner_lr)
        with torch.no_grad():
            xs = prior(z)
            if t == 1 and cfg.restarts > 1:  # keep the best restart per image from now on
                d = (xs - w.repeat_interleave(cfg.restarts, 0)).pow(2).flatten(1).sum(1)
                xs, idx = best_of_restarts(xs, d, B, cfg.restarts)
                z = z.view(B, cfg.restarts, -1)[torch.arange(B), idx]
            x = xs
            data = float((physics.A(x[:1]) - y[:1]).pow(2).sum())
        if t % cfg.every == 0 and t < cfg.iters:
            clock.pause()
            yield Step(t, x, {"data": data}, float(residual_norm(physics, x, y).mean()), clock.total,
                       extra={"z": z})
            clock.resume()
    clock.pause()
    return Step(cfg.iters, x, {"data": data}, float(residual_norm(physics, x, y).mean()), clock.total,
                done=True, extra={"z": z})
