"""Handlers of the "Blind" and "Separate" tabs (Anirudh et al. 2020): unknown forward models.

Blind: N digits degraded by one hidden operator; the surrogate F̂ and the images are recovered
together, its impulse response shown beside the true one; at the end the paper's baselines run
(no forward model, Wiener with the true kernel, CSGM with the true F). Separate: 3 digits mixed as
Y = |MᵀX|; the mixing network separates them, next to the additive baseline and FastICA.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torchvision.utils import make_grid

from ..config import BlindConfig, BSSConfig
from ..data import shipped_digits
from ..device import seeded
from ..generators import load_prior
from ..metrics import matched_psnr, psnr_each
from ..physics import make_operator
from ..physics.mixing import mix
from ..solvers.blind import blind, bss, impulse_response
from ..unknown import blind_baselines, separation_baselines
from .reconstruct import DEVICE, MAX_FPS, UserError, _check_number, _editor_image, is_blank, load_input
from .render import curve, show

GENERATOR = "mnist-dcgan"  # the paper's setting: a GAN with a discriminator, latents in [−1, 1]

# The hidden operators offered (Anirudh et al.: 20×20 σ = 5 Gaussian blur on 64×64 faces → halved for 32×32 digits)
HIDDEN = {
    "Gaussian blur 11×11, σ = 2.5": ("gaussian-blur", {"size": 11, "sigma": 2.5}),
    "Sobel edge map": ("edge-sobel", {}),
    "motion blur, 9 px": ("motion-blur", {"length": 9, "angle": 30.0}),
}
CAPS = {"n": 32, "rounds": 60, "noise": 0.2}


def tile(x: torch.Tensor, nrow: int = 4, target: int = 420) -> np.ndarray:
    """A batch (N, C, H, W) as one crisp grid image (nearest-neighbour enlarged), 4 digits a row so each
    is shown at ~100 px, not as a stamp."""
    return show(make_grid(x.detach().cpu().clamp(0, 1), nrow=min(nrow, x.shape[0]), padding=2, pad_value=0.4), target)


def kernel_image(k: torch.Tensor, crop: int = 15) -> np.ndarray:
    """An impulse response (1, C, H, W), centre ``crop``×``crop``, signed: grey = 0, white > 0, black < 0."""
    H = k.shape[-1]
    c = k[0, :1, H // 2 - crop // 2:H // 2 + crop // 2 + 1, H // 2 - crop // 2:H // 2 + crop // 2 + 1]
    return show(0.5 + 0.5 * c / c.abs().max().clamp_min(1e-12), 210)


def _mean_psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(np.mean(psnr_each(a, b)))


def _paced(stream) -> Iterator[tuple[Any, bool, bool]]:
    """(step, done, due) for every step of a method's stream: ``due`` when a frame should go to the page
    (at most MAX_FPS a second, and always the final step)."""
    last = 0.0
    while True:
        try:
            step, done = next(stream), False
        except StopIteration as stop:
            step, done = stop.value, True
        now = time.perf_counter()
        due = done or now - last >= 1.0 / MAX_FPS
        if due:
            last = now
        yield step, done, due
        if done:
            return


def blind_run(hidden: str, n, noise, rounds, lr_z, seed) -> Iterator[dict[str, Any]]:
    """Stream frames: observations, current images, F̂'s impulse response vs the true one, F̂ vs F on a
    clean digit, the loss curve; then the baselines and the PSNR table."""
    if hidden not in HIDDEN:
        raise UserError(f"unknown hidden operator {hidden!r}; choose from {', '.join(HIDDEN)}")
    n = int(_check_number("N", n, 2, CAPS["n"]))
    noise = _check_number("noise σ", noise, 0.0, CAPS["noise"])
    rounds = int(_check_number("rounds", rounds, 1, CAPS["rounds"]))
    lr_z = _check_number("learning rate of z", lr_z, 1e-5, 0.5)
    seed = int(_check_number("seed", seed, 0, 2**31 - 1))
    prior = load_prior(GENERATOR, DEVICE)
    x = shipped_digits(n, offset=seed % 64).to(DEVICE)
    name, params = HIDDEN[hidden]
    op = make_operator(name, prior.image_shape, device=DEVICE, **params)
    y = op.measure(x, noise, seeded(seed + 1))
    probe = shipped_digits(1, offset=(seed + n) % 64).to(DEVICE)  # a clean digit not among the N
    true_k = kernel_image(impulse_response(op.A, 1, prior.size, DEVICE))
    true_probe = show(op.A(probe)[0].clamp(0, 1))
    cfg = BlindConfig(rounds=rounds, lr_z=lr_z, seed=seed)
    history: dict[str, list] = {}
    base = {"obs": tile(y.clamp(0, 1)), "true_kernel": true_k, "true_probe": true_probe, "truth": tile(x)}

    def frame(step) -> dict[str, Any]:
        with torch.no_grad():
            fprobe = step.extra["surrogate"](probe)
        return dict(base, rec=tile(step.x), kernel=kernel_image(step.extra["kernel"]),
                    probe=show(fprobe[0].clamp(0, 1)), curve=curve(history, "surrogate loss"))

    for step, done, due in _paced(blind(y, op, prior, cfg)):
        history.setdefault("blind: ‖F̂(G(z)) − y‖₁ / N", []).append((step.iteration, step.residual))
        if due and not done:
            yield dict(frame(step), status=f"blind: round {step.iteration // (cfg.t1 + cfg.t2)}/{rounds}, "
                                           f"{step.elapsed:.1f} s", table=None)
    final = frame(step)  # rendered once; the baselines only add rows
    rows = [["blind (surrogate F̂)", f"{_mean_psnr(step.x, x):.2f}", f"{step.elapsed:.1f}"]]
    yield dict(final, status="baselines: no forward model, true F…", table=list(rows))
    for label, xb, sec in blind_baselines(y, op, prior, seed):
        rows.append([label, f"{_mean_psnr(xb, x):.2f}", f"{sec:.1f}"])
    yield dict(final, status=f"done — blind: {step.elapsed:.1f} s", table=rows)


def separate_run(a, b, c, n_obs, rounds, seed) -> Iterator[dict[str, Any]]:
    """Stream frames of separating three digits from |MᵀX| (1 or 4 observations), then the baselines."""
    n_obs = int(_check_number("observations", n_obs, 1, 4))
    rounds = int(_check_number("rounds", rounds, 1, CAPS["rounds"]))
    seed = int(_check_number("seed", seed, 0, 2**31 - 1))
    prior = load_prior(GENERATOR, DEVICE)
    srcs, notes = [], []
    for i, img in enumerate((a, b, c)):
        img = _editor_image(img)
        if img is None or is_blank(img):
            srcs.append(shipped_digits(1, offset=3 * (seed % 21) + i))
            notes.append(f"source {i + 1}: shipped test digit (slot empty)")
        else:
            xi, ni = load_input(img, prior)
            srcs.append(xi.cpu())
            notes.append(f"source {i + 1}: " + ("; ".join(ni) or "used as is"))
    x = torch.cat(srcs, 1).to(DEVICE)  # (1, 3, 32, 32)
    y, M = mix(x, n_obs, seeded(seed))
    base = {"sources": tile(x[0][:, None]), "mixtures": tile(y[0][:, None] / y.max().clamp_min(1e-12)),
            "notes": "; ".join(notes) + f". Mixing M (3×{n_obs}, unknown to the method): "
                     + " / ".join(" ".join(f"{v:+.2f}" for v in row) for row in M.cpu().tolist())}
    cfg = BSSConfig(rounds=rounds, seed=seed)
    history: dict[str, list] = {}
    for step, done, due in _paced(bss(y, None, prior, cfg)):
        history.setdefault("mixing network: ‖M̂(G(z)) − y‖₁", []).append((step.iteration, step.residual))
        if due and not done:
            yield dict(base, rec=tile(step.x[0][:, None]), additive=None, ica=None, curve=curve(history, "loss"),
                       status=f"separating: round {step.iteration // (cfg.t1 + cfg.t2)}/{rounds}, {step.elapsed:.1f} s",
                       table=None)
    ps, _ = matched_psnr(step.x[0], x[0])
    rows = [["mixing network (Anirudh et al.)", *(f"{p:.2f}" for p in ps), f"{np.mean(ps):.2f}", f"{step.elapsed:.1f}"]]
    yield dict(base, rec=tile(step.x[0][:, None]), additive=None, ica=None, curve=curve(history, "loss"),
               status="baselines: additive model, FastICA…", table=list(rows))
    imgs = {}
    for label, xs, sec, note in separation_baselines(y, prior, cfg):
        pb, _ = matched_psnr(xs[0].cpu(), x[0].cpu())
        imgs[label] = xs
        rows.append([label + (" (cannot: 1 observation)" if note else ""), *(f"{p:.2f}" for p in pb),
                     f"{np.mean(pb):.2f}", f"{sec:.2f}"])
    add, ica = (v[0] for v in imgs.values())
    yield dict(base, rec=tile(step.x[0][:, None]), additive=tile(add[:, None]), ica=tile(ica[:, None]),
               curve=curve(history, "loss"), status="done" + (" — FastICA cannot separate 3 sources from 1 observation"
                                                              if n_obs < 3 else ""), table=rows)


BLIND_HEADERS = ["method", "PSNR (dB, mean over N)", "seconds"]
SEPARATE_HEADERS = ["method", "source 1", "source 2", "source 3", "mean PSNR (dB)", "seconds"]
