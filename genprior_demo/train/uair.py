"""Train UAIR reconstruction networks from corrupted observations only (Pajot et al., ICLR 2019).

Data: every MNIST training digit corrupted **once** with its own θ (``observations``); for UAIR's losses
the clean images are dropped right after, and training only ever sees y (the two reference losses trained
on clean pairs keep them). One iteration of their Algorithm 1:

    x̂ = G(y),  ŷ = F(x̂; θ) with a fresh θ                 (simulated observation)
    D:  min  E[max(0, 1 − D(y))] + E[max(0, 1 + D(ŷ))]      (real vs simulated observations)
    G:  min  −E[D(ŷ)] + λ ‖ŷ − F(G(ŷ); θ)‖²                 (eq. 9: the same θ that made ŷ; λ = 2)

``loss="likelihood"`` (the default) is that objective. ŷ enters the likelihood term as a sample of the
model's observation distribution (detached: it is the "data" of eq. 9, whose expectation is over ŷ),
so G learns to invert F on observations whose clean image it made itself; the adversarial term keeps
its gradient through ŷ. Three other losses are reference rows:

- ``"cycle"`` — the image-space term λ‖G(ŷ) − x̂‖² our first version used (an ablation: it asks G(ŷ)
  to match x̂ also where θ hid it, which eq. 9 does not);
- ``"supervised"`` — the paper's Paired Variant without its adversarial term: the same network regressed
  on clean/corrupted pairs by MSE, an upper bound that UAIR does not have the data for (it approximates the
  posterior mean, which no realistic reconstruction can match: a reconstruction that looks like a sample of
  the posterior has about twice its error — the perception–distortion trade-off, Blau & Michaeli 2018);
- ``"paired"`` — the paper's Paired Variant (§4.3.3): the same MSE on clean pairs plus an adversarial term
  on G(y) against clean digits "to avoid blurry samples, as in Isola et al.", weighted as UAIR's (λ = 2 on
  the per-pixel MSE, the same hinge D), so the two differ only in their data term. Not tuned: the paper
  cross-validates its weights, and Isola et al. weigh the regression far more (λ = 100 on L1) and condition
  D on y — ours sees the image only, as their Unpaired Variant's. The comparison the paper's Table 1 makes.

Departures, all for the CPU: the hinge GAN loss with a spectrally normalised D instead of log D (the
recipe the paper's optimiser settings come from — a BatchNorm DCGAN discriminator won within 150 steps
here and G diverged); a small U-Net rather than their SAGAN-style generator; batch 32; per-pixel means
in every term (with the per-image sum, λ·likelihood swamped the adversarial term and G collapsed).
As in the paper: Adam lr 1e-4 (G) / 4e-4 (D), β = (0, 0.9), λ = 2, learning rates × 0.995 every 400
iterations, residual G(y) = y + Net(y) for Patch-Band and Convolve-Noise only.

Training is resumable: the state is saved to checkpoints/.state/ every two minutes and ``--resume``
continues (``--minutes`` counts the time already spent). The adversarial game oscillates (validation MSE of
the raw G swung between 0.073 and 0.100 within 500 iterations on Remove-Pixel), so — our additions, both
standard for GANs — the shipped network is an exponential moving average of G's weights (decay 0.999), and
of the averages seen at each save the one with the least MSE on 200 validation digits (MNIST test
9000–9199, never the report's test digits) is kept: Pajot et al. also select on validation MSE against
clean images (their App. B), which is the only place a clean image enters UAIR's training.

    python -m genprior_demo train-uair remove-pixel --data-root ../shared/data --minutes 45 --threads 1 --resume
"""
from __future__ import annotations

import copy
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm import tqdm

from ..data import load_mnist
from ..device import seeded
from ..generators import registry
from ..generators.nets import SNDiscriminator, UAIRNet
from ..physics.corruptions import CORRUPTIONS, apply, colour_digits, corrupt, draw_theta
from .common import ema_update, save_atomic

