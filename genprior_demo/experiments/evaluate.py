"""Measured quality of a shipped generator: projection NRMSE ‖G(z*) − x‖/‖x‖ on held-out images
(Duff, Campbell & Ehrhardt §4.3.1), z* = best of R restarts of argmin_z ‖G(z) − x‖² (Adam)."""
from __future__ import annotations

import time

import numpy as np
import torch

from ..config import CSGMConfig
from ..data import load_mnist, make_shapes
from ..physics import make_operator
from ..problem import Problem
from ..solvers import solve
from ..solvers.csgm import csgm

SHAPES_TEST_SEED = 999  # training Shapes use seeds ≥ 10000


def test_images(dataset: str, n: int, data_root: str | None) -> torch.Tensor:
    """The first ``n`` MNIST test digits (never used in training) or ``n`` held-out Shapes."""
    if dataset == "mnist":
        return load_mnist(data_root, train=False)[:n]
    return make_shapes(n, seed=SHAPES_TEST_SEED)


def projection_nrmse(prior, x: torch.Tensor, restarts: int = 4, iters: int = 300, lr: float = 0.1,
                     chunk: int = 100, seed: int = 0) -> np.ndarray:
    op = make_operator("denoise", prior.image_shape, device=prior.device)
    cfg = CSGMConfig(iters=iters, restarts=restarts, lr=lr, lam=0.0, every=iters, seed=seed)
    out = []
    for i in range(0, x.shape[0], chunk):
        xb = x[i:i + chunk].to(prior.device)
        r = solve(csgm(Problem(xb, op), prior, cfg))
        out.append(((r.x - xb).flatten(1).norm(dim=1) / xb.flatten(1).norm(dim=1)).cpu())
    return torch.cat(out).numpy()


def evaluate_generator(name: str, data_root: str | None, n: int = 500, restarts: int = 4, iters: int = 300,
                       device="cpu", write: bool = True) -> dict:
    from ..generators import registry

    prior = registry.load_prior(name, device)
    x = test_images(registry.SPECS[name]["dataset"], n, data_root)
    t0 = time.time()
    e = projection_nrmse(prior, x, restarts, iters)
    q = dict(projection_nrmse_median=round(float(np.median(e)), 4),
             projection_nrmse_p90=round(float(np.percentile(e, 90)), 4),
             n_test_images=int(x.shape[0]), restarts=restarts, iters=iters, lr=0.1, seed=0,
             seconds=round(time.time() - t0, 1),
             command=f"python -m genprior_demo evaluate {name} --n {n}")
    if write:
        registry.update_manifest(name, {"quality": q}, registry.MANIFEST, replace=False)
    return q
