"""Frozen per-method configurations. Each default carries its reason and paper on the same line; the
UI and the CLI read defaults and ranges from the field metadata (no magic numbers in app.py)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .physics.base import Param


SEED_MAX = 2**31 - 1  # seeds are non-negative 32-bit ints (torch.Generator.manual_seed accepts these)


def knob(default, lo, hi, help: str, step=None, log: bool = False):
    """A config field with the range the UI shows and the server enforces."""
    return field(default=default, metadata=dict(lo=lo, hi=hi, step=step, help=help, log=log))


def seed_knob(help: str = "random seed"):
    return knob(0, 0, SEED_MAX, help)


def params_of(cls) -> tuple[Param, ...]:
    """The config's fields as validated :class:`Param` objects (defaults, ranges, help)."""
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        choices = m.get("choices", (False, True) if isinstance(f.default, bool) else None)
        out.append(Param(f.name, f.default, m.get("lo"), m.get("hi"), m.get("step"), m.get("help", ""), choices,
                         m.get("log", False)))
    return tuple(out)


def make_config(cls, overrides: dict[str, Any] | None = None):
    """Build ``cls`` from user values, rejecting unknown names and out-of-range or non-finite values."""
    overrides = dict(overrides or {})
    ps = {p.name: p for p in params_of(cls)}
    extra = set(overrides) - set(ps)
    if extra:
        raise ValueError(f"{cls.__name__} has no setting {', '.join(sorted(extra))}; it takes {', '.join(ps)}")
    return cls(**{k: ps[k].parse(v) for k, v in overrides.items()})


@dataclass(frozen=True)
class CSGMConfig:
    """CSGM (Bora, Jalal, Price & Dimakis 2017): min_z ‖A G(z) − y‖² + λ‖z‖², Adam on z, restarts."""

    iters: int = knob(300, 1, 5000, "Adam steps on z")  # Bora et al. 1000 on MNIST; 300 reach the plateau here with 8 restarts
    restarts: int = knob(8, 1, 64, "random restarts, run as one batch")  # Bora et al. 10 (MNIST)
    lr: float = knob(0.1, 1e-4, 1.0, "Adam learning rate on z", log=True)  # Bora et al. 0.1 (celebA); 0.01 MNIST
    lam: float = knob(1e-3, 0.0, 10.0, "weight λ of ‖z‖² (prior term)", log=True)  # Bora et al. 0.001 (celebA)
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("random seed of the restarts")


@dataclass(frozen=True)
class CSGMBPConfig(CSGMConfig):
    """CSGM followed by back-projection x̂ + Aᵀ(AAᵀ + ηI)⁻¹(y − A x̂) (Abu Hussein, Tirer & Giryes 2020)."""

    bp_eta: float = knob(0.0, 0.0, 10.0, "η of the regularised back-projection (0 = exact A†)", log=True)  # η > 0 is ours (for noisy y); the paper uses the exact A† and only for noiseless y


INITS = ("prior", "encoder")  # where latent restarts start: draws of the latent prior, or restart 0 at E(A†y)
INIT_HELP = "start: draws of the latent prior, or the first restart at the encoder's code of A†y (AE/VAE)"


@dataclass(frozen=True)
class HardConfig(CSGMConfig):
    """Duff et al.'s hard constraint x = G(z): CSGM from draws of the latent prior (their §4), or with
    its first restart at the encoder's code of A†y (``init="encoder"``, AE/VAE; their Fig. 8 compares starts)."""

    restarts: int = knob(4, 1, 64, "restarts, run as one batch")
    lam: float = knob(0.01, 0.0, 10.0, "weight of ‖z‖²", log=True)  # Duff et al. tune λ per task; 0.01 here
    init: str = field(default="prior", metadata=dict(choices=INITS, help=INIT_HELP))


