"""Validation probes behind statements in docs/RESULTS.md (issue 11 part 3, issue 12's IAGAN and generator
parts): they run on validation images only, print their seeds and numbers, and change no default.

    python benchmarks/probe_validation.py --data-root ../shared/data bss-rounds   # ≈ 7 min on one core
    python benchmarks/probe_validation.py --data-root ../shared/data iagan-ood    # ≈ 6 min
    python benchmarks/probe_validation.py --data-root ../shared/data tv-iters      # ≈ 15 min
    python benchmarks/probe_validation.py --data-root ../shared/data projection-start   # ≈ 12 min
    python benchmarks/probe_validation.py --data-root ../shared/data blind-n8      # ≈ 1 min
    python benchmarks/probe_validation.py --data-root ../shared/data blind-alpha   # ≈ 22 min
    python benchmarks/probe_validation.py --data-root ../shared/data blind-n8-rate # ≈ 10 min
    python benchmarks/probe_validation.py --data-root ../shared/data bss-oracle    # ≈ 12 min
    python benchmarks/probe_validation.py --data-root ../shared/data bss-search --seed 0   # ≈ 25 min (run seeds 0 and 1 side by side)
    python benchmarks/probe_validation.py --data-root ../shared/data bss-search --obs 1 --seed 0   # ≈ 10 min
    python benchmarks/probe_validation.py --data-root ../shared/data bss-single    # ≈ 10 min
    python benchmarks/probe_validation.py --data-root ../shared/data blind-noise --noise 0.2   # ≈ 12 min (and --noise 0)

bss-rounds: does the paper's T = 100 rounds (ours: 20) lift source separation (the paper's loop)? 4 mixtures of MNIST test
9100–9111, one and four observations, mean matched PSNR every 10 rounds of one run.
iagan-ood: does IAGAN's rate on G's weights close the gap to bicubic on digits from outside MNIST? 10 of
scikit-learn's UCI digits (1000–1009, not the test digits 0–24), SR ×2 box, noiseless.
tv-iters: does TV converge in the Duff study's iterations? 10 validation Shapes (seed 998) at 56×56 (the study) and
32×32 (report §4), deconvolution and tomography at 10 % noise, λ 0.001 … 0.03, 300 / 1000 / 3000 iterations.
projection-start: is the Duff generators' projection NRMSE (§7) the generator's or the optimiser's? The same
projection (the evaluation's restarts × steps) from draws of the prior and with its first restart at the
encoder's code, and the encoder alone, G(E(x)); 100 validation images (MNIST test 9000–9099, Shapes seed 998).
blind-n8: does blind inversion with N = 8 observations fail in what is read off the spectrum? On the validation
digits MNIST test 9000–9991 cut into sets of 8 and of 16: how often the support rule picks the right size, and the
spectral start's kernel error (also with the estimated autocorrelation windowed to the kernel's lags before the
square root — tried, not used).
blind-alpha: the blind section's α against the paper's 1e-4 with the full default method (4 restarts, support
and start from y), Gaussian blur, validation sets MNIST test 9000–9015 and 9016–9031.
blind-n8-rate: N = 8, motion blur: the default lr(F̂) against a quarter of it (validation sets 9000–9007, 9008–9015).
bss-oracle: is source separation limited by the generator or by the search? 4 mixtures of MNIST test 9100–9111,
four observations: the generator's own ceiling (each true source projected on its range, matched PSNR), the
paper's loop from prior draws and with 16 restarts (until 2026-12-06 each restart had its own mixing network), the same alternation with the latents started at those projections (an oracle
start no user has), and started at the projections of FastICA's components (a start a user has, when O ≥ S).
bss-search: the separation's search (issue 11): 8 mixtures of MNIST test 9100–9123, four observations, one seed per
run (``--seed``): the mixing fixed at the true one (latents from prior draws, 1 and 8 restarts per mixture: is the
latent search the limit?), the paper's loop, the mixing network's start alone (its mixing error, one best source
order for all mixtures), and the default method with z_noise from a grid (0, 0.05, 0.2, 0.5) — the value the report
uses is chosen here. With ``--obs 1``: the paper's loop, the default and the default from random weights.
blind-noise: does separation's annealed latent noise (z_noise) help blind inversion's Gaussian blur? The default method
at α = 1e-7 (the blind section's) with --noise σ on validation sets MNIST test 9000–9015 and 9016–9031 (σ = 0 repeats
blind-alpha's α = 1e-7 rows).
bss-single: the app separates one mixture at a time (its own M), so the mixing network's start sees one mixture's
pixels only: the paper's loop against the default on each of the same 8 validation mixtures alone, 4 and 1
observations.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genprior_demo.experiments.unknown_models import separation_scores, start_mixing_error  # noqa: E402
from genprior_demo.generators import load_prior  # noqa: E402

SEED = 0


def bss_rounds(data_root: str, mixtures: int = 4, rounds: int = 100):
    from genprior_demo.config import BSSConfig
    from genprior_demo.data import load_mnist
    from genprior_demo.problem import make_separation_problem
    from genprior_demo.solvers.blind import bss

    gan = load_prior("mnist-dcgan")
    xs = load_mnist(data_root, train=False)[9100:9100 + 3 * mixtures].view(mixtures, 3, 32, 32)

    def score(x):
        return float(np.mean(separation_scores(x, xs)))

    for n_obs in (4, 1):
        prob = make_separation_problem(xs, n_obs, SEED)
        t, g, last = time.time(), bss(prob, gan, BSSConfig(seed=SEED, rounds=rounds).papers_loop()), -1
        try:
            while True:
                st = next(g)
                if st.iteration // 1000 > last // 1000:  # every 10 rounds of 50 + 50 steps
                    last = st.iteration
                    print(f"{n_obs} observation(s), round {st.iteration // 100}: {score(st.x):.2f} dB ({time.time() - t:.0f} s)", flush=True)
        except StopIteration as e:
            print(f"{n_obs} observation(s), final: {score(e.value.x):.2f} dB", flush=True)


def iagan_ood(data_root: str):
    from genprior_demo.data import sklearn_digits
    from genprior_demo.experiments.bench_quality import run

    gan = load_prior("mnist-dcgan")
    xo = sklearn_digits(10, offset=1000)
    rows = [("bicubic", "naive", None, None), ("CSGM", "csgm", gan, None)]
    rows += [(f"IAGAN lr_theta = {lr:g}", "iagan", gan, {"lr_theta": lr}) for lr in (1e-5, 1e-4, 1e-3)]
    for name, meth, pr, ov in rows:
        r = run(xo, "sr", {"factor": 2}, 0.0, meth, pr, ov)
        print(f"{name}: {np.mean(r['psnr']):.2f} dB", flush=True)


def tv_iters(data_root: str, n: int = 10):
    """TV's iterations in the Duff study (56×56) and report §4 (32×32): PSNR on 10 validation Shapes (seed 998),
    10 % noise, at 300 / 1000 / 3000 iterations for λ around the sections' choices."""
    from genprior_demo.data import make_shapes
    from genprior_demo.experiments import duff_study as D

    for size in (D.SIZE, 32):
        x = make_shapes(n, seed=D.VAL_SEED, size=size)
        for name in ("deconvolution", "tomography"):
            op = D.operator(name, size)
            prob = D.problem(op, x, D.relative_sigma(op, x, 0.1))
            for lam in (0.001, 0.003, 0.01, 0.03):
                row = [f"{it}: {np.mean(D.scores(D.solve_rows(prob, 'tv', None, {'lam': lam, 'iters': it})[0], x)['psnr']):.2f}"
                       for it in (300, 1000, 3000)]
                print(f"{size}×{size} {name}, λ = {lam:g}: " + ", ".join(row) + " dB", flush=True)


