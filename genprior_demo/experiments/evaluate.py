"""Measured quality of a shipped generator: projection NRMSE ‖G(z*) − x‖/‖x‖ on held-out images
(Duff, Campbell & Ehrhardt §4.3.1), z* = best of R restarts of argmin_z ‖G(z) − x‖² (Adam); by default as
Duff et al. start it (an AE/VAE's first restart at the encoding E(x), see ``lab.project``)."""
from __future__ import annotations

import time

import numpy as np
import torch

from ..data import load_mnist, make_shapes

SHAPES_TEST_SEED = 999  # training Shapes use seeds ≥ 10000


def test_images(dataset: str, n: int, data_root: str | None, size: int = 32) -> torch.Tensor:
    """The first ``n`` MNIST test digits (never used in training) or ``n`` held-out Shapes of ``size``."""
    if dataset == "mnist":
        return load_mnist(data_root, train=False)[:n]
    return make_shapes(n, seed=SHAPES_TEST_SEED, size=size)


def evaluate_generator(name: str, data_root: str | None, n: int = 500, restarts: int = 4, iters: int = 300,
                       device="cpu", write: bool = True, init: str = "encoder") -> dict:
    from ..generators import registry

    from . import lab

    prior = registry.load_prior(name, device)
    dataset = registry.SPECS[name]["dataset"]
    x = test_images(dataset, n, data_root, prior.size)
    t0 = time.time()
    proj = lab.compute(prior, x, lab.test_labels(dataset, n, data_root), restarts, iters, init=init)  # the lab tab's cache too
    e = proj.nrmse
    q = dict(projection_nrmse_median=round(float(np.median(e)), 4),
             projection_nrmse_p90=round(float(np.percentile(e, 90)), 4),
             n_test_images=int(x.shape[0]), restarts=restarts, iters=iters, lr=0.1, seed=0,
             start=lab.start_label(proj.meta),
             seconds=round(time.time() - t0, 1),
             command=f"python -m genprior_demo evaluate {name} --n {n} --restarts {restarts} --iters {iters}"
                     + ("" if init == "encoder" else f" --init {init}"))
    if write:
        registry.update_manifest(name, {"quality": q}, registry.MANIFEST, replace=False)
        lab.save(proj)
    return q
