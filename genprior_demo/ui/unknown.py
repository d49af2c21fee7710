"""Handlers of the "Blind" and "Separate" tabs (Anirudh et al. 2020): unknown forward models.

Blind: N digits degraded by one hidden operator; the surrogate F̂ and the images are recovered
together, its impulse response shown beside the true one; at the end the paper's baselines run
(no forward model, Wiener with the true kernel, CSGM with the true F). Separate: 3 digits mixed as
Y = |MᵀX|; the mixing network separates them, next to the additive baseline and FastICA.

Frames are dicts keyed by :data:`BLIND_OUTPUTS` / :data:`SEPARATE_OUTPUTS`. No gradio import here.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torchvision.utils import make_grid

from ..config import BlindConfig, BSSConfig, make_config
from ..data import shipped_digits
from ..experiments.unknown_models import SEPARATION_LABEL, blind_baselines, separation_baselines
from ..metrics import matched_psnr, psnr_each
from ..pipeline import method_stream
from ..problem import make_blind_problem, make_separation_problem
from ..solvers.base import loss_label
from ..solvers.blind import impulse_response
from .common import DEVICE, UserError, control, editor_image, is_blank, load_generator, load_input, paced
from .render import curve, show

GENERATOR = "mnist-dcgan"  # the paper's setting: a GAN with a discriminator, latents in [−1, 1]
SOURCES = 3  # digits mixed in the Separate tab

# The hidden operators offered (Anirudh et al.: 20×20 σ = 5 Gaussian blur on 64×64 faces → halved for 32×32 digits)
UI_BLIND_RESTARTS = 2  # the page's latent restarts (the method's default and the report use 4): half the wait

HIDDEN = {
    "Gaussian blur 11×11, σ = 2.5": ("gaussian-blur", {"size": 11, "sigma": 2.5}),
    "Sobel edge map": ("edge-sobel", {}),
    "motion blur, 9 px": ("motion-blur", {"length": 9, "angle": 30.0}),
}
BLIND_OUTPUTS = ("obs", "rec", "truth", "kernel", "true_kernel", "probe", "true_probe", "curve", "status", "table")
SEPARATE_OUTPUTS = ("sources", "mixtures", "rec", "additive", "ica", "curve", "status", "table", "notes")
BLIND_HEADERS = ["method", "PSNR (dB, mean over N)", "seconds"]
SEPARATE_HEADERS = ["method", *(f"source {i + 1}" for i in range(SOURCES)), "mean PSNR (dB)", "seconds"]


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


def _config(cls, overrides: dict[str, Any]):
    try:
        return make_config(cls, overrides)
    except ValueError as e:
        raise UserError(str(e)) from None


def blind_run(hidden: str, n, noise, rounds, lr_z, seed) -> Iterator[dict[str, Any]]:
    """Stream frames: observations, current images, F̂'s impulse response vs the true one, F̂ vs F on a
    clean digit, the loss curve; then the baselines and the PSNR table."""
    if hidden not in HIDDEN:
        raise UserError(f"unknown hidden operator {hidden!r}; choose from {', '.join(HIDDEN)}")
    n, noise = control("blind_n", n), control("blind_noise", noise)
    rounds, lr_z, seed = control("blind_rounds", rounds), control("blind_lr_z", lr_z), control("seed", seed)
    prior = load_generator(GENERATOR)
    name, params = HIDDEN[hidden]
    problem = make_blind_problem(shipped_digits(n, offset=seed % 64), name, params, noise, seed, DEVICE)
    x, op = problem.x, problem.hidden
    probe = shipped_digits(1, offset=(seed + n) % 64).to(DEVICE)  # a clean digit not among the N
    overrides = dict(rounds=rounds, lr_z=lr_z, seed=seed, restarts=UI_BLIND_RESTARTS)
    cfg = _config(BlindConfig, overrides)
    history: dict[str, list] = {}
    base = {"obs": tile(problem.y.clamp(0, 1)), "truth": tile(x), "true_probe": show(op.A(probe)[0].clamp(0, 1)),
            "true_kernel": kernel_image(impulse_response(op.A, 1, prior.size, DEVICE))}

    def frame(step) -> dict[str, Any]:  # the observations and truths are sent once, with the first frame
        with torch.no_grad():
            fprobe = step.surrogate(probe)
        return dict(base if first else {}, rec=tile(step.x), kernel=kernel_image(step.kernel),
                    probe=show(fprobe[0].clamp(0, 1)), curve=curve(history))

    first = True
    for step, done, due in paced(method_stream(problem, "blind", prior, overrides)):
        size = step.phase.split(": ")[-1]  # one curve per surrogate size tried (the support sweep), then the kept one
        history.setdefault(f"F̂ {size}: {loss_label('data_l1')}" if size else f"blind: {loss_label('data_l1')}",
                           []).append((step.iteration, step.losses["data_l1"]))
        if due and not done:
            yield dict(frame(step), status=f"blind: {step.phase or 'fitting'} — {step.iteration // (cfg.t1 + cfg.t2)} rounds "
                                           f"in all, {step.elapsed:.1f} s", table=None)
            first = False
    first = True
    final = frame(step)  # rendered once; the baselines only add rows
    kept = step.phase.split(": ")[-1]
    rows = [[f"blind (surrogate F̂{', ' + kept if kept else ''})", f"{_mean_psnr(step.x, x):.2f}", f"{step.elapsed:.1f}"]]
    yield dict(final, status="baselines: no forward model, true F…", table=list(rows))
    for label, xb, sec in blind_baselines(problem, prior, seed):
        rows.append([label, f"{_mean_psnr(xb, x):.2f}", f"{sec:.1f}"])
    yield dict(final, status=f"done — blind: {step.elapsed:.1f} s. {step.label}", table=rows)


def separate_run(a, b, c, n_obs, rounds, seed) -> Iterator[dict[str, Any]]:
    """Stream frames of separating three digits from |MᵀX| (1 or 4 observations), then the baselines."""
    n_obs = control("separate_observations", n_obs)
    rounds, seed = control("separate_rounds", rounds), control("seed", seed)
    prior = load_generator(GENERATOR)
    srcs, notes = [], []
    for i, img in enumerate((a, b, c)):
        img = editor_image(img)
        if img is None or is_blank(img):
            srcs.append(shipped_digits(1, offset=SOURCES * (seed % 21) + i))
            notes.append(f"source {i + 1}: shipped test digit (slot empty)")
        else:
            xi, ni = load_input(img, prior)
            srcs.append(xi.cpu())
            notes.append(f"source {i + 1}: " + ("; ".join(ni) or "used as is"))
    problem = make_separation_problem(torch.cat(srcs, 1), n_obs, seed, DEVICE)  # sources (1, 3, 32, 32)
    x, y, M = problem.x, problem.y, problem.mixing
    base = {"sources": tile(x[0][:, None]), "mixtures": tile(y[0][:, None] / y.max().clamp_min(1e-12)),
            "notes": "; ".join(notes) + f". Mixing M ({SOURCES}×{n_obs}, unknown to the method): "
                     + " / ".join(" ".join(f"{v:+.2f}" for v in row) for row in M.cpu().tolist())}
    overrides = dict(rounds=rounds, seed=seed)
    cfg = _config(BSSConfig, overrides)
    history: dict[str, list] = {}

    def frame(step, status, table, additive=None, ica=None):
        return dict(base, rec=tile(step.x[0][:, None]), additive=additive, ica=ica, curve=curve(history),
                    status=status, table=table)

    for step, done, due in paced(method_stream(problem, "bss", prior, overrides)):
        if "data_l1" in step.losses:  # not while the mixing network's start is fitted (its phase says so)
            history.setdefault(f"mixing network: {loss_label('data_l1')}", []).append((step.iteration, step.losses["data_l1"]))
        if due and not done:
            what = step.phase or f"separating: round {step.iteration // (cfg.t1 + cfg.t2)}/{rounds}"
            yield frame(step, f"{what}, {step.elapsed:.1f} s", None)
    ps, _ = matched_psnr(step.x[0], x[0])
    rows = [[SEPARATION_LABEL, *(f"{p:.2f}" for p in ps), f"{np.mean(ps):.2f}", f"{step.elapsed:.1f}"]]
    yield frame(step, "baselines: additive model, FastICA…", list(rows))
    imgs = {}
    for label, xs, sec, note in separation_baselines(problem, prior, cfg):
        pb, _ = matched_psnr(xs[0].cpu(), x[0].cpu())
        imgs[label] = xs
        rows.append([label + (" (cannot: 1 observation)" if note else ""), *(f"{p:.2f}" for p in pb),
                     f"{np.mean(pb):.2f}", f"{sec:.2f}"])
    add, ica = (v[0] for v in imgs.values())
    yield frame(step, "done" + (" — FastICA cannot separate 3 sources from 1 observation" if n_obs < SOURCES else ""),
                rows, tile(add[:, None]), tile(ica[:, None]))
