"""Glue shared by the CLI and the UI: image → problem (physics, y) → method stream → metrics."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from .config import make_config
from .device import seeded
from .metrics import all_metrics
from .physics import LinearOperator, make_operator
from .solvers import METHODS
from .solvers.base import Step, StepStream

MAX_NOISE = 1.0


@dataclass
class Problem:
    """A degraded observation: y = A(x) + noise, with the ground truth when it is known."""

    x: torch.Tensor | None          # (1, C, H, W) ground truth in [0, 1]
    y: torch.Tensor                 # measurements
    physics: LinearOperator
    sigma: float                    # total noise σ (user + operator)
    seed: int
    notes: list[str] = field(default_factory=list)


def make_problem(x: torch.Tensor, operator: str | LinearOperator, params: dict[str, Any] | None = None, noise: float = 0.0,
                 seed: int = 0, device: torch.device | str = "cpu") -> Problem:
    """Degrade ``x`` (1, C, H, W) with a registered operator (by name) or a ready operator object
    (e.g. a painted :class:`~genprior_demo.physics.Mask`) and Gaussian noise σ = ``noise``."""
    noise = float(noise)
    if not (0.0 <= noise <= MAX_NOISE):  # also rejects NaN
        raise ValueError(f"noise σ must be a finite number in [0, {MAX_NOISE}], got {noise!r}")
    x = x.to(device)
    op = operator if isinstance(operator, LinearOperator) else make_operator(
        operator, tuple(x.shape[1:]), device=device, seed=seed, **(params or {}))
    y = op.measure(x, noise, seeded(seed + 1))
    return Problem(x, y, op, op.total_sigma(noise), seed)


def method_stream(problem: Problem, method: str, prior=None, overrides: dict[str, Any] | None = None) -> StepStream:
    """The streaming solver of ``method`` on ``problem`` with validated config overrides."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    m = METHODS[method]
    if m.needs_prior and prior is None:
        raise ValueError(f"method {method!r} needs a generator")
    if prior is not None and tuple(prior.image_shape) != tuple(problem.physics.in_shape):
        raise ValueError(f"generator makes {prior.image_shape} images, the problem is {problem.physics.in_shape}")
    cfg = make_config(m.config, overrides)
    return m.iterate(problem.y, problem.physics, prior, cfg)


def step_metrics(step: Step, problem: Problem) -> dict[str, Any]:
    """Metrics of a step's estimate (first image) against the ground truth."""
    ref = problem.x[0] if problem.x is not None else None
    out = all_metrics(step.x[0], ref)
    out.update(residual=step.residual, seconds=round(step.elapsed, 4), iterations=step.iteration)
    return out
