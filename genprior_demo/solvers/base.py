"""The one protocol every method follows.

A method is a Python generator ``iterate(y, physics, prior, cfg)`` that yields a :class:`Step` every
``cfg.every`` iterations and *returns* its final Step. Stopping early = not asking for the next step.
:func:`solve` runs one to the end. Methods live in :data:`METHODS` under stable names.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Iterator

import torch


@dataclass
class Step:
    """One observable state of a solver.

    iteration: iterations done.  x: current estimate (B, C, H, W) — best restart per image.
    losses: named loss terms (first image's best restart).  residual: mean over the batch of
    ‖A x − y‖.  elapsed: compute seconds (time spent by the consumer between steps is excluded).
    extra: method-specific tensors, e.g. ``restarts`` (B, R, C, H, W) and ``z`` (B, k).
    """

    iteration: int
    x: torch.Tensor
    losses: dict[str, float]
    residual: float
    elapsed: float
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


StepStream = Generator[Step, None, Step]


class Clock:
    """Compute time of a generator: ``pause()`` before yielding, ``resume()`` after."""

    def __init__(self):
        self.total, self._t = 0.0, time.perf_counter()

    def pause(self) -> float:
        self.total += time.perf_counter() - self._t
        return self.total

    def resume(self) -> None:
        self._t = time.perf_counter()


def residual_norm(physics, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """‖A x − y‖ per image (B,)."""
    with torch.no_grad():
        return (physics.A(x) - y).flatten(1).norm(dim=1)


def solve(stream: StepStream) -> Step:
    """Run a method to the end and return its final Step."""
    while True:
        try:
            next(stream)
        except StopIteration as stop:
            return stop.value


@dataclass(frozen=True)
class Method:
    name: str
    iterate: Callable[..., Iterator[Step]]
    config: type
    needs_prior: bool
    title: str
    objective: str
    reference: str
    prior_kind: str = "generator"  # what ``prior`` is: a GenerativePrior, or a trained "uair" network
    forward_model: str = "known"   # "unknown": blind methods that never use ``physics`` (own app tab)


METHODS: dict[str, Method] = {}


def register(name: str, config: type, *, needs_prior: bool, title: str, objective: str, reference: str,
             prior_kind: str = "generator", forward_model: str = "known"):
    """Decorator: add a streaming method to :data:`METHODS` under a stable name."""
    def deco(fn):
        METHODS[name] = Method(name, fn, config, needs_prior, title, objective, reference, prior_kind, forward_model)
        return fn
    return deco
