"""IAGAN — image-adaptive GAN reconstruction (Abu Hussein, Tirer & Giryes, AAAI 2020).

Stage 1 is CSGM. Stage 2 jointly optimises z and *a copy* of the generator's weights θ,
    min_{z, θ} ‖A G_θ(z) − y‖²,
with Adam at small learning rates, keeping the iterate with the smallest objective (the paper's early
stopping) and halving the iterations when y is noisy. The shipped generator is never modified. Each
image of a batch gets its own weight copy, so stage 2 runs image by image.

On noisy data the objective keeps falling as G_θ fits the noise, so "smallest objective" never stops
early; the optional ``discrepancy`` τ stops an image's fine-tuning at the first iterate whose residual
reaches the noise level, ‖A G_θ(z) − y‖² ≤ τ σ² m, m the measured entries of y (Morozov's discrepancy
principle; our addition).
"""
from __future__ import annotations

import copy

import torch

from ..config import CSGMConfig, IAGANBPConfig, IAGANConfig
from .backprojection import with_backprojection
from .base import Emitter, StepStream, data_step, register
from .csgm import run_latent
from .latent import restart_latents

OBJECTIVE = "CSGM, then min_{z,θ} ‖A G_θ(z) − y‖² from the CSGM z (Adam on z and θ)"
REF = "Abu Hussein, Tirer & Giryes, Image-Adaptive GAN based Reconstruction, AAAI 2020"


@register("iagan", IAGANConfig, needs_prior=True, title="IAGAN (image-adaptive)", objective=OBJECTIVE, reference=REF)
def iagan(problem, prior, cfg: IAGANConfig = IAGANConfig()) -> StepStream:
    emit = Emitter(cfg.every)
    y, physics, sigma = problem.y, problem.physics, problem.sigma
    B = y.shape[0]
    ccfg = CSGMConfig(iters=cfg.csgm_iters, restarts=cfg.restarts, lr=cfg.csgm_lr, lam=cfg.lam,
                      every=cfg.every, seed=cfg.seed)
    z0 = restart_latents(prior, B, cfg.restarts, cfg.seed)
    first = yield from run_latent(problem, prior, z0, ccfg, emit, cfg.lam)
    emit.resume()
    n_iter = max(1, cfg.iters // 2) if sigma > 0 else cfg.iters  # paper: half when noisy
    x_out = first.x.clone()  # (B, C, H, W): CSGM result until an image is fine-tuned
    losses: dict[str, float] = {}
    floor = cfg.discrepancy * problem.noise_energy()  # Morozov's level; 0 when off or σ = 0
    for b in range(B):
        G = copy.deepcopy(prior.decoder).eval().requires_grad_(True)  # a private copy per image
        z = first.z[b:b + 1].detach().clone().requires_grad_(True)
        opt = torch.optim.Adam([{"params": [z], "lr": cfg.lr_z},
                                {"params": list(G.parameters()), "lr": cfg.lr_theta}])
        yb = y[b:b + 1]
        with torch.no_grad():
            best = float((physics.A(G(z)) - yb).pow(2).sum())
        best_x = x_out[b:b + 1].clone()
        for it in range(1, n_iter + 1):
            if best <= floor:  # the fit has reached the noise level: stop this image
                break
            opt.zero_grad(set_to_none=True)
            x = G(z)
            data = (physics.A(x) - yb).pow(2).sum()
            data.backward()
            val = float(data.detach())
            if val < best:  # the loss of the iterate x (before this update)
                best, best_x = val, x.detach().clone()
            opt.step()
            with torch.no_grad():
                prior.project(z)
            if emit.due(it, n_iter):
                x_out[b:b + 1] = best_x
                losses = {"data": val, "best_data": best}
                yield emit.now(lambda: data_step(cfg.csgm_iters + it, x_out.clone(), problem, dict(losses),
                                                 phase=f"fine-tuning image {b + 1}/{B}"))
                emit.resume()
        with torch.no_grad():
            val = float((physics.A(G(z)) - yb).pow(2).sum())
            if val < best:
                best, best_x = val, G(z).detach().clone()
        x_out[b:b + 1] = best_x
        losses = {"data": best}
    return emit.final(lambda: data_step(cfg.csgm_iters + n_iter, x_out, problem, losses, stage1=first.x, z=first.z))


@register("iagan-bp", IAGANBPConfig, needs_prior=True, title="IAGAN + back-projection",
          objective=OBJECTIVE + ", then back-projection", reference=REF)
def iagan_bp(problem, prior, cfg: IAGANBPConfig = IAGANBPConfig()) -> StepStream:
    return (yield from with_backprojection(iagan(problem, prior, cfg), problem, cfg.bp_eta))
