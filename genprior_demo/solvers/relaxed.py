"""Generative regularisers (Duff, Campbell & Ehrhardt 2021): leave the range of G by an offset u.

    min_{z,u} ‖A(G(z) + u) − y‖² + λ(R(u) + μ‖z‖²)
R(u) = ‖u‖² (relaxed), ‖u‖₁ (sparse), TV(u) (tv-sparse: lets a piecewise-constant change such as the
"shapes+" bright spot through). Alternating, linearised steps (PALM, Bolte et al. 2014): Adam on z for
the smooth part, then a proximal gradient step on u with step 1/L, L = 2‖A‖².
"""
from __future__ import annotations

import torch

from ..config import RelaxedConfig, SparseConfig, TVSparseConfig
from .base import Emitter, StepStream, register
from .csgm import initial_latents
from .latent import restart_step
from .tvops import tv, tv_prox

REF = "Duff, Campbell & Ehrhardt, Regularising Inverse Problems with Generative Machine Learning Models, 2021"


def _penalties(kind: str):
    """(R(u) per row, prox of t·R) for each variant."""
    if kind == "l2":
        return (lambda u: u.pow(2).flatten(1).sum(1)), (lambda v, t: v / (1 + 2 * t))
    if kind == "l1":
        return (lambda u: u.abs().flatten(1).sum(1)), (lambda v, t: torch.sign(v) * (v.abs() - t).clamp_min(0))
    return tv, (lambda v, t: tv_prox(v, t, iters=20))


def _relaxed(problem, prior, cfg, kind: str) -> StepStream:
    emit = Emitter(cfg.every)
    y, physics = problem.y, problem.physics
    B, R = y.shape[0], cfg.restarts
    R_u, prox = _penalties(kind)
    z = initial_latents(problem, prior, R, cfg.seed, cfg.init).requires_grad_(True)
    u = torch.zeros((B * R, *physics.in_shape), device=y.device)
    y_rep = y.repeat_interleave(R, 0)
    tau = 1.0 / (2 * physics.norm() ** 2)
    opt = torch.optim.Adam([z], lr=cfg.lr)

    def step(it, x, u):
        t = {"data": (physics.A(x + u) - y_rep).pow(2).flatten(1).sum(1), "offset": cfg.lam * R_u(u),
             "latent": cfg.lam * cfg.mu * prior.penalty(z.detach())}
        s = restart_step(it, x + u, t, y, physics, R, z, score=sum(t.values()))  # best restart by the full objective
        ar = torch.arange(B, device=y.device)
        s.generator_part = x.view(B, R, *x.shape[1:])[ar, s.best]
        s.offset = u.view(B, R, *u.shape[1:])[ar, s.best]
        return s

    for it in range(1, cfg.iters + 1):
        # z-step: Adam on the smooth part ‖A(G(z)+u) − y‖² + λμ‖z‖²
        opt.zero_grad(set_to_none=True)
        x = prior(z)
        f = (physics.A(x + u) - y_rep).pow(2).flatten(1).sum(1) + cfg.lam * cfg.mu * prior.penalty(z)
        f.sum().backward()
        opt.step()
        with torch.no_grad():
            prior.project(z)
            # u-step: proximal gradient on ‖A(G(z)+u) − y‖² + λR(u) at the new z
            x = prior(z)
            g = 2 * physics.A_adjoint(physics.A(x + u) - y_rep)
            u = prox(u - tau * g, tau * cfg.lam)
        yield from emit(it, cfg.iters, lambda: step(it, x, u))
    return emit.final(lambda: step(cfg.iters, x, u))


@register("relaxed", RelaxedConfig, needs_prior=True, title="Relaxed generative regulariser",
          objective="min_{z,u} ‖A(G(z)+u) − y‖² + λ(‖u‖² + μ‖z‖²)", reference=REF)
def relaxed(problem, prior, cfg: RelaxedConfig = RelaxedConfig()) -> StepStream:
    return (yield from _relaxed(problem, prior, cfg, "l2"))


@register("sparse", SparseConfig, needs_prior=True, title="Sparse generative regulariser",
          objective="min_{z,u} ‖A(G(z)+u) − y‖² + λ(‖u‖₁ + μ‖z‖²)", reference=REF)
def sparse(problem, prior, cfg: SparseConfig = SparseConfig()) -> StepStream:
    return (yield from _relaxed(problem, prior, cfg, "l1"))


@register("tv-sparse", TVSparseConfig, needs_prior=True, title="TV-sparse generative regulariser",
          objective="min_{z,u} ‖A(G(z)+u) − y‖² + λ(TV(u) + μ‖z‖²)", reference=REF)
def tv_sparse(problem, prior, cfg: TVSparseConfig = TVSparseConfig()) -> StepStream:
    return (yield from _relaxed(problem, prior, cfg, "tv"))