@dataclass(frozen=True)
class IAGANConfig:
    """IAGAN (Abu Hussein, Tirer & Giryes 2020): CSGM, then Adam on z and a copy of G's weights θ."""

    csgm_iters: int = knob(300, 1, 5000, "CSGM steps before fine-tuning")
    restarts: int = knob(8, 1, 64, "CSGM restarts (one batch)")
    csgm_lr: float = knob(0.1, 1e-4, 1.0, "CSGM learning rate on z", log=True)  # Bora et al.
    lam: float = knob(1e-3, 0.0, 10.0, "CSGM weight of ‖z‖²", log=True)
    iters: int = knob(200, 1, 5000, "fine-tuning steps (halved when y is noisy, as in the paper)")
    lr_z: float = knob(1e-4, 1e-6, 1e-1, "fine-tuning learning rate on z", log=True)  # paper: 1e-4 (BEGAN)
    lr_theta: float = knob(1e-5, 0.0, 1e-2, "fine-tuning learning rate on G's weights", log=True)  # paper 1e-4 (BEGAN); ANCHORS: BatchNorm DCGAN +1.8 dB at 1e-5, diverges at 1e-3
    discrepancy: float = knob(0.0, 0.0, 10.0, "stop fine-tuning once ‖A G(z) − y‖² ≤ τ·σ²·m, m = measured entries (0 = off)")  # Morozov's principle, not in the paper
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("random seed of the restarts")


@dataclass(frozen=True)
class IAGANBPConfig(IAGANConfig):
    bp_eta: float = knob(0.0, 0.0, 10.0, "η of the regularised back-projection (0 = exact A†)", log=True)


@dataclass(frozen=True)
class PGDGANConfig:
    """PGD-GAN (Shah & Hegde 2018): gradient step on ‖Ax − y‖², then project onto range(G) by an inner
    latent optimisation warm-started from the previous z."""

    iters: int = knob(30, 1, 1000, "outer projected-gradient iterations")
    eta: float = knob(1.0, 1e-3, 100.0, "gradient step η (absolute)", log=True)  # chosen on 10 validation digits, CS m=200 σ=0.05, grid 0.1…5: DCGAN 26.2 dB at 1 (0.5: 23.9, 2: 15.0), VAE 23.8 at 0.5 and 1 (docs/RESULTS.md §5); the old 1/‖A‖² ≈ 0.1 stalls at 11 dB
    inner_iters: int = knob(60, 1, 1000, "Adam steps per projection")  # 10 validation digits, CS m=200 σ=0.05, DCGAN η=1, decay 0.1: 30: 26.81, 60: 27.90, 100: 27.15 dB at 0.63 / 1.34 / 2.04 s per image (CSGM 8×300: 1.1 s); 4 / 8 / 16 restarts at 30 steps: 26.81 / 26.87 / 26.26
    inner_lr: float = knob(0.05, 1e-4, 1.0, "Adam learning rate of the projection", log=True)
    inner_lr_decay: float = knob(0.1, 1e-3, 1.0, "inner learning rate at the last outer iteration, relative to the first", log=True)  # 10 validation digits, CS m=200 σ=0.05, DCGAN η=1: 1: 26.19, 0.1: 26.91, 0.03: 26.70 dB (CSGM 27.20); a fresh Adam per projection takes steps of ≈ lr whatever the gradient, so a constant rate keeps z jittering
    restarts: int = knob(4, 1, 64, "restarts, run as one batch until select_after")
    select_after: int = knob(1, 1, 1000, "outer iteration at which each image keeps its best restart (data loss)")  # validation (as above, inner_lr_decay 1): 1: 26.19, 5: 26.19, 30: 26.43 dB at 1.8 / 2.2 / 5.4 s per image
    every: int = knob(1, 1, 100, "yield a step every k outer iterations")
    seed: int = seed_knob("random seed")


