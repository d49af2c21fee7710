"""Glue for the unknown-forward-model experiments (Anirudh et al. 2020), shared by the CLI, the app
and the quality report: the paper's baselines for blind inversion and for source separation."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import numpy as np
import torch

from ..config import BlindConfig, BSSConfig, CSGMConfig, WienerConfig
from ..metrics import matched_psnr
from ..physics import make_operator
from ..problem import BlindProblem, Problem, SeparationProblem
from ..solvers import solve
from ..solvers.blind import blind, bss, fastica_sources
from ..solvers.classical import wiener
from ..solvers.csgm import csgm


def blind_baselines(problem: BlindProblem, prior, seed: int = 0, iters: int = 300,
                    restarts: int = 4) -> Iterator[tuple[str, torch.Tensor, float]]:
    """(label, images, seconds): G(z) fitted to y directly (no forward model), Wiener with the true
    kernel (blurs only), and CSGM with the true F (the upper reference). These are allowed to know the
    hidden operator; the blind method is not."""
    quick = CSGMConfig(iters=iters, restarts=restarts, every=iters, seed=seed)
    y, op = problem.y, problem.hidden
    t = time.perf_counter()
    r = solve(csgm(Problem(y, make_operator("denoise", prior.image_shape, device=y.device), problem.sigma), prior, quick))
    yield "PGD without a forward model: G(z) ≈ y", r.x, time.perf_counter() - t
    known = Problem(y, op, problem.sigma, problem.seed)
    if op.is_blur:
        t = time.perf_counter()
        r = solve(wiener(known, None, WienerConfig()))
        yield "Wiener (true kernel known)", r.x, time.perf_counter() - t
    t = time.perf_counter()
    r = solve(csgm(known, prior, quick))
    yield "CSGM with the true F (reference)", r.x, time.perf_counter() - t


def surrogate_error(surrogate, hidden, x: torch.Tensor) -> tuple[float, float]:
    """How close the fitted F̂ is to the true F: (‖F̂(δ) − F̂(0) − F(δ)‖ / ‖F(δ)‖ on a centred impulse — the
    kernels —, ‖F̂(x) − F(x)‖ / ‖F(x)‖ on the clean images x)."""
    C, H, W = x.shape[1:]
    d = torch.zeros(1, C, H, W, device=x.device)
    d[..., H // 2, W // 2] = 1.0
    with torch.no_grad():
        k_hat = surrogate(d) - surrogate(torch.zeros_like(d))
        k = hidden.A(d)
        fx = hidden.A(x)
        return float((k_hat - k).norm() / k.norm()), float((surrogate(x) - fx).norm() / fx.norm())


def separation_scores(xhat: torch.Tensor, x: torch.Tensor) -> list[float]:
    """Mean matched per-source PSNR of each mixture: xhat, x (B, S, H, W) → (B,) values."""
    return [float(np.mean(matched_psnr(xhat[b].cpu(), x[b].cpu())[0])) for b in range(x.shape[0])]


def mixing_error(mixer, problem: SeparationProblem, xhat: torch.Tensor) -> float:
    """How well the recovered mixing M̂ reproduces the true one: ‖M̂(X) − |Mᵀ(2X − 1)|‖ / ‖|Mᵀ(2X − 1)|‖
    on the *true* sources X, each mixture's sources put in the order M̂ learnt them (the permutation
    that matches the recovered sources ``xhat`` to the true ones). 0 is a perfect mixing model."""
    x, y = problem.x, problem.y
    ordered = torch.empty_like(x)
    for b in range(x.shape[0]):
        _, perm = matched_psnr(xhat[b].cpu(), x[b].cpu())  # perm[j]: recovered index matched to true source j
        for j, i in enumerate(perm):
            ordered[b, i] = x[b, j]
    with torch.no_grad():
        return float((mixer(ordered) - y).norm() / y.norm())


def start_mixing_error(mixer, x: torch.Tensor, y: torch.Tensor) -> float:
    """:func:`mixing_error` where no sources were recovered (a mixing network's start): the true sources ``x``
    (B, S, H, W) in the one order, common to all mixtures, that suits M̂ best."""
    import itertools

    with torch.no_grad():
        return min(float((mixer(x[:, list(p)]) - y).norm() / y.norm()) for p in itertools.permutations(range(x.shape[1])))


def separation_baselines(problem: SeparationProblem, prior, cfg: BSSConfig) -> Iterator[tuple[str, torch.Tensor, float, str]]:
    """(label, sources (B, S, H, W), seconds, note): the additive model Σᵢ G(zᵢ) and FastICA."""
    y = problem.y
    t = time.perf_counter()
    add = solve(bss(problem, prior, dataclasses.replace(cfg, additive=True)))
    yield "additive model Σ G(zᵢ)", add.x, time.perf_counter() - t, ""
    t = time.perf_counter()
    outs, notes = zip(*(fastica_sources(y[b].cpu(), problem.sources, cfg.seed) for b in range(y.shape[0])))
    yield "FastICA", torch.stack(outs).to(y.device), time.perf_counter() - t, notes[0]


def blind_comparison(problem: BlindProblem, prior, cfg: BlindConfig, seed: int = 0):
    """Blind inversion and its baselines on the same observations: (blind's final Step,
    [(label, images, seconds), …] with blind first)."""
    t = time.perf_counter()
    r = solve(blind(problem, prior, cfg))
    return r, [("blind (surrogate F̂, F unknown)", r.x, time.perf_counter() - t), *blind_baselines(problem, prior, seed)]


SEPARATION_LABEL = "mixing network (ours: the demo's default)"  # Anirudh et al.'s loop with our search


def separation_comparison(problem: SeparationProblem, prior, cfg: BSSConfig):
    """Source separation and its baselines: (the final Step, [(label, sources, seconds, note), …])."""
    t = time.perf_counter()
    r = solve(bss(problem, prior, cfg))
    return r, [(SEPARATION_LABEL, r.x, time.perf_counter() - t, ""),
               *separation_baselines(problem, prior, cfg)]
