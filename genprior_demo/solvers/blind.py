"""Unknown forward models with a GAN prior (Anirudh, Thiagarajan, Kailkhura & Bremer, "An unsupervised
approach to solving inverse problems using generative adversarial networks", 2020).

Blind inversion: N observations y_j = F(x_j) of one unknown F. A surrogate F̂ (two linear conv layers,
no non-linearity) and the latents z_j are fitted in alternation (their Algorithm 1):

    min_{F̂, z}  Σ_j ‖F̂(G(z_j)) − y_j‖₁ / n + α Σ_j log(1 − D(G(z_j))),   z ∈ [−1, 1]^k (projected)

(n = entries per observation: the L1 term is a per-pixel mean, so α means the same at any image size.)

T1 Adam steps on F̂ with the images fixed, then T2 on the z's with F̂ fixed, T times. The method is
never told F: it takes a :class:`~genprior_demo.problem.BlindProblem`, which holds no operator (the
reported residual is the surrogate's ‖F̂(x) − y‖₂). Ours, beside the paper's loop: F̂'s size and start are read
off the observations' power spectrum over the generator's (:func:`support_profile`, :func:`spectral_kernel`);
from random weights the alternation settles on a wrong (kernel, digits) pair that fits y as well (motion blur,
16 validation digits: 14.9 dB, kernel error 1.07; from the spectral start 23.4 dB, 0.34; docs/RESULTS.md).
Source separation (``bss``) is the same loop with a pixel-wise mixing network over S latents per mixture.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

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
    """Pixel-wise mixing surrogate: S source values → 16 ReLU units → O observations (1×1 convs) — our reading of
    the paper's "fully connected 2-layered network with 16 units … followed by N units" (its inputs are the S sources). It takes the sources in [0, 1] and mixes them in [−1, 1] (2x − 1), the range the observations
    were mixed in."""

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


BLOW_UP = 2.0  # keep_best: a round whose data loss exceeds this multiple of the best round's is undone


def alternate(y: torch.Tensor, prior, z: torch.Tensor, surrogate: nn.Module, arrange: Callable,
              cfg, emit: Emitter, report: Callable[[], dict] | None = None, restarts: int = 1,
              keep_best: bool = False, noise: float = 0.0,
              noise_seed: int = 0) -> StepStream:
    """Algorithm 1: per round T1 steps on the surrogate (images fixed), T2 on z (surrogate fixed).
    ``arrange(G(z))`` → what the surrogate takes (and the Step's x); ``report()`` gives extra Step
    fields. ``restarts`` R: ``y`` holds R restart-major copies of the B observations, each restart with
    its own latents, and one surrogate for all restarts (the one unknown operator): it is fitted to each
    observation's best restart, and each observation keeps its own best (until 2026-12-06 separation gave
    each restart its own mixing network and kept the whole restart with the least total data loss: 16 such
    restarts lowered the data loss and PSNR with it, docs/RESULTS.md). Yields after each round, returns the
    last Step.

    ``noise`` (ours; separation's ``z_noise``): σ of Gaussian noise added to the latents after each of their
    steps, falling linearly from ``noise`` in round 1, in the first ⌊T/2⌋ rounds only (drawn from ``noise_seed``), so
    a latent can leave the first basin it falls in; the rest is plain descent (a one-round run has no noise).

    ``keep_best`` (ours; blind inversion's option, off by default): the state (F̂, z, both optimisers) of the round with the least
    data loss is kept; a round that more than doubles it is undone and both rates are halved, and the run
    ends on that best round. Without it, larger surrogates blew up late in a run (on 8 validation digits,
    Gaussian blur, k = 7: data residual 0.12 at round 11, 2.97 at round 17, never back; 11.9 dB at the end)."""
    params = [p for p in surrogate.parameters() if p.requires_grad]
    opt_f = torch.optim.Adam(params, cfg.lr_f) if params else None
    opt_z = torch.optim.Adam([z], cfg.lr_z)
    R = restarts
    B = y.shape[0] // R
    # ‖·‖₁ per observation, averaged over its entries: α then weighs log(1 − D) against a per-pixel error
    # (with the sum over 1024 pixels, α = 1e-4 made the realism term negligible; issue 11)
    per_item = lambda r: r.abs().flatten(1).mean(1)  # noqa: E731

    def terms():  # G(z) once, for both the data term and the discriminator
        xs = prior(z)
        X = arrange(xs)
        fx = surrogate(X)
        return X, per_item(fx - y), realism(prior, xs), (fx - y).flatten(1).norm(dim=1)

    def kept(data: torch.Tensor) -> torch.Tensor:
        """Indices (B,) into the R·B items of the estimates kept."""
        d = data.detach().view(R, B)
        r = d.argmin(0)
        return r * B + torch.arange(B, device=d.device)

    def step(t):
        X, data, real, res = terms()
        idx = kept(data)
        r = idx // B
        extra = {} if R == 1 else {"restarts": X.detach().view(R, B, *X.shape[1:]).transpose(0, 1), "best": r.cpu(),
                                   "restart_losses": data.detach().view(R, B).T.clone()}
        snap = copy.deepcopy(surrogate)  # a copy: F̂ trains on after this Step
        zk = z.detach().view(R * B, -1, z.shape[-1])  # each item's latents (one per source)
        return Step(t * (cfg.t1 + cfg.t2), X.detach()[idx], float(res[idx].mean()),
                    {"data_l1": float(data[idx[0]]), "realism": float(real.view(R, -1)[r[0], 0])},
                    z=zk[idx].reshape(-1, z.shape[-1]).clone(),
                    surrogate=snap, **extra, **(report() if report else {}))

    optims = [o for o in (opt_f, opt_z) if o is not None]
    best, scale = None, 1.0  # (data loss, state) of the best round so far; the rates' factor after blow-ups

    def round_loss() -> float:  # the data loss of the estimates kept, as a Step reports them
        with torch.no_grad():
            data = per_item(surrogate(arrange(prior(z))) - y)
            return float(data[kept(data)].sum())

    def restore(state):
        surrogate.load_state_dict(state[0])
        with torch.no_grad():
            z.copy_(state[1])
        for o, st in zip(optims, state[2]):
            o.load_state_dict(st)
            for g in o.param_groups:
                g["lr"] *= scale

    def guard():
        nonlocal best, scale
        loss = round_loss()
        if best is None or loss <= best[0]:
            best = (loss, (copy.deepcopy(surrogate.state_dict()), z.detach().clone(),
                           [copy.deepcopy(o.state_dict()) for o in optims]))
        elif loss > BLOW_UP * best[0]:
            scale *= 0.5
            restore(best[1])

    g_noise = seeded(noise_seed, z.device) if noise > 0 else None
    for t in range(1, cfg.rounds + 1):
        sigma = noise * (1.0 - (t - 1) / (cfg.rounds / 2)) if t <= cfg.rounds // 2 else 0.0  # the last round is plain
        if opt_f is not None:
            with torch.no_grad():
                X = arrange(prior(z))
                if R > 1:  # F̂ learns from each observation's best restart only
                    X_f, y_f = X[kept(per_item(surrogate(X) - y))], y[:B]
                else:
                    X_f, y_f = X, y
            for _ in range(cfg.t1):
                opt_f.zero_grad(set_to_none=True)
                per_item(surrogate(X_f) - y_f).sum().backward()
                opt_f.step()
        for _ in range(cfg.t2):
            opt_z.zero_grad(set_to_none=True)
            _, data, real, _ = terms()
            (data.sum() + cfg.alpha * real.sum()).backward()
            opt_z.step()
            with torch.no_grad():
                if sigma > 0:
                    z.add_(torch.randn(z.shape, generator=g_noise, device=z.device), alpha=sigma)
                prior.project(z)
        if keep_best:
            guard()
        yield from emit(t, cfg.rounds, lambda: step(t))
    if keep_best and best is not None and round_loss() > best[0]:
        restore(best[1])  # end on the round with the least data loss
    return emit.final(lambda: step(cfg.rounds))


SUPPORT_SIZES = (3, 5, 7, 9)  # F̂'s layer size k: two k×k layers reach an effective support of 2k − 1 = 5 … 17 px
PROFILE_SAMPLES = 1024  # prior draws for the mean image spectrum E|x̂|²


def size_label(k: int) -> str:
    return f"k = {k} ({2 * k - 1}×{2 * k - 1})"


def prior_spectrum(prior, seed: int = 0, samples: int = PROFILE_SAMPLES, device="cpu") -> torch.Tensor:
    """E|x̂|² (H, W): the mean power spectrum of ``samples`` draws of the generator (channels averaged), on
    ``device``. Drawn on the generator's device once per (decoder, seed, samples) and kept on the prior
    (``stats_cache``, on the CPU), so repeated blind runs on one generator pay ≈ 1 s once; a fresh copy is
    returned, so a caller may modify it."""
    key = ("spectrum", id(prior.decoder), seed, samples)
    if key not in prior.stats_cache:
        sizes = [256] * (samples // 256) + ([samples % 256] if samples % 256 else [])
        with torch.no_grad():
            prior.stats_cache[key] = torch.stack([
                (torch.fft.fft2(prior(prior.sample_latent(n, seeded(seed + i))).float()).abs() ** 2).mean((0, 1)).cpu() * n
                for i, n in enumerate(sizes)]).sum(0) / samples
    return prior.stats_cache[key].to(device, copy=True)


def spectrum_ratio(y: torch.Tensor, px: torch.Tensor, eps: float) -> torch.Tensor:
    """mean_j |ŷ_j|² / (E|x̂|² + ε max E|x̂|²) (H, W): the hidden kernel's power spectrum |k̂|², estimated from
    the observations ``y`` and the generator's mean spectrum ``px`` (:func:`prior_spectrum`). For a
    convolution y = k ∗ x (circular here; zero-padded ones on digits with black borders nearly so)
    |ŷ|² = |k̂|² |x̂|² per frequency; ε damps the frequencies where digits carry little energy, where the
    ratio is noise."""
    with torch.no_grad():
        px = px.to(y.device)
        py = (torch.fft.fft2(y.float()).abs() ** 2).mean((0, 1))
        return py / (px + eps * px.max())


def support_profile(y: torch.Tensor, prior, eps: float, seed: int = 0, samples: int = PROFILE_SAMPLES,
                    px: torch.Tensor | None = None) -> torch.Tensor:
    """The hidden kernel's autocorrelation, estimated from the observations alone (ours, issue 11): the
    inverse FFT of :func:`spectrum_ratio` (``px`` computed from ``samples`` prior draws when not given).
    Returned as its largest |value| at each Chebyshev lag r = 0 … H/2, 1 at r = 0, with the estimate's floor
    (the median over lags ≥ H/3, where a kernel of a third of the image has no energy) removed:
    (a − floor)/(1 − floor)."""
    H, W = y.shape[-2:]
    px = prior_spectrum(prior, seed, samples, y.device) if px is None else px.to(y.device)
    with torch.no_grad():
        a = torch.fft.ifft2(spectrum_ratio(y, px, eps)).real
        a = a / a[0, 0]
        lag = chebyshev_lags(H, W).to(a.device)
        prof = torch.stack([a[lag == r].abs().max() for r in range(int(lag.max()) + 1)])
        floor = prof[max(H, W) // 3:].median()
        return ((prof - floor) / (1 - floor)).cpu()


def chebyshev_lags(H: int, W: int) -> torch.Tensor:
    """(H, W) circular lag max(|dy|, |dx|) of each entry of an FFT-ordered autocorrelation."""
    dy = torch.minimum(torch.arange(H), H - torch.arange(H))
    dx = torch.minimum(torch.arange(W), W - torch.arange(W))
    return torch.maximum(dy[:, None], dx[None, :])


def zero_phase_kernel(magnitude: torch.Tensor, ksize: int) -> torch.Tensor:
    """IFFT of a spectrum magnitude |k̂| (H, W) with zero phase, centred at (H/2, W/2) and cut to F̂'s support
    (2·ksize − 1)²."""
    H, W = magnitude.shape[-2:]
    k = torch.fft.fftshift(torch.fft.ifft2(magnitude).real)
    w = ksize - 1
    cut = torch.zeros_like(k)
    cut[H // 2 - w:H // 2 + w + 1, W // 2 - w:W // 2 + w + 1] = 1
    return k * cut


LOWPASS = 0.25  # spectral start only when |k̂(0)| ≥ LOWPASS · max|k̂| (62 validation sets: blurs 0.58–1.00, Sobel < 1e-8)


def spectral_kernel(y: torch.Tensor, px: torch.Tensor, eps: float, ksize: int) -> tuple[torch.Tensor, float]:
    """A zero-phase estimate of the hidden kernel (ours, issue 11): IFFT(√|k̂|²) from :func:`spectrum_ratio`,
    centred at (H/2, W/2) and cut to F̂'s support (2·ksize − 1)²; and |k̂(0)| / max|k̂|. The observations give
    |k̂| but not its phase; zero phase is right for a symmetric non-negative kernel (a Gaussian blur) and a
    start for other blurs. A non-negative kernel's spectrum peaks at 0 (|k̂(ω)| ≤ Σk = k̂(0)), so a ratio far
    below 1 says the operator is no blur (an edge map: k̂(0) = 0) and the estimate means nothing."""
    mag = spectrum_ratio(y, px, eps).clamp_min(0).sqrt()
    return zero_phase_kernel(mag, ksize), float(mag[0, 0] / mag.max())


def start_surrogate(surrogate: SurrogateConv, kernel: torch.Tensor, steps: int = 1000, lr: float = 1e-3) -> float:
    """Fit F̂'s impulse response to ``kernel`` (H, W) on every channel and to 0 across channels (Adam on the
    squared error, biases zeroed): the start of the alternation. Returns the remaining relative error."""
    C = surrogate.c1.in_channels
    H, W = kernel.shape
    d = torch.zeros(C, C, H, W, device=kernel.device)  # impulse c on channel c: F̂(d)[c] is column c of F̂'s kernels
    target = torch.zeros_like(d)
    for c in range(C):
        d[c, c, H // 2, W // 2] = 1.0
        target[c, c] = kernel
    with torch.no_grad():
        surrogate.c1.bias.zero_()
        surrogate.c2.bias.zero_()
    opt = torch.optim.Adam([surrogate.c1.weight, surrogate.c2.weight], lr)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        (surrogate(d) - target).pow(2).sum().backward()  # biases are 0 and not trained: F̂(0) = 0
        opt.step()
    with torch.no_grad():
        return float((surrogate(d) - target).norm() / target.norm())


def choose_support(profile: torch.Tensor, tau: float) -> tuple[int, int]:
    """(layer size k, lag r): r is the last lag where the autocorrelation profile exceeds ``tau``; k the
    smallest of :data:`SUPPORT_SIZES` whose radius k − 1 covers it (the largest if none does). τ and the
    profile's ε were chosen on validation digits (docs/RESULTS.md) as the pair that most often gives each
    hidden operator the smallest F̂ able to represent it."""
    r = max(i for i in range(len(profile)) if i == 0 or float(profile[i]) > tau)
    return next((k for k in SUPPORT_SIZES if k - 1 >= r), SUPPORT_SIZES[-1]), r


@register("blind", BlindConfig, needs_prior=True, title="Blind inversion (surrogate F̂)", problem="blind",
          objective="min_{F̂,z} Σ‖F̂(G(z_j)) − y_j‖₁/n + α Σ log(1 − D(G(z_j))), F unknown", reference=REF)
def blind(problem, prior, cfg: BlindConfig = BlindConfig()) -> StepStream:
    """``problem.y`` (N, C, H, W): N observations of one unknown operator; returns G(z_j) (N, C, H, W),
    the surrogate itself (``surrogate``) and its impulse response (``kernel``).

    ``auto_support``: F̂'s size is not known either; it is read off the observations' spectrum
    (:func:`support_profile`, :func:`choose_support`) before the first round. Until 2026-12-05 a short run
    of each size scored by its data residual chose it; the residual cannot tell the sizes apart (after 10
    rounds on 8 validation digits, motion blur: residual 0.286 at k = 9 and 0.298 at k = 5, PSNR 18.6 vs
    25.9 dB; docs/RESULTS.md)."""
    y = problem.y
    if y.ndim != 4 or tuple(y.shape[1:]) != tuple(prior.image_shape):
        raise ValueError(f"blind inversion needs image-shaped observations {prior.image_shape}, got {tuple(y.shape[1:])}")
    emit = Emitter()  # its clock counts the spectrum and F̂'s start too
    px = prior_spectrum(prior, cfg.seed, device=y.device) if (cfg.auto_support or cfg.init == "spectral") else None
    k, r = (choose_support(support_profile(y, prior, cfg.support_eps, px=px), cfg.support_tau) if cfg.auto_support
            else (cfg.ksize, None))
    notes = [f"F̂'s support fixed: {size_label(k)}"] if r is None else [
        f"F̂'s support chosen from the observations: {size_label(k)}; the kernel's estimated autocorrelation stays "
        f"above τ = {cfg.support_tau:g} up to lag {r}"]
    R = cfg.restarts
    surrogate = seeded_module(lambda: SurrogateConv(prior.channels, cfg.filters, k), seeded(cfg.seed), y.device)
    if cfg.init != "spectral":
        notes.append("F̂ starts at random weights")
    else:
        kernel, lowpass = spectral_kernel(y, px, cfg.init_eps, k)
        if lowpass >= LOWPASS:
            err = start_surrogate(surrogate, kernel.to(y.device))
            notes.append(f"F̂ starts at the zero-phase kernel estimated from the spectrum (|k̂(0)|/max|k̂| = {lowpass:.2f}; "
                         f"fit error {err:.3f})")
        else:
            notes.append(f"F̂ starts at random weights: |k̂(0)|/max|k̂| = {lowpass:.2f} < {LOWPASS:g}, the spectrum of no "
                         "blur, so its zero-phase estimate is no start")
    z = prior.sample_latent(R * y.shape[0], seeded(cfg.seed)).requires_grad_(True)  # restart-major (R·N, k)
    report = lambda: {"kernel": surrogate.impulse_response(prior.size), "phase": size_label(k)}  # noqa: E731
    final = yield from alternate(y.repeat(R, 1, 1, 1), prior, z, surrogate, lambda xs: xs, cfg, emit, report,
                                 restarts=R, keep_best=cfg.keep_best, noise=cfg.z_noise, noise_seed=cfg.seed + 1)
    final.label = "; ".join(notes)
    return final


@register("bss", BSSConfig, needs_prior=True, title="Blind source separation (surrogate mixing)", problem="separation",
          objective="min_{M̂,z} Σ‖M̂(G(z_1), …, G(z_S)) − y‖₁/n + α Σ log(1 − D(G(z_s)))", reference=REF)
def bss(problem, prior, cfg: BSSConfig = BSSConfig()) -> StepStream:
    """``problem.y`` (B, O, H, W): B mixtures with O observations each; returns the sources (B, S, H, W).
    Single-channel generators only (each source is one G(z)); S = ``problem.sources``.

    Beside the paper's loop (ours, issue 11; docs/RESULTS.md): the mixing network starts fitted to the
    observations' pixel statistics (:func:`fit_mixing`, ``init``), the latents are shaken by annealed noise
    (``z_noise``), and R latent restarts per mixture share the one mixing network (``restarts``). On 8
    validation mixtures (4 observations, two seeds) the paper's loop reaches 11.2 / 11.3 dB: even with the *true*
    mixing its latents from prior draws stop at 12.1 / 11.2 dB, so the search is the limit, not the mixing network."""
    y = problem.y
    if prior.channels != 1 or y.ndim != 4 or tuple(y.shape[2:]) != (prior.size, prior.size):
        raise ValueError("source separation needs a single-channel generator and mixtures (B, O, H, W)")
    emit = Emitter()  # its clock counts the mixing network's start too
    B, O = y.shape[:2]
    S = problem.sources
    R = 1 if cfg.additive else cfg.restarts  # the additive model has nothing to restart but the latents' draw
    g = seeded(cfg.seed)
    mix = AdditiveMix(O) if cfg.additive else seeded_module(lambda: MixingNet(S, O, cfg.hidden), seeded(cfg.seed), y.device)
    label = "additive model" if cfg.additive else "mixing network from random weights"
    z = prior.sample_latent(R * B * S, g).requires_grad_(True)  # (R·B·S, k): S latents per mixture and restart
    arrange = lambda xs: xs.view(R * B, S, prior.size, prior.size)  # noqa: E731  (R·B·S, 1, H, W) → (R·B, S, H, W)
    if not cfg.additive and cfg.init == "observations":
        fit = fit_mixing_stream(mix, prior, y, S, cfg.init_steps, cfg.lr_f, cfg.seed)
        def fitting(k: int, dist: float) -> Step:  # the page shows the start being fitted (the latents' first draw as x)
            X = arrange(prior(z))[:B]
            return Step(0, X, float((mix(X) - y).flatten(1).norm(dim=1).mean()), {"sliced_wasserstein": dist},
                        phase=f"mixing network's start: {k}/{cfg.init_steps} steps", surrogate=copy.deepcopy(mix))

        for k, dist in fit:
            yield emit.now(lambda: fitting(k, dist))
            emit.resume()
        label = f"mixing network started on the observations' statistics (sliced Wasserstein {dist:.3f})"
    final = yield from alternate(y.repeat(R, 1, 1, 1), prior, z, mix, arrange, cfg, emit, restarts=R,
                                 noise=cfg.z_noise, noise_seed=cfg.seed + 1)
    final.label = label
    return final


FIT_BANK = 256  # triples of prior draws the mixing network's start mixes
FIT_DIRECTIONS = 64  # random directions of the sliced Wasserstein distance per step


def fit_mixing(mix: nn.Module, prior, y: torch.Tensor, sources: int, steps: int, lr: float, seed: int = 0) -> float:
    """:func:`fit_mixing_stream` run to the end: the last distance."""
    dist = float("nan")
    for _, dist in fit_mixing_stream(mix, prior, y, sources, steps, lr, seed):
        pass
    return dist


FIT_EVERY = 100  # steps between the reports of fit_mixing_stream


def fit_mixing_stream(mix: nn.Module, prior, y: torch.Tensor, sources: int, steps: int, lr: float,
                      seed: int = 0) -> Iterator[tuple[int, float]]:
    """The mixing network's start (ours, issue 11), fitted in place; yields (steps done, distance) every
    ``FIT_EVERY`` steps and after the last.

    The mixing is pixel-wise and one for all mixtures, and the sources are independent digits, so the
    observations' pixel vectors y(p) ∈ R^O (all mixtures, all pixels) are distributed as the mixing network's
    outputs on mixtures of *independent prior draws* when the network is the true mixing. The network is fitted
    to match the two point clouds — sliced Wasserstein-1 (``FIT_DIRECTIONS`` random directions per step;
    Adam, ``lr``) — without placing any latent, so it cannot co-adapt to wrong sources, which the paper's
    random start does (on 8 validation mixtures, two seeds: the start alone reaches a mixing error of 0.15 / 0.18
    from 1.05 / 0.96 at random weights; the paper's whole loop ends at 0.19 / 0.17; docs/RESULTS.md)."""
    B, O = y.shape[:2]
    g = seeded(seed + 2, y.device)
    with torch.no_grad():
        bank = prior(prior.sample_latent(FIT_BANK * sources, seeded(seed + 2))).view(FIT_BANK, sources, *y.shape[2:])
    target = y.detach().permute(0, 2, 3, 1).reshape(-1, O)
    n = target.shape[0]
    per_step = max(B, 8)  # mixtures of draws per step: at least the observations' count of pixels
    params = [p for p in mix.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr)
    for i in range(steps):
        pick = torch.randint(0, FIT_BANK, (per_step,), generator=g, device=y.device)
        out = mix(bank[pick]).permute(0, 2, 3, 1).reshape(-1, O)
        out = out[torch.randperm(out.shape[0], generator=g, device=y.device)[:n]]
        d = torch.randn(O, FIT_DIRECTIONS, generator=g, device=y.device)
        d = d / d.norm(dim=0, keepdim=True)
        loss = (torch.sort(target @ d, 0).values - torch.sort(out @ d, 0).values).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (i + 1) % FIT_EVERY == 0 or i + 1 == steps:
            yield i + 1, float(loss.detach())


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
