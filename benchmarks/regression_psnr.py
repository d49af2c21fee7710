"""Seed-fixed PSNR of every method on a few shipped digits: run before and after a refactor that must
change no result, and compare the two JSON files (``--compare before.json after.json``, 0.01 dB).

    python benchmarks/regression_psnr.py --out /tmp/after.json
    python benchmarks/regression_psnr.py --compare /tmp/before.json /tmp/after.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

# (name, method, generator, operator, operator params, noise, overrides)
CASES = [
    ("csgm/dcgan/cs200", "csgm", "mnist-dcgan", "cs-gaussian", {"m": 200}, 0.05, {"iters": 100}),
    ("csgm-bp/vae/sr2", "csgm-bp", "mnist-vae", "sr", {"factor": 2}, 0.0, {"iters": 100}),
    ("iagan/dcgan/sr2-noisy", "iagan", "mnist-dcgan", "sr", {"factor": 2}, 0.02, {"csgm_iters": 60, "iters": 60}),
    ("iagan-bp/vae/sr2", "iagan-bp", "mnist-vae", "sr", {"factor": 2}, 0.0, {"csgm_iters": 60, "iters": 40}),
    ("hard/vae/cs150", "hard", "mnist-vae", "cs-gaussian", {"m": 150}, 0.05, {"iters": 100}),
    ("relaxed/vae/rp", "relaxed", "mnist-vae", "remove-pixel", {"p": 0.7}, 0.02, {"iters": 80}),
    ("sparse/ae/rp", "sparse", "mnist-ae", "remove-pixel", {"p": 0.7}, 0.02, {"iters": 80}),
    ("tv-sparse/vae/blur", "tv-sparse", "mnist-vae", "gaussian-blur", {}, 0.05, {"iters": 80}),
    ("pgd-gan/dcgan/cs200", "pgd-gan", "mnist-dcgan", "cs-gaussian", {"m": 200}, 0.05, {"iters": 8, "inner_iters": 10}),
    ("npgd/vae/cs200", "npgd", "mnist-vae", "cs-gaussian", {"m": 200}, 0.05, {}),
    ("dip/rp", "dip", None, "remove-pixel", {"p": 0.5}, 0.02, {"iters": 120}),
    ("dip-es/rp", "dip", None, "remove-pixel", {"p": 0.5}, 0.1, {"iters": 300, "early_stop": True, "tau": 1.2}),
    ("tv/blur", "tv", None, "gaussian-blur", {}, 0.05, {}),
    ("tikhonov/cs", "tikhonov", None, "cs-gaussian", {"m": 300}, 0.02, {}),
    ("wiener/blur", "wiener", None, "gaussian-blur", {"size": 5, "sigma": 1.5}, 0.03, {}),
    ("wiener/cs-fallback", "wiener", None, "cs-gaussian", {"m": 300}, 0.02, {}),
    ("naive/sr", "naive", None, "sr", {"factor": 2}, 0.0, {}),
    ("naive/tomo", "naive", None, "tomography", {"angles": 30}, 0.0, {}),
    ("biharmonic/rp", "biharmonic", None, "remove-pixel", {"p": 0.5}, 0.0, {}),
    ("uair/rp", "uair", "uair-remove-pixel", "remove-pixel", {"p": 0.9}, 0.0, {}),
    ("csgm/dcgan/convolve-noise", "csgm", "mnist-dcgan", "convolve-noise", {}, 0.0, {"iters": 60}),
]


def run_cases(n: int) -> dict[str, float]:
    import genprior_demo as gp
    from genprior_demo.data import shipped_digits
    from genprior_demo.metrics import psnr_each

    x = shipped_digits(n, offset=7)
    out = {}
    for name, method, gen, op, params, noise, over in CASES:
        t = time.perf_counter()
        prior = None
        if gen is not None:
            prior = gp.load_uair(gen) if gen.startswith("uair") else gp.load_prior(gen)
        problem = gp.make_problem(x, op, params, noise, seed=3)
        final = gp.solve(gp.method_stream(problem, method, prior, over))
        out[name] = round(float(sum(psnr_each(final.x, x)) / n), 4)
        print(f"{name:28s} {out[name]:8.4f} dB  {time.perf_counter() - t:6.1f} s", flush=True)
    out.update(unknown_cases(x))
    return out


def unknown_cases(x) -> dict[str, float]:
    import genprior_demo as gp
    from genprior_demo.data import shipped_digits
    from genprior_demo.metrics import psnr_each
    from genprior_demo.physics.mixing import mix

    prior = gp.load_prior("mnist-dcgan")
    out = {}
    xs = shipped_digits(4, offset=11)
    problem = gp.make_blind_problem(xs, "gaussian-blur", {"size": 11, "sigma": 2.5}, 0.0, seed=3)
    final = gp.solve(gp.method_stream(problem, "blind", prior, {"rounds": 2, "t1": 20, "t2": 20}))
    out["blind/gauss11"] = round(float(sum(psnr_each(final.x, xs)) / 4), 4)
    src = shipped_digits(3, offset=20).view(1, 3, 32, 32)
    y, _ = mix(src, 4, gp.seeded(3))
    final = gp.solve(gp.method_stream(gp.SeparationProblem(y, sources=3, seed=3), "bss", prior,
                                      {"rounds": 2, "t1": 20, "t2": 20, "seed": 3}))
    out["bss/4obs"] = round(float(sum(gp.matched_psnr(final.x[0], src[0])[0]) / 3), 4)
    for k, v in out.items():
        print(f"{k:28s} {v:8.4f} dB", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="-")
    ap.add_argument("--n", type=int, default=2, help="shipped digits per case")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    a = ap.parse_args(argv)
    if a.compare:
        before, after = (json.loads(Path(p).read_text()) for p in a.compare)
        worst = 0.0
        for k in before:
            d = abs(after.get(k, float("nan")) - before[k])
            worst = max(worst, d) if d == d else float("inf")
            print(f"{k:28s} {before[k]:8.4f} → {after.get(k, float('nan')):8.4f}  Δ {d:.4f}")
        print(f"largest |Δ| = {worst:.4f} dB")
        return 0 if worst <= 0.01 else 1
    torch.set_num_threads(a.threads)
    res = run_cases(a.n)
    text = json.dumps(res, indent=1)
    if a.out == "-":
        print(text)
    else:
        Path(a.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
