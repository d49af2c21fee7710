"""Train the NPGD projector P: image → latent for a shipped generator (G frozen).

Training pairs come from the generator itself: z ~ prior, x = G(z), x̃ = x + perturbation (Gaussian
noise of random σ ∈ [0, 0.3], sometimes a random blur), and P is fitted so that G(P(x̃)) ≈ x and
P(x̃) ≈ z:  loss = ‖G(P(x̃)) − x‖² + 0.1·‖P(x̃) − z‖² / k·(H·W).  No data set is needed.

    python -m genprior_demo train-projector mnist-dcgan --minutes 6 --seed 0 --threads 1

Raj et al.'s projector is "similar to D except [its] last layer produces [the] latent vector": ``--width 64``
is our DCGAN discriminator's width (the first projectors, until 2026-12-04, had width 32). Adam's rate
follows a cosine from 1e-3 to 1e-5 over the time budget (``--minutes``; a resumed run continues the schedule),
so the last minutes refine instead of jittering; the first projectors used a constant 1e-3.

Ours, not Raj et al.'s: ``--real-fraction f`` fills a fraction f of each batch with perturbed *training*
images x (MNIST train split; Shapes from training seeds) and fits ‖G(P(x̃)) − x‖² on them (no latent term:
their z is unknown). P trained on G(z) alone projects fresh G(z) well but real digits worse (δ_range 0.21 /
0.11 vs δ_test 0.28 / 0.26 for the DCGAN / VAE), and NPGD meets real digits, not G(z). ``--init`` starts from
the shipped projector (a fine-tune; the rate schedule then starts at ``--lr``).
"""
from __future__ import annotations

import math
import shlex
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..device import seeded
from ..generators import registry
from ..generators.nets import ConvEncoder
from .common import save_atomic
from .generators import training_data


