"""Classical baselines: TV (Chambolle–Pock), Tikhonov (CG), Wiener, naive inverses, biharmonic.

Generators never yield inside ``torch.no_grad()`` (that would leak into the consumer, e.g. a race of
several methods interleaved in one thread); each iteration's update has its own no-grad block.
"""
from __future__ import annotations

import numpy as np
import torch

from ..config import BiharmonicConfig, NaiveConfig, TikhonovConfig, TVConfig, WienerConfig
from ..physics.base import cg, cg_iter
from ..streams import drain
from .base import Emitter, StepStream, data_step, register, residual_norm
from .tvops import div, grad, tv


RULE_RANGE = {"tv": (1e-4, 1.0), "tikhonov": (1e-5, 10.0)}  # log-bisection brackets, 4 and 6 decades
RULE_EVALS = 8  # bisection steps: the bracket narrows to a factor 10^(4/256) ≈ 1.04 (TV), 1.06 (Tikhonov)


def discrepancy_weight(problem, solve, lo: float, hi: float, tau: float = 1.0, evals: int = RULE_EVALS):
    """Per image, the weight in [lo, hi] whose solution ``solve(w)`` (w of shape (B, 1, 1, 1)) has
    ‖Ax − y‖ = τ σ √m — Morozov's discrepancy principle, by bisection on log w (the residual grows with
    the weight). Returns (B,) weights; an image whose residual misses the target at a bracket end gets
    that end. Needs σ > 0."""
    y = problem.y
    target = tau * problem.noise_energy() ** 0.5
    B = y.shape[0]
    a = torch.full((B,), float(np.log(lo)), device=y.device)
    b = torch.full((B,), float(np.log(hi)), device=y.device)
    for _ in range(evals):
        mid = (a + b) / 2
        r = residual_norm(problem.physics, solve(mid.exp().view(B, 1, 1, 1)), y)
        over = r > target  # fits the data worse than the noise: less weight
        b, a = torch.where(over, mid, b), torch.where(over, a, mid)
    return ((a + b) / 2).exp()


def _weights(problem, cfg, name: str, value: float, solve) -> tuple[torch.Tensor | float, str]:
    """The weight(s) the rule gives and a label for the table, e.g. ``λ = 0.031 (discrepancy)``."""
    sym = {"tv": "λ", "tikhonov": "α"}[name]
    if cfg.rule == "discrepancy" and problem.sigma > 0:
        w = discrepancy_weight(problem, solve, *RULE_RANGE[name], tau=cfg.tau)
        shown = f"{float(w[0]):.3g}" + (f" … (per image, median {float(w.median()):.3g})" if w.numel() > 1 else "")
        return w.view(-1, 1, 1, 1), f"{sym} = {shown} by discrepancy, τ = {cfg.tau:g}"
    why = ", fixed: σ = 0 and the discrepancy rule needs noise" if cfg.rule == "discrepancy" else ", fixed"
    return value, f"{sym} = {value:g}{why}"


@register("tv", TVConfig, needs_prior=False, title="Total variation (primal–dual)",
          objective="min_{0≤x≤1} ½‖Ax − y‖² + λ TV(x)",
          reference="Rudin, Osher & Fatemi 1992; Chambolle & Pock, J. Math. Imaging Vis. 2011")
def tv_pdhg(problem, prior=None, cfg: TVConfig = TVConfig()) -> StepStream:
    """Chambolle–Pock with K = [A; ∇], F = ½‖· − y‖² + λ‖·‖₂,₁, G = box [0, 1]; τσ‖K‖² < 1. With
    ``rule="discrepancy"`` λ is chosen per image first (:func:`discrepancy_weight`; counted in the time)."""
    emit = Emitter(cfg.every)
    lam, label = _weights(problem, cfg, "tv", cfg.lam, lambda w: drain(_pdhg(problem, w, cfg.iters)))
    lam0 = float(lam.flatten()[0]) if torch.is_tensor(lam) else lam

    def step(it, x):
        s = data_step(it, x, problem, label=label)
        s.losses["tv"] = lam0 * float(tv(x[:1])[0])
        return s

    it, runs = 0, _pdhg(problem, lam, cfg.iters)
    while True:
        try:
            it, x = next(runs)
        except StopIteration:
            break
        yield from emit(it, cfg.iters, lambda: step(it, x))
    return emit.final(lambda: step(cfg.iters, x))