@dataclass(frozen=True)
class RelaxedConfig:
    """Duff, Campbell & Ehrhardt 2021: min_{z,u} ‖A(G(z)+u) − y‖² + λ(R(u) + μ‖z‖²) by alternating
    (proximal) gradient steps: Adam on z, a proximal gradient step on u."""

    iters: int = knob(300, 1, 5000, "alternating iterations")
    restarts: int = knob(4, 1, 64, "restarts, run as one batch")
    lr: float = knob(0.05, 1e-4, 1.0, "Adam learning rate on z", log=True)
    lam: float = knob(0.1, 0.0, 100.0, "λ: weight of the offset penalty R(u)", log=True)  # Duff et al. tune λ per task
    mu: float = knob(0.01, 0.0, 100.0, "μ: weight of ‖z‖² relative to R(u)", log=True)
    init: str = field(default="encoder", metadata=dict(choices=INITS, help=INIT_HELP))  # ours since v1 (Duff et al. do not say)
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("random seed")


@dataclass(frozen=True)
class SparseConfig(RelaxedConfig):
    lam: float = knob(0.02, 0.0, 100.0, "λ: weight of ‖u‖₁", log=True)


@dataclass(frozen=True)
class TVSparseConfig(RelaxedConfig):
    lam: float = knob(0.05, 0.0, 100.0, "λ: weight of TV(u)", log=True)


# How a baseline's weight is set: as given, or per image by Morozov's discrepancy principle — the largest
# weight whose solution fits the data to the noise level, ‖Ax − y‖ = τ σ √m (m = measured entries). It needs
# σ, not the ground truth; with σ = 0 it falls back to the given weight. The app's baselines use it.
WEIGHT_RULES = ("fixed", "discrepancy")
WEIGHT_RULE_HELP = "weight: fixed, or per image by the discrepancy principle (needs σ > 0)"


@dataclass(frozen=True)
class TVConfig:
    """min_x ½‖Ax − y‖² + λ TV(x), 0 ≤ x ≤ 1, by Chambolle–Pock primal–dual iterations."""

    iters: int = knob(300, 1, 10000, "primal–dual iterations")
    lam: float = knob(0.02, 0.0, 10.0, "λ: weight of isotropic TV (the fixed rule's value)", log=True)
    rule: str = field(default="fixed", metadata=dict(choices=WEIGHT_RULES, help=WEIGHT_RULE_HELP))
    tau: float = knob(1.0, 0.5, 3.0, "τ of the discrepancy rule: ‖Ax − y‖ = τ σ √m")
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("unused (deterministic); kept for a uniform interface")


