"""Duff, Campbell & Ehrhardt (2021) §5 as a controlled study, on the Duff-style trio (one shared
architecture: shapes56-ae / -vae / -wgan, 56×56 Shapes, latent 10).

The protocol, and where it differs from the first version's Shapes section:

* **noise is relative**: σ = level × RMS(Ax) over the validation images, so ‖e‖/‖Ax‖ ≈ level on every
  problem, and the tomography operator is normalised (‖A‖ = 1, :class:`~genprior_demo.physics.base.Scaled`),
  so λ means the same for deconvolution and tomography (before: σ = 0.1 on raw Radon sums was ≈ 2 % noise
  against ≈ 40 % for deconvolution);
* **hard** starts from draws of the latent prior (Duff §4); the encoder start is its own, labelled row;
* every weight (λ of hard / relaxed / sparse / TV-sparse, TV's λ, Tikhonov's α) is chosen on ``n_val``
  validation Shapes from a log grid of ≥ 4 decades that is widened by a decade while the best value sits on
  its edge; the chosen value and the whole grid's validation PSNR are printed;
* test images are other held-out Shapes (seed 999; validation 998; training ≥ 10 000 for 32×32, ≥ 20 000
  for 56×56); TV runs ``TV_ITERS`` iterations (converged, `probe_validation.py tv-iters`).

Each problem is its own experiment (``duff-deconv``, ``duff-tomo``, ``duff-shapes+``, ``duff-noise``), so
``bench-quality --shard k/n`` spreads them over machines. Scale: set by :class:`StudyConfig` and printed
in every section (the paper: 100 test images, 20 validation images, runs to convergence). The report's §4
(``shapes``, :func:`exp_demo_shapes`) runs the same protocol on the demo's own 32×32 trio (``DEMO_TRIO``).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..device import seeded
from ..metrics import psnr_each, ssim
from ..physics import make_operator
from ..physics.base import Scaled
from ..pipeline import method_stream
from ..problem import Problem
from ..solvers import solve

TRIO = ("shapes56-ae", "shapes56-vae", "shapes56-wgan")
DEMO_TRIO = ("shapes-ae", "shapes-vae", "shapes-gan")  # the demo's 32×32 Shapes generators (report §4)
SIZE = 56
TEST_SEED, VAL_SEED = 999, 998
TV_ITERS = 1000  # within 0.1 dB of 3 000 on validation Shapes (56×56 and 32×32, λ 0.001…0.03); 300 (the study
# until 2026-12-06) was up to 1.2 dB short on tomography (`python benchmarks/probe_validation.py tv-iters`)


@dataclass(frozen=True)
class StudyConfig:
    n_val: int = 20          # validation Shapes for every weight (Duff: 20)
    restarts: int = 2        # latent restarts of the generative methods (one batch)
    iters: int = 150         # their iterations (the first version: 300; a CPU budget)
    grid: tuple = (-3, 1)    # log10 range of the first grid: 5 values, 4 decades
    widen: int = 2           # decades added at most on the side where the best value sits
    level: float = 0.1       # relative noise ‖e‖/‖Ax‖ of the main tables
    seed: int = 0
    trio: tuple = TRIO       # the generators compared
    size: int = SIZE         # the Shapes' side (the trio's resolution)


PROBLEMS = {  # name → (operator, parameters, normalise A to ‖A‖ = 1)
    "deconvolution": ("gaussian-blur", {"size": 5, "sigma": 1.0}, False),  # ‖A‖ = 1 already (kernel sums to 1)
    "tomography": ("tomography", {"angles": 30}, True),
}


def operator(problem: str, size: int = SIZE):
    name, params, normalise = PROBLEMS[problem]
    op = make_operator(name, (1, size, size), **params)
    return Scaled(op, 1.0 / op.norm()) if normalise else op


def relative_sigma(op, x_val: torch.Tensor, level: float) -> float:
    """σ with E‖e‖² = level² · mean ‖Ax‖² over ``x_val``: ‖e‖/‖Ax‖ ≈ level."""
    with torch.no_grad():
        y = op.A(x_val)
    return float(level * y.pow(2).flatten(1).mean(1).mean().sqrt())


def problem(op, x: torch.Tensor, sigma: float, seed: int = 0) -> Problem:
    """y = Ax + e with σ in the operator's units (no UI cap: relative noise on Radon sums can exceed 1)."""
    y = op.measure(x, sigma, seeded(seed + 1))
    return Problem(y, op, op.total_sigma(sigma), seed, x)


