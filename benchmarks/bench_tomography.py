"""Tomography: the precomputed system matrix vs resampling with grid_sample (the same discretisation).

Forward + backward of ‖A x‖² for a batch, the step every latent method repeats, and A's build time.
Run alone (another busy process on 2 cores distorts small steps):

    python benchmarks/bench_tomography.py           # prints a markdown table; paste it into docs/BENCHMARKS.md
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_speed import best_time  # noqa: E402  (median of 20 after 3 warm-up calls; benchmarks/ is on the path)
from genprior_demo.physics.tomography import Tomography  # noqa: E402


def main() -> None:
    threads = torch.get_num_threads()
    print(f"_`python benchmarks/bench_tomography.py`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{threads} torch threads, torch {torch.__version__}; median of 20._\n")
    print("| image | angles | batch | build (s) | matrix | grid_sample fwd+bwd (ms) | matrix fwd+bwd (ms) | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for size, angles, batch in ((32, 30, 16), (56, 30, 40), (64, 90, 8)):
        t = time.perf_counter()
        op = Tomography((1, size, size), angles)
        build = time.perf_counter() - t
        x = torch.rand(batch, 1, size, size, requires_grad=True)
        slow = best_time(lambda: op.A_resample(x).pow(2).sum().backward())
        fast = best_time(lambda: op.A(x).pow(2).sum().backward())
        kind = "none (resamples)" if op.M is None else "dense"
        print(f"| {size}×{size} | {angles} | {batch} | {build:.3f} | {kind} | {1e3 * slow:.1f} | {1e3 * fast:.1f} | "
              f"{slow / fast:.1f}× |")


if __name__ == "__main__":
    main()
