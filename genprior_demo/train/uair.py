"""Train UAIR reconstruction networks from corrupted observations only (Pajot et al., ICLR 2019).

Data: every MNIST training digit corrupted **once** with its own θ (``observations``); the clean images
are dropped right after, and training only ever sees y. One iteration of their Algorithm 1:

    x̂ = G(y),  ŷ = F(x̂; θ')  with a fresh θ'             (simulated observation)
    D:  min  E[max(0, 1 − D(y))] + E[max(0, 1 + D(ŷ))]      (real vs simulated observations)
    G:  min  −E[D(ŷ)] + λ ‖G(ŷ) − x̂‖²                      (λ = 2; x̂ is the target for ŷ)

The paper writes the GAN loss as log D; we use the hinge form with a spectrally normalised D, the
recipe its optimiser settings come from — the BatchNorm DCGAN discriminator won within 150 steps
here and G diverged. The second term is the paper's reconstruction loss on re-simulated observations: (ŷ, x̂) is a pair
whose clean image is known, so G learns to invert F on it. Adam lr 1e-4 (G) / 4e-4 (D), β = (0, 0.9).

    python -m genprior_demo train-uair remove-pixel --data-root ../shared/data --minutes 12 --threads 1
"""
from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data import load_mnist
from ..device import seeded
from ..generators import registry
from ..generators.nets import SNDiscriminator, UAIRNet
from ..physics.corruptions import CORRUPTIONS, corrupt


@dataclass(frozen=True)
class UAIRTrainConfig:
    lam: float = 2.0        # Pajot et al. λ
    lr_g: float = 1e-4      # Pajot et al.
    lr_d: float = 4e-4      # Pajot et al.
    betas: tuple = (0.0, 0.9)  # Pajot et al.
    batch: int = 32         # 32 rather than 64: twice the updates per CPU minute
    width: int = 16


def observations(kind: str, x_clean: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each clean image corrupted once (its own θ): the only data UAIR training sees."""
    return corrupt(kind, x_clean, seeded(seed))


def uair_step(G, D, oG, oD, y, m, kind: str, g: torch.Generator, cfg: UAIRTrainConfig,
              corrupt_fn: Callable = corrupt) -> dict:
    """One iteration on a batch of observations ``y`` (B, C, H, W) with masks ``m`` (B, 1, H, W)."""
    x_hat = G(y, m)
    y_sim, m_sim = corrupt_fn(kind, x_hat, g)  # fresh θ'
    ld = F.relu(1 - D(y)).mean() + F.relu(1 + D(y_sim.detach())).mean()  # hinge loss (SN-GAN)
    oD.zero_grad(set_to_none=True)
    ld.backward()
    oD.step()
    adv = -D(y_sim).mean()
    cyc = (G(y_sim, m_sim) - x_hat.detach()).pow(2).mean()  # per-pixel mean: with the per-image sum, λ·cycle
    # swamped the adversarial term and G collapsed towards a constant (a trivial fixed point of the cycle)
    lg = adv + cfg.lam * cyc
    oG.zero_grad(set_to_none=True)
    lg.backward()
    oG.step()
    return {"loss_D": ld.item(), "adv": adv.item(), "cycle": cyc.item()}


def train_uair(kind: str, data_root: str | None, minutes: float, seed: int, threads: int | None = None,
               cfg: UAIRTrainConfig = UAIRTrainConfig(), n_eval: int = 500) -> dict:
    if threads:
        torch.set_num_threads(threads)
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose from {', '.join(CORRUPTIONS)}")
    torch.manual_seed(seed)
    y_all, m_all = observations(kind, load_mnist(data_root, train=True), seed)  # clean images dropped here
    G, D = UAIRNet(1, cfg.width), SNDiscriminator(1, 32)
    oG = torch.optim.Adam(G.parameters(), cfg.lr_g, betas=cfg.betas)
    oD = torch.optim.Adam(D.parameters(), cfg.lr_d, betas=cfg.betas)
    g = seeded(seed + 1)
    t0, it = time.time(), 0
    bar = tqdm(desc=f"uair {kind}", mininterval=10)
    while time.time() - t0 < 60 * minutes:
        idx = torch.randint(0, y_all.shape[0], (cfg.batch,), generator=g)
        losses = uair_step(G, D, oG, oD, y_all[idx], m_all[idx], kind, g, cfg)
        it += 1
        bar.update(1)
        if it % 50 == 0:
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
    G.eval().requires_grad_(False)
    from safetensors.torch import save_file

    name = f"uair-{kind}"
    path = registry.CHECKPOINT_DIR / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in G.state_dict().items()}, str(path))
    quality = evaluate_uair(G, kind, data_root, n_eval)
    entry = {"kind": "uair", "file": path.name, "sha256": registry.sha256_of(path), "corruption": kind,
             "corruption_params": CORRUPTIONS[kind].params, "architecture": f"UAIRNet(width={cfg.width})",
             "discriminator": "SNDiscriminator(width=32)", "dataset": "mnist (train, corrupted once each)",
             "resolution": 32, "iterations": it, "seconds": round(time.time() - t0), "seed": seed,
             "config": {**cfg.__dict__, "betas": list(cfg.betas)}, "quality": quality, "torch": torch.__version__,
             "training_command": "python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
    registry.update_manifest(name, entry, registry.MANIFEST)
    return entry


def evaluate_uair(G, kind: str, data_root: str | None, n: int, seed: int = 123) -> dict:
    """MSE of the corrupted input and of G_rec(y) on the first ``n`` MNIST test digits."""
    x = load_mnist(data_root, train=False)[:n]
    y, m = corrupt(kind, x, seeded(seed))
    with torch.no_grad():
        xr = G(y, m).clamp(0, 1)
    mse = lambda a: round(float((a - x).pow(2).mean()), 5)  # noqa: E731
    return {"mse_input": mse(y.clamp(0, 1)), "mse_uair": mse(xr), "n_test_images": n, "seed": seed}
