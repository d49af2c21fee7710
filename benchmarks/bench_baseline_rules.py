"""Baselines at a rule vs at a tuned weight (issue "the app as a teaching instrument", part 7): TV's λ and
Tikhonov's α fixed at the library default, chosen per image by the discrepancy principle (the app's
default; needs σ, not the ground truth), and tuned on validation digits from a log grid (an upper
reference a user cannot run). Held-out test digits: MNIST test 0–49; validation: MNIST test 9000–9019.

    python benchmarks/bench_baseline_rules.py --data-root ../shared/data   # → docs/BENCHMARKS_BASELINES.md
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genprior_demo.data import load_mnist  # noqa: E402
from genprior_demo.metrics import psnr_each  # noqa: E402
from genprior_demo.pipeline import make_problem, method_stream  # noqa: E402
from genprior_demo.solvers import solve  # noqa: E402

SEED = 0
PROBLEMS = [("uniform blur 9×9, σ = 0.05", "uniform-blur", {"size": 9}, 0.05),
            ("Gaussian CS m = 100, σ = 0.05", "cs-gaussian", {"m": 100}, 0.05),
            ("Gaussian blur 5×5, σ = 0.02", "gaussian-blur", {"size": 5, "sigma": 1.0}, 0.02),
            ("remove-pixel 70 %, σ = 0.05", "remove-pixel", {"p": 0.7}, 0.05)]
GRIDS = {"tv": ("lam", (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)),
         "tikhonov": ("alpha", (1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0))}


def mean_psnr(x, prob, method, overrides):
    t = time.perf_counter()
    r = solve(method_stream(prob, method, None, overrides))
    return float(np.mean(psnr_each(r.x, x))), time.perf_counter() - t, r.label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    test = load_mnist(a.data_root, train=False)[:50]
    val = load_mnist(a.data_root, train=False)[9000:9020]
    lines = ["| problem | method | fixed default | discrepancy rule (app) | tuned on validation (grid) | s / 50 images: fixed, rule |",
             "|---|---|---|---|---|---|"]
    for title, op, params, sigma in PROBLEMS:
        pt, pv = make_problem(test, op, params, sigma, SEED), make_problem(val, op, params, sigma, SEED + 1)
        for method, (key, grid) in GRIDS.items():
            scores = {v: mean_psnr(val, pv, method, {key: v})[0] for v in grid}
            best = max(scores, key=scores.get)
            edge = " (grid edge!)" if best in (grid[0], grid[-1]) else ""
            fixed, t_fixed, _ = mean_psnr(test, pt, method, {})
            rule, t_rule, label = mean_psnr(test, pt, method, {"rule": "discrepancy"})
            tuned, _, _ = mean_psnr(test, pt, method, {key: best})
            median = re.search(r"median ([0-9.e+-]+)", label)
            lines.append(f"| {title} | {method} | {fixed:.2f} | {rule:.2f} (median {key} {median.group(1) if median else '?'}) | "
                         f"{tuned:.2f} ({key} = {best:g}{edge}) | {t_fixed:.2f}, {t_rule:.2f} |")
            print(lines[-1], "  validation grid:", {k: round(v, 2) for k, v in scores.items()}, flush=True)
    text = ("\n\n## Baselines' weights: fixed, by the discrepancy principle, tuned\n\n"
            f"_`python benchmarks/bench_baseline_rules.py` on {time.strftime('%Y-%m-%d')}, one thread, seed {SEED}: "
            "PSNR (dB) mean over MNIST test digits 0–49; the grid is scored on validation digits 9000–9019 (never the "
            "test digits). The rule is Morozov's: each image's weight solves ‖Ax − y‖ = σ√m (τ = 1), by 8 log-bisection "
            "steps over 1e-4…1 (TV) and 1e-5…10 (Tikhonov). The fixed defaults: TV λ = 0.02, Tikhonov α = 0.01. Every "
            "column runs the app's solver settings (TV: 300 primal–dual iterations), so the columns compare ways of "
            "choosing the weight, not solvers; the report's converged TV (3 000 iterations on digits, 1 000 on Shapes) is in docs/RESULTS.md. A grid edge "
            "is flagged: Tikhonov on CS is flat in α (12.2–12.4 dB everywhere)._\n\n" + "\n".join(lines) + "\n")
    print(text)
    if not a.dry_run:
        path = ROOT / "docs" / "BENCHMARKS_BASELINES.md"
        doc = path.read_text()
        head = "\n\n## Baselines' weights: fixed, by the discrepancy principle, tuned"
        doc = doc.split(head)[0].rstrip("\n")
        path.write_text(doc + text)


if __name__ == "__main__":
    main()
