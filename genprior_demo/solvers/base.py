"""The one protocol every method follows.

A method is a Python generator ``iterate(problem, prior, cfg)`` that yields a :class:`Step` every
``cfg.every`` iterations and *returns* its final Step. Stopping early = not asking for the next step.
:func:`solve` runs one to the end. Methods live in :data:`METHODS` under stable names; ``Method.problem``
says which kind of problem (``"known"``, ``"blind"``, ``"separation"``) a method takes.

Every method streams through one :class:`Emitter`, which owns the compute clock, the every-k rule and
the final step, so a new method only writes its update::

    emit = Emitter(cfg.every)
    for it in range(1, cfg.iters + 1):
        x = update(x)
        yield from emit(it, cfg.iters, lambda: data_step(it, x, problem))
    return emit.final(lambda: data_step(cfg.iters, x, problem))
"""
from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import torch

from ..streams import drain


@dataclass
class Step:
    """One observable state of a solver. One meaning per field.

    iteration : iterations done.
    x : the current estimate (B, C, H, W) — the chosen restart per image; for source separation the
        separated sources (B, S, H, W).
    residual : mean over the batch of ‖model(x) − y‖₂ for *this* x — model = A for a known operator,
        the fitted surrogate F̂ (blind) or mixing network M̂ (separation).
    losses : the method's loss terms of the first image, under stable keys (see :data:`LOSS_LABELS`).
    elapsed : compute seconds (time the consumer spends between steps is excluded).
    Optional, method-specific (None / empty when a method has no such thing):
    restarts (B, R, C, H, W), best (B,) chosen restart, restart_losses (B, R) data loss per restart,
    z (B, k) latent code of x, phase (what the method is doing now), label (what ran, when it differs
    from the method's title), before_bp (the estimate before back-projection), stage1 (IAGAN's CSGM
    result), generator_part and offset (G(z) and u of the relaxed regularisers), surrogate (F̂ or M̂, a
    module), kernel (F̂'s impulse response), stopped_early (DIP's discrepancy stop), converged_at (CG).
    """

    iteration: int
    x: torch.Tensor
    residual: float
    losses: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    done: bool = False
    restarts: torch.Tensor | None = None
    best: torch.Tensor | None = None
    restart_losses: torch.Tensor | None = None
    z: torch.Tensor | None = None
    phase: str = ""
    label: str = ""
    before_bp: torch.Tensor | None = None
    stage1: torch.Tensor | None = None
    generator_part: torch.Tensor | None = None
    offset: torch.Tensor | None = None
    surrogate: torch.nn.Module | None = None
    kernel: torch.Tensor | None = None
    stopped_early: bool = False
    converged_at: int | None = None


# Stable loss keys → what the page and the CLI print.
LOSS_LABELS = {
    "data": "‖Ax − y‖²",
    "prior": "λ‖z‖²",
    "total": "objective",
    "best_data": "best ‖Ax − y‖² so far",
    "tv": "λ TV(x)",
    "offset": "λ R(u)",
    "latent": "λμ‖z‖²",
    "data_l1": "‖F̂(x) − y‖₁ / n",
    "realism": "log(1 − D(x))",
    "sliced_wasserstein": "SW₁(pixels of M̂(draws), pixels of y)",
}


def loss_label(key: str) -> str:
    return LOSS_LABELS.get(key, key)


StepStream = Generator[Step, None, Step]


class Emitter:
    """The streaming rule, written once: a compute clock, a Step every ``every`` iterations (never at the
    last iteration — that one is the return value, so no Step is seen twice) and the final Step.

    ``yield from emit(it, last, build)`` yields ``build()`` when iteration ``it`` of ``last`` is due;
    ``return emit.final(build)`` ends a method. ``build`` runs under ``torch.no_grad()`` with the clock
    paused (measuring is not computing) and gets ``elapsed`` filled in. Call it outside ``no_grad``
    blocks: a generator that yields inside one leaks no-grad into its consumer.
    """

    def __init__(self, every: int = 1):
        self.every = max(1, int(every))
        self.total = 0.0
        self._t: float | None = time.perf_counter()

    def pause(self) -> float:
        if self._t is not None:
            self.total += time.perf_counter() - self._t
            self._t = None
        return self.total

    def resume(self) -> None:
        if self._t is None:
            self._t = time.perf_counter()

    def due(self, it: int, last: int) -> bool:
        return it % self.every == 0 and it < last

    def __call__(self, it: int, last: int, build: Callable[[], Step]) -> Iterator[Step]:
        if self.due(it, last):
            yield self.now(build)
            self.resume()

    def now(self, build: Callable[[], Step]) -> Step:
        """Build a Step with the clock paused (the caller yields it and then calls :meth:`resume`)."""
        self.pause()
        with torch.no_grad():
            step = build()
        step.elapsed = self.total
        return step

    def final(self, build: Callable[[], Step]) -> Step:
        step = self.now(build)
        step.done = True
        return step


def residual_norm(physics, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """‖A x − y‖ per image (B,)."""
    with torch.no_grad():
        return (physics.A(x) - y).flatten(1).norm(dim=1)


def data_step(it: int, x: torch.Tensor, problem, losses: dict[str, float] | None = None, **fields) -> Step:
    """A Step for an estimate of a known-operator problem: the residual of ``x`` and, unless given, the
    data loss ‖Ax − y‖² of the first image."""
    r = residual_norm(problem.physics, x, problem.y)
    return Step(it, x, float(r.mean()), {"data": float(r[0]) ** 2} if losses is None else losses, **fields)


def map_steps(stream: StepStream, fn: Callable[[Step], Step]) -> StepStream:
    """``stream`` with ``fn`` applied to every streamed Step and to the final one."""
    while True:
        try:
            step = next(stream)
        except StopIteration as stop:
            return fn(stop.value)
        yield fn(step)


def solve(stream: StepStream) -> Step:
    """Run a method to the end and return its final Step."""
    return drain(stream)


@dataclass(frozen=True)
class Method:
    """A registered method. ``problem``: the kind of problem it takes (``Problem.kind``); ``prior_kind``:
    what ``prior`` is — a GenerativePrior ("generator"), a trained UAIR network ("uair"), or nothing
    (``needs_prior`` False)."""

    name: str
    iterate: Callable[..., StepStream]
    config: type
    needs_prior: bool
    title: str
    objective: str
    reference: str
    prior_kind: str = "generator"
    problem: str = "known"
    requires: str | None = None  # an operator capability it needs, e.g. "observed_mask" (masks only)


METHODS: dict[str, Method] = {}


def register(name: str, config: type, *, needs_prior: bool, title: str, objective: str, reference: str,
             prior_kind: str = "generator", problem: str = "known", requires: str | None = None):
    """Decorator: add a streaming method ``fn(problem, prior, cfg)`` to :data:`METHODS`."""
    def deco(fn):
        METHODS[name] = Method(name, fn, config, needs_prior, title, objective, reference, prior_kind, problem,
                               requires)
        return fn
    return deco


__all__ = ["Step", "StepStream", "Emitter", "LOSS_LABELS", "loss_label", "residual_norm", "data_step", "map_steps",
           "solve", "Method", "METHODS", "register"]
