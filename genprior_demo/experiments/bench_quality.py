"""Reproducible quality report on held-out MNIST test digits / Shapes (docs/RESULTS.md + plots).

    python -m genprior_demo bench-quality --data-root ../shared/data --n 50 --experiments pgd,cs,sr,deblur,shapes

Test digits are MNIST *test* images (never used in training), indices [0, n). Tuned settings are chosen
on other images from small grids and printed in the tables: λ/α of TV and Tikhonov and back-projection's η
(noisy SR) on 10 other test digits (indices 9000–9009); every λ of the Shapes section on validation Shapes
(seed 998). Seeds are printed and written.
"""
from __future__ import annotations

import fcntl
import json
import time
from pathlib import Path

import numpy as np
import torch

from ..config import TVConfig
from ..data import sklearn_digits
from ..device import seeded, seeded_module
from .evaluate import SHAPES_TEST_SEED, test_images
from ..generators import load_prior
from ..metrics import lpips_distance, psnr_each, ssim
from ..pipeline import make_problem, method_stream
from ..solvers import solve
from ..solvers.backprojection import backproject
from ..solvers.blind import blind

DOCS = Path(__file__).resolve().parents[2] / "docs"
SEED = 0


def _scores(xhat: torch.Tensor, x: torch.Tensor, sec: float) -> dict:
    ps = psnr_each(xhat, x)
    ss = [ssim(xhat[i], x[i]) for i in range(x.shape[0])]
    lp = [lpips_distance(xhat[i], x[i]) for i in range(x.shape[0])]
    return dict(psnr=ps, ssim=ss, lpips=None if lp[0] is None else lp, sec=sec)


def data_fit(prob, xhat: torch.Tensor) -> list[float]:
    """‖A x̂ − y‖² / (σ² m) per image (``Problem.noise_energy``): ≈ 1 at the true image, < 1 when x̂ fits
    part of the noise."""
    with torch.no_grad():
        res = (prob.physics.A(xhat) - prob.y).pow(2).flatten(1).sum(1)
    return (res / prob.noise_energy()).tolist()


# Iterations that let a classical baseline converge in the report (the app keeps the configs' lighter defaults,
# which it animates). TV's 300 stop early at small λ: on 20 validation digits, CS m = 200, λ = 0.01 reads 22.3 dB
# after 300 Chambolle–Pock iterations and 26.1 after 3000; uniform 9×9 deblurring, λ = 0.001, 17.8 → 18.8 dB.
CONVERGED = {"tv": {"iters": 3000}}


def converged(method: str, overrides: dict | None) -> dict | None:
    """``overrides`` with the report's iteration count for a classical baseline (an explicit one wins)."""
    extra = CONVERGED.get(method)
    return overrides if extra is None else {**extra, **(overrides or {})}


def run(x: torch.Tensor, operator: str, params: dict, noise: float, method: str, prior=None, overrides=None,
        bp_eta: float | None = None):
    """One method on a batch of images (B, C, H, W); returns per-image metrics and seconds per image, and
    for noisy y the data fit of each estimate (``fit``, :func:`data_fit`).

    With ``bp_eta`` it returns (method, method + back-projection): the back-projection is applied to the
    same final estimate (as ``csgm-bp`` / ``iagan-bp`` do) instead of solving twice; its time includes
    the method's."""
    prob = make_problem(x, operator, params, noise, SEED)
    t = time.perf_counter()
    final = solve(method_stream(prob, method, prior, converged(method, overrides)))
    sec = (time.perf_counter() - t) / x.shape[0]
    r = _scores(final.x, x, sec)
    if noise > 0:
        r["fit"] = data_fit(prob, final.x)
    if bp_eta is None:
        return r
    t = time.perf_counter()
    xb = backproject(final.x, prob.y, prob.physics, bp_eta)
    return r, _scores(xb, x, sec + (time.perf_counter() - t) / x.shape[0])


def tune_bp(x_val, operator, params, noise, method, prior, overrides=None, grid=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)) -> float:
    """Back-projection's η for a noisy problem, chosen on the validation digits (ours: the paper uses the exact
    A† and skips back-projection when y is noisy):
    the method runs once, each η back-projects the same estimate. 0 (exact A†) when σ = 0."""
    if noise == 0:
        return 0.0
    prob = make_problem(x_val, operator, params, noise, SEED)
    xhat = solve(method_stream(prob, method, prior, overrides)).x
    return max(grid, key=lambda eta: float(np.mean(psnr_each(backproject(xhat, prob.y, prob.physics, eta), x_val))))


def grid_scores(x_val, operator, params, noise, method, key, grid, prior=None, overrides=None) -> dict:
    """Mean validation PSNR of ``method`` for each value of setting ``key`` in ``grid`` (in grid order)."""
    return {v: float(np.mean(run(x_val, operator, params, noise, method, prior, {**(overrides or {}), key: v})["psnr"]))
            for v in grid}


N_VAL_BASELINES = 20  # validation digits (MNIST test 9000–9019) for the classical baselines' weights
LOG_GRID = (-4, 0)  # decades of the default weight grid: 10^-4 … 10^0, widened while the best is on an edge,
# then the best decade's half-decade neighbours
GRID_TEXT = (f"a decade grid 10^{LOG_GRID[0]}…10^{LOG_GRID[1]} (widened off an edge), then the best decade's two "
             "half-decade neighbours")


def search_weight(score, method: str, key: str) -> tuple[float, dict, bool]:
    """The report's search for one weight: ``score(v)`` (mean validation PSNR) over GRID_TEXT's grid, never past
    the setting's maximum. Returns (best, {value: score}, best still on an edge)."""
    from .duff_study import knob_cap, tune_log

    return tune_log(score, *LOG_GRID, widen=2, cap=knob_cap(method, key), halves=True)


def tune(x_val, operator, params, noise, method, key, grid=None, prior=None, scores_out: dict | None = None,
         fixed: dict | None = None):
    """``{key: best}`` on the validation images: from ``grid``, or (None) a decade grid over ≥ 4 decades
    widened off its edges and refined by half decades around its best (duff_study.tune_log); ``fixed``: the
    method's other settings. The choice and every grid point are printed (and, with ``scores_out``, stored
    there: value → mean validation PSNR, for the report's table)."""
    if grid is None:
        best, scores, edge = search_weight(
            lambda v: float(np.mean(run(x_val, operator, params, noise, method, prior, {**(fixed or {}), key: v})["psnr"])),
            method, key)
    else:
        scores = grid_scores(x_val, operator, params, noise, method, key, grid, prior, fixed)
        best, edge = max(scores, key=scores.get), False
    print(f"  {key} of {method}{f' {fixed}' if fixed else ''} ({operator} {params}, σ = {noise:g}): {best:g}{' (on an edge)' if edge else ''} — "
          + ", ".join(f"{k:g}: {v:.2f}" for k, v in scores.items()), flush=True)
    if scores_out is not None:
        scores_out.update(scores)
    return {**(fixed or {}), key: best}


def summary(r) -> str:
    p, s = np.array(r["psnr"]), np.array(r["ssim"])
    lp = "n/a" if r["lpips"] is None else f"{np.mean(r['lpips']):.3f}"
    return f"{p.mean():.2f} ± {p.std():.2f} | {s.mean():.3f} ± {s.std():.3f} | {lp} | {r['sec']:.3f}"


MARK = "<!-- everything below this line is hand-written and kept when bench-quality rewrites the file -->"
ORDER = ("cs", "sr", "deblur", "shapes", "pgd", "iagan", "iagan-noise", "iagan-fonts", "generators", "duff-deconv", "duff-tomo", "duff-shapes+",
         "duff-noise", "blind", "bss", "uair")