LOSSES = ("likelihood", "cycle", "supervised", "paired")
CLEAN_PAIR_LOSSES = ("supervised", "paired")  # the reference rows trained on clean/corrupted pairs
STATE_DIR = registry.CHECKPOINT_DIR / ".state"
VALIDATION = slice(9000, 9200)  # MNIST test digits for model selection (the report uses the first ones)


@dataclass(frozen=True)
class UAIRTrainConfig:
    lam: float = 2.0        # Pajot et al. λ
    lr_g: float = 1e-4      # Pajot et al.
    lr_d: float = 4e-4      # Pajot et al.
    betas: tuple = (0.0, 0.9)  # Pajot et al.
    decay: float = 0.995    # Pajot et al.: learning rates × decay every 400 iterations
    ema: float = 0.999      # ours: the shipped G is a moving average of the weights
    batch: int = 32         # 32 rather than 64: twice the updates per CPU minute
    width: int = 16
    loss: str = "likelihood"
    residual: bool | None = None  # None: the paper's choice for the corruption (CORRUPTIONS[kind].residual)


def network_name(kind: str, loss: str = "likelihood") -> str:
    return f"uair-{kind}" if loss == "likelihood" else f"uair-{kind}-{loss}"


def clean_images(kind: str, data_root: str | None, train: bool, seed: int) -> torch.Tensor:
    """The images a corruption is defined on: grey MNIST digits, coloured for Remove-Pixel-Channel."""
    x = load_mnist(data_root, train=train)
    return colour_digits(x, seeded(seed + 7)) if CORRUPTIONS[kind].channels == 3 else x


