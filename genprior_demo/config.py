"""Frozen per-method configurations. Each default carries its reason and paper on the same line; the
UI and the CLI read defaults and ranges from the field metadata (no magic numbers in app.py)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .physics.base import Param


def knob(default, lo, hi, help: str, step=None, log: bool = False):
    """A config field with the range the UI shows and the server enforces."""
    return field(default=default, metadata=dict(lo=lo, hi=hi, step=step, help=help, log=log))


def params_of(cls) -> tuple[Param, ...]:
    """The config's fields as validated :class:`Param` objects (defaults, ranges, help)."""
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        out.append(Param(f.name, f.default, m.get("lo"), m.get("hi"), m.get("step"), m.get("help", "")))
    return tuple(out)


def make_config(cls, overrides: dict[str, Any] | None = None):
    """Build ``cls`` from user values, rejecting unknown names and out-of-range or non-finite values."""
    overrides = dict(overrides or {})
    ps = {p.name: p for p in params_of(cls)}
    extra = set(overrides) - set(ps)
    if extra:
        raise ValueError(f"{cls.__name__} has no setting {', '.join(sorted(extra))}; it takes {', '.join(ps)}")
    return cls(**{k: ps[k].parse(v) for k, v in overrides.items()})


@dataclass(frozen=True)
class CSGMConfig:
    """CSGM (Bora, Jalal, Price & Dimakis 2017): min_z ‖A G(z) − y‖² + λ‖z‖², Adam on z, restarts."""

    iters: int = knob(300, 1, 5000, "Adam steps on z")  # Bora et al. 1000 on MNIST; 300 reach the plateau here with 8 restarts
    restarts: int = knob(8, 1, 64, "random restarts, run as one batch")  # Bora et al. 10 (MNIST)
    lr: float = knob(0.1, 1e-4, 1.0, "Adam learning rate on z", log=True)  # Bora et al. 0.1 (celebA); 0.01 MNIST
    lam: float = knob(1e-3, 0.0, 10.0, "weight λ of ‖z‖² (prior term)", log=True)  # Bora et al. 0.001 (celebA)
    every: int = knob(10, 1, 1000, "yield a step every k iterations")
    seed: int = knob(0, 0, 2**31 - 1, "random seed of the restarts")
