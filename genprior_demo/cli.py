"""Command-line interface. Bad input gives a one-line error and exit code 2, never a traceback.

    python -m genprior_demo list
    python -m genprior_demo reconstruct --mnist-test-index 3 --operator cs-gaussian --param m=150 \
        --noise 0.05 --generator mnist-vae --method csgm --out out/
    python -m genprior_demo train mnist-vae --data-root ../shared/data --minutes 12
    python -m genprior_demo evaluate mnist-vae --data-root ../shared/data
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import numpy as np


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


def _kv(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise UsageError(f"{what} must look like key=value, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _finite(name: str, v: float) -> float:
    if not math.isfinite(v):
        raise UsageError(f"{name} must be finite, got {v}")
    return v


def _cmd_list(a) -> int:
    from .generators import SPECS
    from .generators.registry import read_manifest
    from .physics import OPERATORS
    from .solvers import METHODS

    manifest = read_manifest()
    if a.json:
        print(json.dumps({
            "operators": {n: {p.name: dict(default=p.default, lo=p.lo, hi=p.hi, choices=p.choices, help=p.help)
                              for p in s.params} for n, s in OPERATORS.items()},
            "generators": {n: manifest.get(n, {"status": "not trained"}) for n in SPECS},
            "methods": {n: dataclasses.asdict(m.config()) for n, m in METHODS.items()},
        }, indent=2, default=str))
        return 0
    print("Operators (--operator NAME --param key=value):")
    for n, s in OPERATORS.items():
        ps = ", ".join(f"{p.name}={p.default}" + (f" {{{'|'.join(map(str, p.choices))}}}" if p.choices else f" [{p.lo:g}, {p.hi:g}]")
                       for p in s.params)
        print(f"  {n:22s} {s.description}" + (f"  params: {ps}" if ps else ""))
    print("\nGenerators (--generator NAME):")
    for n, spec in SPECS.items():
        e = manifest.get(n)
        if e is None:
            print(f"  {n:22s} (no checkpoint)")
            continue
        q = e.get("quality", {})
        qs = f"projection NRMSE median {q['projection_nrmse_median']}, p90 {q['projection_nrmse_p90']}" if q else "quality not measured"
        print(f"  {n:22s} {e['kind'].upper()} on {e['dataset']}, latent {e['latent_dim']} ({e['latent_prior']}), "
              f"{e['epochs_completed']} epochs; {qs}")
    from .generators.registry import UAIR_NETWORKS, UAIR_REFERENCES

    print("\nUAIR networks (--method uair --generator NAME; -cycle / -supervised / -paired: the report's reference rows):")
    for n, c in {**UAIR_NETWORKS, **{k: v for k, v in UAIR_REFERENCES.items() if k in manifest}}.items():
        e = manifest.get(n)
        q = (e or {}).get("quality")
        print(f"  {n:22s} inverts {c}" + (f"; test MSE {q['mse_uair']} (input {q['mse_input']})" if q else "; no checkpoint"))
    print("\nMethods (--method NAME, --set key=value):")
    for n, m in METHODS.items():
        cfg = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(m.config()).items())
        print(f"  {n:22s} {m.title}: {m.objective}  [{cfg}]")
    return 0


def _from_run(a) -> None:
    """Fill ``a`` from a run file downloaded from the app (JSON + the exact input; nothing is unpickled)."""
    from .runs import read_run

    try:
        run, _ = read_run(a.from_run)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if a.image is not None or a.mnist_test_index is not None or a.shapes_seed is not None or a.input_tensor:
        raise UsageError("--from-run brings its own input: drop --image / --mnist-test-index / --shapes-seed / --input-tensor")
    if run["operator"] == "painted-mask":
        raise UsageError("this run used a mask painted on the page, which run files do not store yet: it cannot be replayed")
    a.input_tensor = str(Path(a.from_run).parent / run["input"])
    a.operator, a.noise, a.generator, a.method = run["operator"], float(run["noise"]), run["generator"], run["method"]
    a.param = [f"{k}={v}" for k, v in run["operator_params"].items()] + list(a.param)
    a.set = [f"{k}={v}" for k, v in run["config"].items()] + list(a.set)  # later --set wins
    a.seed = int(run["config"].get("seed", 0))


def _load_input(a, channels: int, size: int, dataset: str):

    from .imaging import to_domain

    sources = [s for s in (a.image, a.mnist_test_index, a.shapes_seed, a.input_tensor) if s is not None]
    if len(sources) != 1:
        raise UsageError("give exactly one of --image, --mnist-test-index, --shapes-seed, --input-tensor")
    if a.input_tensor is not None:  # the exact x of a downloaded run: used as is, not converted again
        from .runs import read_input

        try:
            x = read_input(a.input_tensor)
        except ValueError as e:
            raise UsageError(f"--input-tensor: {e}") from None
        if tuple(x.shape) != (1, channels, size, size):
            raise UsageError(f"--input-tensor must hold x of shape (1, {channels}, {size}, {size}) for this generator, "
                             f"got {tuple(x.shape)}")
        return x, [f"exact input from {a.input_tensor}"]
    if a.image is not None:
        x, notes = to_domain(a.image, channels, size, style="digit" if dataset == "mnist" else "resize")
        return x, notes
    if a.mnist_test_index is not None:
        from .data import load_mnist

        if not 0 <= a.mnist_test_index < 10000:
            raise UsageError("--mnist-test-index must be in [0, 9999]")
        root = a.data_root or os.environ.get("GENPRIOR_DATA_ROOT")
        x = load_mnist(root, train=False)[a.mnist_test_index:a.mnist_test_index + 1]
        return _match(x, channels, size), [f"MNIST test digit {a.mnist_test_index} (28×28 padded to 32×32)"]
    from .data import make_shapes

    if a.shapes_seed < 0:
        raise UsageError("--shapes-seed must be ≥ 0")
    return _match(make_shapes(1, seed=a.shapes_seed), channels, size), [f"Shapes image, seed {a.shapes_seed}"]


def _match(x, channels, size):
    import torch.nn.functional as F

    if x.shape[1] != channels:
        x = x.repeat(1, channels, 1, 1) if x.shape[1] == 1 else x.mean(1, keepdim=True)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True).clamp(0, 1)
    return x


def _cmd_reconstruct(a) -> int:

    from .device import pick_device
    from .generators import load_prior
    from .imaging import save_png
    from .pipeline import make_problem, method_stream, step_metrics
    from .solvers import METHODS, solve

    if a.from_run:
        _from_run(a)
    if a.operator is None:
        raise UsageError("--operator is required (or --from-run run.json)")
    if a.method not in METHODS:
        raise UsageError(f"unknown method {a.method!r}; choose from {', '.join(METHODS)}")
    if METHODS[a.method].problem != "known":
        cmd = {"blind": "blind", "bss": "separate"}.get(a.method, a.method)
        raise UsageError(f"method {a.method!r} needs many observations: use `python -m genprior_demo {cmd}`")
    _finite("--noise", a.noise)
    device = pick_device(a.device)
    if METHODS[a.method].prior_kind == "uair":
        from .generators.registry import UAIR_NETWORKS, UAIR_REFERENCES, load_uair

        if a.generator not in UAIR_NETWORKS and a.generator not in UAIR_REFERENCES:
            raise UsageError(f"method 'uair' needs --generator among {', '.join(UAIR_NETWORKS)}")
        prior = load_uair(a.generator, device)
    else:
        prior = load_prior(a.generator, device) if a.generator else None
    if METHODS[a.method].needs_prior and prior is None:
        raise UsageError(f"method {a.method!r} needs --generator")
    channels, size = prior.image_shape[:2] if prior else (1, 32)
    dataset = prior.meta.get("dataset", "mnist") if prior else "mnist"
    x, notes = _load_input(a, channels, size, dataset)
    overrides = _kv(a.set, "--set")
    for k in ("iters", "restarts", "seed"):
        if getattr(a, k) is not None:
            overrides[k] = getattr(a, k)
    problem = make_problem(x, a.operator, _kv(a.param, "--param"), a.noise, seed=a.seed or 0, device=device)
    stream = method_stream(problem, a.method, prior, overrides)
    final = solve(stream)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    save_png(problem.x[0], out / "ground_truth.png")
    obs, caption = problem.physics.observation_image(problem.y)
    save_png(obs[0], out / "observation.png")
    save_png(final.x[0], out / "result.png")
    m = step_metrics(final, problem)
    from .config import make_config
    from .metrics import lpips_status

    record = dict(m, method=a.method, generator=a.generator, operator=a.operator,
                  operator_params=problem.physics.params, noise=a.noise, seed=a.seed or 0,
                  config=dataclasses.asdict(make_config(METHODS[a.method].config, overrides)),
                  input_conversion=notes, observation=caption, lpips_unavailable_reason=lpips_status() or None,
                  device=str(device))
    (out / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
    psnr = "n/a" if m["psnr"] is None else f"{m['psnr']:.2f} dB"
    print(f"{a.method} on {a.operator}: PSNR {psnr}, SSIM {m['ssim'] if m['ssim'] is None else round(m['ssim'], 4)}, "
          f"residual {m['residual']:.4g}, {m['seconds']:.2f} s → {out}")
    return 0


def _digits(a, n: int):
    """The first n MNIST test digits (data root given) or the shipped test digits (no data needed)."""
    from .data import load_mnist, shipped_digits

    root = a.data_root or os.environ.get("GENPRIOR_DATA_ROOT")
    if root:
        return load_mnist(root, train=False)[:n], f"MNIST test digits 0–{n - 1}"
    return shipped_digits(n), f"shipped MNIST test digits 1000–{999 + n}"


def _cmd_blind(a) -> int:
    """N digits, one operator the method is not told; writes PNGs and metrics.json with the baselines."""
    from .config import BlindConfig, make_config
    from .generators import load_prior
    from .imaging import save_png
    from .metrics import psnr_each
    from .experiments.unknown_models import blind_comparison
    from .problem import make_blind_problem

    if not 2 <= a.n <= 64:
        raise UsageError("--n must be in [2, 64]")
    _finite("--noise", a.noise)
    prior = load_prior("mnist-dcgan")
    x, source = _digits(a, a.n)
    prob = make_blind_problem(x, a.operator, _kv(a.param, "--param"), a.noise, seed=a.seed)
    cfg = make_config(BlindConfig, {**_kv(a.set, "--set"), "seed": a.seed})
    r, rows = blind_comparison(prob, prior, cfg, a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from torchvision.utils import make_grid

    grid = lambda v: make_grid(v.detach().clamp(0, 1), nrow=8, padding=1)  # noqa: E731
    save_png(grid(x), out / "ground_truth.png")
    save_png(grid(prob.y), out / "observations.png")
    save_png(grid(r.x), out / "recovered.png")
    k = r.kernel[0]
    save_png(0.5 + 0.5 * k / k.abs().max().clamp_min(1e-12), out / "surrogate_impulse_response.png")
    record = {"operator": a.operator, "operator_params": prob.hidden.params, "noise": a.noise, "seed": a.seed,
              "images": source, "config": dataclasses.asdict(cfg), "surrogate": r.label,
              "results": {lab: {"psnr_mean": float(np.mean(psnr_each(xs, x))),
                                "seconds": round(sec, 2)} for lab, xs, sec in rows}}
    (out / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
    print(record["surrogate"])
    for lab, v in record["results"].items():
        print(f"{lab:45s} PSNR {v['psnr_mean']:.2f} dB  {v['seconds']:.1f} s")
    return 0


def _cmd_separate(a) -> int:
    """Mixtures of 3 digits |MᵀX|; separates them and prints matched per-source PSNR vs the baselines."""
    from .config import BSSConfig, make_config
    from .experiments.unknown_models import separation_comparison, separation_scores
    from .generators import load_prior
    from .imaging import save_png
    from .problem import make_separation_problem

    if not 1 <= a.mixtures <= 20:
        raise UsageError("--mixtures must be in [1, 20]")
    if a.observations not in (1, 2, 3, 4):
        raise UsageError("--observations must be 1–4")
    if not 2 <= a.sources <= 6:
        raise UsageError("--sources must be in [2, 6]")
    prior = load_prior("mnist-dcgan")
    cfg = make_config(BSSConfig, {**_kv(a.set, "--set"), "seed": a.seed})
    S = a.sources
    x, source = _digits(a, S * a.mixtures)
    x = x.view(a.mixtures, S, 32, 32)
    prob = make_separation_problem(x, a.observations, a.seed)
    y = prob.y
    r, rows = separation_comparison(prob, prior, cfg)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from torchvision.utils import make_grid

    save_png(make_grid(x.reshape(-1, 1, 32, 32), nrow=S, padding=1), out / "sources.png")
    save_png(make_grid((y / y.amax((2, 3), keepdim=True).clamp_min(1e-12)).reshape(-1, 1, 32, 32),
                       nrow=a.observations, padding=1), out / "mixtures.png")
    save_png(make_grid(r.x.detach().reshape(-1, 1, 32, 32), nrow=S, padding=1), out / "separated.png")
    res = {lab: {"psnr_mean": float(np.mean(separation_scores(xs, x))), "seconds": round(sec, 2), "note": note}
           for lab, xs, sec, note in rows}
    (out / "metrics.json").write_text(json.dumps({"observations": a.observations, "mixtures": a.mixtures, "seed": a.seed,
                                                  "sources": S, "images": source, "config": dataclasses.asdict(cfg), "results": res},
                                                 indent=2) + "\n")
    for lab, v in res.items():
        print(f"{lab:35s} matched PSNR {v['psnr_mean']:.2f} dB  {v['seconds']:.1f} s  {v['note']}")
    return 0


def _cmd_train(a) -> int:
    from .device import pick_device
    from .generators import SPECS
    from .train.generators import train

    if a.name not in SPECS:
        raise UsageError(f"unknown generator {a.name!r}; choose from {', '.join(SPECS)}")
    if a.lr_final is not None and not (math.isfinite(a.lr_final) and 0 < a.lr_final <= 1e-3):
        raise UsageError(f"--lr-final must be in (0, 1e-3] (the AE/VAE learning rate falls from 1e-3 to it), got {a.lr_final}")
    entry = train(a.name, a.data_root, a.epochs, a.minutes, a.seed, a.threads, pick_device(a.device), resume=a.resume,
                  warm_start=a.warm_start, lr_final=a.lr_final)  # bad settings: TrainSettingsError, one line, exit 2
    print(json.dumps(entry, indent=2))
    return 0


def _cmd_train_projector(a) -> int:
    from .generators import SPECS
    from .train.projector import train_projector

    if a.name not in SPECS:
        raise UsageError(f"unknown generator {a.name!r}; choose from {', '.join(SPECS)}")
    if not (math.isfinite(a.real_fraction) and 0.0 <= a.real_fraction < 1.0):
        raise UsageError(f"--real-fraction must be in [0, 1), got {a.real_fraction}")
    if not (math.isfinite(a.lr) and a.lr > 0):
        raise UsageError(f"--lr must be a positive number, got {a.lr}")
    print(json.dumps(train_projector(a.name, a.minutes, a.seed, a.threads, resume=a.resume, width=a.width,
                                     real_fraction=a.real_fraction, init=a.init, lr=a.lr,
                                     data_root=a.data_root or os.environ.get("GENPRIOR_DATA_ROOT")), indent=2))
    return 0


def _cmd_train_uair(a) -> int:
    from .physics.corruptions import CORRUPTIONS
    from .train.uair import train_uair

    if a.corruption not in CORRUPTIONS:
        raise UsageError(f"unknown corruption {a.corruption!r}; choose from {', '.join(CORRUPTIONS)}")
    if not (0 < a.minutes <= 600):
        raise UsageError("--minutes must be in (0, 600]")
    from .train.uair import LOSSES, UAIRTrainConfig

    if a.loss not in LOSSES:
        raise UsageError(f"unknown --loss {a.loss!r}; choose from {', '.join(LOSSES)}")
    print(json.dumps(train_uair(a.corruption, a.data_root, a.minutes, a.seed, a.threads,
                                UAIRTrainConfig(loss=a.loss, residual=a.residual), resume=a.resume), indent=2))
    return 0


def _cmd_bench_quality(a) -> int:
    from .experiments.bench_quality import EXPERIMENTS, bench_quality, parse_shard

    exps = [e.strip() for e in a.experiments.split(",") if e.strip()]
    bad = set(exps) - set(EXPERIMENTS)
    if bad:
        raise UsageError(f"unknown experiment(s) {', '.join(sorted(bad))}; choose from {', '.join(EXPERIMENTS)}")
    try:
        shard = parse_shard(a.shard)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if a.threads:
        import torch
        torch.set_num_threads(a.threads)
    bench_quality(a.data_root or os.environ.get("GENPRIOR_DATA_ROOT"), a.n, exps, shard,
                  Path(a.out) if a.out else None)
    return 0


def _cmd_bench_quality_merge(a) -> int:
    from .experiments.bench_quality import merge_shards

    try:
        merged = merge_shards([Path(d) for d in a.shards])
    except (FileNotFoundError, ValueError) as e:
        raise UsageError(str(e)) from None
    print(f"merged sections {', '.join(merged)} into docs/RESULTS.md and docs/results.json")
    return 0


def _cmd_evaluate(a) -> int:
    from .experiments.evaluate import evaluate_generator

    if a.threads:
        import torch
        torch.set_num_threads(a.threads)
    q = evaluate_generator(a.name, a.data_root, n=a.n, restarts=a.restarts, iters=a.iters, write=not a.dry_run,
                           init=a.init)
    print(json.dumps(q, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m genprior_demo", description="Imaging inverse problems with generative priors.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    ls = sub.add_parser("list", help="operators (with parameters), generators (with manifest data), methods")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_cmd_list)

    r = sub.add_parser("reconstruct", help="degrade an image and reconstruct it; writes PNGs and metrics.json")
    r.add_argument("--image")
    r.add_argument("--mnist-test-index", type=int)
    r.add_argument("--shapes-seed", type=int)
    r.add_argument("--data-root", help="folder with MNIST/raw (default $GENPRIOR_DATA_ROOT or download)")
    r.add_argument("--operator")
    r.add_argument("--from-run", metavar="RUN_JSON", help="replay a run downloaded from the app (run.json beside its input)")
    r.add_argument("--input-tensor", metavar="FILE", help="x itself, as safetensors {'x': (1, C, H, W)} (a run's input)")
    r.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--noise", type=float, default=0.0, help="Gaussian noise σ (image range [0, 1])")
    r.add_argument("--generator")
    r.add_argument("--method", default="csgm")
    r.add_argument("--iters", type=int)
    r.add_argument("--restarts", type=int)
    r.add_argument("--seed", type=int)
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="method setting, e.g. lr=0.05")
    r.add_argument("--out", default="out")
    r.add_argument("--device")
    r.set_defaults(func=_cmd_reconstruct)

    t = sub.add_parser("train", help="train a shipped generator and record it in checkpoints/manifest.json")
    t.add_argument("name")
    t.add_argument("--data-root", default=None, help="folder holding MNIST/raw (default: download)")
    t.add_argument("--epochs", type=int, default=20)
    t.add_argument("--minutes", type=float, default=45.0, help="wall-time budget")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--device", default=None)
    t.add_argument("--resume", action="store_true",
                   help="continue from checkpoints/.state/ (Duff-style generators; --minutes counts the total)")
    t.add_argument("--warm-start", action="store_true",
                   help="start from the shipped weights in checkpoints/ (Duff-style generators; fresh optimiser)")
    t.add_argument("--lr-final", type=float, default=None,
                   help="anneal the AE/VAE learning rate (cosine over --minutes) from 1e-3 down to this")
    t.set_defaults(func=_cmd_train)

    tp = sub.add_parser("train-projector", help="train the NPGD projector image → latent of a generator")
    tp.add_argument("name")
    tp.add_argument("--minutes", type=float, default=6.0)
    tp.add_argument("--seed", type=int, default=0)
    tp.add_argument("--threads", type=int, default=None)
    tp.add_argument("--resume", action="store_true", help="continue from checkpoints/.state/ (the minutes count in all)")
    tp.add_argument("--width", type=int, default=64, help="projector width (64 = the DCGAN discriminator's, as Raj et al.)")
    tp.add_argument("--data-root", default=None, help="MNIST for the held-out projection error δ (and --real-fraction)")
    tp.add_argument("--real-fraction", type=float, default=0.0,
                    help="fraction of each batch from perturbed training images (ours; 0 = Raj et al.'s G(z) only)")
    tp.add_argument("--init", action="store_true", help="fine-tune the shipped projector instead of starting afresh")
    tp.add_argument("--lr", type=float, default=1e-3, help="Adam's starting rate (cosine to 1e-5)")
    tp.set_defaults(func=_cmd_train_projector)

    bl = sub.add_parser("blind", help="blind inversion: N digits, one operator the method is not told (Anirudh et al.)")
    bl.add_argument("--operator", default="gaussian-blur")
    bl.add_argument("--param", action="append", default=[], help="operator parameter key=value (repeatable)")
    bl.add_argument("--n", type=int, default=25, help="observations of the same operator")
    bl.add_argument("--noise", type=float, default=0.0)
    bl.add_argument("--set", action="append", default=[], help="BlindConfig field key=value (repeatable)")
    bl.add_argument("--seed", type=int, default=0)
    bl.add_argument("--data-root", default=None)
    bl.add_argument("--out", default="out/blind")
    bl.set_defaults(func=_cmd_blind)

    se = sub.add_parser("separate", help="blind source separation of 3 digits from |MᵀX| (Anirudh et al. §3.2)")
    se.add_argument("--observations", type=int, default=4, help="1 = under-determined, 4 = over-determined")
    se.add_argument("--mixtures", type=int, default=5)
    se.add_argument("--sources", type=int, default=3, help="S: digits per mixture (2–6)")
    se.add_argument("--set", action="append", default=[], help="BSSConfig field key=value (repeatable)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--data-root", default=None)
    se.add_argument("--out", default="out/separate")
    se.set_defaults(func=_cmd_separate)

    tu = sub.add_parser("train-uair", help="train a UAIR reconstruction network from corrupted MNIST only")
    tu.add_argument("corruption", help="remove-pixel, remove-pixel-channel, patch-band or convolve-noise")
    tu.add_argument("--loss", default="likelihood",
                    help="likelihood (Pajot et al. eq. 9, default), cycle (image-space ablation), supervised (clean pairs, MSE) "
                         "or paired (clean pairs, MSE + adversarial: the paper's Paired Variant)")
    tu.add_argument("--resume", action="store_true", help="continue from checkpoints/.state/ (--minutes counts the total)")
    tu.add_argument("--residual", action=argparse.BooleanOptionalAction, default=None,
                    help="G(y) = y + Net(y) (default: the paper's choice — Patch-Band and Convolve-Noise only)")
    tu.add_argument("--data-root", default=None)
    tu.add_argument("--minutes", type=float, default=12.0)
    tu.add_argument("--seed", type=int, default=0)
    tu.add_argument("--threads", type=int, default=None)
    tu.set_defaults(func=_cmd_train_uair)

    bq = sub.add_parser("bench-quality", help="quality report on held-out test images → docs/RESULTS.md")
    bq.add_argument("--data-root", default=None)
    bq.add_argument("--n", type=int, default=50)
    bq.add_argument("--experiments", default="cs,sr,deblur,shapes,pgd", help="comma-separated; see docs/RESULTS.md")
    bq.add_argument("--threads", type=int, default=None, help="torch threads (1 when another job shares the CPU)")
    bq.add_argument("--shard", default=None, metavar="K/N",
                    help="run only shard K of N (every N-th experiment from the K-th; K = 1..N, as a job array "
                         "numbers its tasks); results go to --out, then `bench-quality-merge`")
    bq.add_argument("--out", default=None, help="folder for a shard's results.json and figures "
                                                "(default docs/shards/shard-K-of-N)")
    bq.set_defaults(func=_cmd_bench_quality)

    bm = sub.add_parser("bench-quality-merge", help="fold shards' results into docs/RESULTS.md and docs/results.json")
    bm.add_argument("shards", nargs="+", help="the shards' --out folders")
    bm.set_defaults(func=_cmd_bench_quality_merge)

    e = sub.add_parser("evaluate", help="projection NRMSE of a generator on held-out images → manifest")
    e.add_argument("name")
    e.add_argument("--data-root", default=None)
    e.add_argument("--n", type=int, default=500)
    e.add_argument("--restarts", type=int, default=4)
    e.add_argument("--iters", type=int, default=300)
    from .config import INITS

    e.add_argument("--init", choices=INITS, default="encoder",
                   help="encoder: an AE/VAE's first restart at E(x), as Duff et al. §4.3.1 (default); prior: all from prior draws")
    e.add_argument("--threads", type=int, default=None)
    e.add_argument("--dry-run", action="store_true", help="print, do not write the manifest")
    e.set_defaults(func=_cmd_evaluate)
    return ap


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)  # argparse exits with code 2 on bad syntax
    from .generators.registry import CheckpointError
    from .imaging import ImageError

    try:
        return a.func(a)
    except (UsageError, ImageError, CheckpointError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyError as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
