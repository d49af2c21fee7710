"""Classical baselines against deepinv on the problems of issue 3 (one run, ratios in docs/BENCHMARKS_BASELINES.md).

1. Deep Image Prior, 64×64 grey inpainting (camera, half the pixels missing, σ = 0): deepinv 0.5's
   DeepImagePrior loop (its ConvDecoder, 64 channels, Adam 1e-2 — the library's demo settings) vs our
   `dip` with its defaults; we record PSNR against time for both and report the time each needs to reach
   deepinv's best PSNR.
2. Total variation deblurring, 256×256 camera, Gaussian blur σ = 2 (deepinv's kernel, periodic), noise
   σ = 0.01, the same λ: deepinv's FISTA + TVPrior vs our Chambolle–Pock `tv`; time to equal PSNR.

    python benchmarks/bench_baselines.py [--threads 2]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genprior_demo.config import DIPConfig, TVConfig  # noqa: E402
from genprior_demo.metrics import psnr  # noqa: E402
from genprior_demo.physics import Convolution  # noqa: E402
from genprior_demo.problem import make_problem  # noqa: E402
from genprior_demo.solvers.classical import tv_pdhg as tv  # noqa: E402
from genprior_demo.solvers.dip import dip  # noqa: E402


def camera(size: int) -> torch.Tensor:
    from skimage import data
    from skimage.transform import resize

    return torch.from_numpy(resize(data.camera() / 255.0, (size, size), anti_aliasing=True)).float()[None, None]


def first_time_at(trace, target):
    """Seconds at which a (seconds, psnr) trace first reaches ``target`` dB, or None."""
    return next((t for t, p in trace if p >= target - 1e-9), None)


def bench_dip(iters_deepinv: int = 1500, every: int = 25):
    import deepinv as dinv

    x = camera(64)
    prob = make_problem(x, "remove-pixel", {"p": 0.5}, 0.0, seed=0)
    op, y = prob.physics, prob.y
    # deepinv: its DIP loop, measured step by step (its DeepImagePrior.forward is this loop without hooks)
    phys = dinv.physics.Inpainting(img_size=(1, 64, 64), mask=op.mask.clone())
    torch.manual_seed(0)
    net = dinv.models.ConvDecoder(img_size=(1, 64, 64), in_size=(4, 4), channels=64)
    z = torch.randn((64, 4, 4))[None]  # its input: channels × in_size
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    loss = dinv.loss.MCLoss()
    trace_d, t0 = [], time.perf_counter()
    for it in range(1, iters_deepinv + 1):
        xn = net(z)
        err = loss(y=y, x_net=xn, physics=phys)
        opt.zero_grad()
        err.backward()
        opt.step()
        if it % every == 0:
            el = time.perf_counter() - t0
            with torch.no_grad():
                trace_d.append((el, psnr(net(z)[0], x[0]), it))
            t0 += time.perf_counter() - t0 - el  # exclude the evaluation time
    best_d = max(trace_d, key=lambda r: r[1])
    # ours: stream our DIP's steps (its clock excludes the consumer's time)
    cfg = DIPConfig(iters=1500, every=every)
    trace_o = []
    for step in dip(prob, None, cfg):
        trace_o.append((step.elapsed, psnr(step.x[0], x[0]), step.iteration))
    best_o = max(trace_o, key=lambda r: r[1])
    target = best_d[1]
    t_d, t_o = first_time_at([(t, p) for t, p, _ in trace_d], target), first_time_at([(t, p) for t, p, _ in trace_o], target)
    per_it_d = trace_d[-1][0] / trace_d[-1][2]
    per_it_o = trace_o[-1][0] / trace_o[-1][2]
    return dict(best_deepinv=best_d, best_ours=best_o, target=target, t_deepinv=t_d, t_ours=t_o,
                ms_it_deepinv=1e3 * per_it_d, ms_it_ours=1e3 * per_it_o, cfg=cfg)


def bench_tv(lam: float = 0.001, iters_deepinv: int = 200):
    import deepinv as dinv

    x = camera(256)
    k = dinv.physics.blur.gaussian_blur(sigma=(2.0, 2.0))[0, 0]  # (kh, kw)
    ours_op = Convolution((1, 256, 256), k)
    prob = make_problem(x, ours_op, noise=0.01, seed=0)  # noise from seed + 1, as before
    y = prob.y
    phys = dinv.physics.BlurFFT(img_size=(1, 256, 256), filter=k[None, None])
    assert float((phys.A(x) - ours_op.A(x)).abs().max()) < 1e-5, "the same operator for both"
    model = dinv.optim.optim_builder(iteration="FISTA", prior=dinv.optim.prior.TVPrior(n_it_max=20),
                                     data_fidelity=dinv.optim.data_fidelity.L2(),
                                     params_algo={"stepsize": 1.0, "lambda": lam, "a": 3}, max_iter=iters_deepinv,
                                     early_stop=False)
    t = time.perf_counter()
    with torch.no_grad():
        xd = model(y, phys)
    t_d = time.perf_counter() - t
    p_d = psnr(xd[0].clamp(0, 1), x[0])
    trace = [(s.elapsed, psnr(s.x[0], x[0])) for s in tv(prob, None, TVConfig(iters=600, lam=lam, every=5))]
    t_o = first_time_at(trace, p_d)
    return dict(lam=lam, psnr_deepinv=p_d, t_deepinv=t_d, iters_deepinv=iters_deepinv, t_ours=t_o,
                best_ours=max(p for _, p in trace), t_ours_total=trace[-1][0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    d, v = bench_dip(), bench_tv()
    fmt = lambda s: "not reached" if s is None else f"{s:.2f} s"  # noqa: E731
    ratio = lambda a, b: "n/a" if (a is None or b is None) else f"{a / b:.1f}×"  # noqa: E731
    text = f"""# Baselines vs deepinv (one run)