def solve_rows(prob: Problem, method: str, prior, overrides: dict) -> tuple[torch.Tensor, float]:
    t = time.perf_counter()
    r = solve(method_stream(prob, method, prior, overrides))
    return r.x.detach(), (time.perf_counter() - t) / prob.y.shape[0]


def scores(xhat: torch.Tensor, x: torch.Tensor) -> dict:
    return dict(psnr=psnr_each(xhat, x), ssim=[ssim(xhat[i], x[i]) for i in range(x.shape[0])])


def tune_log(score, lo: int, hi: int, widen: int, cap: float | None = None,
             halves: bool = False) -> tuple[float, dict, bool]:
    """Maximise ``score(v)`` over v = 10^k, k = lo…hi (integers), widening by one decade on the side of the
    best value while it is on the grid's edge (at most ``widen`` times, never above ``cap``). With ``halves``
    the best decade's two half-decade neighbours 10^(k ± 1/2) are scored too (a decade is coarse for TV:
    its two best values can differ by 3 dB). Returns (best, {v: score}, still on an edge)."""
    ks = list(range(lo, hi + 1))
    out: dict = {}
    for _ in range(widen + 1):
        for k in ks:
            v = 10.0 ** k
            if v not in out and (cap is None or v <= cap * (1 + 1e-9)):
                out[v] = score(v)
        vals = sorted(out)
        best = max(out, key=out.get)
        if best == vals[0]:
            ks = [int(round(np.log10(best))) - 1]
        elif best == vals[-1] and (cap is None or best * 10 <= cap * (1 + 1e-9)):
            ks = [int(round(np.log10(best))) + 1]
        else:
            break
    if halves and best not in (min(out), max(out)):
        for v in (best / 10 ** 0.5, best * 10 ** 0.5):  # inside the grid scored, so within any cap
            out[v] = score(v)
    vals = sorted(out)
    best = max(out, key=out.get)
    return best, dict(sorted(out.items())), best in (vals[0], vals[-1])


def rows_for(priors, cfg: StudyConfig, with_tv_sparse: bool = False) -> list[tuple]:
    """(label, method, prior, weight name, fixed overrides) for every row of a table."""
    from ..solvers import METHODS  # noqa: F401  (methods register on import)

    gen = dict(restarts=cfg.restarts, iters=cfg.iters, seed=cfg.seed, every=cfg.iters)
    rows = [("Tikhonov", "tikhonov", None, "alpha", {}), ("TV", "tv", None, "lam", {"iters": TV_ITERS})]
    for p in priors:
        rows.append((f"hard, prior start ({p.name})", "hard", p, "lam", {**gen, "init": "prior"}))
        if p.encoder is not None:
            rows.append((f"hard, encoder start ({p.name})", "hard", p, "lam", {**gen, "init": "encoder"}))
        for m in ("relaxed", "sparse") + (("tv-sparse",) if with_tv_sparse else ()):
            rows.append((f"{m} ({p.name})", m, p, "lam", gen))
    return rows


def knob_cap(method: str, key: str) -> float | None:
    from ..config import params_of
    from ..solvers import METHODS

    return next(p.hi for p in params_of(METHODS[method].config) if p.name == key)


