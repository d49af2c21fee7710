"""Unknown forward models with a GAN prior (Anirudh, Thiagarajan, Kailkhura & Bremer, "An unsupervised
approach to solving inverse problems using generative adversarial networks", 2020).

Blind inversion: N observations y_j = F(x_j) of one unknown F. A surrogate F̂ (two linear conv layers,
no non-linearity) and the latents z_j are fitted in alternation (their Algorithm 1):

    min_{F̂, z}  Σ_j ‖F̂(G(z_j)) − y_j‖₁ + α Σ_j log(1 − D(G(z_j))),   z ∈ [−1, 1]^k (projected)

T1 Adam steps on F̂ with the images fixed, then T2 on the z's with F̂ fixed, T times. The method is
never told F: it takes a :class:`~genprior_demo.problem.BlindProblem`, which holds no operator (the
reported residual is the surrogate's ‖F̂(x) − y‖₂).
Source separation (``bss``) is the same loop with a pixel-wise mixing network over S latents per mixture.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..config import BlindConfig, BSSConfig
from ..device import seeded, seeded_module
from .base import Emitter, Step, StepStream, register

REF = ("Anirudh, Thiagarajan, Kailkhura & Bremer, An Unsupervised Approach to Solving Inverse Problems "
       "using Generative Adversarial Networks, 2020")


class SurrogateConv(nn.Module):
    """F̂: conv(C → filters, k×k) then conv(filters → C, k×k), linear (no activation), as the paper."""

    def __init__(self, channels: int = 1, filters: int = 16, ksize: int = 5):
        super().__init__()
        self.c1 = nn.Conv2d(channels, filters, ksize, padding=ksize // 2)
        self.c2 = nn.Conv2d(filters, channels, ksize, padding=ksize // 2)

    def forward(self, x):
        return self.c2(self.c1(x))

    def impulse_response(self, size: int) -> torch.Tensor:
        """F̂'s effective kernel (1, C, size, size) (its bias removed)."""
        return impulse_response(self, self.c1.in_channels, size, self.c1.weight.device)


