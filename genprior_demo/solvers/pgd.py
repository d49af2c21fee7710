"""Projected gradient descent onto the range of G — PGD-GAN (Shah & Hegde, ICASSP 2018) and, with a
learned projector, NPGD (Raj, Li & Bresler, ICCV 2019, in npgd.py). Both take the same gradient step

    w = x − η Aᵀ(A x − y)                                      (:func:`gradient_step`)

with η in absolute units: the convergence analysis ties η to the restricted eigenvalues of A on range(G)
(≈ 1 for Gaussian A with N(0, 1/m) entries), not to the global ‖A‖² (≈ 10 at m = 200, so 1/‖A‖² is a
step ~10× too small that stalls both methods). They differ in the projection: PGD-GAN solves argmin_z ‖G(z) − w‖² by an inner Adam loop warm-started
from the previous z; NPGD runs a trained network P once. PGD-GAN's restarts run as a batch dimension for the
first ``select_after`` outer iterations, then each image keeps the restart whose G(z) fits y best (ours: the
papers start from one z; choosing by the distance to the first, very noisy w = ηAᵀy, as we did until
2026-12-04, kept bad starts).
"""
from __future__ import annotations

import torch

from ..config import PGDGANConfig
from .base import Emitter, StepStream, data_step, register, residual_norm
from .latent import best_of_restarts, descend, restart_latents, restart_step


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
    B, R = y.shape[0], cfg.restarts
    keep = min(cfg.select_after, cfg.iters) if R > 1 else 0  # outer iteration that keeps one restart per image
    eta = cfg.eta
    x = torch.zeros((B * R, *physics.in_shape), device=y.device)  # row b·R + r: image b, restart r
    z = restart_latents(prior, B, R, cfg.seed)

    def step_rows(x):  # the gradient step of every restart (the operator may differ per image, not per restart)
        if x.shape[0] == B:
            return gradient_step(x, problem, eta)
        xv = x.view(B, R, *x.shape[1:])
        return torch.stack([gradient_step(xv[:, r], problem, eta) for r in range(R)], 1).flatten(0, 1)

    def data_loss(x):  # ‖Ax − y‖² per row
        xv = x.view(B, -1, *x.shape[1:])
        return torch.stack([residual_norm(physics, xv[:, r], y) for r in range(xv.shape[1])], 1).pow(2).flatten()

    for t in range(1, cfg.iters + 1):
        lr = cfg.inner_lr * cfg.inner_lr_decay ** ((t - 1) / max(cfg.iters - 1, 1))  # geometric, inner_lr → inner_lr·decay
        z = project_to_range(prior, step_rows(x), z, cfg.inner_iters, lr)
        with torch.no_grad():
            x = prior(z)
        if x.shape[0] > B:  # restarts still run as a batch: show the best so far by the data loss
            d = data_loss(x)
            if t == keep:  # from now on one restart per image: the one that fits y best
                x, idx = best_of_restarts(x, d, B, R)
                z = z.view(B, R, -1)[torch.arange(B), idx]
            else:
                xs, zs = x, z
                yield from emit(t, cfg.iters, lambda: restart_step(t, xs, {"data": d}, y, physics, R, z=zs))
                continue
        yield from emit(t, cfg.iters, lambda: data_step(t, x, problem, z=z))
    return emit.final(lambda: data_step(cfg.iters, x, problem, z=z))
