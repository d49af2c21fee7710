"""Glue shared by the CLI, the UI and the experiments: a problem → a method's stream → metrics."""
from __future__ import annotations

from typing import Any

from .config import make_config
from .metrics import all_metrics
from .problem import BlindProblem, Problem, SeparationProblem, make_problem  # noqa: F401  (re-exported)
from .solvers import METHODS
from .solvers.base import Step, StepStream


def method_stream(problem, method: str, prior=None, overrides: dict[str, Any] | None = None) -> StepStream:
    """The streaming solver of ``method`` on ``problem`` with validated config overrides.

    >>> final = solve(method_stream(make_problem(x, "sr", {"factor": 2}), "csgm", prior, {"iters": 200}))
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    m = METHODS[method]
    if getattr(problem, "kind", None) != m.problem:
        raise ValueError(f"method {method!r} takes a {m.problem!r} problem, got {type(problem).__name__}")
    if m.needs_prior and prior is None:
        raise ValueError(f"method {method!r} needs a generator")
    shape = getattr(problem, "image_shape", None)
    if prior is not None and shape is not None and tuple(prior.image_shape) != tuple(shape):
        raise ValueError(f"generator makes {prior.image_shape} images, the problem is {shape}")
    if m.requires is not None and getattr(problem.physics, m.requires)() is None:
        raise ValueError(f"method {method!r} needs an operator with {m.requires.replace('_', ' ')} "
                         f"(e.g. remove-pixel, patch-band, box-mask); {problem.physics.name!r} has none")
    cfg = make_config(m.config, overrides)
    return m.iterate(problem, prior, cfg)


def step_metrics(step: Step, problem) -> dict[str, Any]:
    """Metrics of a step's estimate (first image) against the ground truth."""
    ref = problem.x[0] if problem.x is not None else None
    out = all_metrics(step.x[0], ref)
    out.update(residual=step.residual, seconds=round(step.elapsed, 4), iterations=step.iteration)
    return out
