"""What Duff, Campbell & Ehrhardt §4 measure about a generator, as data for the Generator lab tab and the
report's figures: each held-out image's projection z*(x) = argmin_z ‖G(z) − x‖² (best of R Adam restarts;
by default Duff et al.'s §4.3.1 start: an AE/VAE's first restart at the encoding E(x), a GAN's from prior draws),
its NRMSE ‖G(z*) − x‖/‖x‖ (Fig. 1), the earth mover's distance between the encodings z* and draws of the
latent prior (Fig. 3), a 2-D random projection of both (Fig. 4), samples at growing distance from the
prior and the worst-represented images.

The projections of the shipped generators are cached in checkpoints/lab/<name>.safetensors (plain
tensors; written by ``python -m genprior_demo evaluate``, which measures the manifest's NRMSE from the very
same projections) with the generator's sha256, so a retrained generator is never shown stale numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..device import seeded

LAB_DIR = Path(__file__).resolve().parents[2] / "checkpoints" / "lab"
PRIOR_SEED = 7  # the prior draws compared with the encodings


@dataclass
class Projections:
    """Projections of n held-out images onto the range of one generator."""

    name: str
    z: torch.Tensor          # (n, k) z*(x)
    nrmse: np.ndarray        # (n,) ‖G(z*) − x‖ / ‖x‖
    labels: np.ndarray       # (n,) digit class (MNIST) or -1 (Shapes: no classes)
    meta: dict               # n, restarts, iters, lr, seed, dataset, sha256 of the generator
    worst_x: torch.Tensor | None = None  # (K, C, H, W) the K worst-represented images (shown without the data set)
    worst_idx: np.ndarray | None = None  # (K,) their indices, worst first

    def summary(self) -> dict:
        return dict(median=float(np.median(self.nrmse)), p90=float(np.percentile(self.nrmse, 90)),
                    mean=float(self.nrmse.mean()), n=int(self.nrmse.size))


def test_labels(dataset: str, n: int, data_root: str | None) -> np.ndarray:
    """Digit classes of the first ``n`` MNIST test images; -1 for Shapes (every image has one circle and one rectangle)."""
    if dataset != "mnist":
        return np.full(n, -1, dtype=np.int64)
    from torchvision.datasets import MNIST

    root = data_root or str(Path.home() / ".cache" / "genprior_demo")
    return MNIST(root=root, train=False, download=data_root is None).targets[:n].numpy().astype(np.int64)


def start_label(meta: dict) -> str:
    """How the projections in ``meta`` started: caches made before the option existed started from draws."""
    return "E(x) + draws" if meta.get("init") == "encoder" and meta.get("kind") in ("ae", "vae") else "prior draws"


def project(prior, x: torch.Tensor, restarts: int = 4, iters: int = 300, lr: float = 0.1, chunk: int = 100,
            seed: int = 0, progress=None, init: str = "encoder") -> tuple[torch.Tensor, np.ndarray]:
    """z*(x) and NRMSE for each image of ``x``: the hard constraint on the identity with λ = 0 (pure projection).

    ``init="encoder"`` is Duff et al.'s §4.3.1 protocol: "for the AE and VAE, the algorithm is initialised at
    the (mean) encoding of the test image; for the GAN, 4 initialisations drawn from a standard normal, best
    kept". Ours keeps R restarts for every kind: an AE/VAE's first one starts at E(x), the others (and all of a
    GAN's) at prior draws, and each image keeps its best. ``init="prior"``: every restart from a prior draw."""
    from ..config import INITS, HardConfig
    from ..physics import make_operator
    from ..problem import Problem
    from ..solvers import solve
    from ..solvers.csgm import hard

    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, not {init!r}")
    op = make_operator("denoise", prior.image_shape, device=prior.device)
    cfg = HardConfig(iters=iters, restarts=restarts, lr=lr, lam=0.0, every=iters, seed=seed, init=init)
    zs, errs = [], []
    for i in range(0, x.shape[0], chunk):
        xb = x[i:i + chunk].to(prior.device)
        r = solve(hard(Problem(xb, op), prior, cfg))
        zs.append(r.z.detach().cpu())
        errs.append(((r.x - xb).flatten(1).norm(dim=1) / xb.flatten(1).norm(dim=1).clamp_min(1e-12)).cpu())
        if progress is not None:
            progress(min(i + chunk, x.shape[0]), x.shape[0])
    return torch.cat(zs), torch.cat(errs).numpy()