class Report:
    """docs/RESULTS.md, rewritten section by section: a run of some experiments keeps the others'
    sections (each says its own n and date) and the hand-written discussion below ``MARK``."""

    def __init__(self, path: Path, n: int, markdown: bool = True):
        self.path, self.n, self.markdown = path, n, markdown
        self.dir = path.parent  # figures go beside the report
        self.store_path = path.parent / "results.json"
        self.sections: dict = {}  # read from the store under the lock at each add
        self.raw: dict = {}
        self.discussion = ""  # read from the file at each write

    def add(self, key: str, text: str, raw=None, n: int | None = None):
        title, _, rest = text.lstrip("\n").partition("\n")  # the stamp goes under the section's title
        th = torch.get_num_threads()
        stamp = f"_{n or self.n} test images, run {time.strftime('%Y-%m-%d')}, seed {SEED}, {th} torch thread{'s' * (th > 1)}._"
        with open(self.store_path.with_suffix(".lock"), "w") as lock:  # several runs may share docs/
            fcntl.flock(lock, fcntl.LOCK_EX)
            store = json.loads(self.store_path.read_text()) if self.store_path.exists() else {}
            self.sections, self.raw = store.get("sections", {}), store.get("raw", {})  # the others' latest
            self.sections[key] = f"\n{title}\n\n{stamp}\n{rest}"
            if raw is not None:
                self.raw[key] = raw
            self.write()
        print("\n".join(text.rstrip("\n").split("\n")[-2:]), flush=True)  # the newest rows

    def write(self):
        if not self.markdown:  # a shard: its store only; `bench-quality-merge` writes RESULTS.md
            self.store_path.write_text(json.dumps(dict(sections=self.sections, raw=self.raw), indent=1))
            return
        old = self.path.read_text() if self.path.exists() else ""
        if MARK in old:  # keep the latest hand-written part (it may be edited while a run goes on)
            self.discussion = old.split(MARK, 1)[1]
        head = ("# Quality results\n\nRegenerate with `python -m genprior_demo bench-quality --data-root <MNIST root> "
                "--n 50 [--experiments cs,sr,...]` (seed 0 for operators, noise and restarts). Test images: the first n "
                f"MNIST test digits (held out from training), Shapes seed {SHAPES_TEST_SEED}. PSNR/SSIM mean ± std over "
                "the images; seconds = wall time per image on this 2-core CPU (methods that batch images share a "
                "batch). LPIPS is n/a where its AlexNet weights cannot be loaded (offline).\n")
        body = "\n".join(self.sections[k] for k in sorted(self.sections, key=lambda k: ORDER.index(k) if k in ORDER else 99))
        self.path.write_text(head + body + "\n" + MARK + (self.discussion or "\n"))
        self.store_path.write_text(json.dumps(dict(sections=self.sections, raw=self.raw), indent=1))


TABLE = "| method | PSNR (dB) | SSIM | LPIPS | s / image |\n|---|---|---|---|---|"


ETA_GRID = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # absolute η, log-spaced; ≈ 1/β for a near-isometric A
DECAY_GRID = (1.0, 0.3, 0.1, 0.03)  # PGD-GAN's inner learning rate at the last outer iteration, relative to the first
INNER_GRID = (30, 60, 120)  # PGD-GAN's Adam steps per projection
TIE_DB = 0.05  # validation scores closer than this are a tie: the cheapest setting is kept
ETA_GRID_WIDE = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)  # box SR ×2 has AAᵀ = I/4 (β ≈ 1/4): the best η sits near 4


def tune_eta(x_val, operator, params, noise, method, prior, grid=ETA_GRID, overrides=None) -> tuple[float, dict]:
    """η of PGD-GAN / NPGD chosen on the validation digits (mean PSNR) from a log grid; returns the choice
    and every grid point's mean PSNR (printed in the report, so an edge choice is visible)."""
    scores = grid_scores(x_val, operator, params, noise, method, "eta", grid, prior, overrides)
    best = max(scores, key=scores.get)
    print(f"  η for {method} ({prior.name}, {operator}): {best} — " + ", ".join(f"{k}: {v:.2f}" for k, v in scores.items()),
          flush=True)
    return best, scores


def convergence(x, operator, params, noise, method, prior, overrides) -> list[tuple[int, float, float]]:
    """(iteration, compute seconds, mean PSNR) after every iteration, one batched run on ``x``."""
    prob = make_problem(x, operator, params, noise, SEED)
    out = []
    for step in method_stream(prob, method, prior, {**overrides, "every": 1}):
        out.append((step.iteration, step.elapsed / x.shape[0], float(np.mean(psnr_each(step.x, x)))))
    return out


