"""Projected gradient descent onto the range of G — PGD-GAN (Shah & Hegde, ICASSP 2018) and, with a
learned projector, NPGD (Raj, Li & Bresler, ICCV 2019, in npgd.py). Both take the same gradient step

    w = x − η Aᵀ(A x − y)                                      (:func:`gradient_step`)

with η in absolute units: the convergence analysis ties η to the restricted eigenvalues of A on range(G)
(≈ 1 for Gaussian A with N(0, 1/m) entries), not to the global ‖A‖² (≈ 10 at m = 200, so 1/‖A‖² is a
step ~10× too small that stalls both methods). They differ in the projection: PGD-GAN solves argmin_z ‖G(z) − w‖² by an inner Adam loop warm-started
from the previous z (restarts only the first time); NPGD runs a trained network P once.
"""
from __future__ import annotations

import torch

from ..config import PGDGANConfig
from .base import Emitter, StepStream, data_step, register
from .latent import best_of_restarts, descend, restart_latents


def gradient_step(x: torch.Tensor, problem, eta: float) -> torch.Tensor:
    """w = x − η Aᵀ(A x − y): one gradient step on ½‖Ax − y‖² (shared by PGD-GAN and NPGD)."""
    with torch.no_grad():
        return x - eta * problem.physics.A_adjoint(problem.physics.A(x) - problem.y)


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
def pgd_gan(problem, prior, cfg: PGDGANConfig = PGDGANConfig()) -> StepStream:
    emit = Emitter(cfg.every)
    y, physics = problem.y, problem.physics
    B = y.shape[0]
    eta = cfg.eta
    x = torch.zeros((B, *physics.in_shape), device=y.device)
    z = restart_latents(prior, B, cfg.restarts, cfg.seed)

    for t in range(1, cfg.iters + 1):
        w = gradient_step(x, problem, eta)
        z = project_to_range(prior, w, z, cfg.inner_iters, cfg.inner_lr)
        with torch.no_grad():
            xs = prior(z)
            if t == 1 and cfg.restarts > 1:  # keep the best restart per image from now on
                d = (xs - w.repeat_interleave(cfg.restarts, 0)).pow(2).flatten(1).sum(1)
                xs, idx = best_of_restarts(xs, d, B, cfg.restarts)
                z = z.view(B, cfg.restarts, -1)[torch.arange(B), idx]
            x = xs
        yield from emit(t, cfg.iters, lambda: data_step(t, x, problem, z=z))
    return emit.final(lambda: data_step(cfg.iters, x, problem, z=z))