def cache_path(name: str, lab_dir: Path = LAB_DIR) -> Path:
    return lab_dir / f"{name}.safetensors"


def save(p: Projections, lab_dir: Path = LAB_DIR) -> Path:
    from safetensors.torch import save_file

    lab_dir.mkdir(parents=True, exist_ok=True)
    path = cache_path(p.name, lab_dir)
    save_file({"z": p.z.contiguous(), "nrmse": torch.from_numpy(np.ascontiguousarray(p.nrmse, dtype=np.float32)),
               "labels": torch.from_numpy(p.labels.astype(np.int64)), "worst_x": p.worst_x.contiguous(),
               "worst_idx": torch.from_numpy(p.worst_idx.astype(np.int64))}, str(path),
              metadata={"meta": json.dumps(p.meta, sort_keys=True)})
    return path


def load(name: str, sha256: str | None, lab_dir: Path = LAB_DIR) -> Projections | None:
    """The cached projections of generator ``name``, or None when absent or made with other weights."""
    from safetensors import safe_open

    path = cache_path(name, lab_dir)
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads((f.metadata() or {}).get("meta", "{}"))
        if sha256 is not None and meta.get("sha256") != sha256:
            return None
        t = {k: f.get_tensor(k) for k in f.keys()}
    return Projections(name, t["z"], t["nrmse"].numpy().astype(np.float64), t["labels"].numpy(), meta,
                       t["worst_x"], t["worst_idx"].numpy())


WORST = 8


def compute(prior, x: torch.Tensor, labels: np.ndarray, restarts: int = 4, iters: int = 300, lr: float = 0.1,
            seed: int = 0, progress=None, source: str = "held-out test images", chunk: int = 100,
            init: str = "encoder") -> Projections:
    z, e = project(prior, x, restarts, iters, lr, chunk=chunk, seed=seed, progress=progress, init=init)
    return assemble(prior, x, labels, z, e, dict(restarts=restarts, iters=iters, lr=lr, seed=seed, source=source, init=init))


def assemble(prior, x: torch.Tensor, labels, z: torch.Tensor, e: np.ndarray, settings: dict) -> Projections:
    """Projections of ``x`` from their codes and errors: the meta (with the generator's sha256) and the
    worst-represented images, worst first."""
    meta = dict(n=int(x.shape[0]), **settings, dataset=prior.meta.get("dataset"), kind=prior.meta.get("kind"),
                sha256=prior.meta.get("sha256"))
    worst = np.argsort(e)[::-1][:WORST].copy()
    return Projections(prior.name, z, e, np.asarray(labels), meta, x[torch.from_numpy(worst)].cpu().contiguous(), worst)


def prior_draws(prior, n: int, seed: int = PRIOR_SEED) -> torch.Tensor:
    with torch.no_grad():
        return prior.sample_latent(n, seeded(seed)).cpu()


def emd(a: torch.Tensor, b: torch.Tensor) -> float:
    """Earth mover's distance between two equal-size point clouds with uniform weights: the optimal
    one-to-one matching (exact; Duff et al. use POT's solver on the same problem)."""
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    if a.shape != b.shape:
        raise ValueError("emd needs two clouds of the same size")
    cost = cdist(a.double().numpy(), b.double().numpy())
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].mean())


def random_plane(k: int, seed: int = 0) -> torch.Tensor:
    """A random orthonormal 2-D projection of the latent space (Duff et al. Fig. 4)."""
    q, _ = torch.linalg.qr(torch.randn(k, 2, generator=seeded(seed), dtype=torch.float64))
    return q.float()


def distance_samples(prior, radii=(0.5, 1.0, 1.5, 2.0, 3.0), per_row: int = 8, seed: int = 0) -> torch.Tensor:
    """Rows of samples G(mean + r·std·ε), one row per radius r (the same ε in every row): (R·per_row, C, H, W)."""
    with torch.no_grad():
        rows = [prior(prior.sample_latent(per_row, seeded(seed), radius=r)) for r in radii]
    return torch.cat(rows).cpu()
