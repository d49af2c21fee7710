"""NPGD — network-based projected gradient descent (Raj, Li & Bresler, ICCV 2019).

    x ← G(P(x − η Aᵀ(A x − y)))
P: image → latent is a trained projector network (``train-projector``), so each projection is one
forward pass of P and G: no inner optimisation loop and no Jacobian of G, unlike PGD-GAN (pgd.py,
whose gradient step this shares).
"""
from __future__ import annotations

import torch

from ..config import NPGDConfig
from ..generators.registry import load_projector
from .base import Emitter, Step, StepStream, register, residual_norm
from .pgd import gradient_step


@register("npgd", NPGDConfig, needs_prior=True, title="NPGD (learned projector)",
          objective="x ← G(P(x − ηAᵀ(Ax − y))), P trained to project onto range(G)",
          reference="Raj, Li & Bresler, GAN-based Projector for Faster Recovery with Convergence Guarantees in Linear Inverse Problems, ICCV 2019")
def npgd(problem, prior, cfg: NPGDConfig = NPGDConfig()) -> StepStream:
    """Streams the iterate with the smallest data residual so far, per image (x and residual of it)."""
    emit = Emitter(cfg.every)
    y, physics = problem.y, problem.physics
    P = prior.projector if prior.projector is not None else load_projector(prior.name).to(y.device)
    eta = cfg.eta
    x = torch.zeros((y.shape[0], *physics.in_shape), device=y.device)
    best_x, best = x, torch.full((y.shape[0],), float("inf"), device=y.device)
    best_z = None
    step = lambda t: Step(t, best_x, float(best.mean()), {"data": float(best[0]) ** 2}, z=best_z)  # noqa: E731
    for t in range(1, cfg.iters + 1):
        w = gradient_step(x, problem, eta)
        with torch.no_grad():
            z = prior.project(P(w))
            x = prior(z)
            r = residual_norm(physics, x, y)
            better = r < best  # keep each image's iterate with the smallest data residual
            best = torch.where(better, r, best)
            best_x = torch.where(better.view(-1, 1, 1, 1), x, best_x)
            best_z = z if best_z is None else torch.where(better.view(-1, 1), z, best_z)
        yield from emit(t, cfg.iters, lambda: step(t))
    return emit.final(lambda: step(cfg.iters))
