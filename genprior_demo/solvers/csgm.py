"""CSGM — compressed sensing with generative models (Bora, Jalal, Price & Dimakis, ICML 2017)."""
from __future__ import annotations

import torch

from ..config import CSGMBPConfig, CSGMConfig, HardConfig
from .backprojection import with_backprojection
from .base import Emitter, StepStream, register
from .latent import descend, restart_latents, restart_step

OBJECTIVE = "min_z ‖A G(z) − y‖² + λ‖z‖²"


def latent_objective(y_rep, physics, prior, z, lam):
    """The CSGM objective per row: data term ‖A G(z) − y‖² and prior term λ‖z‖²."""
    def objective():
        x = prior(z)
        data = (physics.A(x) - y_rep).pow(2).flatten(1).sum(1)
        reg = lam * prior.penalty(z)
        return data + reg, {"data": data, "prior": reg}, x
    return objective


def run_latent(problem, prior, z, cfg, emit: Emitter, lam: float) -> StepStream:
    """Adam on z from ``z`` (B·R, k) with projection onto the prior's support; streams Steps."""
    y, physics = problem.y, problem.physics
    R = z.shape[0] // y.shape[0]
    y_rep = y.repeat_interleave(R, 0)
    z.requires_grad_(True)
    objective = latent_objective(y_rep, physics, prior, z, lam)
    for it, x, terms in descend([z], [cfg.lr], objective, cfg.iters, after_step=lambda: prior.project(z)):
        yield from emit(it, cfg.iters, lambda: restart_step(it, x, terms, y, physics, R, z))

    def last():
        _, terms, x = objective()
        return restart_step(cfg.iters, x, terms, y, physics, R, z)
    return emit.final(last)


@register("csgm", CSGMConfig, needs_prior=True, title="CSGM", objective=OBJECTIVE,
          reference="Bora, Jalal, Price & Dimakis, Compressed Sensing using Generative Models, ICML 2017")
def csgm(problem, prior, cfg: CSGMConfig = CSGMConfig()) -> StepStream:
    """Stream CSGM: R random restarts (one batch) of Adam on z, best restart by data loss.

    Examples
    --------
    >>> final = solve(csgm(make_problem(x, "cs-gaussian"), prior, CSGMConfig(iters=200)))
    """
    emit = Emitter(cfg.every)
    z = restart_latents(prior, problem.batch, cfg.restarts, cfg.seed)  # (B·R, k)
    return (yield from run_latent(problem, prior, z, cfg, emit, cfg.lam))


@register("csgm-bp", CSGMBPConfig, needs_prior=True, title="CSGM + back-projection",
          objective=OBJECTIVE + ", then x̂ + Aᵀ(AAᵀ + ηI)⁻¹(y − A x̂)",
          reference="Abu Hussein, Tirer & Giryes, Image-Adaptive GAN based Reconstruction, AAAI 2020")
def csgm_bp(problem, prior, cfg: CSGMBPConfig = CSGMBPConfig()) -> StepStream:
    """CSGM whose every estimate is back-projected onto {x : A x = y}."""
    return (yield from with_backprojection(csgm(problem, prior, cfg), problem, cfg.bp_eta))


def initial_latents(problem, prior, n_restarts: int, seed: int, init: str = "encoder") -> torch.Tensor:
    """(B·R, k) starting codes drawn from the latent prior; with ``init="encoder"`` restart 0 is the
    encoder's code of A†y instead (AE/VAE; a GAN has no encoder and keeps its draws)."""
    B = problem.batch
    z = restart_latents(prior, B, n_restarts, seed).view(B, n_restarts, -1)
    with torch.no_grad():
        if init == "encoder" and prior.encoder is not None:
            x0 = problem.physics.A_dagger(problem.y).clamp(0, 1)
            z[:, 0] = prior.encode(x0)
            prior.project(z)
    return z.reshape(B * n_restarts, -1)


@register("hard", HardConfig, needs_prior=True, title="Hard constraint x = G(z)", objective=OBJECTIVE,
          reference="Duff, Campbell & Ehrhardt, Regularising Inverse Problems with Generative Machine Learning Models, 2021")
def hard(problem, prior, cfg: HardConfig = HardConfig()) -> StepStream:
    """CSGM with ‖z‖² from draws of the latent prior, or from the encoder's code of A†y (Duff et al.)."""
    emit = Emitter(cfg.every)
    z = initial_latents(problem, prior, cfg.restarts, cfg.seed, cfg.init)
    return (yield from run_latent(problem, prior, z, cfg, emit, cfg.lam))