def perturb(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    B = x.shape[0]
    sig = torch.rand(B, 1, 1, 1, generator=g) * 0.3
    out = x + sig * torch.randn(x.shape, generator=g)
    blur = torch.rand(B, generator=g) < 0.3
    if blur.any():
        out[blur] = F.avg_pool2d(out[blur], 3, 1, 1, count_include_pad=False)
    return out


STATE_DIR = registry.CHECKPOINT_DIR / ".state"  # resumable training state (git-ignored)


def projector_loss(prior, P, bs: int, g: torch.Generator, x_train: torch.Tensor | None = None, n_real: int = 0):
    """One batch: ``bs − n_real`` fresh G(z) and ``n_real`` training images, all perturbed; returns
    (‖G(P(x̃)) − x‖² per image, 0.1·‖P(x̃) − z‖² scaled to pixels — G(z) rows only —, the clean batch x)."""
    with torch.no_grad():
        z = prior.sample_latent(bs - n_real, g)
        x = prior(z)
        if n_real:
            x = torch.cat([x, x_train[torch.randint(len(x_train), (n_real,), generator=g)].to(x.device)])
    zp = P(perturb(x, g))
    rec = (prior(zp) - x).pow(2).flatten(1).sum(1).mean()
    lat = (zp[:bs - n_real] - z).pow(2).sum(1).mean() * (x[0].numel() / prior.latent_dim) * 0.1
    return rec, lat, x


def projection_error(prior, P, x: torch.Tensor, chunk: int = 250) -> torch.Tensor:
    """δ = ‖G(P(x)) − x‖ / ‖x‖ per image (Raj et al.'s projection error), (N,)."""
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            xb = x[i:i + chunk].to(prior.device)
            r = prior(prior.project(P(xb))) - xb
            out.append(r.flatten(1).norm(dim=1) / xb.flatten(1).norm(dim=1).clamp_min(1e-8))
    return torch.cat(out)


def train_projector(name: str, minutes: float, seed: int, threads: int | None, bs: int = 128,
                    resume: bool = False, data_root: str | None = None, n_eval: int = 500,
                    save_every: float = 120.0, width: int = 64, lr: float = 1e-3, lr_final: float = 1e-5,
                    real_fraction: float = 0.0, init: bool = False) -> dict:
    """Train for ``minutes`` of wall time in all (a resumed run counts the time already spent), saving
    the state every ``save_every`` seconds to checkpoints/.state/ so ``resume=True`` continues where a
    killed run stopped. At the end: δ on ``n_eval`` held-out digits (MNIST test 0…n_eval−1) and on
    fresh G(z), into the manifest."""
    if threads:
        torch.set_num_threads(threads)
    prior = registry.load_prior(name)
    g = seeded(seed)
    with torch.random.fork_rng():  # the encoder's default init from the seed, global RNG left alone
        torch.manual_seed(seed)
        P = ConvEncoder(prior.latent_dim, prior.channels, width=width, variational=False)
    if not 0.0 <= real_fraction < 1.0:
        raise ValueError(f"real_fraction must be in [0, 1), got {real_fraction}")
    path = registry.CHECKPOINT_DIR / f"{name}-projector.safetensors"
    init_from = None
    if init:
        from safetensors.torch import load_file

        P.load_state_dict(load_file(str(path)))
        old = registry.read_manifest().get(name, {}).get("projector", {})
        init_from = old.get("init_from") if resume and old.get("init_from") else {  # provenance of the start
            k: old.get(k) for k in ("sha256", "schedule", "seconds", "iterations", "real_fraction", "training_command")}
    n_real = int(round(bs * real_fraction))
    # --real-fraction's images: the generator's own training split (never the test images δ is measured on)
    x_train = training_data(registry.SPECS[name]["dataset"], data_root, seed, prior.size) if n_real else None
    opt = torch.optim.Adam(P.parameters(), lr)
    state_path = STATE_DIR / f"{name}-projector.pt"
    it, spent = 0, 0.0
    if resume and state_path.is_file():
        st = torch.load(state_path, weights_only=True)  # our own file; tensors and numbers only
        P.load_state_dict(st["P"])
        opt.load_state_dict(st["opt"])
        g.set_state(st["rng"])
        it, spent = int(st["it"]), float(st["seconds"])
        print(f"resumed {name} projector at iteration {it} ({spent:.0f} s)", flush=True)

    def save_state():
        save_atomic({"P": P.state_dict(), "opt": opt.state_dict(), "rng": g.get_state(), "it": it,
                     "seconds": spent + time.time() - t0}, state_path)

    t0 = last_save = time.time()
    bar = tqdm(desc=f"projector {name}", mininterval=10, initial=it)
    while (frac := (spent + time.time() - t0) / (60 * minutes)) < 1:
        for group in opt.param_groups:  # cosine over the wall-time budget
            group["lr"] = lr_final + 0.5 * (lr - lr_final) * (1 + math.cos(math.pi * frac))
        rec, lat, _ = projector_loss(prior, P, bs, g, x_train, n_real)
        loss = rec + lat
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        it += 1
        bar.update(1)
        if it % 50 == 0:
            bar.set_postfix(rec=f"{rec.item():.2f}", lat=f"{lat.item():.2f}")
        if time.time() - last_save > save_every:
            save_state()
            last_save = time.time()
    save_state()
    seconds = spent + time.time() - t0
    P.eval().requires_grad_(False)
    from safetensors.torch import save_file

    from ..experiments.evaluate import test_images

    x_test = test_images(registry.SPECS[name]["dataset"], n_eval, data_root)
    d_test = projection_error(prior, P, x_test)
    with torch.no_grad():
        x_gen = prior(prior.sample_latent(n_eval, seeded(seed + 7)))
    d_gen = projection_error(prior, P, x_gen)
    save_file({k: v.contiguous() for k, v in P.state_dict().items()}, str(path))
    entry = dict(file=path.name, sha256=registry.sha256_of(path), architecture=f"ConvEncoder(width={width})", width=width,
                 schedule=f"Adam, cosine {lr:g} → {lr_final:g} over {minutes:g} min"
                 + (" (fine-tune of the previous projector)" if init else ""),
                 real_fraction=real_fraction, **({"init_from": init_from} if init_from else {}),
                 iterations=it, samples_seen=it * bs, seconds=round(seconds), seed=seed,
                 quality=dict(delta_test_median=round(float(d_test.median()), 4),
                              delta_test_p90=round(float(d_test.quantile(0.9)), 4), n_test_images=int(x_test.shape[0]),
                              delta_range_median=round(float(d_gen.median()), 4),
                              note="δ = ‖G(P(x)) − x‖/‖x‖: test = held-out test images, range = fresh G(z)"),
                 training_command="python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    registry.update_manifest(name, {"projector": entry}, registry.MANIFEST, replace=False)
    return entry
