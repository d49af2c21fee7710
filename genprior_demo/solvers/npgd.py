"""NPGD — network-based projected gradient descent (Raj, Li & Bresler, ICCV 2019).

    x ← G(P(x − η Aᵀ(A x − y)))
P: image → latent is a trained projector network (``train-projector``), so each projection is one
forward pass of P and G: no inner optimisation loop and no Jacobian of G, unlike PGD-GAN.
"""
from __future__ import annotations

import torch

from ..config import NPGDConfig
from ..generators.registry import load_projector
from .base import Clock, Step, StepStream, register, residual_norm


@register("npgd", NPGDConfig, needs_prior=True, title="NPGD (learned projector)",
          objective="x ← G(P(x − ηAᵀ(Ax − y))), P trained to project onto range(G)",
          reference="Raj, Li & Bresler, GAN-based Projector for Faster Recovery with Convergence Guarantees in Linear Inverse Problems, ICCV 2019")
def npgd(y: torch.Tensor, physics, prior, cfg: NPGDConfig = NPGDConfig()) -> StepStream:
    clock = Clock()
    P = prior.projector if prior.projector is not None else load_projector(prior.name).to(y.device)
    eta = cfg.step / physics.norm() ** 2
    x = torch.zeros((y.shape[0], *physics.in_shape), device=y.device)
    best_x, best = x, torch.full((y.shape[0],), float("inf"), device=y.device)
    for t in range(1, cfg.iters + 1):
        with torch.no_grad():
            w = x - eta * physics.A_adjoint(physics.A(x) - y)
            z = prior.project(P(w))
            x = prior(z)
            r = residual_norm(physics, x, y)
            better = r < best  # keep each image's iterate with the smallest data residual
            best = torch.where(better, r, best)
            best_x = torch.where(better.view(-1, 1, 1, 1), x, best_x)
        if t % cfg.every == 0 and t < cfg.iters:
            clock.pause()
            yield Step(t, best_x, {"‖Ax−y‖²": float(best[0]) ** 2}, float(best.mean()), clock.total, extra={"z": z})
            clock.resume()
    clock.pause()
    return Step(cfg.iters, best_x, {"‖Ax−y‖²": float(best[0]) ** 2}, float(best.mean()), clock.total, True)