def table(title: str, op, x_test, x_val, sigma: float, rows, cfg: StudyConfig, tuned: dict | None = None):
    """Tune each row on the validation images (or reuse ``tuned``), run it on the test images.
    Returns (markdown lines, raw per-image numbers, the chosen weights, the tuning curves)."""
    pv, pt = problem(op, x_val, sigma, cfg.seed), problem(op, x_test, sigma, cfg.seed)
    lines = [f"\n### {title}\n", "| method | weight (chosen on validation) | validation PSNR over the grid | "
             "PSNR (dB) | SSIM | s / image |", "|---|---|---|---|---|---|"]
    raw, chosen, curves = {}, {}, {}
    for label, meth, prior, key, fixed in rows:
        if tuned is not None and label in tuned:
            best, grid, edge = tuned[label], {}, False
        else:
            def score(v):
                xv, _ = solve_rows(pv, meth, prior, {**fixed, key: v})
                disc = float((op.A(xv) - pv.y).flatten(1).norm(dim=1).mean())
                curves.setdefault(label, {})[v] = (float(np.mean(psnr_each(xv, x_val))), disc)
                return curves[label][v][0]
            best, grid, edge = tune_log(score, *cfg.grid, cfg.widen, knob_cap(meth, key))
            print(f"  {title}: {label}: {key} = {best:g}" + (" (ON AN EDGE)" if edge else "") + " — "
                  + ", ".join(f"{k:g}: {v:.2f}" for k, v in grid.items()), flush=True)
        chosen[label] = best
        xt, sec = solve_rows(pt, meth, prior, {**fixed, key: best})
        s = scores(xt, x_test)
        raw[label] = dict(s, sec=sec, weight=best, edge=edge)
        grid_txt = ", ".join(f"{k:g}: {v:.1f}" for k, v in grid.items()) if grid else "as tuned on the in-distribution problem"
        lines.append(f"| {label} | {key} = {best:g}{' (edge)' if edge else ''} | {grid_txt} | "
                     f"{np.mean(s['psnr']):.2f} ± {np.std(s['psnr']):.2f} | {np.mean(s['ssim']):.3f} | {sec:.2f} |")
        print(lines[-1], flush=True)
    return lines, raw, chosen, curves


def _setup(n: int, cfg: StudyConfig):
    from ..data import make_shapes
    from ..generators import load_prior

    priors = [load_prior(p) for p in cfg.trio]
    return priors, make_shapes(n, TEST_SEED, cfg.size), make_shapes(cfg.n_val, VAL_SEED, cfg.size)


def _head(title: str, cfg: StudyConfig, n: int, sigma: float, level: float) -> list[str]:
    trio = (f"Duff-style trio ({', '.join(cfg.trio)}): one architecture, latent 10" if cfg.trio == TRIO else
            f"Generators {', '.join(cfg.trio)}")
    return [f"\n## {title}\n",
            f"{trio}, {cfg.size}×{cfg.size} Shapes. {n} test Shapes "
            f"(seed {TEST_SEED}), weights chosen on {cfg.n_val} validation Shapes (seed {VAL_SEED}) from log grids "
            f"10^{cfg.grid[0]}…10^{cfg.grid[1]} widened while the best is on an edge. Noise ‖e‖/‖Ax‖ = {level:.0%} "
            f"(σ = {sigma:.4g} in the operator's units). Generative methods: {cfg.restarts} restarts × {cfg.iters} "
            f"iterations; TV {TV_ITERS} iterations. Scale and settings: `{asdict(cfg)}`.\n"]


def exp_problem(which: str, n: int, rep, cfg: StudyConfig = StudyConfig()):
    """Duff et al. Figs. 9–10 (and Fig. 8: the two hard starts per generator), on one problem."""
    priors, xt, xv = _setup(n, cfg)
    op = operator(which, cfg.size)
    sigma = relative_sigma(op, xv, cfg.level)
    lines = _head(f"Duff study: {which} (Duff et al. Fig. {9 if which == 'deconvolution' else 10})", cfg, n, sigma, cfg.level)
    body, raw, chosen, curves = table(which, op, xt, xv, sigma, rows_for(priors, cfg), cfg)
    if which == "deconvolution":
        lines.append(_lambda_figure(curves, sigma, op, rep))
    rep.add(f"duff-{'deconv' if which == 'deconvolution' else 'tomo'}", "\n".join(lines + body) + "\n",
            {"rows": raw, "chosen": chosen, "sigma": sigma, "config": asdict(cfg)}, n=n)
    return chosen


