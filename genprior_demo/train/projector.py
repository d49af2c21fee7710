"""Train the NPGD projector P: image → latent for a shipped generator (G frozen).

Training pairs come from the generator itself: z ~ prior, x = G(z), x̃ = x + perturbation (Gaussian
noise of random σ ∈ [0, 0.3], sometimes a random blur), and P is fitted so that G(P(x̃)) ≈ x and
P(x̃) ≈ z:  loss = ‖G(P(x̃)) − x‖² + 0.1·‖P(x̃) − z‖² / k·(H·W).  No data set is needed.

    python -m genprior_demo train-projector mnist-dcgan --minutes 6 --seed 0 --threads 1
"""
from __future__ import annotations

import shlex
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..device import seeded
from ..generators import registry
from ..generators.nets import ConvEncoder


def perturb(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    B = x.shape[0]
    sig = torch.rand(B, 1, 1, 1, generator=g) * 0.3
    out = x + sig * torch.randn(x.shape, generator=g)
    blur = torch.rand(B, generator=g) < 0.3
    if blur.any():
        out[blur] = F.avg_pool2d(out[blur], 3, 1, 1, count_include_pad=False)
    return out


def train_projector(name: str, minutes: float, seed: int, threads: int | None, bs: int = 128) -> dict:
    if threads:
        torch.set_num_threads(threads)
    prior = registry.load_prior(name)
    torch.manual_seed(seed)
    g = seeded(seed)
    P = ConvEncoder(prior.latent_dim, prior.channels, width=32, variational=False)
    opt = torch.optim.Adam(P.parameters(), 1e-3)
    t0, it = time.time(), 0
    bar = tqdm(desc=f"projector {name}", mininterval=10)
    while time.time() - t0 < 60 * minutes:
        with torch.no_grad():
            z = prior.sample_latent(bs, g)
            x = prior(z)
        zp = P(perturb(x, g))
        rec = (prior(zp) - x).pow(2).flatten(1).sum(1).mean()
        lat = (zp - z).pow(2).sum(1).mean() * (x[0].numel() / prior.latent_dim) * 0.1
        loss = rec + lat
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        it += 1
        bar.update(1)
        if it % 50 == 0:
            bar.set_postfix(rec=f"{rec.item():.2f}", lat=f"{lat.item():.2f}")
    P.eval().requires_grad_(False)
    from safetensors.torch import save_file

    path = registry.CHECKPOINT_DIR / f"{name}-projector.safetensors"
    save_file({k: v.contiguous() for k, v in P.state_dict().items()}, str(path))
    entry = dict(file=path.name, sha256=registry.sha256_of(path), architecture="ConvEncoder(width=32)",
                 iterations=it, seconds=round(time.time() - t0), seed=seed,
                 training_command="python -m genprior_demo " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    registry.update_manifest(name, {"projector": entry}, registry.MANIFEST, replace=False)
    return entry
