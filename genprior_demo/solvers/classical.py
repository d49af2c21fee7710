"""Classical baselines: TV (Chambolle–Pock), Tikhonov (CG), Wiener, naive inverses, biharmonic.

Generators never yield inside ``torch.no_grad()`` (that would leak into the consumer, e.g. a race of
several methods interleaved in one thread); each iteration's update has its own no-grad block.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..config import BiharmonicConfig, NaiveConfig, TikhonovConfig, TVConfig, WienerConfig
from ..physics import Convolution, Mask, Tomography
from ..physics.base import cg_iter
from ..physics.sampling import SuperResolution
from .base import Clock, Step, StepStream, register, residual_norm
from .tvops import div, grad, tv


def _step(it, x, y, physics, clock, losses=None, done=False, **extra) -> Step:
    r = residual_norm(physics, x, y)
    return Step(it, x, losses or {"‖Ax−y‖²": float(r[0]) ** 2}, float(r.mean()), clock.total, done, extra)


@register("tv", TVConfig, needs_prior=False, title="Total variation (primal–dual)",
          objective="min_{0≤x≤1} ½‖Ax − y‖² + λ TV(x)",
          reference="Rudin, Osher & Fatemi 1992; Chambolle & Pock, J. Math. Imaging Vis. 2011")
def tv_pdhg(y: torch.Tensor, physics, prior=None, cfg: TVConfig = TVConfig()) -> StepStream:
    """Chambolle–Pock with K = [A; ∇], F = ½‖· − y‖² + λ‖·‖₂,₁, G = box [0, 1]; τσ‖K‖² < 1."""
    clock = Clock()
    L = (physics.norm() ** 2 + 8.0) ** 0.5  # ‖∇‖² ≤ 8
    tau = sig = 0.99 / L
    B = y.shape[0]
    x = torch.zeros((B, *physics.in_shape), device=y.device)
    xbar, p = x.clone(), torch.zeros_like(y)
    q = torch.zeros((B, 2, *physics.in_shape), device=y.device)
    lam = max(cfg.lam, 1e-12)
    for it in range(1, cfg.iters + 1):
        with torch.no_grad():
            p = (p + sig * (physics.A(xbar) - y)) / (1 + sig)
            q = q + sig * grad(xbar)
            q = q / (q.pow(2).sum(1, keepdim=True).sqrt() / lam).clamp_min(1.0)
            x_new = (x - tau * (physics.A_adjoint(p) - div(q))).clamp(0, 1)
            xbar = 2 * x_new - x
            x = x_new
        if it % cfg.every and it < cfg.iters:
            continue
        with torch.no_grad():
            losses = {"½‖Ax−y‖²": 0.5 * float((physics.A(x[:1]) - y[:1]).pow(2).sum()),
                      "λTV": cfg.lam * float(tv(x[:1])[0])}
            clock.pause()
            step = _step(it, x, y, physics, clock, losses, done=it == cfg.iters)
        if it == cfg.iters:
            return step
        yield step
        clock.resume()


@register("tikhonov", TikhonovConfig, needs_prior=False, title="Tikhonov (CG)",
          objective="x = (AᵀA + αI)⁻¹ Aᵀ y", reference="Tikhonov 1963; solved by conjugate gradients")
def tikhonov(y: torch.Tensor, physics, prior=None, cfg: TikhonovConfig = TikhonovConfig()) -> StepStream:
    clock = Clock()
    with torch.no_grad():
        b = physics.A_adjoint(y)
    it_ = cg_iter(lambda v: physics.AtA(v) + cfg.alpha * v, b, iters=cfg.iters, tol=1e-7)
    it, x = 0, torch.zeros_like(b)
    while True:
        with torch.no_grad():
            try:
                x = next(it_)
                it += 1
            except StopIteration:
                break
        if it % cfg.every == 0 and it < cfg.iters:
            clock.pause()
            with torch.no_grad():
                step = _step(it, x, y, physics, clock)
            yield step
            clock.resume()
    clock.pause()
    with torch.no_grad():
        return _step(cfg.iters, x, y, physics, clock, done=True, converged_at=it)


LAPLACIAN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def wiener_filter(y: torch.Tensor, physics: Convolution, balance: float, reg: str = "identity") -> torch.Tensor:
    """X = K̄ Y / (|K|² + b |R|²) with R = I or the Laplacian (scikit-image's ``wiener`` convention)."""
    Hh, Ww = physics.in_shape[1:]
    if reg == "laplacian":
        full = torch.zeros(Hh, Ww)
        full[:3, :3] = LAPLACIAN
        R2 = torch.fft.rfft2(torch.roll(full, (-1, -1), (0, 1))).abs().pow(2).to(y.device)
    else:
        R2 = torch.ones_like(physics.K.real)
    W = physics.K.conj() / (physics.K.abs().pow(2) + balance * R2)
    return torch.fft.irfft2(torch.fft.rfft2(y) * W, s=(Hh, Ww))


@register("wiener", WienerConfig, needs_prior=False, title="Wiener deconvolution",
          objective="X = K̄Y / (|K|² + b|R|²), b = σ²·n/‖y‖² (Tikhonov (AᵀA + αI)⁻¹Aᵀy for non-convolutions)",
          reference="Wiener 1949; Orieux, Giovannelli & Rodet 2010 (unsupervised, scikit-image)")
def wiener(y: torch.Tensor, physics, prior=None, cfg: WienerConfig = WienerConfig()) -> StepStream:
    clock = Clock()
    if not isinstance(physics, Convolution):  # labelled fallback, as promised in the UI
        t = TikhonovConfig()
        final = yield from tikhonov(y, physics, None, t)
        final.extra["label"] = f"Tikhonov (α={t.alpha}): Wiener needs a convolution"
        return final
    with torch.no_grad():
        if cfg.unsupervised:
            from skimage.restoration import unsupervised_wiener

            out = np.empty(y.shape, dtype=np.float64)
            rng = np.random.default_rng(cfg.seed)
            ker = physics.kernel.cpu().double().numpy()
            for idx in np.ndindex(*y.shape[:2]):
                out[idx] = unsupervised_wiener(y[idx].cpu().double().numpy(), ker, clip=False, rng=rng)[0]
            x = torch.from_numpy(out).float().to(y.device)
            label = "unsupervised Wiener–Hunt (scikit-image)"
        else:
            b = cfg.balance
            if b <= 0:  # noise-to-signal ratio from the known σ (floor keeps σ = 0 well posed)
                n = y[0].numel()
                b = max(physics.sigma**2 * n / float(y.pow(2).flatten(1).sum(1).mean()), 1e-4)
            x = wiener_filter(y, physics, b, cfg.reg)
            label = f"Wiener, balance {b:.3g}, R = {cfg.reg}"
        clock.pause()
        return _step(1, x, y, physics, clock, done=True, label=label)
    yield  # pragma: no cover  (makes this a generator)


@register("naive", NaiveConfig, needs_prior=False, title="Naive inverse",
          objective="A†y (zero-filled inverse FFT; bicubic upsampling for SR; filtered back-projection)",
          reference="")
def naive(y: torch.Tensor, physics, prior=None, cfg: NaiveConfig = NaiveConfig()) -> StepStream:
    clock = Clock()
    with torch.no_grad():
        if isinstance(physics, Tomography):
            x, label = physics.fbp(y), "filtered back-projection"
        elif isinstance(physics, SuperResolution):
            x = F.interpolate(y, size=physics.in_shape[1:], mode="bicubic", align_corners=False)
            label = "bicubic upsampling"
        else:
            x, label = physics.A_dagger(y), "pseudo-inverse A†y"
        clock.pause()
        return _step(1, x, y, physics, clock, done=True, label=label)
    yield  # pragma: no cover


@register("biharmonic", BiharmonicConfig, needs_prior=False, title="Biharmonic inpainting",
          objective="fill missing pixels with the solution of Δ²x = 0", reference="Damelin & Hoang 2018 (scikit-image)")
def biharmonic(y: torch.Tensor, physics, prior=None, cfg: BiharmonicConfig = BiharmonicConfig()) -> StepStream:
    if not isinstance(physics, Mask):
        raise ValueError("biharmonic inpainting needs a mask operator (remove-pixel, patch-band, box-mask…)")
    from skimage.restoration import inpaint_biharmonic

    clock = Clock()
    missing = (physics.mask == 0).cpu().numpy()  # (C, H, W)
    out = y.detach().cpu().double().numpy().copy()
    for b in range(y.shape[0]):
        for c in range(y.shape[1]):
            if missing[c].any():
                out[b, c] = inpaint_biharmonic(out[b, c], missing[c])
    x = torch.from_numpy(out).float().to(y.device)
    clock.pause()
    with torch.no_grad():
        return _step(1, x, y, physics, clock, done=True, label="biharmonic inpainting")
    yield  # pragma: no cover