def projection_start(data_root: str, n: int = 100,
                     names=("shapes56-vae", "shapes56-ae", "mnist-duff-ae", "mnist-duff-vae")):
    from genprior_demo.config import HardConfig
    from genprior_demo.data import load_mnist, make_shapes
    from genprior_demo.physics import make_operator
    from genprior_demo.problem import Problem
    from genprior_demo.solvers import solve
    from genprior_demo.solvers.csgm import hard

    def nrmse(g, x):
        return ((g - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)).numpy()

    for name in names:
        p = load_prior(name)
        x = (load_mnist(data_root, train=False)[9000:9000 + n] if p.meta.get("dataset") == "mnist"
             else make_shapes(n, seed=998, size=p.size))
        restarts, iters = p.meta["quality"]["restarts"], p.meta["quality"]["iters"]  # as its `evaluate`
        op = make_operator("denoise", p.image_shape)
        for init in ("prior", "encoder"):
            cfg = HardConfig(iters=iters, restarts=restarts, lr=0.1, lam=0.0, every=iters, seed=SEED, init=init)
            e = nrmse(solve(hard(Problem(x, op), p, cfg)).x, x)
            print(f"{name}, start {init}, {restarts} × {iters}: NRMSE median {np.median(e):.4f}, p90 {np.percentile(e, 90):.4f}", flush=True)
        with torch.no_grad():
            e = nrmse(p(p.encode(x)), x)
        print(f"{name}, encoder alone G(E(x)): NRMSE median {np.median(e):.4f}", flush=True)