def _pdhg(problem, lam, iters: int):
    """The primal–dual iterations for weight ``lam`` (a float or (B, 1, 1, 1)): yields (it, x), returns x."""
    y, physics = problem.y, problem.physics
    L = (physics.norm() ** 2 + 8.0) ** 0.5  # ‖∇‖² ≤ 8
    tau = sig = 0.99 / L
    B = y.shape[0]
    x = torch.zeros((B, *physics.in_shape), device=y.device)
    xbar, p = x.clone(), torch.zeros_like(y)
    q = torch.zeros((B, 2, *physics.in_shape), device=y.device)
    lam = lam.clamp_min(1e-12).view(B, 1, 1, 1, 1) if torch.is_tensor(lam) else max(lam, 1e-12)  # q: (B, 2, C, H, W)
    for it in range(1, iters + 1):
        with torch.no_grad():
            p = (p + sig * (physics.A(xbar) - y)) / (1 + sig)
            q = q + sig * grad(xbar)
            q = q / (q.pow(2).sum(1, keepdim=True).sqrt() / lam).clamp_min(1.0)
            x_new = (x - tau * (physics.A_adjoint(p) - div(q))).clamp(0, 1)
            xbar = 2 * x_new - x
            x = x_new
        yield it, x
    return x


@register("tikhonov", TikhonovConfig, needs_prior=False, title="Tikhonov (CG)",
          objective="x = (AᵀA + αI)⁻¹ Aᵀ y", reference="Tikhonov 1963; solved by conjugate gradients")
def tikhonov(problem, prior=None, cfg: TikhonovConfig = TikhonovConfig()) -> StepStream:
    emit = Emitter(cfg.every)
    physics = problem.physics
    with torch.no_grad():
        b = physics.A_adjoint(problem.y)

    def normal(alpha):  # v ↦ (AᵀA + αI)v
        return lambda v: physics.AtA(v) + alpha * v

    def solve(alpha):
        with torch.no_grad():
            return cg(normal(alpha), b, iters=cfg.iters, tol=1e-7)

    alpha, label = _weights(problem, cfg, "tikhonov", cfg.alpha, solve)
    it_ = cg_iter(normal(alpha), b, iters=cfg.iters, tol=1e-7)
    it, x = 0, torch.zeros_like(b)
    while True:
        with torch.no_grad():
            try:
                x = next(it_)
                it += 1
            except StopIteration:
                break
        yield from emit(it, cfg.iters, lambda: data_step(it, x, problem, label=label))
    return emit.final(lambda: data_step(cfg.iters, x, problem, converged_at=it, label=label))


LAPLACIAN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def wiener_filter(y: torch.Tensor, physics, balance, reg: str = "identity") -> torch.Tensor:
    """X = K̄ Y / (|K|² + b |R|²) with R = I or the Laplacian (scikit-image's ``wiener`` convention);
    ``balance`` b a number or one per image (B, 1, 1, 1)."""
    Hh, Ww = physics.in_shape[1:]
    if reg == "laplacian":
        full = torch.zeros(Hh, Ww)
        full[:3, :3] = LAPLACIAN
        R2 = torch.fft.rfft2(torch.roll(full, (-1, -1), (0, 1))).abs().pow(2).to(y.device)
    else:
        R2 = torch.ones_like(physics.K.real)
    W = physics.K.conj() / (physics.K.abs().pow(2) + balance * R2)
    return torch.fft.irfft2(torch.fft.rfft2(y) * W, s=(Hh, Ww))