def observations(kind: str, x_clean: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each clean image corrupted once (its own θ): the only data UAIR training sees."""
    return corrupt(kind, x_clean, seeded(seed))


def residual_for(kind: str, cfg: UAIRTrainConfig) -> bool:
    return CORRUPTIONS[kind].residual if cfg.residual is None else bool(cfg.residual)


def make_networks(kind: str, width: int, seed: int, residual: bool):
    c = CORRUPTIONS[kind]
    with torch.random.fork_rng():  # spectral norm draws its power-iteration vectors from the global RNG
        torch.manual_seed(seed)
        return UAIRNet(c.channels, width, residual=residual), SNDiscriminator(c.channels, 32)


def discriminator_step(D, oD, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """One step of D on the hinge loss (SN-GAN): E[max(0, 1 − D(real))] + E[max(0, 1 + D(fake))], ``fake``
    detached. Returns the loss."""
    ld = torch.relu(1 - D(real)).mean() + torch.relu(1 + D(fake.detach())).mean()
    oD.zero_grad(set_to_none=True)
    ld.backward()
    oD.step()
    return ld


def uair_step(G, D, oG, oD, y, m, kind: str, g: torch.Generator, cfg: UAIRTrainConfig,
              draw: Callable = draw_theta) -> dict:
    """One iteration of Algorithm 1 on a batch of observations ``y`` with their masks ``m``."""
    x_hat = G(y, m)
    theta = draw(kind, tuple(x_hat.shape), g, x_hat.device)  # a fresh θ
    y_sim, m_sim = apply(kind, x_hat, theta)
    ld = discriminator_step(D, oD, y, y_sim)
    adv = -D(y_sim).mean()
    y_s = y_sim.detach()
    if cfg.loss == "likelihood":  # eq. 9: ‖ŷ − F(G(ŷ); θ)‖² with the same θ
        fit = (apply(kind, G(y_s, m_sim), theta)[0] - y_s).pow(2).mean()
    else:  # "cycle": the image-space ablation ‖G(ŷ) − x̂‖²
        fit = (G(y_s, m_sim) - x_hat.detach()).pow(2).mean()
    lg = adv + cfg.lam * fit
    oG.zero_grad(set_to_none=True)
    lg.backward()
    oG.step()
    return {"loss_D": ld.item(), "adv": adv.item(), "fit": fit.item()}


def paired_step(G, D, oG, oD, x, y, m, cfg: UAIRTrainConfig) -> dict:
    """The Paired Variant: D tells clean digits from G(y) (hinge); G minimises −D(G(y)) + λ·mean((G(y) − x)²)."""
    x_hat = G(y, m)
    ld = discriminator_step(D, oD, x, x_hat)
    adv = -D(x_hat).mean()
    mse = (x_hat - x).pow(2).mean()
    oG.zero_grad(set_to_none=True)
    (adv + cfg.lam * mse).backward()
    oG.step()
    return {"loss_D": ld.item(), "adv": adv.item(), "mse": mse.item()}


def supervised_step(G, oG, x, y, m) -> dict:
    loss = (G(y, m) - x).pow(2).mean()
    oG.zero_grad(set_to_none=True)
    loss.backward()
    oG.step()
    return {"mse": loss.item()}


def train_uair(kind: str, data_root: str | None, minutes: float, seed: int, threads: int | None = None,
               cfg: UAIRTrainConfig = UAIRTrainConfig(), n_eval: int = 500, resume: bool = False,
               save_every: float = 120.0) -> dict:
    if threads:
        torch.set_num_threads(threads)
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose from {', '.join(CORRUPTIONS)}")
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; choose from {', '.join(LOSSES)}")
    name = network_name(kind, cfg.loss)
    x_all = clean_images(kind, data_root, True, seed)
    y_all, m_all = observations(kind, x_all, seed)
    if cfg.loss not in CLEAN_PAIR_LOSSES:
        del x_all  # unsupervised: the clean images are dropped here
    g = seeded(seed + 1)
    G, D = make_networks(kind, cfg.width, seed, residual_for(kind, cfg))
    oG = torch.optim.Adam(G.parameters(), cfg.lr_g, betas=cfg.betas)
    oD = torch.optim.Adam(D.parameters(), cfg.lr_d, betas=cfg.betas)
    sched = [torch.optim.lr_scheduler.StepLR(o, 400, cfg.decay) for o in (oG, oD)]
    ema = copy.deepcopy(G).requires_grad_(False)
    best, history = None, []  # (validation MSE, iteration, EMA weights) of the best average so far
    it, spent = 0, 0.0
    state_path = STATE_DIR / f"{name}.pt"
    if resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)  # our own file; tensors and numbers only
        for obj, key in ((G, "G"), (D, "D"), (oG, "oG"), (oD, "oD"), (sched[0], "sG"), (sched[1], "sD")):
            obj.load_state_dict(st[key])
        ema.load_state_dict(st.get("ema", st["G"]))  # states saved before the average existed start it at G
        if "best" in st:
            best = (float(st["best_mse"]), int(st["best_it"]), st["best"])
            history = [tuple(h) for h in st["history"].tolist()]
        g.set_state(st["rng"])
        it, spent = int(st["it"]), float(st["spent"])
        print(f"resumed {name} at iteration {it} ({spent:.0f} s)", flush=True)
    x_val = clean_images(kind, data_root, False, seed + 11)[VALIDATION]
    y_val, m_val = corrupt(kind, x_val, seeded(seed + 12))

    def validate():
        nonlocal best
        if history and history[-1][0] == it:  # the final save right after a periodic one: already scored
            return
        with torch.no_grad():
            mse = float((ema(y_val, m_val).clamp(0, 1) - x_val).pow(2).mean())
        history.append((it, mse))
        if best is None or mse < best[0]:
            best = (mse, it, {k: v.clone() for k, v in ema.state_dict().items()})
        print(f"{name}: iteration {it}, validation MSE of the average {mse:.5f} (best {best[0]:.5f} at {best[1]})", flush=True)

    def save_state():
        validate()
        save_atomic({"G": G.state_dict(), "D": D.state_dict(), "oG": oG.state_dict(), "oD": oD.state_dict(),
                     "sG": sched[0].state_dict(), "sD": sched[1].state_dict(), "rng": g.get_state(), "it": it,
                     "spent": spent, "ema": ema.state_dict(), "best": best[2], "best_mse": best[0], "best_it": best[1],
                     "history": torch.tensor(history, dtype=torch.float64)}, state_path)

    t0, last_save = time.time() - spent, time.time()
    bar = tqdm(desc=name, mininterval=30, initial=it)
    while time.time() - t0 < 60 * minutes:
        idx = torch.randint(0, y_all.shape[0], (cfg.batch,), generator=g)
        if cfg.loss == "supervised":
            losses = supervised_step(G, oG, x_all[idx], y_all[idx], m_all[idx])
        elif cfg.loss == "paired":
            losses = paired_step(G, D, oG, oD, x_all[idx], y_all[idx], m_all[idx], cfg)
        else:
            losses = uair_step(G, D, oG, oD, y_all[idx], m_all[idx], kind, g, cfg)
        for s in sched[:1] if cfg.loss == "supervised" else sched:  # the MSE-only reference never steps D
            s.step()
        ema_update(ema, G, it, cfg.ema)
        it += 1
        bar.update(1)
        if it % 100 == 0:
            bar.set_postfix({k: f"{v:.4f}" for k, v in losses.items()})
        spent = time.time() - t0
        if time.time() - last_save > save_every:
            save_state()
            last_save = time.time()
    save_state()
    G.load_state_dict(best[2])  # the best moving average on the validation digits
    G.eval().requires_grad_(False)
    from safetensors.torch import save_file

    path = registry.CHECKPOINT_DIR / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in G.state_dict().items()}, str(path))
    c = CORRUPTIONS[kind]
    entry = {"kind": "uair", "file": path.name, "sha256": registry.sha256_of(path), "corruption": kind,
             "corruption_params": c.params, "loss": cfg.loss, "channels": c.channels, "residual": residual_for(kind, cfg),
             "architecture": f"UAIRNet(channels={c.channels}, width={cfg.width}, residual={residual_for(kind, cfg)})",
             "discriminator": "SNDiscriminator(width=32)" if cfg.loss != "supervised" else None,
             "dataset": ("mnist (train" + (", coloured" if c.channels == 3 else "") + ", corrupted once each"
                         + ("; clean pairs" if cfg.loss in CLEAN_PAIR_LOSSES else "") + ")"),
             "resolution": 32, "iterations": it, "epochs": round(it * cfg.batch / y_all.shape[0], 2),
             "seconds": round(spent), "seed": seed, "config": {**cfg.__dict__, "betas": list(cfg.betas)},
             "selected": {"iteration": best[1], "validation_mse": round(best[0], 5),
                          "validation": f"MNIST test {VALIDATION.start}–{VALIDATION.stop - 1}",
                          "history": [[int(i), round(v, 5)] for i, v in history]},
             "quality": evaluate_uair(G, kind, data_root, n_eval), "torch": torch.__version__,
             "training_command": "python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
    registry.update_manifest(name, entry, registry.MANIFEST)
    return entry


def evaluate_uair(G, kind: str, data_root: str | None, n: int, seed: int = 123) -> dict:
    """MSE of the corrupted input and of G(y) on the first ``n`` MNIST test digits (held out; the
    validation digits start at 9000)."""
    x = clean_images(kind, data_root, False, seed)[:n]
    y, m = corrupt(kind, x, seeded(seed))
    with torch.no_grad():
        xr = G(y, m).clamp(0, 1)
    mse = lambda a: round(float((a - x).pow(2).mean()), 5)  # noqa: E731
    return {"mse_input": mse(y.clamp(0, 1)), "mse_uair": mse(xr), "n_test_images": n, "seed": seed}