def blind_n8(data_root: str):
    import json

    from genprior_demo.config import BlindConfig
    from genprior_demo.data import load_mnist
    from genprior_demo.experiments.bench_quality import DOCS, validation_sets
    from genprior_demo.solvers.blind import (chebyshev_lags, choose_support, impulse_response, prior_spectrum,
                                             spectral_kernel, spectrum_ratio, support_profile, zero_phase_kernel)

    gan = load_prior("mnist-dcgan")
    px = prior_spectrum(gan, SEED)
    x = load_mnist(data_root, train=False)[9000:9992]
    # each operator's right F̂ size as the blind section measured it (F̂ fitted to clean validation digits)
    right = json.loads((DOCS / "results.json").read_text())["raw"]["blind"]["right_sizes"]
    cfg = BlindConfig(seed=SEED)  # the support and start rules' defaults (chosen in the blind section)

    def windowed(y, ksize):  # the autocorrelation kept to the kernel's lags ≤ 2(k − 1), then √ and IFFT
        a = torch.fft.ifft2(spectrum_ratio(y, px, cfg.init_eps)).real
        a = a * (chebyshev_lags(*a.shape) <= 2 * (ksize - 1))
        return zero_phase_kernel(torch.fft.fft2(a).real.clamp_min(0).sqrt(), ksize)

    for n in (8, 16):
        for op, probs in validation_sets(x, n=n).items():
            true = impulse_response(probs[0].hidden.A, 1, x.shape[-1])[0].mean(0)
            err = lambda k: float((k - true).norm() / true.norm())  # noqa: E731
            hits = np.mean([choose_support(support_profile(p.y, None, cfg.support_eps, px=px), cfg.support_tau)[0] == right[op]
                            for p in probs])
            start = np.mean([err(spectral_kernel(p.y, px, cfg.init_eps, right[op])[0]) for p in probs])
            win = np.mean([err(windowed(p.y, right[op])) for p in probs])
            print(f"N = {n}, {op}: {len(probs)} sets, right size {hits:.2f}, spectral start's kernel error {start:.3f} "
                  f"(windowed autocorrelation {win:.3f})", flush=True)


