"""Speed benchmark: latent steps per generator and batch size (vs this machine's matmul peak), a CSGM
run of 8 restarts × 300 steps on one MNIST test digit, and our operators vs deepinv's on 32×32.

    python benchmarks/bench_speed.py            # writes docs/BENCHMARKS.md
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genprior_demo.config import CSGMConfig  # noqa: E402
from genprior_demo.device import seeded  # noqa: E402
from genprior_demo.generators import available, load_prior  # noqa: E402
from genprior_demo.physics import make_operator  # noqa: E402
from genprior_demo.solvers import solve  # noqa: E402
from genprior_demo.solvers.csgm import csgm  # noqa: E402


def best_time(fn, reps: int = 20, warm: int = 3) -> float:
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]  # median


def matmul_peak() -> float:
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    t = best_time(lambda: a @ b, reps=10)
    return 2 * 2048**3 / t / 1e9


def latent_step(prior, batch: int):
    x = prior(prior.sample_latent(batch, seeded(1))).detach()
    z = prior.sample_latent(batch, seeded(2)).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.1)

    def step():
        opt.zero_grad(set_to_none=True)
        ((prior(z) - x) ** 2).sum().backward()
        opt.step()

    with FlopCounterMode(display=False) as fc:
        step()
    return step, fc.get_total_flops()


def main() -> None:
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    peak = matmul_peak()
    lines = ["# Speed benchmarks", "",
             f"Command: `python benchmarks/bench_speed.py` — one run, {time.strftime('%Y-%m-%d')}, "
             f"{platform.processor() or platform.machine()}, {threads} torch threads, torch {torch.__version__}.",
             "", f"Measured fp32 matmul peak (2048² matmul): **{peak:.0f} GFLOP/s**.", "",
             "## One latent step (forward, loss, backward to z, Adam), median of 20", "",
             "| generator | batch | ms / step | ms / sample | GFLOP/s | % of matmul peak |", "|---|---|---|---|---|---|"]
    for name in available():
        p = load_prior(name)
        for b in (1, 4, 16, 64):
            step, flops = latent_step(p, b)
            t = best_time(step)
            gf = flops / t / 1e9
            lines.append(f"| {name} | {b} | {1e3 * t:.2f} | {1e3 * t / b:.3f} | {gf:.0f} | {100 * gf / peak:.0f}% |")
    lines += ["", "## CSGM, 8 restarts × 300 Adam steps, one MNIST test digit (cs-gaussian m=150, σ=0.05)", "",
              "| generator | seconds | PSNR (dB) |", "|---|---|---|"]
    from genprior_demo.metrics import psnr
    from genprior_demo.problem import make_problem

    from PIL import Image
    import numpy as np

    x = torch.from_numpy(np.asarray(Image.open(ROOT / "assets/examples/mnist-test0000-digit7.png"), dtype=np.float32) / 255)[None, None]
    for name in [n for n in available() if n.startswith("mnist")]:
        p = load_prior(name)
        prob = make_problem(x, "cs-gaussian", {"m": 150}, noise=0.05, seed=0)
        cfg = CSGMConfig(iters=300, restarts=8, every=300)
        solve(csgm(prob, p, CSGMConfig(iters=20, restarts=8)))  # warm-up
        t = time.perf_counter()
        r = solve(csgm(prob, p, cfg))
        lines.append(f"| {name} | {time.perf_counter() - t:.2f} | {psnr(r.x[0], x[0]):.2f} |")

    lines += ["", "## Operators on one 32×32 image: ours vs deepinv 0.5 (median µs, A and Aᵀ)", "",
              "| operator | ours A | ours Aᵀ | deepinv A | deepinv Aᵀ | deepinv class |", "|---|---|---|---|---|---|"]
    try:
        import deepinv as dinv

        from genprior_demo.physics.blur import gaussian_kernel

        xi = torch.rand(1, 1, 32, 32)
        peers = {
            "gaussian-blur": (dict(size=5, sigma=1.0), lambda: dinv.physics.BlurFFT((1, 32, 32), filter=gaussian_kernel(5, 1.0)[None, None]), "BlurFFT"),
            "uniform-blur": (dict(size=9), lambda: dinv.physics.Blur(filter=torch.full((1, 1, 9, 9), 1 / 81), padding="circular"), "Blur(circular)"),
            "sr": (dict(factor=2), lambda: dinv.physics.Downsampling((1, 32, 32), filter="bicubic", factor=2), "Downsampling"),
            "remove-pixel": (dict(p=0.7), lambda: dinv.physics.Inpainting((1, 32, 32), mask=0.3), "Inpainting"),
            "cs-gaussian": (dict(m=150), lambda: dinv.physics.CompressedSensing(150, (1, 32, 32)), "CompressedSensing"),
            "tomography": (dict(angles=30), lambda: dinv.physics.Tomography(30, 32), "Tomography"),
        }
        for name, (params, mk, cls) in peers.items():
            ours = make_operator(name, (1, 32, 32), **params)
            peer = mk()
            yo, yp = ours.A(xi), peer.A(xi)
            to = (best_time(lambda: ours.A(xi), 50), best_time(lambda: ours.A_adjoint(yo), 50))
            tp = (best_time(lambda: peer.A(xi), 50), best_time(lambda: peer.A_adjoint(yp), 50))
            lines.append(f"| {name} | {1e6 * to[0]:.0f} | {1e6 * to[1]:.0f} | {1e6 * tp[0]:.0f} | {1e6 * tp[1]:.0f} | {cls} |")
    except ImportError:
        lines.append("| (deepinv not installed) | | | | | |")
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