@dataclass(frozen=True)
class TikhonovConfig:
    """(AᵀA + αI)⁻¹ Aᵀ y by conjugate gradients."""

    iters: int = knob(100, 1, 2000, "CG iterations")
    alpha: float = knob(0.01, 1e-6, 10.0, "α: weight of ‖x‖² (the fixed rule's value)", log=True)
    rule: str = field(default="fixed", metadata=dict(choices=WEIGHT_RULES, help=WEIGHT_RULE_HELP))
    tau: float = knob(1.0, 0.5, 3.0, "τ of the discrepancy rule: ‖Ax − y‖ = τ σ √m")
    every: int = knob(5, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("unused (deterministic)")


@dataclass(frozen=True)
class WienerConfig:
    """Wiener deconvolution X = K̄Y/(|K|² + b·|R|²) with b from σ (or scikit-image's unsupervised Wiener);
    Tikhonov for operators that are not convolutions."""

    balance: float = knob(0.0, 0.0, 10.0, "b; 0 = from the noise: σ²·n/‖y‖² (noise-to-signal ratio)", log=True)
    reg: str = field(default="identity", metadata=dict(choices=("identity", "laplacian"), help="R: regulariser"))
    unsupervised: bool = field(default=False, metadata=dict(help="use skimage's unsupervised Wiener–Hunt"))
    seed: int = seed_knob("random seed (unsupervised sampler)")


@dataclass(frozen=True)
class NaiveConfig:
    """A†y — zero-filled inverse FFT, bicubic upsampling for SR, filtered back-projection for tomography."""

    seed: int = seed_knob("unused (deterministic)")


@dataclass(frozen=True)
class BiharmonicConfig:
    """Biharmonic inpainting of the missing pixels (scikit-image) — masks only."""

    seed: int = seed_knob("unused (deterministic)")


@dataclass(frozen=True)
class DIPConfig:
    """Deep Image Prior (Ulyanov, Vedaldi & Lempitsky 2018): fit an untrained conv net f_θ(z₀) to y."""

    iters: int = knob(600, 1, 10000, "Adam steps on the network weights")
    lr: float = knob(0.01, 1e-5, 0.1, "Adam learning rate", log=True)  # Ulyanov et al. 0.01
    width: int = knob(16, 4, 128, "channels of the network")  # 16 reached deepinv's best DIP PSNR 3.4× sooner than it (64×64 inpainting), 32 only 2.3× (docs/BENCHMARKS_BASELINES.md)
    depth: int = knob(3, 1, 5, "down/up-sampling levels")
    jitter: float = knob(0.03, 0.0, 1.0, "input-noise jitter σ per step")  # paper: 1/30 for inpainting
    ema: float = knob(0.99, 0.0, 0.999, "exponential averaging of outputs (0 = off)")  # paper 0.99
    start: str = field(default="data", metadata=dict(choices=("data", "grey"), help=(
        "output at the start: the mean observed level (data) or sigmoid(0) = 0.5 (grey, Ulyanov et al.'s net)")))
    early_stop: bool = field(default=False, metadata=dict(help="stop when ‖Ax − y‖ reaches τ√m σ (Morozov's discrepancy principle)"))
    tau: float = knob(1.1, 1.0, 3.0, "τ of the discrepancy principle")  # off by default: on 9×9 deblurring it stopped at 17.4 dB vs 21.9 dB after 600 steps (3 digits). Morozov: τ > 1; the sigmoid output cannot fit noise below 0 or above 1
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = seed_knob("random seed of weights and input noise")


@dataclass(frozen=True)
class NPGDConfig:
    """NPGD (Raj, Li & Bresler 2019): x ← G(P(x − η Aᵀ(Ax − y))) with a trained projector P."""

    iters: int = knob(50, 1, 2000, "projected-gradient iterations")
    eta: float = knob(1.0, 1e-3, 100.0, "gradient step η (absolute)", log=True)  # chosen on 10 validation digits, CS m=200 σ=0.05, grid 0.1…5: 1 for DCGAN (19.6 dB) and VAE (21.3); Raj et al. tie η to A's restricted eigenvalues on range(G) (≈ 1 for Gaussian A)
    every: int = knob(2, 1, 100, "yield a step every k iterations")
    seed: int = seed_knob("unused (deterministic)")


@dataclass(frozen=True)
class UAIRConfig:
    """UAIR (Pajot, de Bézenac & Gallinari, ICLR 2019): x̂ = G_rec(y), a network trained from corrupted
    observations only. Inference is one forward pass — nothing to tune."""

    clamp: bool = field(default=True, metadata=dict(help="clip the output to [0, 1]"))
    seed: int = seed_knob("unused (deterministic)")


@dataclass(frozen=True)
class BlindConfig:
    """Blind inversion with a surrogate forward model (Anirudh, Thiagarajan, Kailkhura & Bremer 2020,
    Algorithm 1): alternate T1 Adam steps on F̂'s weights and T2 on the latents, T times."""

    rounds: int = knob(40, 1, 200, "T: alternations (surrogate, then latents)")  # paper ≈ 100; F̂ still improves from 20 to 40 here (docs/RESULTS.md)
    t1: int = knob(50, 1, 500, "T1: Adam steps on the surrogate F̂ per round")  # paper 50
    t2: int = knob(50, 1, 500, "T2: Adam steps on the latents per round")  # paper 50
    lr_f: float = knob(1e-3, 1e-5, 0.1, "learning rate of F̂", log=True)  # paper 4e-3; ours: fitted to the clean digits themselves, 2000 Adam steps at 4e-3 stall at kernel error 0.09 (Gaussian blur, k = 7), 1e-3 reach 0.03 (docs/RESULTS.md)
    lr_z: float = knob(0.02, 1e-5, 0.5, "learning rate of the latents", log=True)  # paper 3e-4 (their GAN); tuned for ours, see docs/RESULTS.md
    alpha: float = knob(1e-4, 0.0, 1.0, "α: weight of log(1 − D(G(z)))", log=True)  # paper 1e-4
    filters: int = knob(16, 1, 64, "filters of F̂'s first layer")  # paper: 16 filters 5×5
    auto_support: bool = field(default=True, metadata=dict(
        help="choose F̂'s size from the observations (the hidden kernel's autocorrelation, estimated from their spectrum)"))
    ksize: int = knob(5, 1, 15, "F̂'s kernel size when not chosen automatically", step=2)  # paper 5: 9×9 support in all
    restarts: int = knob(4, 1, 16, "R: latent restarts per observation (a batch; F̂ learns from each one's best)")  # ours: Sobel 18.9 → 25.7 dB with 4 (16 validation digits)
    support_tau: float = knob(0.5, 0.01, 0.99, "τ: F̂'s radius covers the lags where the kernel's autocorrelation exceeds τ")  # with ε, chosen on 62 sets of validation digits, docs/RESULTS.md
    support_eps: float = knob(0.3, 1e-4, 10.0, "ε: regulariser of the spectrum ratio that estimates the autocorrelation", log=True)
    init: str = field(default="spectral", metadata=dict(choices=("spectral", "random"), help=(
        "F̂'s start: the zero-phase kernel estimated from the observations' spectrum (blurs only), or random weights (the paper)")))  # ours: motion blur, 16 validation digits, 14.9 → 23.4 dB (docs/RESULTS.md)
    init_eps: float = knob(1e-4, 1e-6, 10.0, "ε of the spectrum ratio behind the spectral start", log=True)  # the estimate nearest the true blurs on 62 validation sets, docs/RESULTS.md
    keep_best: bool = field(default=False, metadata=dict(
        help="undo a round that doubles the least data loss so far (rates halved) and end on the best round"))  # ours, tried 2026-12-05 with the old residual sweep (10 rounds) on 16 test digits: Gaussian 17.3 → 17.9 dB, motion 14.3 → 17.6, but Sobel 25.4 → 14.1; off (not retried with lr(F̂) = 1e-3)
    z_noise: float = knob(0.0, 0.0, 2.0, "σ of Gaussian noise added to the latents after each step, in the first half "
                          "of the rounds, annealed to 0")  # ours, separation's; off here (probe_validation.py blind-noise)
    seed: int = seed_knob("random seed of latents and F̂'s init")


@dataclass(frozen=True)
class BSSConfig:
    """Blind source separation with a surrogate mixing network (Anirudh et al. 2020, §3.2)."""

    rounds: int = knob(20, 1, 200, "T: alternations (mixing network, then latents)")
    t1: int = knob(50, 1, 500, "T1: Adam steps on the mixing network per round")
    t2: int = knob(50, 1, 500, "T2: Adam steps on the latents per round")
    lr_f: float = knob(4e-3, 1e-5, 0.1, "learning rate of the mixing network", log=True)  # paper 4e-3
    lr_z: float = knob(0.02, 1e-5, 0.5, "learning rate of the latents", log=True)  # tuned for our GAN
    alpha: float = knob(1e-4, 0.0, 1.0, "α: weight of log(1 − D(G(z)))", log=True)  # paper 1e-4
    hidden: int = knob(16, 1, 128, "hidden units of the mixing network (ReLU)")  # paper 16
    restarts: int = knob(4, 1, 16, "R: latent restarts per mixture (a batch; the one mixing network learns from "
                         "each mixture's best, each mixture keeps its best)")  # ours (the paper: one start); see docs/RESULTS.md
    init: str = field(default="observations", metadata=dict(choices=("observations", "random"), help=(
        "the mixing network's start: fitted to the observations' pixel statistics against mixtures of prior draws "
        "(sliced Wasserstein), or random weights (the paper)")))  # ours, issue 11; see docs/RESULTS.md
    init_steps: int = knob(1000, 1, 5000, "Adam steps of the mixing network's start (init = observations)")
    z_noise: float = knob(0.2, 0.0, 2.0, "σ of Gaussian noise added to the latents after each step, annealed to 0 "
                          "over the first half of the rounds")  # ours, chosen on validation mixtures (docs/RESULTS.md)
    additive: bool = field(default=False, metadata=dict(help="the naive additive model y = Σᵢ G(zᵢ) instead of a learned mixing"))
    seed: int = seed_knob("random seed of latents and network init")

    def papers_loop(self) -> "BSSConfig":
        """This config without our three additions: random start, no latent noise, one start (the paper's
        Algorithm 1 as we run it — lr(z), T and the per-pixel L1 are still ours, docs/RESULTS.md)."""
        return dataclasses.replace(self, init="random", z_noise=0.0, restarts=1)


# ------------------------------------------------------------------------------------------------
# Values that are not a method's setting: the noise of a problem and the seed of a run.
NOISE = Param("noise", 0.05, 0.0, 1.0, 0.01, "noise σ of the measurements")
SEED = Param("seed", 0, 0, SEED_MAX, 1, "random seed")

# ------------------------------------------------------------------------------------------------
# The UI overlay: one place for the tighter limits (and lighter defaults) of a shared 2-core CPU.
# The configs above are the hard limits the library and the CLI accept; the page, its API and the
# app's handlers accept these. Method settings are capped by name, operator parameters for the
# demo's 32×32 images, and the tabs' own controls are defined here.
UI_METHOD_CAPS = {"iters": 2000, "csgm_iters": 2000, "restarts": 32, "inner_iters": 200, "rounds": 60}
UI_OPERATOR_CAPS = {"h": 32, "size": 32, "m": 1024}
HIDDEN_KNOBS = ("every", "seed")  # not shown per method: the page streams at its own pace, one seed box


def capped(p: Param, caps: dict[str, float]) -> Param:
    """``p`` with its maximum lowered to the cap of its name, if any."""
    cap = caps.get(p.name)
    if cap is None or (p.hi is not None and p.hi <= cap):
        return p
    return dataclasses.replace(p, hi=cap)


def ui_params(cls) -> tuple[Param, ...]:
    """A method config's settings as the page shows and accepts them (capped, without every/seed)."""
    return tuple(capped(p, UI_METHOD_CAPS) for p in params_of(cls) if p.name not in HIDDEN_KNOBS)


def ui_operator_params(params) -> tuple[Param, ...]:
    return tuple(capped(p, UI_OPERATOR_CAPS) for p in params)


def _from_config(cls, field: str, name: str, **changes) -> Param:
    """A tab control that is a method setting under the tab's own name: the config's range with the UI
    cap, optionally a lighter default and the tab's wording."""
    p = capped(next(p for p in params_of(cls) if p.name == field), UI_METHOD_CAPS)
    return dataclasses.replace(p, name=name, **changes)


UI_CONTROLS: dict[str, Param] = {p.name: p for p in (
    Param("noise", 0.05, 0.0, 0.5, 0.01, "noise σ"),
    SEED,
    Param("blind_n", 8, 2, 32, 1, "N observations (same F)"),
    Param("blind_noise", 0.0, 0.0, 0.2, 0.01, "noise σ"),
    # rounds: config default 40; 20 (with 2 restarts) keep the tab near a minute on 2 cores
    _from_config(BlindConfig, "rounds", "blind_rounds", default=20, help="rounds T (each: T1 steps on F̂, T2 on z)"),
    _from_config(BlindConfig, "lr_z", "blind_lr_z"),
    Param("separate_observations", 4, choices=(1, 4), help="observations (1 = under-determined, 4 = over-determined)"),
    _from_config(BSSConfig, "rounds", "separate_rounds", default=10, help="rounds T"),
    Param("radius", 1.0, 0.0, 4.0, 0.1, "radius (× the prior's scale; >1 is far from the prior)"),
    Param("grid", 7, 3, 12, 1, "grid size"),
    Param("walk_t", 0.5, 0.0, 1.0, 0.02, "walk from anchor 1 to anchor 2"),
    Param("lab_n", 32, 8, 256, 8, "held-out images to project here (2 restarts × 200 steps each)"),
)}