def _blind_runs(data_root: str, op_index: int, n: int, sets: int, configs: dict):
    """The blind method with each of ``configs`` ({label: BlindConfig}) on validation sets of ``n`` digits
    (MNIST test 9000 on) observed through ``BLIND_OPERATORS[op_index]``: PSNR and F̂'s kernel error."""
    from genprior_demo.data import load_mnist
    from genprior_demo.experiments.bench_quality import BLIND_OPERATORS, psnr_each
    from genprior_demo.experiments.unknown_models import surrogate_error
    from genprior_demo.problem import make_blind_problem
    from genprior_demo.solvers import solve
    from genprior_demo.solvers.blind import blind

    gan = load_prior("mnist-dcgan")
    x = load_mnist(data_root, train=False)[9000:9000 + n * sets]
    _, op, params = BLIND_OPERATORS[op_index]
    for i in range(sets):
        xs = x[n * i:n * (i + 1)]
        prob = make_blind_problem(xs, op, params, 0.0, SEED + 100 + i)
        for label, cfg in configs.items():
            t = time.perf_counter()
            r = solve(blind(prob, gan, cfg))
            print(f"{op}, N = {n}, validation set {i} (MNIST test {9000 + n * i}–{8999 + n * (i + 1)}), {label}: "
                  f"{np.mean(psnr_each(r.x, xs)):.2f} dB, kernel error {surrogate_error(r.surrogate, prob.hidden, xs)[0]:.3f} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)


def blind_alpha(data_root: str):
    """Is the bench's α (chosen on 8 validation digits, one start, k = 7) the one the full method wants? The
    default blind run (4 restarts, support and start from y) at α = 1e-7 and the paper's 1e-4, Gaussian blur."""
    from genprior_demo.config import BlindConfig

    _blind_runs(data_root, 0, 16, 2, {f"α = {a:g}": BlindConfig(seed=SEED, alpha=a) for a in (1e-7, 1e-4)})


def blind_n8_rate(data_root: str):
    """With N = 8 the alternation drifts from a good start (blind-n8): does a slower F̂ keep it? The default
    method (α = 1e-7 as the blind section) at lr(F̂) = 1e-3 and a quarter of it, motion blur."""
    from genprior_demo.config import BlindConfig

    _blind_runs(data_root, 1, 8, 2, {f"lr(F̂) = {lr:g}": BlindConfig(seed=SEED, alpha=1e-7, lr_f=lr) for lr in (1e-3, 2.5e-4)})


def blind_noise(data_root: str, noise: float = 0.0):
    """Does separation's annealed latent noise help blind inversion's Gaussian blur (1.3 dB behind the true F)? The
    default method (α = 1e-7 as the blind section) with ``z_noise`` = ``noise``, validation sets 9000–9015, 9016–9031."""
    from genprior_demo.config import BlindConfig

    _blind_runs(data_root, 0, 16, 2, {f"z_noise = {noise:g}": BlindConfig(seed=SEED, alpha=1e-7, z_noise=noise)})


def bss_oracle(data_root: str, mixtures: int = 4, n_obs: int = 4):
    import dataclasses

    from genprior_demo.config import BSSConfig
    from genprior_demo.data import load_mnist
    from genprior_demo.device import seeded, seeded_module
    from genprior_demo.experiments.lab import project
    from genprior_demo.problem import make_separation_problem
    from genprior_demo.solvers import solve
    from genprior_demo.solvers.blind import Emitter, MixingNet, alternate, bss, fastica_sources

    gan = load_prior("mnist-dcgan")
    xs = load_mnist(data_root, train=False)[9100:9100 + 3 * mixtures].view(mixtures, 3, 32, 32)

    def score(x):
        return float(np.mean(separation_scores(x, xs)))

    t = time.time()
    z_star, _ = project(gan, xs.view(-1, 1, 32, 32), restarts=8, iters=300, seed=SEED)
    with torch.no_grad():
        ceiling = gan(z_star).view_as(xs)
    print(f"generator's ceiling (true sources projected, 8 restarts × 300 steps): {score(ceiling):.2f} dB "
          f"({time.time() - t:.0f} s); all-black: {score(torch.zeros_like(xs)):.2f} dB", flush=True)
    prob = make_separation_problem(xs, n_obs, SEED)
    cfg = BSSConfig(seed=SEED).papers_loop()  # the paper's loop (the default until 2026-12-06)
    for restarts, label in ((1, "the paper's loop (prior draws)"),
                            (16, "16 restarts from prior draws as one batch sharing the mixing network (each mixture's best kept)")):
        t = time.time()
        r = solve(bss(prob, gan, dataclasses.replace(cfg, restarts=restarts)))
        print(f"{n_obs} observations, {label}: {score(r.x):.2f} dB, residual {r.residual:.3f} ({time.time() - t:.0f} s)",
              flush=True)
    arrange = lambda v: v.view(mixtures, 3, 32, 32)  # noqa: E731

    def from_latents(z0: torch.Tensor, label: str, t: float):
        """The alternation of ``bss`` (one start, the same mixing-network seed) from the latents ``z0``."""
        mix = seeded_module(lambda: MixingNet(3, n_obs, cfg.hidden), seeded(cfg.seed))
        r = solve(alternate(prob.y, gan, z0.clone().requires_grad_(True), mix, arrange, cfg, Emitter()))
        print(f"{n_obs} observations, {label}: {score(r.x):.2f} dB, residual {r.residual:.3f} ({time.time() - t:.0f} s)",
              flush=True)

    from_latents(z_star, "oracle start (latents at the projections)", time.time())
    # a start a user has: FastICA's components (O ≥ S here) projected on G's range
    t = time.time()
    ica = torch.stack([fastica_sources(prob.y[b].cpu(), 3, SEED)[0] for b in range(mixtures)])
    print(f"FastICA alone: {score(ica):.2f} dB", flush=True)
    z_ica, _ = project(gan, ica.view(-1, 1, 32, 32), restarts=8, iters=300, seed=SEED)
    from_latents(z_ica, "ICA start (latents at the projections of FastICA's components)", t)


def bss_search(data_root: str, mixtures: int = 8, n_obs: int = 4, seed: int = SEED):
    import dataclasses

    from genprior_demo.config import BSSConfig
    from genprior_demo.data import load_mnist
    from genprior_demo.problem import make_separation_problem
    from genprior_demo.solvers import solve
    from genprior_demo.solvers.blind import Emitter, alternate, bss, fit_mixing, MixingNet
    from genprior_demo.device import seeded, seeded_module

    gan = load_prior("mnist-dcgan")
    xs = load_mnist(data_root, train=False)[9100:9100 + 3 * mixtures].view(mixtures, 3, 32, 32)
    prob = make_separation_problem(xs, n_obs, SEED)
    base = BSSConfig(seed=seed)
    paper = base.papers_loop()

    def score(x):
        return float(np.mean(separation_scores(x, xs)))

    def mixing_error(mix) -> float:  # ‖M̂(X) − Y‖ / ‖Y‖ on the true sources, one best order for all mixtures
        return start_mixing_error(mix, xs, prob.y)

    class TrueMix(torch.nn.Module):  # the true mixing, nothing to learn
        def forward(self, x):
            return torch.einsum("so,bshw->bohw", prob.mixing, 2 * x - 1).abs()

    print(f"seed {seed}, {mixtures} validation mixtures (MNIST test 9100–{9100 + 3 * mixtures - 1}), {n_obs} observations", flush=True)
    if n_obs < 3:  # fewer observations than sources: only whether the start from the observations helps
        runs = [("the paper's loop", paper), ("default", base), ("default with init = random", dataclasses.replace(base, init="random"))]
    else:
        for R in (1, 8):  # the latents' search alone: the mixing is the true one
            t = time.time()
            z = gan.sample_latent(R * mixtures * 3, seeded(seed)).requires_grad_(True)
            r = solve(alternate(prob.y.repeat(R, 1, 1, 1), gan, z, TrueMix(), lambda v: v.view(R * mixtures, 3, 32, 32),
                                dataclasses.replace(base, t1=0), Emitter(), restarts=R))
            print(f"true mixing, latents from prior draws, {R} restart(s): {score(r.x):.2f} dB ({time.time() - t:.0f} s)", flush=True)
        mix = seeded_module(lambda: MixingNet(3, n_obs, base.hidden), seeded(seed))
        print(f"mixing network at random weights: mixing error {mixing_error(mix):.3f}", flush=True)
        t = time.time()
        fit_mixing(mix, gan, prob.y, 3, base.init_steps, base.lr_f, seed)
        print(f"mixing network's start (fit_mixing, {base.init_steps} steps): mixing error {mixing_error(mix):.3f} ({time.time() - t:.0f} s)", flush=True)
        runs = [("the paper's loop (random start, no noise, 1 restart)", paper)]
        runs += [(f"default, z_noise = {v:g}", dataclasses.replace(base, z_noise=v)) for v in (0.0, 0.05, 0.2, 0.5)]
    for label, cfg in runs:
        t = time.time()
        r = solve(bss(prob, gan, cfg))
        print(f"{label}: {score(r.x):.2f} dB, residual {r.residual:.3f}, mixing error {mixing_error(r.surrogate):.3f} "
              f"({time.time() - t:.0f} s)", flush=True)


def bss_single(data_root: str, mixtures: int = 8):
    import dataclasses

    from genprior_demo.config import BSSConfig
    from genprior_demo.data import load_mnist
    from genprior_demo.problem import make_separation_problem
    from genprior_demo.solvers import solve
    from genprior_demo.solvers.blind import bss

    gan = load_prior("mnist-dcgan")
    xs = load_mnist(data_root, train=False)[9100:9100 + 3 * mixtures].view(mixtures, 3, 32, 32)
    base = BSSConfig(seed=SEED)
    runs = (("the paper's loop", base.papers_loop()), ("default", base))
    for n_obs in (4, 1):
        scores: dict = {label: [] for label, _ in runs}
        t = time.time()
        for b in range(mixtures):  # one mixture per problem, each with its own M (seed b), as the app
            prob = make_separation_problem(xs[b:b + 1], n_obs, b)
            for label, cfg in runs:
                scores[label] += separation_scores(solve(bss(prob, gan, cfg)).x, xs[b:b + 1])
        print(f"{n_obs} observation(s), one mixture at a time: " + ", ".join(
            f"{label} {np.mean(v):.2f} dB" for label, v in scores.items()) + f" ({time.time() - t:.0f} s)", flush=True)


PROBES = {"blind-noise": blind_noise, "bss-single": bss_single, "bss-search": bss_search, "bss-oracle": bss_oracle, "bss-rounds": bss_rounds, "iagan-ood": iagan_ood, "tv-iters": tv_iters, "projection-start": projection_start, "blind-n8": blind_n8, "blind-alpha": blind_alpha, "blind-n8-rate": blind_n8_rate}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("probe", choices=tuple(PROBES))
    ap.add_argument("--data-root", default="../shared/data")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=SEED, help="bss-search only: the method's seed")
    ap.add_argument("--obs", type=int, default=4, help="bss-search only: observations per mixture (1: the start only)")
    ap.add_argument("--noise", type=float, default=0.0, help="blind-noise only: the latents' noise σ")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"seed {a.seed if a.probe == 'bss-search' else SEED}, {a.threads} torch thread(s)", flush=True)
    extra = {"bss-search": {"seed": a.seed, "n_obs": a.obs}, "blind-noise": {"noise": a.noise}}.get(a.probe, {})
    PROBES[a.probe](a.data_root, **extra)