def one_shot(problem, compute) -> StepStream:
    """A closed-form method as a stream: no intermediate steps, the final Step is its result.
    ``compute()`` → (x, label)."""
    emit = Emitter()
    with torch.no_grad():
        x, label = compute()
    yield from ()  # nothing to stream: a one-shot method's stream is just its return value
    return emit.final(lambda: data_step(1, x, problem, label=label))


@register("wiener", WienerConfig, needs_prior=False, title="Wiener deconvolution",
          objective="X = K̄Y / (|K|² + b|R|²), b = σ²·n/‖y‖² (Tikhonov (AᵀA + αI)⁻¹Aᵀy for non-convolutions)",
          reference="Wiener 1949; Orieux, Giovannelli & Rodet 2010 (unsupervised, scikit-image)")
def wiener(problem, prior=None, cfg: WienerConfig = WienerConfig()) -> StepStream:
    y, physics = problem.y, problem.physics
    if physics.kernel is None:  # labelled fallback, as promised in the UI
        t = TikhonovConfig()
        final = yield from tikhonov(problem, None, t)
        final.label = f"Tikhonov (α={t.alpha}): Wiener needs a convolution"
        return final

    def compute():
        if cfg.unsupervised:
            from skimage.restoration import unsupervised_wiener

            out = np.empty(y.shape, dtype=np.float64)
            rng = np.random.default_rng(cfg.seed)
            ker = physics.kernel.cpu().double().numpy()
            for idx in np.ndindex(*y.shape[:2]):
                out[idx] = unsupervised_wiener(y[idx].cpu().double().numpy(), ker, clip=False, rng=rng)[0]
            return torch.from_numpy(out).float().to(y.device), "unsupervised Wiener–Hunt (scikit-image)"
        b = torch.full((y.shape[0], 1, 1, 1), cfg.balance, device=y.device)
        if cfg.balance <= 0:  # noise-to-signal ratio of each image from the known σ (floor: σ = 0 well posed)
            n = y[0].numel()
            b = (problem.sigma**2 * n / y.pow(2).flatten(1).sum(1)).clamp_min(1e-4).view(-1, 1, 1, 1)
        return wiener_filter(y, physics, b, cfg.reg), f"Wiener, balance {float(b[0]):.3g}, R = {cfg.reg}"

    return (yield from one_shot(problem, compute))


@register("naive", NaiveConfig, needs_prior=False, title="Naive inverse",
          objective="A†y (zero-filled inverse FFT; bicubic upsampling for SR; filtered back-projection)",
          reference="")
def naive(problem, prior=None, cfg: NaiveConfig = NaiveConfig()) -> StepStream:
    return (yield from one_shot(problem, lambda: problem.physics.naive_inverse(problem.y)))


@register("biharmonic", BiharmonicConfig, needs_prior=False, title="Biharmonic inpainting", requires="observed_mask",
          objective="fill missing pixels with the solution of Δ²x = 0", reference="Damelin & Hoang 2018 (scikit-image)")
def biharmonic(problem, prior=None, cfg: BiharmonicConfig = BiharmonicConfig()) -> StepStream:
    mask = problem.physics.observed_mask()
    if mask is None:
        raise ValueError("biharmonic inpainting needs a mask operator (remove-pixel, patch-band, box-mask…)")

    def compute():
        from skimage.restoration import inpaint_biharmonic

        missing = (mask == 0).cpu().numpy()  # (C, H, W)
        y = problem.y
        out = y.detach().cpu().double().numpy().copy()
        for b in range(y.shape[0]):
            for c in range(y.shape[1]):
                if missing[c].any():
                    out[b, c] = inpaint_biharmonic(out[b, c], missing[c])
        return torch.from_numpy(out).float().to(y.device), "biharmonic inpainting"

    return (yield from one_shot(problem, compute))