def _lambda_figure(curves: dict, sigma: float, op, rep) -> str:
    """Duff et al. Fig. 7: validation PSNR and data discrepancy against λ for relaxed / sparse / hard (VAE),
    with Morozov's level σ√m and the λ whose discrepancy is nearest to it marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    morozov = sigma * np.sqrt(op.measurement_count())
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3), dpi=110)
    notes = []
    for label, pts in curves.items():
        if "shapes56-vae" not in label:
            continue
        lam = sorted(pts)
        ps, ds = [pts[v][0] for v in lam], [pts[v][1] for v in lam]
        line, = axes[0].plot(lam, ps, "o-", label=label, lw=1.3)
        axes[1].plot(lam, ds, "o-", color=line.get_color(), lw=1.3)
        k = int(np.argmin(np.abs(np.log(np.maximum(ds, 1e-12)) - np.log(morozov))))
        axes[0].plot([lam[k]], [ps[k]], "s", ms=9, mfc="none", color=line.get_color())
        notes.append(f"{label}: Morozov λ = {lam[k]:g} ({ps[k]:.1f} dB) vs best {lam[int(np.argmax(ps))]:g} ({max(ps):.1f} dB)")
    axes[1].axhline(morozov, ls="--", color="k", lw=1, label="Morozov σ√m")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("λ")
        ax.grid(True, alpha=0.3)
    axes[1].set_yscale("log")
    axes[0].set_ylabel("validation PSNR (dB)")
    axes[1].set_ylabel("‖Ax − y‖ (log)")
    axes[0].legend(fontsize=6)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(rep.dir / "duff_lambda_sweep.png")
    plt.close(fig)
    return ("\n![λ sweep, deconvolution, validation Shapes](duff_lambda_sweep.png)\n\n_Fig. 7 analogue: squares mark the "
            "λ chosen by Morozov's principle (discrepancy nearest σ√m). " + "; ".join(notes) + "._\n")


def exp_shapes_plus(n: int, rep, cfg: StudyConfig = StudyConfig(level=0.05)):
    """Duff et al. Fig. 11: tomography of shapes+ (a bright spot the generators never saw) at 5 % noise;
    the weights are tuned on validation shapes+ images (the paper tunes on 20 ground-truth images)."""
    from ..data import shapes_plus

    priors, xt, xv = _setup(n, cfg)
    xt, xv = shapes_plus(xt, 1), shapes_plus(xv, 2)
    op = operator("tomography", cfg.size)
    sigma = relative_sigma(op, xv, cfg.level)
    lines = _head("Duff study: shapes+ tomography (Duff et al. Fig. 11)", cfg, n, sigma, cfg.level)
    body, raw, chosen, _ = table("shapes+ tomography", op, xt, xv, sigma, rows_for(priors, cfg, with_tv_sparse=True), cfg)
    rep.add("duff-shapes+", "\n".join(lines + body) + "\n", {"rows": raw, "chosen": chosen, "sigma": sigma}, n=n)


def noise_figure(res: dict, levels, path) -> None:
    """Fig. 12: test PSNR (mean ± std) against the noise level, one line per method; ``res[label][level]``
    holds the per-image ``psnr`` list (as stored in results.json's raw part)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=110)
    pct = [100 * lv for lv in levels]
    for label, d in res.items():
        ax.errorbar(pct, [np.mean(d[lv]["psnr"]) for lv in levels], yerr=[np.std(d[lv]["psnr"]) for lv in levels],
                    marker="o", capsize=3, label=label, lw=1.3)
    ax.set_xscale("log")
    ax.set_xticks(pct, [f"{p:g}" for p in pct])
    ax.minorticks_off()
    ax.set_xlabel("noise ‖e‖/‖Ax‖ (%)")
    ax.set_ylabel("test PSNR (dB)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def exp_noise(n: int, rep, cfg: StudyConfig = StudyConfig(), levels=(0.02, 0.05, 0.1, 0.2, 0.4)):
    """Duff et al. Fig. 12: tomography PSNR against the noise level, hard vs relaxed (VAE) and Tikhonov,
    each weight tuned per level on the validation Shapes."""
    priors, xt, xv = _setup(n, cfg)
    vae = next(p for p in priors if p.name == "shapes56-vae")
    op = operator("tomography", cfg.size)
    gen = dict(restarts=cfg.restarts, iters=cfg.iters, seed=cfg.seed, every=cfg.iters)
    rows = [("Tikhonov", "tikhonov", None, "alpha", {}), ("TV", "tv", None, "lam", {"iters": TV_ITERS}),
            ("hard (shapes56-vae)", "hard", vae, "lam", {**gen, "init": "prior"}),
            ("relaxed (shapes56-vae)", "relaxed", vae, "lam", gen)]
    res: dict = {r[0]: {} for r in rows}
    lines = _head("Duff study: noise sweep, tomography (Duff et al. Fig. 12)", cfg, n, relative_sigma(op, xv, cfg.level), cfg.level)
    lines += ["| method | " + " | ".join(f"{lv:.0%}" for lv in levels) + " |", "|---|" + "---|" * len(levels)]
    for lv in levels:
        sigma = relative_sigma(op, xv, lv)
        _, raw, _, _ = table(f"tomography, {lv:.0%} noise", op, xt, xv, sigma, rows, cfg)
        for label, r in raw.items():
            res[label][lv] = r
    for label, d in res.items():
        lines.append(f"| {label} | " + " | ".join(f"{np.mean(d[lv]['psnr']):.2f} (λ {d[lv]['weight']:g}"
                                                 f"{', edge' if d[lv].get('edge') else ''})" for lv in levels) + " |")
    noise_figure(res, levels, rep.dir / "duff_noise_sweep.png")
    lines.append("\n![PSNR vs noise](duff_noise_sweep.png)\n")
    rep.add("duff-noise", "\n".join(lines) + "\n", {label: {str(k): v for k, v in d.items()} for label, d in res.items()}, n=n)


def exp_demo_shapes(n: int, rep, cfg: StudyConfig = StudyConfig(trio=DEMO_TRIO, size=32)):
    """Report §4: the demo's own Shapes generators (32×32, shapes-ae / -vae / -gan) on deconvolution, tomography
    and shapes+ deconvolution, under the study's protocol (relative noise, ‖A‖ = 1, every weight tuned on
    validation Shapes from widened decade grids, TV converged); shapes+ reuses the deconvolution weights, as
    an out-of-distribution test should."""
    from ..data import shapes_plus

    priors, xt, xv = _setup(n, cfg)
    rows = rows_for(priors, cfg, with_tv_sparse=True)
    lines = _head("4. Shapes, the demo's generators: deconvolution, tomography, shapes+ deconvolution", cfg, n,
                  relative_sigma(operator("deconvolution", cfg.size), xv, cfg.level), cfg.level)
    lines.append("Until 2026-12-06 this section used σ = 0.1 in the operators' units (≈ 40 % noise for deconvolution, "
                 "≈ 2 % for un-normalised tomography), 4 validation Shapes and three-value grids; it now follows the "
                 "Duff study's protocol. The σ above is deconvolution's; each table's title gives its own.\n")
    raw: dict = {}
    for key, which, x_test, reuse in (("deconvolution", "deconvolution", xt, None), ("tomography", "tomography", xt, None),
                                      ("shapes+ deconvolution", "deconvolution", shapes_plus(xt, 1), "deconvolution")):
        op = operator(which, cfg.size)
        sigma = relative_sigma(op, xv, cfg.level)
        title = f"{key}, σ = {sigma:.4g}" + (" (out of distribution; the deconvolution weights)" if reuse else "")
        body, r, chosen, _ = table(title, op, x_test, xv, sigma, rows, cfg, tuned=raw[reuse]["chosen"] if reuse else None)
        raw[key] = {"rows": r, "chosen": chosen, "sigma": sigma}
        lines += body
        rep.add("shapes", "\n".join(lines) + "\n", raw, n=n)