def impulse_response(f: Callable, channels: int, size: int, device="cpu") -> torch.Tensor:
    """f(δ) − f(0) for a centred unit impulse δ (1, C, size, size): the kernel of an affine map f."""
    d = torch.zeros(1, channels, size, size, device=device)
    with torch.no_grad():
        base = f(torch.zeros_like(d))
        d[..., size // 2, size // 2] = 1.0
        return f(d) - base


class MixingNet(nn.Module):
    """Pixel-wise mixing surrogate: S source values → 16 ReLU units → O observations (1×1 convs). It takes
    the sources in [0, 1] and mixes them in [−1, 1] (2x − 1), the range the observations were mixed in."""

    def __init__(self, sources: int, outputs: int, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(sources, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, outputs, 1))

    def forward(self, x):  # (B, S, H, W) -> (B, O, H, W)
        return self.net(2 * x - 1)


class AdditiveMix(nn.Module):
    """The naive baseline: every observation is the plain sum of the sources in [−1, 1] (nothing to learn)."""

    def __init__(self, outputs: int):
        super().__init__()
        self.outputs = outputs

    def forward(self, x):
        return (2 * x - 1).sum(1, keepdim=True).expand(-1, self.outputs, -1, -1)


def realism(prior, x: torch.Tensor) -> torch.Tensor:
    """log(1 − D(x)) per image = −softplus(logit): small when D finds x real. Zeros without a D."""
    if prior.discriminator is None:
        return torch.zeros(x.shape[0], device=x.device)
    return -F.softplus(prior.discriminator(x))


def alternate(y: torch.Tensor, prior, z: torch.Tensor, surrogate: nn.Module, arrange: Callable,
              cfg, emit: Emitter, report: Callable[[], dict] | None = None) -> StepStream:
    """Algorithm 1: per round T1 steps on the surrogate (images fixed), T2 on z (surrogate fixed).
    ``arrange(G(z))`` → what the surrogate takes (and the Step's x); ``report()`` gives extra Step
    fields. Yields after each round, returns the last Step."""
    params = [p for p in surrogate.parameters() if p.requires_grad]
    opt_f = torch.optim.Adam(params, cfg.lr_f) if params else None
    opt_z = torch.optim.Adam([z], cfg.lr_z)
    per_item = lambda r: r.abs().flatten(1).sum(1)  # noqa: E731  ‖·‖₁ per observation

    def terms():  # G(z) once, for both the data term and the discriminator
        xs = prior(z)
        X = arrange(xs)
        fx = surrogate(X)
        return X, per_item(fx - y), realism(prior, xs), (fx - y).flatten(1).norm(dim=1)

    def step(t):
        X, data, real, res = terms()
        return Step(t * (cfg.t1 + cfg.t2), X.detach(), float(res.mean()),
                    {"data_l1": float(data[0]), "realism": float(real[0])}, z=z.detach().clone(),
                    surrogate=copy.deepcopy(surrogate), **(report() if report else {}))  # a snapshot: F̂ trains on

    for t in range(1, cfg.rounds + 1):
        if opt_f is not None:
            with torch.no_grad():
                X = arrange(prior(z))
            for _ in range(cfg.t1):
                opt_f.zero_grad(set_to_none=True)
                per_item(surrogate(X) - y).sum().backward()
                opt_f.step()
        for _ in range(cfg.t2):
            opt_z.zero_grad(set_to_none=True)
            _, data, real, _ = terms()
            (data.sum() + cfg.alpha * real.sum()).backward()
            opt_z.step()
            with torch.no_grad():
                prior.project(z)
        yield from emit(t, cfg.rounds, lambda: step(t))
    return emit.final(lambda: step(cfg.rounds))


@register("blind", BlindConfig, needs_prior=True, title="Blind inversion (surrogate F̂)", problem="blind",
          objective="min_{F̂,z} Σ‖F̂(G(z_j)) − y_j‖₁ + α Σ log(1 − D(G(z_j))), F unknown", reference=REF)
def blind(problem, prior, cfg: BlindConfig = BlindConfig()) -> StepStream:
    """``problem.y`` (N, C, H, W): N observations of one unknown operator; returns G(z_j) (N, C, H, W),
    the surrogate itself (``surrogate``) and its impulse response (``kernel``)."""
    y = problem.y
    if y.ndim != 4 or tuple(y.shape[1:]) != tuple(prior.image_shape):
        raise ValueError(f"blind inversion needs image-shaped observations {prior.image_shape}, got {tuple(y.shape[1:])}")
    emit = Emitter()
    g = seeded(cfg.seed)
    surrogate = seeded_module(lambda: SurrogateConv(prior.channels, cfg.filters, cfg.ksize), seeded(cfg.seed), y.device)
    z = prior.sample_latent(y.shape[0], g).requires_grad_(True)
    report = lambda: {"kernel": surrogate.impulse_response(prior.size)}  # noqa: E731
    return (yield from alternate(y, prior, z, surrogate, lambda xs: xs, cfg, emit, report))


@register("bss", BSSConfig, needs_prior=True, title="Blind source separation (surrogate mixing)", problem="separation",
          objective="min_{M̂,z} Σ‖M̂(G(z_1), …, G(z_S)) − y‖₁ + α Σ log(1 − D(G(z_s)))", reference=REF)
def bss(problem, prior, cfg: BSSConfig = BSSConfig()) -> StepStream:
    """``problem.y`` (B, O, H, W): B mixtures with O observations each; returns the sources (B, S, H, W).
    Single-channel generators only (each source is one G(z)); S = ``problem.sources``."""
    y = problem.y
    if prior.channels != 1 or y.ndim != 4 or tuple(y.shape[2:]) != (prior.size, prior.size):
        raise ValueError("source separation needs a single-channel generator and mixtures (B, O, H, W)")
    emit = Emitter()
    B, O = y.shape[:2]
    S = problem.sources
    g = seeded(cfg.seed)
    mix = AdditiveMix(O) if cfg.additive else seeded_module(lambda: MixingNet(S, O, cfg.hidden), seeded(cfg.seed))
    mix = mix.to(y.device)
    z = prior.sample_latent(B * S, g).requires_grad_(True)  # (B·S, k): S latents per mixture
    arrange = lambda xs: xs.view(B, S, prior.size, prior.size)  # noqa: E731  (B·S, 1, H, W) → (B, S, H, W)
    return (yield from alternate(y, prior, z, mix, arrange, cfg, emit))


def fastica_sources(y: torch.Tensor, sources: int, seed: int = 0) -> tuple[torch.Tensor, str]:
    """FastICA baseline (scikit-learn) for one mixture y (O, H, W): pixels are samples, the O
    observations are features, so it finds at most O components — with one observation it cannot
    separate anything (the missing sources are returned black). Sign and scale are arbitrary in ICA:
    each component is flipped so its background (median) is dark and scaled to [0, 1]."""
    import warnings

    from sklearn.decomposition import FastICA

    O, H, W = y.shape
    k = min(sources, O)
    X = y.reshape(O, -1).T.double().cpu().numpy()  # (H·W, O)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comps = FastICA(n_components=k, random_state=seed, whiten="unit-variance", max_iter=1000).fit_transform(X)
    out = torch.zeros(sources, H, W)
    for i in range(k):
        c = torch.from_numpy(comps[:, i]).float().view(H, W)
        if c.median() > (c.min() + c.max()) / 2:
            c = -c
        out[i] = (c - c.min()) / (c.max() - c.min()).clamp_min(1e-12)
    note = "" if k == sources else f"FastICA finds at most {O} component(s) from {O} observation(s); {sources - k} source(s) left black"
    return out, note