def _plot_convergence(curves: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=110)
    for label, pts in curves.items():
        it, sec, p = zip(*pts)
        axes[0].plot(it, p, label=label, lw=1.5)
        axes[1].plot(sec, p, label=label, lw=1.5)
    axes[0].set_xlabel("iteration")
    axes[1].set_xlabel("compute seconds per image (log)")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel("PSNR (dB)")
        ax.grid(True, alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def exp_pgd(x, x_val, rep: Report, n_curve: int = 10):
    """Shah & Hegde's PGD-GAN vs Raj et al.'s NPGD, CSGM beside them; η chosen on the validation digits."""
    gan, vae = load_prior("mnist-dcgan"), load_prior("mnist-vae")
    cs = ("cs-gaussian", {"m": 200}, 0.05)
    lines = ["\n## 5. PGD-GAN vs NPGD (compressed sensing, m = 200, σ = 0.05)\n",
             f"η (absolute) chosen per method and generator on the 10 validation digits from {ETA_GRID}, then PGD-GAN's "
             f"inner-rate decay from {DECAY_GRID} at that η, then its Adam steps per projection from {INNER_GRID} (the fewest "
             f"within {TIE_DB} dB of the best; mean validation PSNR for every value in the last column). CSGM: 8 restarts × 300 steps. PGD-GAN: 4 restarts as "
             "a batch, the best by data loss kept after the first projection, 30 outer iterations.\n",
             "| method | PSNR (dB) | SSIM | LPIPS | s / image | η: validation PSNR (dB) |\n|---|---|---|---|---|---|"]
    raw, curves, chosen = {}, {}, {}
    for prior in (gan, vae):
        r = run(x, *cs, "csgm", prior)
        lines.append(f"| CSGM ({prior.name}) | {summary(r)} | |")
        raw[f"csgm ({prior.name})"] = r["psnr"]
        for m in ("pgd-gan", "npgd"):
            eta, scores = tune_eta(x_val, *cs, m, prior)
            chosen[(m, prior.name)] = eta
            over, label = {"eta": eta}, f"η = {eta:g}"
            grid = ", ".join(f"{k:g}: {v:.1f}" for k, v in scores.items())
            if m == "pgd-gan":  # then the inner rate's decay and the Adam steps per projection, each at the values before
                for key, values, name, tag, cheapest in (("inner_lr_decay", DECAY_GRID, "decay", "decay {:g}", False),
                                                         ("inner_iters", INNER_GRID, "inner steps", "{} inner steps", True)):
                    sc = grid_scores(x_val, *cs, m, key, values, prior, dict(over))
                    top = max(sc.values())
                    v = min(k for k, p in sc.items() if p >= top - TIE_DB) if cheapest else max(sc, key=sc.get)
                    print(f"  {key} for pgd-gan ({prior.name}, {label}): {v:g} — "
                          + ", ".join(f"{k:g}: {p:.2f}" for k, p in sc.items()), flush=True)
                    over[key], label = v, label + ", " + tag.format(v)
                    grid += f"; {name} " + ", ".join(f"{k:g}: {p:.1f}" for k, p in sc.items())
            r = run(x, *cs, m, prior, over)
            lines.append(f"| {m} ({prior.name}) [{label}] | {summary(r)} | {grid} |")
            raw[f"{m} ({prior.name})"] = r["psnr"]
            curves[f"{m} ({prior.name}), {label}"] = convergence(x[:n_curve], *cs, m, prior, over)
    _plot_convergence(curves, rep.dir / "pgd_convergence.png")
    lines.append(f"\n![PSNR vs iteration and vs seconds](pgd_convergence.png)\n\n_Curves: mean PSNR over the first "
                 f"{n_curve} test digits, one batched run each._\n")
    # NPGD on the other problems of the slides: super-resolution ×2 and inpainting, beside CSGM and the naive inverse
    lines += ["\n### NPGD on super-resolution ×2 and inpainting (σ = 0.01)\n", TABLE]
    for op, params in (("sr", {"factor": 2}), ("remove-pixel", {"p": 0.7})):
        for prior in (gan, vae):
            eta, _ = tune_eta(x_val, op, params, 0.01, "npgd", prior, ETA_GRID_WIDE)
            r = run(x, op, params, 0.01, "npgd", prior, {"eta": eta})
            lines.append(f"| {op}: npgd ({prior.name}) [η = {eta:g} from {ETA_GRID_WIDE}] | {summary(r)} |")
            r = run(x, op, params, 0.01, "csgm", prior)
            lines.append(f"| {op}: CSGM ({prior.name}) | {summary(r)} |")
        r = run(x, op, params, 0.01, "naive" if op == "sr" else "biharmonic")
        lines.append(f"| {op}: {'bicubic' if op == 'sr' else 'biharmonic'} | {summary(r)} |")
    rep.add("pgd", "\n".join(lines) + "\n", raw)
    return chosen


def exp_cs(x, x_val, rep: Report, ms=(25, 50, 100, 150, 200, 300, 500)):
    gan, vae = load_prior("mnist-dcgan"), load_prior("mnist-vae")
    methods = [("CSGM (VAE)", "csgm", vae), ("CSGM (GAN)", "csgm", gan), ("relaxed (VAE)", "relaxed", vae),
               ("sparse (VAE)", "sparse", vae), ("IAGAN (GAN)", "iagan", gan), ("NPGD (GAN)", "npgd", gan),
               ("TV", "tv", None), ("Tikhonov", "tikhonov", None)]
    res: dict = {name: {} for name, _, _ in methods}
    for m in ms:
        for name, meth, prior in methods:
            ov = None
            if meth == "tv":
                ov = tune(x_val, "cs-gaussian", {"m": m}, 0.05, "tv", "lam")
            elif meth == "tikhonov":
                ov = tune(x_val, "cs-gaussian", {"m": m}, 0.05, "tikhonov", "alpha")
            res[name][m] = run(x, "cs-gaussian", {"m": m}, 0.05, meth, prior, ov)
            if ov:
                res[name][m]["weight"] = ov
        lines = ["\n## 1. Compressed sensing, Gaussian A, σ = 0.05\n"]
        head = "| method | " + " | ".join(f"m={k}" for k in res[methods[0][0]]) + " |\n|---|" + "---|" * len(res[methods[0][0]])
        for title, cell in (("PSNR (dB), mean ± std over images", lambda v: f"{np.mean(v['psnr']):.2f} ± {np.std(v['psnr']):.2f}"),
                            ("SSIM, mean", lambda v: f"{np.mean(v['ssim']):.3f}"),
                            ("seconds per image", lambda v: f"{v['sec']:.2f}")):
            lines += [f"\n{title}\n", head]
            lines += [f"| {name} | " + " | ".join(cell(v) for v in d.values()) + " |" for name, d in res.items()]
        lines += [f"\nWeights chosen on the {len(x_val)} validation digits ({GRID_TEXT}; TV runs {CONVERGED['tv']['iters']} "
                  f"iterations here, the app's default {TVConfig().iters} stops early at small λ)\n", head]
        lines += [f"| {name} | " + " | ".join(", ".join(f"{k} = {w:.3g}" for k, w in v["weight"].items()) for v in d.values()) + " |"
                  for name, d in res.items() if all("weight" in v for v in d.values())]
        lines.append("\n![PSNR vs m](cs_psnr_vs_m.png)\n")
        _plot(res, rep.dir / "cs_psnr_vs_m.png")
        rep.add("cs", "\n".join(lines), {n: {k: dict(psnr=v["psnr"], sec=v["sec"]) for k, v in d.items()} for n, d in res.items()})


def _plot(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, d in res.items():
        ks = sorted(d)
        ax.plot(ks, [np.mean(d[k]["psnr"]) for k in ks], "o-", label=name)
    ax.set_xscale("log")
    ks = sorted({k for d in res.values() for k in d})
    ax.set_xticks(ks, [str(k) for k in ks], minor=False)
    ax.set_xticks([], minor=True)
    ax.set_xlabel("measurements m")
    ax.set_ylabel("PSNR (dB)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def exp_sr(x, x_val, rep: Report):
    gan, vae = load_prior("mnist-dcgan"), load_prior("mnist-vae")
    lines = ["\n## 2. Super-resolution (box filter), MNIST test digits\n",
             "Back-projection: exact A† for σ = 0; for σ > 0, η of Aᵀ(AAᵀ + ηI)⁻¹ chosen per row on the 10 "
             "validation digits from {0.01, 0.03, …, 10} (shown in brackets; large η ≈ no back-projection).\n"]
    for factor in (2, 4):
        for noise in (0.0, 10 / 255):
            lines.append(f"\n### ×{factor}, σ = {noise:.3f}\n\n" + TABLE)
            for name, meth in (("bicubic", "naive"), ("DIP", "dip")):
                lines.append(f"| {name} | {summary(run(x, 'sr', {'factor': factor}, noise, meth))} |")
            for pr in (gan, vae):
                for name, meth in (("CSGM", "csgm"), ("IAGAN", "iagan")):
                    ov = {"lr_theta": 1e-4} if (meth == "iagan" and pr is vae) else None
                    eta = tune_bp(x_val, "sr", {"factor": factor}, noise, meth, pr, ov)  # regularises AAᵀ against noise
                    r, rb = run(x, "sr", {"factor": factor}, noise, meth, pr, ov, bp_eta=eta)
                    tag = f" [η = {eta:g}]" if noise > 0 else ""
                    lines += [f"| {name} ({pr.name}) | {summary(r)} |", f"| {name}-BP{tag} ({pr.name}) | {summary(rb)} |"]
                rep.add("sr", "\n".join(lines))


def exp_deblur(x, x_val, rep: Report):
    gan = load_prior("mnist-dcgan")
    noise = 10 / 255
    grid: dict = {}
    lam = tune(x_val, "uniform-blur", {"size": 9}, noise, "tv", "lam", scores_out=grid)
    on_val = ", ".join(f"{k:.3g}: {v:.1f}" for k, v in grid.items())
    wiener = {}  # Wiener's b for each regulariser R on the validation digits; the better pair is the row's
    for reg in ("identity", "laplacian"):
        scores: dict = {}
        wiener[reg] = (tune(x_val, "uniform-blur", {"size": 9}, noise, "wiener", "balance", scores_out=scores,
                            fixed={"reg": reg}), max(scores.values()))
    w_ov, _ = max(wiener.values(), key=lambda t: t[1])
    w_label = ("Wiener [R = {reg}, b = {balance:.3g}".format(**w_ov) + f" chosen on the {len(x_val)} validation digits over "
               + " and ".join(f"R = {r} (best {v:.1f} dB)" for r, (_, v) in wiener.items()) + "]")
    rows = [("blurred input y", "naive-blur", None, None), ("Wiener, b from σ (the app's default)", "wiener", None, None),
            (w_label, "wiener", None, w_ov),
            (f"TV [{CONVERGED['tv']['iters']} iterations, λ = {lam['lam']:.3g} chosen on the {len(x_val)} validation digits; their PSNR: {on_val}]",
             "tv", None, lam),
            ("DIP", "dip", None, None), ("CSGM (GAN)", "csgm", gan, None), ("IAGAN (GAN)", "iagan", gan, None),
            ("IAGAN (GAN), discrepancy stop τ = 1", "iagan", gan, {"discrepancy": 1.0})]
    lines = ["\n## 3. Deblurring, uniform 9×9, σ = 10/255\n\n" + TABLE]
    for name, meth, pr, ov in rows:
        if meth == "naive-blur":
            prob = make_problem(x, "uniform-blur", {"size": 9}, noise, SEED)
            r = dict(psnr=psnr_each(prob.y, x), ssim=[ssim(prob.y[i], x[i]) for i in range(len(x))],
                     lpips=None, sec=0.0)
        else:
            r = run(x, "uniform-blur", {"size": 9}, noise, meth, pr, ov)
        lines.append(f"| {name} | {summary(r)} |")
        rep.add("deblur", "\n".join(lines))


BLIND_OPERATORS = (("Gaussian blur 11×11, σ = 2.5", "gaussian-blur", {"size": 11, "sigma": 2.5}),
                   ("motion blur 9 px at 30°", "motion-blur", {"length": 9, "angle": 30.0}),
                   ("Sobel edge map", "edge-sobel", {}))
ALPHA_DECADES = (-5, -1)  # α on the per-pixel L1 term: 1e-5 … 0.1, widened (at most 2 decades) while the best is on an edge


def right_sizes(x_val, steps: int = 1000, lr: float = 1e-3, good: float = 0.05) -> tuple[dict, dict]:
    """The F̂ layer size each hidden operator needs: the smallest k whose fit to the *clean* validation digits
    (``steps`` Adam steps on ‖F̂(x) − y‖₁, no generator involved) reaches an impulse-response error ≤ ``good``.
    Returns ({op: k}, {op: {k: error}})."""
    from ..problem import make_blind_problem
    from ..solvers.blind import SUPPORT_SIZES, SurrogateConv
    from .unknown_models import surrogate_error

    sizes, errors = {}, {}
    for _, op, params in BLIND_OPERATORS:
        prob = make_blind_problem(x_val, op, params, 0.0, SEED + 100)
        errors[op] = {}
        for k in SUPPORT_SIZES:
            f = seeded_module(lambda: SurrogateConv(x_val.shape[1], 16, k), seeded(SEED), x_val.device)
            opt = torch.optim.Adam(f.parameters(), lr)
            for _ in range(steps):
                opt.zero_grad(set_to_none=True)
                (f(x_val) - prob.y).abs().flatten(1).mean(1).sum().backward()
                opt.step()
            errors[op][k] = surrogate_error(f, prob.hidden, x_val)[0]
        sizes[op] = next((k for k in SUPPORT_SIZES if errors[op][k] <= good), SUPPORT_SIZES[-1])
    return sizes, errors


EPS_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
TAU_GRID = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def validation_sets(x_tau, n: int = 16) -> dict:
    """{op: [problem per set]}: ``x_tau`` cut into sets of ``n`` digits, each set observed through each hidden
    operator — what the support rule and the spectral start are tuned on."""
    from ..problem import make_blind_problem

    sets = x_tau.shape[0] // n
    return {op: [make_blind_problem(x_tau[i * n:(i + 1) * n], op, params, 0.0, SEED + 100 + i) for i in range(sets)]
            for _, op, params in BLIND_OPERATORS}


def tune_support(val: dict, px, right: dict):
    """(ε, τ) of :func:`support_profile` / :func:`choose_support`: for each pair, how often the size chosen
    on the validation sets ``val`` (:func:`validation_sets`; ``px`` the generator's mean spectrum) is the
    operator's ``right`` size (:func:`right_sizes`). Returns ((ε, τ) with the most hits, {(ε, τ): {op: hits}})."""
    from ..solvers.blind import choose_support, support_profile

    hits = {}
    for eps in EPS_GRID:
        profiles = {op: [support_profile(p.y, None, eps=eps, px=px) for p in probs] for op, probs in val.items()}
        for t in TAU_GRID:
            hits[(eps, t)] = {op: sum(choose_support(p, t)[0] == right[op] for p in ps) for op, ps in profiles.items()}
    return max(hits, key=lambda et: sum(hits[et].values())), hits


INIT_EPS_GRID = (1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0)  # ε of the spectral start, 5 decades


def tune_init_eps(val: dict, px, right: dict):
    """ε of :func:`spectral_kernel`, the spectral start of F̂: the value whose zero-phase estimate, cut to the
    operator's ``right`` size, is nearest the true kernel (relative error, mean over the validation sets ``val``
    of the operators it applies to: those whose estimated |k̂(0)|/max|k̂| has its median ≥ LOWPASS at every ε —
    the blurs). Returns (ε, {ε: {op: mean error}}, {op: (min, max) of |k̂(0)|/max|k̂| over the sets} at that ε)."""
    from ..solvers.blind import LOWPASS, impulse_response, spectral_kernel

    errors, ratios = {}, {}
    for op, probs in val.items():
        C, H = probs[0].y.shape[1], probs[0].y.shape[-1]
        true = impulse_response(probs[0].hidden.A, C, H)[0].mean(0)
        for eps in INIT_EPS_GRID:
            est = [spectral_kernel(p.y, px, eps, right[op]) for p in probs]
            errors.setdefault(eps, {})[op] = float(np.mean([float((k - true).norm() / true.norm()) for k, _ in est]))
            ratios.setdefault(eps, {})[op] = [r for _, r in est]
    blurs = [op for op in val if all(np.median(ratios[e][op]) >= LOWPASS for e in INIT_EPS_GRID)]
    if not blurs:
        raise RuntimeError("no hidden operator's spectrum peaks at 0: nothing to tune the spectral start on")
    eps = min(INIT_EPS_GRID, key=lambda e: np.mean([errors[e][op] for op in blurs]))
    return eps, errors, {op: (float(min(r)), float(max(r))) for op, r in ratios[eps].items()}


BLIND_SET = 16  # digits per unknown operator (the paper's N); bench-quality --n 64 runs four sets


def exp_blind(x, rep: Report, x_val=None, n: int = BLIND_SET, groups: int = 1, x_tau=None):
    """Anirudh et al. Table 1 setting scaled to 32×32: ``groups`` sets of N = ``n`` test digits, each set
    observed through one unknown operator (the blind method fits one F̂ per set). F̂'s support chosen
    from the observations and F̂ started at the spectrum's zero-phase kernel estimate (the default); the
    paper's random start, fixed 5×5 layers and F̂ rate, the α ablation and the surrogate's error for N = 8
    beside it. α tuned on 8 validation digits (MNIST test 9000–9007), the support rule's (ε, τ) and the
    spectral start's ε on 62 sets of 16 (9000–9991)."""
    import dataclasses

    from ..config import BlindConfig
    from ..problem import make_blind_problem
    from .unknown_models import blind_baselines, surrogate_error

    gan = load_prior("mnist-dcgan")
    groups = max(1, min(groups, x.shape[0] // n))  # as many sets of n as the test digits fill
    n = min(n, x.shape[0] // groups)
    x_val = x[:8] if x_val is None else x_val
    x_tau = x_val if x_tau is None else x_tau
    right, right_err = right_sizes(x_val)
    print("blind: F̂ fitted to clean validation digits, kernel error per k: " + "; ".join(
        f"{op} " + ", ".join(f"{k}: {e:.3f}" for k, e in errs.items()) for op, errs in right_err.items()) + f" → right sizes {right}", flush=True)
    from ..solvers.blind import prior_spectrum

    val_sets, px = validation_sets(x_tau, n=min(16, x_tau.shape[0])), prior_spectrum(gan, SEED)
    tau_sets = len(val_sets[BLIND_OPERATORS[0][1]])
    (eps, tau), tau_hits = tune_support(val_sets, px, right)
    print(f"blind: (ε, τ) on {tau_sets} validation sets: right sizes (of {3 * tau_sets}) " + ", ".join(
        f"{e:g}/{t:g}: {sum(h.values())}" for (e, t), h in tau_hits.items()) + f" → ε = {eps:g}, τ = {tau:g}", flush=True)
    init_eps, init_err, lowpass = tune_init_eps(val_sets, px, right)
    print("blind: spectral start, kernel error per ε: " + "; ".join(f"{e:g}: " + ", ".join(f"{op} {v:.3f}" for op, v in es.items())
                                                                 for e, es in init_err.items()) + f" → ε = {init_eps:g}", flush=True)
    base = BlindConfig(seed=SEED, support_tau=tau, support_eps=eps, init_eps=init_eps)
    val = make_blind_problem(x_val, "gaussian-blur", {"size": 11, "sigma": 2.5}, 0.0, SEED + 100)
    cheap = dataclasses.replace(base, auto_support=False, ksize=7, restarts=1)  # the grid's cost: one start, k = 7
    from .duff_study import tune_log

    alpha, grid, alpha_edge = tune_log(lambda a: float(np.mean(psnr_each(solve(blind(val, gan, dataclasses.replace(cheap, alpha=a))).x, x_val))),
                              *ALPHA_DECADES, widen=2)
    print(f"blind: α validation PSNR (Gaussian blur, {len(x_val)} digits) " + ", ".join(f"{k:g}: {v:.2f}" for k, v in grid.items())
          + f" → α = {alpha:g}{' (on the widened grid’s edge)' if alpha_edge else ''}", flush=True)
    cfg = dataclasses.replace(base, alpha=alpha)
    tau_table = ["| ε \\ τ | " + " | ".join(f"{t:g}" for t in TAU_GRID) + " |", "|---" * (len(TAU_GRID) + 1) + "|"]
    for e in EPS_GRID:
        tau_table.append(f"| {e:g} | " + " | ".join(
            ("**" if (e, t) == (eps, tau) else "") + f"{sum(tau_hits[(e, t)].values())} (" + "/".join(str(tau_hits[(e, t)][op]) for _, op, _ in BLIND_OPERATORS) + ")"
            + ("**" if (e, t) == (eps, tau) else "") for t in TAU_GRID) + " |")
    lines = [f"\n## Blind inversion (Anirudh et al.), {groups} sets of N = {n} test digits, one unknown operator per set, σ = 0\n",
             f"Surrogate F̂: two linear conv layers (16 filters), T = {cfg.rounds} rounds of T1 = T2 = 50 Adam steps, "
             f"lr(F̂) = {cfg.lr_f:g} (paper 4e-3), lr(z) = {cfg.lr_z:g}, {cfg.restarts} latent restarts per digit (a batch). Data term: L1 per pixel "
             f"(mean), α = {alpha:g} chosen on {len(x_val)} validation "
             f"digits (Gaussian blur; one start, k = 7, for the grid's cost) from decades 1e{ALPHA_DECADES[0]} … 1e{ALPHA_DECADES[1]}, widened (at most 2 decades) "
             f"while the best is on an edge{' — it still is: smaller α is better, the realism term does not help here' if alpha_edge else ''} (validation PSNR: " + ", ".join(f"{k:g}: {v:.2f}" for k, v in grid.items())
             + "). F̂'s layer size k ∈ {3, 5, 7, 9} chosen from the observations before the first round: the hidden kernel's "
             "autocorrelation is estimated as IFFT(mean|ŷ|² / (E|Ĝ(z)|² + ε max E|Ĝ(z)|²)) (1024 prior draws), and k − 1 must cover the last lag where it "
             f"exceeds τ. (ε, τ) = ({eps:g}, {tau:g}) chosen on {tau_sets} validation sets of 16 digits (MNIST test 9000–{9000 + 16 * tau_sets - 1}) as the pair that most often "
             f"picks each operator's right size: the smallest F̂ that, fitted to the {len(x_val)} clean validation digits themselves "
             "(1000 Adam steps, lr 1e-3), reaches kernel error ≤ 0.05 (" + "; ".join(
                 f"{op}: " + ", ".join(f"k={k} {e:.3f}" for k, e in errs.items()) + f" → k = {right[op]}" for op, errs in right_err.items())
             + "). Right sizes out of " + f"{3 * tau_sets}" + " (Gaussian / motion / Sobel, of " + f"{tau_sets}" + " each):\n",
             *tau_table, "",
             "F̂ then starts (ours; the paper starts at random weights) at the zero-phase kernel the same spectrum ratio gives, "
             "IFFT(√(mean|ŷ|² / (E|Ĝ(z)|² + ε max))) cut to F̂'s support, its weights fitted to that impulse response (1000 Adam steps) — "
             "when the estimated |k̂| peaks at 0 (|k̂(0)|/max|k̂| ≥ 0.25), as every non-negative kernel's does; otherwise (an edge map) "
             f"at random weights. |k̂(0)|/max|k̂| on the validation sets at the chosen ε: " + ", ".join(f"{op} {lo:.2f}–{hi:.2f}" for op, (lo, hi) in lowpass.items())
             + f". Its ε = {init_eps:g} chosen on the same {tau_sets} validation sets as the value whose estimate, cut to the right size, is nearest the "
             "true blur kernels (relative error, mean over sets):\n",
             "| ε | " + " | ".join(op for _, op, _ in BLIND_OPERATORS) + " |", "|---" * (len(BLIND_OPERATORS) + 1) + "|",
             *[f"| {'**' if e == init_eps else ''}{e:g}{'**' if e == init_eps else ''} | " + " | ".join(f"{init_err[e][op]:.3f}" for _, op, _ in BLIND_OPERATORS) + " |"
               for e in init_err], "",
             "PSNR dB mean ± std over all digits; seconds per set. Surrogate error: ‖F̂(δ) − F(δ)‖/‖F(δ)‖ on the impulse "
             "(kernels) and ‖F̂(x) − F(x)‖/‖F(x)‖ on the clean digits, mean over sets.\n",
             "| hidden operator | method | PSNR (dB) | s / set | F̂ error: impulse | F̂ error: digits |", "|---|---|---|---|---|---|"]
    raw = {"alpha_grid": grid, "tau": tau, "eps": eps, "init_eps": init_eps, "init_errors": {f"{e:g}": es for e, es in init_err.items()}, "right_sizes": right, "right_errors": {op: {str(k): e for k, e in es.items()} for op, es in right_err.items()}, "support_hits": {f"{e:g}/{t:g}": h for (e, t), h in tau_hits.items()}}
    for title, op_name, params in BLIND_OPERATORS:
        rows: dict[str, list] = {}

        def add(label, xs, sec, err=None, xs_ref=None):
            r = rows.setdefault(label, [[], [], []])
            r[0] += psnr_each(xs, xs_ref)
            r[1].append(sec)
            if err is not None:
                r[2].append(err)

        chosen = []
        for gi in range(groups):
            xg = x[gi * n:(gi + 1) * n]
            prob = make_blind_problem(xg, op_name, params, 0.0, SEED + gi)
            variants = [("blind, support and F̂'s start from y (ours, default)", cfg)]
            if gi == 0 and op_name != "edge-sobel":  # an edge map starts at random weights anyway
                variants.append(("blind, random F̂ start (paper)", dataclasses.replace(cfg, init="random")))
            if gi == 0 and op_name == "gaussian-blur":  # the ablations, on one operator each (their cost)
                variants += [("blind, paper's 5×5 layers (9×9 support)", dataclasses.replace(cfg, auto_support=False, ksize=5)),
                             ("blind, paper's lr(F̂) = 4e-3", dataclasses.replace(cfg, lr_f=4e-3)),
                             ("blind, α = 0 (no realism term)", dataclasses.replace(cfg, alpha=0.0))]
                if alpha != 1e-4:
                    variants.append(("blind, α = 1e-4 (paper's value)", dataclasses.replace(cfg, alpha=1e-4)))
            if gi == 0 and op_name == "edge-sobel":
                variants.append(("blind, one start per digit (paper)", dataclasses.replace(cfg, restarts=1)))
            for i, (label, c) in enumerate(variants):
                if i and groups > 1:  # the ablations run on the first set only (their cost)
                    label += " — first set only"
                t = time.perf_counter()
                r = solve(blind(prob, gan, c))
                add(label, r.x, time.perf_counter() - t, surrogate_error(r.surrogate, prob.hidden, xg), xg)
                if c is cfg:
                    chosen.append(r.label)
            for label, xs, sec in blind_baselines(prob, gan, SEED):
                add(label, xs, sec, xs_ref=xg)
        p8 = make_blind_problem(x[:8], op_name, params, 0.0, SEED)
        t = time.perf_counter()
        r8 = solve(blind(p8, gan, cfg))
        add("blind, N = 8 observations (first 8 digits)", r8.x, time.perf_counter() - t, surrogate_error(r8.surrogate, p8.hidden, x[:8]), x[:8])
        for label, (ps, secs, errs) in rows.items():
            e = np.array(errs) if errs else None
            lines.append(f"| {title} | {label} | {np.mean(ps):.2f} ± {np.std(ps):.2f} | {np.mean(secs):.1f} | "
                         + (f"{e[:, 0].mean():.3f} | {e[:, 1].mean():.3f} |" if e is not None else "— | — |"))
            print(lines[-1], flush=True)
            raw.setdefault(op_name, {})[label] = {"psnr": ps, "sec": secs, "surrogate_error": errs}
        raw.setdefault(op_name, {})["chosen"] = chosen
        lines.append(f"| {title} | *support chosen* | " + "; ".join(c.split(";")[0].replace("F̂'s support chosen from the observations: ", "")
                                                             for c in chosen) + " | | | |")
        rep.add("blind", "\n".join(lines) + "\n", raw, n=groups * n)


def exp_bss(x, rep: Report, mixtures: int = 10):
    """Anirudh et al. §3.2: 3 digits per mixture, |MᵀX| with M ~ N(−0.5, 0.5²), 1 and 4 observations; the demo's
    method, the paper's loop, and the demo's method with each of its three additions taken away."""
    import dataclasses

    from ..config import BSSConfig
    from ..metrics import matched_psnr
    from ..problem import make_separation_problem
    from ..solvers.blind import AdditiveMix, bss
    from .unknown_models import mixing_error, separation_comparison

    gan = load_prior("mnist-dcgan")
    xs = x[:3 * mixtures].view(mixtures, 3, *x.shape[-2:])
    cfg = BSSConfig(seed=SEED)
    variants = [("the paper's loop (random start, no latent noise, one start)",
                 cfg.papers_loop()),
                ("ours without the start from the observations (random weights)", dataclasses.replace(cfg, init="random")),
                ("ours without the latent noise", dataclasses.replace(cfg, z_noise=0.0)),
                ("ours with one start per mixture", dataclasses.replace(cfg, restarts=1))]
    lines = [f"\n## Source separation (Anirudh et al. §3.2), {mixtures} mixtures of 3 test digits, one unknown M\n",
             "Sources mixed in [−1, 1] as the paper (Y = |Mᵀ(2X − 1)|; until 2026-12-01 they were mixed in [0, 1], "
             "where most mixtures are linear). Per-source PSNR (dB) after matching recovered to true sources (best "
             "permutation per mixture): mean over the three sources and the worst of the three, mean ± std over "
             f"mixtures; T = {cfg.rounds} rounds of {cfg.t1} + {cfg.t2} steps, mixing network {cfg.hidden} ReLU units. "
             f"Ours (the demo's default, since 2026-12-06) adds three things to the paper's loop: the mixing network starts "
             f"fitted to the observations' pixel statistics ({cfg.init_steps} steps of sliced Wasserstein against mixtures "
             f"of prior draws), the latents get Gaussian noise annealed from σ = {cfg.z_noise:g} to 0 over the first half "
             f"of the rounds (σ chosen on 8 validation mixtures, `probe_validation.py bss-search`), and {cfg.restarts} latent "
             "restarts per mixture share the one mixing network (each mixture keeps its restart with the least data loss). "
             f"The paper's loop row keeps what we changed before: lr(z) = {cfg.lr_z:g} (paper 3e-4, for their GAN), the L1 "
             f"term as a per-pixel mean, T = {cfg.rounds} (paper 100), the mixing network read as pixel-wise. The additive "
             "model gets the same latent noise (one start). "
             "Mixing error: ‖M̂(X) − Y‖ / ‖Y‖ on the true sources X (in the order M̂ learnt them) — how well the "
             "recovered mixing reproduces the true one (0 = exact).\n",
             "| observations | method | PSNR (dB), mean of sources | worst source (dB) | mixing error | seconds (all mixtures) |",
             "|---|---|---|---|---|---|"]
    raw = {}
    for n_obs in (1, 4):
        prob = make_separation_problem(xs, n_obs, SEED)
        r1, rows = separation_comparison(prob, gan, cfg)
        mixers = {rows[0][0]: r1.surrogate, "additive model Σ G(zᵢ)": AdditiveMix(n_obs)}
        for k, (label, vcfg) in enumerate(variants):
            t = time.perf_counter()
            rv = solve(bss(prob, gan, vcfg))
            rows.insert(1 + k, (label, rv.x, time.perf_counter() - t, ""))
            mixers[label] = rv.surrogate
        for label, out, sec, note in rows:
            per = [matched_psnr(out[b].cpu(), xs[b].cpu())[0] for b in range(mixtures)]
            mean, worst = np.array([np.mean(v) for v in per]), np.array([np.min(v) for v in per])
            err = f"{mixing_error(mixers[label], prob, out):.3f}" if label in mixers else "—"
            lines.append(f"| {n_obs} | {label}{' (at most O components)' if note else ''} | {mean.mean():.2f} ± {mean.std():.2f} "
                         f"| {worst.mean():.2f} ± {worst.std():.2f} | {err} | {sec:.1f} |")
            raw.setdefault(str(n_obs), {})[label] = {"mean": mean.tolist(), "worst": worst.tolist(), "mixing_error": err}
            print(lines[-1], flush=True)
        rep.add("bss", "\n".join(lines) + "\n", raw, n=3 * mixtures)


def _uair_problems(kind: str, x: torch.Tensor, seed: int):
    """Each image with its own θ, as in training: one masked problem per image (the methods but UAIR
    are told the mask), one blur problem for Convolve-Noise (its θ is the noise)."""
    from ..physics import Mask, make_operator
    from ..physics.corruptions import CORRUPTIONS, corrupt
    from ..problem import Problem

    y, m = corrupt(kind, x, seeded(seed))
    if kind == "convolve-noise":
        op = make_operator(kind, tuple(x.shape[1:]), **CORRUPTIONS[kind].params)
        return [Problem(y, op, op.noise_sigma, seed, x)]
    return [Problem(y[i:i + 1], Mask(tuple(x.shape[1:]), m[i]), 0.0, seed, x[i:i + 1]) for i in range(len(x))]


def _solve_all(probs, method, prior, overrides, limit=None):
    """Estimates for the problems' images (at most ``limit``) and seconds per image."""
    outs, t = [], time.perf_counter()
    for pb in probs:
        done = sum(o.shape[0] for o in outs)
        if limit is not None and done >= limit:
            break
        if limit is not None and pb.y.shape[0] > limit - done:
            pb = pb.subset(limit - done)
        outs.append(pb.y.clamp(0, 1) if method is None else solve(method_stream(pb, method, prior, converged(method, overrides))).x)
    out = torch.cat(outs)
    return out, (time.perf_counter() - t) / out.shape[0]


def exp_uair(x, rep: Report, n_dip: int = 10, x_val=None):
    """Pajot et al. Table 1 on held-out digits: UAIR (amortised, eq. 9) against the corrupted input
    (lower bound), the same network trained on clean pairs by MSE (upper bound) and with the paper's Paired
    Variant's MSE + adversarial loss (their Table 1's comparison), the first version's loss (ablation), and
    iterative methods that are told the operator. TV's λ chosen on validation digits."""
    from ..generators.registry import UAIR_NETWORKS, CheckpointError, load_uair
    from ..physics.corruptions import CORRUPTIONS, colour_digits
    gan = load_prior("mnist-dcgan")
    x_val = x[:10] if x_val is None else x_val
    lines = ["\n## UAIR (Pajot et al.): networks trained from corrupted digits only\n",
             "MSE ×100 (lower is better) mean ± std over the test digits, each corrupted with its own θ (mask, band "
             f"position, noise); DIP on the first {n_dip} only (its cost). Every method but the networks is told the "
             f"operator (mask / kernel). TV's λ chosen per corruption on {len(x_val)} validation digits (their own θ) "
             f"from {GRID_TEXT}; TV runs {CONVERGED['tv']['iters']} iterations. Remove-Pixel-Channel runs on colour digits (each digit tinted "
             "with its own colour): on one channel it *is* Remove-Pixel; CSGM (grey DCGAN) does not apply there.\n",
             "| corruption | method | MSE ×100 | PSNR (dB) | MSE / input's | s / image |", "|---|---|---|---|---|---|"]
    raw, tuned = {}, {}
    for name, kind in UAIR_NETWORKS.items():
        c = CORRUPTIONS[kind]
        xs, xv = (colour_digits(x, seeded(SEED + 7)), colour_digits(x_val, seeded(SEED + 8))) if c.channels == 3 else (x, x_val)
        probs, val = _uair_problems(kind, xs, SEED), _uair_problems(kind, xv, SEED + 100)
        lam, grid, edge = search_weight(lambda v: float(np.mean(psnr_each(_solve_all(val, "tv", None, {"lam": v})[0], xv))),
                                        "tv", "lam")
        tuned[kind] = {"tv_lam": lam, "grid": grid, "on_edge": edge}
        print(f"uair {kind}: TV λ validation PSNR " + ", ".join(f"{k:.3g}: {v:.2f}" for k, v in grid.items())
              + f" → λ = {lam:.3g}{' (on an edge)' if edge else ''}", flush=True)
        methods = [("corrupted input y (lower bound)", None, None, None)]
        for label, net_name in (("UAIR, eq. 9 (ours, the demo's)", name), ("UAIR, image-space loss (ablation)", f"{name}-cycle"),
                                ("same network, supervised on clean pairs (upper bound)", f"{name}-supervised"),
                                ("the paper's Paired Variant: clean pairs, MSE + adversarial (unconditional D, λ untuned)", f"{name}-paired")):
            try:
                net = load_uair(net_name)
                trained = net.meta.get("corruption_params", c.params)
                if trained != c.params:
                    label += f" (trained at {', '.join(f'{k} = {v}' for k, v in trained.items())})"
                methods.append((label, "uair", net, None))
            except (CheckpointError, KeyError):
                print(f"uair {kind}: {label}: no checkpoint {net_name}", flush=True)
        methods.append((f"TV (λ = {lam:.3g})", "tv", None, {"lam": lam}))
        if kind != "convolve-noise":
            methods.append(("biharmonic inpainting", "biharmonic", None, None))
        if c.channels == 1:
            methods.append(("CSGM (mnist-dcgan)", "csgm", gan, None))
        methods.append((f"DIP (first {n_dip})", "dip", None, None))
        base = None
        for label, meth, pr, ov in methods:
            out, sec = _solve_all(probs, meth, pr, ov, limit=n_dip if meth == "dip" else None)
            xx = xs[:out.shape[0]]
            mse = ((out - xx) ** 2).flatten(1).mean(1).cpu().numpy() * 100
            if meth is None:
                base = mse
            ratio = mse.mean() / base[:len(mse)].mean()
            p = np.array(psnr_each(out, xx))
            lines.append(f"| {kind} | {label} | {mse.mean():.3f} ± {mse.std():.3f} | {p.mean():.2f} | {ratio:.2f} | {sec:.4f} |")
            raw.setdefault(kind, {})[label] = {"mse_x100": mse.tolist(), "sec": sec}
            print(lines[-1], flush=True)
    raw["tuned"] = tuned
    rep.add("uair", "\n".join(lines) + "\n", raw)


RUNNERS = {  # experiment → how it runs on the shared inputs (x: test digits, x_val: validation digits)
    "cs": lambda c: exp_cs(c.x, c.x_val_baselines, c.rep), "sr": lambda c: exp_sr(c.x, c.x_val, c.rep),
    "deblur": lambda c: exp_deblur(c.x, c.x_val_baselines, c.rep), "shapes": lambda c: _duff().exp_demo_shapes(c.n, c.rep),
    "pgd": lambda c: exp_pgd(c.x, c.x_val, c.rep), "blind": lambda c: exp_blind(c.x, c.rep, x_val=c.x_val[:8], x_tau=c.x_val_wide, groups=c.n // BLIND_SET),
    "bss": lambda c: exp_bss(c.x, c.rep), "uair": lambda c: exp_uair(c.x, c.rep, x_val=c.x_val_baselines),
    "iagan": lambda c: exp_iagan(c.x, c.x_val, c.rep), "iagan-noise": lambda c: exp_iagan_noise(c.x, c.rep),
    "iagan-fonts": lambda c: exp_iagan_fonts(c.n, c.rep),
    "generators": lambda c: exp_generators(c.rep),
    "duff-deconv": lambda c: _duff().exp_problem("deconvolution", c.n, c.rep),
    "duff-tomo": lambda c: _duff().exp_problem("tomography", c.n, c.rep),
    "duff-shapes+": lambda c: _duff().exp_shapes_plus(c.n, c.rep),
    "duff-noise": lambda c: _duff().exp_noise(c.n, c.rep),
}


def exp_iagan_noise(x, rep: Report, noise: float = 10 / 255):
    """Why IAGAN does not beat CSGM on §6's noisy SR, measured: the data fit of each estimate against the
    noise floor, ‖A x̂ − y‖² / (σ² m), at ×4 (m = 64 measurements, fewer than the latent's k = 100) and
    ×2 (m = 256); IAGAN as the paper runs it (half the steps when y is noisy) and with Morozov's
    discrepancy stop at τ = 1 (ours, as in §3): fine-tuning ends once the residual reaches the noise level."""
    if not noise > 0:
        raise ValueError("iagan-noise measures the fit against the noise: σ must be > 0")
    gan = load_prior("mnist-dcgan")
    k = gan.latent_dim
    lines = [f"\n## 6b. IAGAN on noisy SR (bicubic, σ = {noise:.3f}): is anything left for fine-tuning to fit?\n",
             f"Generator mnist-dcgan (k = {k}). The paper's noisy SR with BEGAN (k = 64, 128×128 colour faces) has "
             "12–48 measurements per latent dimension (3 072 at ×4, 768 at ×8; with PGGAN 24–96); ours has the m/k of "
             "the first column. *fit* = ‖A x̂ − y‖² / (σ² m), "
             "median over the digits: below 1 the estimate already fits part of the noise, so fine-tuning G can "
             "only fit more of it. The discrepancy stop (τ = 1, ours) ends IAGAN's fine-tuning at the noise level.\n",
             "| ×, m (m/k) | method | PSNR (dB) | SSIM | fit (median) | s / image |\n|---|---|---|---|---|---|"]
    raw: dict = {}
    for factor in (4, 2):
        sr = {"factor": factor, "filter": "bicubic"}
        m = make_problem(x[:1], "sr", sr, noise, SEED).physics.measurement_count()
        for label, meth, ov in (("CSGM", "csgm", None), ("IAGAN (paper: half the steps)", "iagan", None),
                                ("IAGAN, discrepancy stop τ = 1 (ours)", "iagan", {"discrepancy": 1.0})):
            r = run(x, "sr", sr, noise, meth, gan, ov)
            p, s_ = np.array(r["psnr"]), np.array(r["ssim"])
            lines.append(f"| ×{factor}, {m} ({m / k:.2f}) | {label} | {p.mean():.2f} ± {p.std():.2f} | "
                         f"{s_.mean():.3f} ± {s_.std():.3f} | {np.median(r['fit']):.2f} | {r['sec']:.3f} |")
            raw[f"x{factor} {label}"] = {"psnr": r["psnr"], "fit": r["fit"]}
            rep.add("iagan-noise", "\n".join(lines) + "\n", raw)


def exp_iagan(x, x_val, rep: Report, ratios=(0.05, 0.1, 0.2, 0.4, 0.6), n_dip: int = 10):
    """The IAGAN experiments the first report lacked (Abu Hussein, Tirer & Giryes 2020): Gaussian CS with
    back-projection (their Fig. 2), subsampled Fourier CS at 30 % / 50 % (Table 1), bicubic SR ×4 (Tables
    2–3), and digits from outside MNIST (their point: image-adaptivity helps where the GAN's range ends).
    Back-projection is the paper's: exact A†, only for noiseless y."""
    gan = load_prior("mnist-dcgan")
    noise = 10 / 255
    lines = ["\n## 6. IAGAN experiments (Abu Hussein, Tirer & Giryes): Gaussian CS with back-projection, Fourier CS, "
             "bicubic SR, digits from outside MNIST\n",
             f"Generator mnist-dcgan. Back-projection (BP) as in the paper: exact A†, noiseless y only. DIP on the first "
             f"{n_dip} digits (its rows say so).\n",
             "\n### Gaussian CS, noiseless (their Fig. 2: MSE vs m/n)\n",
             "| m/n (m) | CSGM | CSGM-BP | IAGAN | IAGAN-BP |\n|---|---|---|---|---|"]
    raw: dict = {"cs": {}}
    for r_ in ratios:
        m = int(round(r_ * 1024))
        c, cb = run(x, "cs-gaussian", {"m": m}, 0.0, "csgm", gan, bp_eta=0.0)
        i, ib = run(x, "cs-gaussian", {"m": m}, 0.0, "iagan", gan, bp_eta=0.0)
        cells = [f"{np.mean(v['psnr']):.2f} dB / MSE {np.mean(10 ** (-np.array(v['psnr']) / 10)):.4f}" for v in (c, cb, i, ib)]
        lines.append(f"| {r_:g} ({m}) | " + " | ".join(cells) + " |")
        raw["cs"][m] = {k: v["psnr"] for k, v in zip(("csgm", "csgm-bp", "iagan", "iagan-bp"), (c, cb, i, ib))}
        rep.add("iagan", "\n".join(lines) + "\n", raw)
    lines += [f"\n### Subsampled Fourier CS, σ = 10/255 (their Table 1; no BP: y is noisy)\n", TABLE]
    for ratio in (0.3, 0.5):
        for name, meth, pr in (("zero-filled IFFT", "naive", None), ("CSGM", "csgm", gan), ("IAGAN", "iagan", gan)):
            r = run(x, "cs-fourier", {"ratio": ratio}, noise, meth, pr)
            lines.append(f"| {ratio:.0%}: {name} | {summary(r)} |")
            raw.setdefault("fourier", {})[f"{ratio} {name}"] = r["psnr"]
        r = run(x[:n_dip], "cs-fourier", {"ratio": ratio}, noise, "dip")
        lines.append(f"| {ratio:.0%}: DIP (first {n_dip}) | {summary(r)} |")
        rep.add("iagan", "\n".join(lines) + "\n", raw)
    for noise_ in (0.0, noise):
        lines += [f"\n### Super-resolution ×4, bicubic filter, σ = {noise_:.3f} (their Table {2 if noise_ == 0 else 3})\n", TABLE]
        sr = {"factor": 4, "filter": "bicubic"}
        lines.append(f"| bicubic upsampling | {summary(run(x, 'sr', sr, noise_, 'naive'))} |")
        lines.append(f"| DIP (first {n_dip}) | {summary(run(x[:n_dip], 'sr', sr, noise_, 'dip'))} |")
        for name, meth in (("CSGM", "csgm"), ("IAGAN", "iagan")):
            if noise_ == 0:
                r, rb = run(x, "sr", sr, noise_, meth, gan, bp_eta=0.0)
                lines += [f"| {name} | {summary(r)} |", f"| {name}-BP | {summary(rb)} |"]
            else:
                lines.append(f"| {name} | {summary(run(x, 'sr', sr, noise_, meth, gan))} |")
        rep.add("iagan", "\n".join(lines) + "\n", raw)
    xo = sklearn_digits(x.shape[0])
    lines += ["\n### Digits from outside MNIST: super-resolution ×2 (box), noiseless\n",
              f"{xo.shape[0]} of scikit-learn's UCI optical digits (8×8 scans of other writers, enlarged to MNIST's 20×20 "
              "ink box: smoother strokes than MNIST's). The paper's claim: IAGAN does not lose to bicubic and beats CSGM. "
              "Sharper digits from outside MNIST: §6c.\n"]
    table_lines, raw["ood"] = ood_sr_table(xo, gan, 2)
    rep.add("iagan", "\n".join(lines + table_lines) + "\n", raw)


def ood_sr_table(xo, gan, factor: int) -> tuple[list[str], dict]:
    """Box SR ×``factor``, noiseless, on digits from outside MNIST: bicubic upsampling, CSGM, IAGAN and both with
    the paper's back-projection (exact A†), and IAGAN's margins. Returns (table lines, per-digit PSNR per row)."""
    sr = {"factor": factor}
    rows = {"bicubic upsampling": run(xo, "sr", sr, 0.0, "naive")}
    rows["CSGM"], rows["CSGM-BP"] = run(xo, "sr", sr, 0.0, "csgm", gan, bp_eta=0.0)
    rows["IAGAN"], rows["IAGAN-BP"] = run(xo, "sr", sr, 0.0, "iagan", gan, bp_eta=0.0)
    d, bic = np.array(rows["IAGAN"]["psnr"]), np.array(rows["bicubic upsampling"]["psnr"])
    lines = [TABLE] + [f"| {name} | {summary(r)} |" for name, r in rows.items()]
    lines.append(f"\nIAGAN − bicubic: {np.mean(d - bic):+.2f} dB (IAGAN ahead on {int(np.sum(d > bic))} of {len(d)} digits); "
                 f"IAGAN − CSGM: {np.mean(d - np.array(rows['CSGM']['psnr'])):+.2f} dB.")
    return lines, {k: v["psnr"] for k, v in rows.items()}


def exp_iagan_fonts(n: int, rep: Report, factors=(2, 4)):
    """IAGAN's out-of-distribution check on sharper digits than §6's UCI scans (report §6c): digits drawn in
    handwriting fonts (data.font_digits, made by scripts/render_font_digits.py), box SR ×2 (the issue's case)
    and ×4, noiseless, with the report's default settings (nothing is tuned on these digits)."""
    from ..data import FONT_DIGITS_GRID, font_digits

    gan = load_prior("mnist-dcgan")
    xo = font_digits(min(n, FONT_DIGITS_GRID[0] * FONT_DIGITS_GRID[1]))
    lines = ["\n## 6c. IAGAN on handwritten digits from outside MNIST: handwriting fonts, super-resolution (box), noiseless\n",
             f"{xo.shape[0]} digits drawn in eleven handwriting fonts packaged by Debian (fonts-bwht, fonts-dkg-handwriting, "
             "fonts-breip, fonts-humor-sans, fonts-klee, fonts-rufscript), each with a random slant, rotation and stroke "
             "weight, in MNIST's preprocessing (`assets/handwriting_font_digits.png`, `scripts/render_font_digits.py`): "
             "strokes as sharp as MNIST's, in other hands. Generator mnist-dcgan; back-projection exact A† (y is "
             "noiseless). The paper's claim (Abu Hussein et al., their out-of-domain faces and the issue's target): "
             "IAGAN does not lose to bicubic upsampling at ×2 and beats CSGM by ≥ 2 dB.\n"]
    raw: dict = {}
    for factor in factors:
        table_lines, raw[f"x{factor}"] = ood_sr_table(xo, gan, factor)
        lines += [f"\n### ×{factor}\n", *table_lines]
        rep.add("iagan-fonts", "\n".join(lines) + "\n", raw, n=xo.shape[0])


def exp_generators(rep: Report):
    """Duff et al. §4 on every shipped generator with cached projections (``evaluate`` makes them): median /
    p90 projection NRMSE (Fig. 1, histograms per dataset), EMD of the encodings to as many prior draws and
    the EMD between two independent prior draws (Fig. 3), encodings on a random plane (Fig. 4)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..generators import available
    from ..generators.registry import read_manifest
    from . import lab

    manifest = read_manifest()
    projs = {}
    for name in available():
        pr = lab.load(name, manifest[name]["sha256"])
        if pr is not None:
            projs[name] = pr
    lines = ["\n## 7. The generators (Duff et al. §4): projection error and how the encodings sit in the prior\n",
             "Projections z*(x) = argmin ‖G(z) − x‖² (Adam, lr 0.1, best of R restarts) of held-out images (MNIST test "
             "digits 0–499; Shapes seed 999), from `checkpoints/lab/` (made by `evaluate`). Start: as Duff et al. §4.3.1, "
             "an AE/VAE's first restart at the encoding E(x) and the others at prior draws (they use E(x) alone), a "
             "GAN's at prior draws (they keep the best of 4); an AE/VAE row reading \"prior draws\" was made before that "
             "option. EMD: exact optimal matching "
             "between the n encodings and n draws of the generator's latent prior; the floor is the EMD between two "
             "independent sets of n prior draws (sampling noise alone). Duff et al.'s targets (issue 12): median ≤ 0.12 "
             "on Shapes for every kind; ≤ 0.15 for MNIST AE/VAE and ≤ 0.10 for the MNIST GAN.\n",
             "| generator | kind | latent | images | restarts × steps | start | median NRMSE | p90 | EMD to prior | EMD floor |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    raw = {}
    from ..generators import load_prior

    for name, pr in projs.items():
        p = load_prior(name)
        n = pr.z.shape[0]
        draws = lab.prior_draws(p, 2 * n)
        e, floor = lab.emd(pr.z.float(), draws[:n]), lab.emd(draws[n:], draws[:n])
        m = manifest[name]
        s = pr.summary()
        lines.append(f"| {name} | {m['kind']} | {m['latent_dim']} | {n} | {pr.meta['restarts']} × {pr.meta['iters']} | "
                     f"{lab.start_label(pr.meta)} | {s['median']:.3f} | {s['p90']:.3f} | {e:.2f} | {floor:.2f} |")
        raw[name] = dict(s, emd=e, emd_floor=floor, start=lab.start_label(pr.meta))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), dpi=110)
    for ax, ds in zip(axes, ("mnist", "shapes")):
        for name, pr in projs.items():
            if manifest[name]["dataset"] == ds:
                ax.hist(np.clip(pr.nrmse, 0, 1), bins=np.linspace(0, 1, 41), histtype="step", lw=1.5,
                        label=f"{name} ({np.median(pr.nrmse):.3f})")
        ax.set_title(f"{ds}: projection NRMSE (median)", fontsize=9)
        ax.set_xlabel("‖G(z*) − x‖ / ‖x‖")
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(rep.dir / "gen_nrmse_hist.png")
    plt.close(fig)
    names = list(projs)
    cols = min(4, max(1, len(names)))
    rows_ = -(-len(names) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(2.6 * cols, 2.5 * rows_), dpi=100, squeeze=False)
    for ax, name in zip(axes.flat, names):
        pr, p = projs[name], load_prior(name)
        plane = lab.random_plane(p.latent_dim)
        d = (lab.prior_draws(p, pr.z.shape[0]) @ plane).numpy()
        a = (pr.z.float() @ plane).numpy()
        ax.scatter(d[:, 0], d[:, 1], s=2, c="0.7", label="prior")
        ax.scatter(a[:, 0], a[:, 1], s=2, c=pr.labels if (pr.labels >= 0).any() else "C3", cmap="tab10", label="encodings")
        ax.set_title(name, fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(rep.dir / "gen_encodings.png")
    plt.close(fig)
    lines += ["\n![projection NRMSE histograms](gen_nrmse_hist.png)\n",
              "\n![encodings (colour: digit) and prior draws (grey) on a random plane](gen_encodings.png)\n"]
    rep.add("generators", "\n".join(lines) + "\n", raw, n=max((pr.z.shape[0] for pr in projs.values()), default=0))


def _duff():
    from . import duff_study

    return duff_study


EXPERIMENTS = tuple(RUNNERS)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """"k/n" (1 ≤ k ≤ n, as a job array numbers its tasks) → (k, n); None → no sharding."""
    if text is None:
        return None
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like k/n (e.g. 2/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: need 1 ≤ k ≤ n")
    return k, n


def shard_of(experiments: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The experiments shard k of n runs: every n-th one from the k-th, so the n shards together run each
    experiment exactly once (the unit of work is a whole experiment: each tunes on its own validation set)."""
    if shard is None:
        return list(experiments)
    k, n = shard
    return [e for i, e in enumerate(experiments) if i % n == k - 1]


def shard_dir(shard: tuple[int, int], root: Path = DOCS / "shards") -> Path:
    return root / f"shard-{shard[0]}-of-{shard[1]}"


class _Context:
    def __init__(self, data_root, n, rep):
        from ..data import load_mnist

        self.n, self.rep = n, rep
        self.x = test_images("mnist", n, data_root)
        self.x_val = load_mnist(data_root, train=False)[9000:9010]
        # the classical baselines' weights (TV, Tikhonov, Wiener): on ≥ 20 validation digits (issue 12)
        self.x_val_baselines = load_mnist(data_root, train=False)[9000:9000 + N_VAL_BASELINES]
        self.x_val_wide = load_mnist(data_root, train=False)[9000:9992]  # 62 sets of 16 (blind inversion's ε, τ)


def bench_quality(data_root: str | None, n: int, experiments: list[str], shard: tuple[int, int] | None = None,
                  out: Path | None = None) -> list[str]:
    """Run ``experiments`` (those of ``shard`` k/n only, when given) and write their sections: to
    docs/RESULTS.md and docs/results.json, or — for a shard — to ``out`` (default docs/shards/shard-k-of-n/),
    whose results.json and figures ``merge_shards`` folds into docs/. Returns the experiments run."""
    todo = shard_of(experiments, shard)
    where = out or (shard_dir(shard) if shard else DOCS)
    where.mkdir(parents=True, exist_ok=True)
    print(f"bench-quality: seed {SEED}, {n} test images, experiments {todo}"
          + (f" (shard {shard[0]}/{shard[1]} of {experiments})" if shard else "") + f" → {where}", flush=True)
    rep = Report(where / "RESULTS.md", n, markdown=shard is None)
    ctx = _Context(data_root, n, rep) if todo else None
    for e in todo:
        t = time.time()
        RUNNERS[e](ctx)
        print(f"[{e} took {time.time() - t:.0f} s]", flush=True)
    return todo


def merge_shards(shard_dirs: list[Path], docs: Path = DOCS, n: int = 50) -> list[str]:
    """Fold shards' results (their results.json and figures) into ``docs``: each section a shard wrote
    replaces the report's section of that name; a section written by two shards is refused (the job
    array ran one experiment twice). Returns the sections merged."""
    import shutil

    seen: dict[str, Path] = {}
    stores = []
    for d in shard_dirs:
        d = Path(d)
        store_path = d / "results.json"
        if not store_path.is_file():
            raise FileNotFoundError(f"{d}: no results.json (did that shard finish?)")
        store = json.loads(store_path.read_text())
        for key in store.get("sections", {}):
            if key in seen:
                raise ValueError(f"section {key!r} is in both {seen[key]} and {d}")
            seen[key] = d
        stores.append((d, store))
    docs.mkdir(parents=True, exist_ok=True)
    rep = Report(docs / "RESULTS.md", n)
    with open(rep.store_path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        main = json.loads(rep.store_path.read_text()) if rep.store_path.exists() else {}
        rep.sections, rep.raw = main.get("sections", {}), main.get("raw", {})
        for d, store in stores:
            rep.sections.update(store.get("sections", {}))
            rep.raw.update(store.get("raw", {}))
            for fig in d.glob("*.png"):
                shutil.copy2(fig, docs / fig.name)
        rep.write()
    return sorted(seen)