`python benchmarks/bench_baselines.py{' --threads ' + str(a.threads) if a.threads else ''}` — torch {torch.__version__},
deepinv, {torch.get_num_threads()} thread(s), {platform.processor() or platform.machine()}; run {time.strftime('%Y-%m-%d %H:%M')}.
Timings are compute time of the iterations (evaluation excluded). Ratios from one run.

## Deep Image Prior, 64×64 camera, 50% pixels missing, σ = 0

| | ms / iteration | best PSNR (dB) at iteration | time to deepinv's best ({d['target']:.2f} dB) |
|---|---|---|---|
| deepinv ConvDecoder (64 ch), Adam 1e-2 | {d['ms_it_deepinv']:.1f} | {d['best_deepinv'][1]:.2f} @ {d['best_deepinv'][2]} | {fmt(d['t_deepinv'])} |
| ours (`dip` defaults: width {d['cfg'].width}, depth {d['cfg'].depth}, EMA {d['cfg'].ema}, jitter {d['cfg'].jitter}) | {d['ms_it_ours']:.1f} | {d['best_ours'][1]:.2f} @ {d['best_ours'][2]} | {fmt(d['t_ours'])} |

Speed-up to equal PSNR: **{ratio(d['t_deepinv'], d['t_ours'])}** (the target of issue 3: ≥ 3×).

## TV deblurring, 256×256 camera, Gaussian σ = 2 (periodic), noise σ = 0.01, λ = {v['lam']}

| | iterations | PSNR (dB) | time |
|---|---|---|---|
| deepinv FISTA + TVPrior (inner prox 20 its) | {v['iters_deepinv']} | {v['psnr_deepinv']:.2f} | {v['t_deepinv']:.2f} s |
| ours, Chambolle–Pock, to the same PSNR | — | ≥ {v['psnr_deepinv']:.2f} | {fmt(v['t_ours'])} |
| ours, 600 iterations | 600 | {v['best_ours']:.2f} (best) | {v['t_ours_total']:.2f} s |

Speed-up to equal PSNR: **{ratio(v['t_deepinv'], v['t_ours'])}** (the target of issue 3: ≥ 5×).
"""
    (ROOT / "docs" / "BENCHMARKS_BASELINES.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
