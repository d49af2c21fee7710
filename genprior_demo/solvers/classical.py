"""Classical baselines: TV (Chambolle–Pock), Tikhonov (CG), Wiener, naive inverses, biharmonic.

Generators never yield inside ``torch.no_grad()`` (that would leak into the consumer, e.g. a race of
several methods interleaved in one thread); each iteration's update has its own no-grad block.
"""
from __future__ import annotations

import numpy as np
import torch

from ..config import BiharmonicConfig, NaiveConfig, TikhonovConfig, TVConfig, WienerConfig
from ..physics.base import cg_iter
from .base import Emitter, StepStream, data_step, register
from .tvops import div, grad, tv


@register("tv", TVConfig, needs_prior=False, title="Total variation (primal–dual)",
          objective="min_{0≤x≤1} ½‖Ax − y‖² + λ TV(x)",
          reference="Rudin, Osher & Fatemi 1992; Chambolle & Pock, J. Math. Imaging Vis. 2011")
def tv_pdhg(problem, prior=None, cfg: TVConfig = TVConfig()) -> StepStream:
    """Chambolle–Pock with K = [A; ∇], F = ½‖· − y‖² + λ‖·‖₂,₁, G = box [0, 1]; τσ‖K‖² < 1."""
    emit = Emitter(cfg.every)
    y, physics = problem.y, problem.physics
    L = (physics.norm() ** 2 + 8.0) ** 0.5  # ‖∇‖² ≤ 8
    tau = sig = 0.99 / L
    B = y.shape[0]
    x = torch.zeros((B, *physics.in_shape), device=y.device)
    xbar, p = x.clone(), torch.zeros_like(y)
    q = torch.zeros((B, 2, *physics.in_shape), device=y.device)
    lam = max(cfg.lam, 1e-12)

    def step(it):
        s = data_step(it, x, problem)
        s.losses["tv"] = cfg.lam * float(tv(x[:1])[0])
        return s

    for it in range(1, cfg.iters + 1):
        with torch.no_grad():
            p = (p + sig * (physics.A(xbar) - y)) / (1 + sig)
            q = q + sig * grad(xbar)
            q = q / (q.pow(2).sum(1, keepdim=True).sqrt() / lam).clamp_min(1.0)
            x_new = (x - tau * (physics.A_adjoint(p) - div(q))).clamp(0, 1)
            xbar = 2 * x_new - x
            x = x_new
        yield from emit(it, cfg.iters, lambda: step(it))
    return emit.final(lambda: step(cfg.iters))


@register("tikhonov", TikhonovConfig, needs_prior=False, title="Tikhonov (CG)",
          objective="x = (AᵀA + αI)⁻¹ Aᵀ y", reference="Tikhonov 1963; solved by conjugate gradients")
def tikhonov(problem, prior=None, cfg: TikhonovConfig = TikhonovConfig()) -> StepStream:
    emit = Emitter(cfg.every)
    physics = problem.physics
    with torch.no_grad():
        b = physics.A_adjoint(problem.y)
    it_ = cg_iter(lambda v: physics.AtA(v) + cfg.alpha * v, b, iters=cfg.iters, tol=1e-7)
    it, x = 0, torch.zeros_like(b)
    while True:
        with torch.no_grad():
            try:
                x = next(it_)
                it += 1
            except StopIteration:
                break
        yield from emit(it, cfg.iters, lambda: data_step(it, x, problem))
    return emit.final(lambda: data_step(cfg.iters, x, problem, converged_at=it))


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
