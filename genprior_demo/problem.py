"""What a method is asked to solve — the state that travels, made explicit.

Three kinds, one per family of methods (``Method.problem`` names the kind a method takes):

* :class:`Problem` — y = A(x) + n with a known operator A (``physics``) and noise σ.
* :class:`BlindProblem` — N observations y_j = F(x_j) + n of one *unknown* F (Anirudh et al. Alg. 1).
* :class:`SeparationProblem` — B mixtures of S sources, O observations each, unknown mixing (§3.2).

The ground truth ``x`` is optional and never read by a method (only by metrics and displays); the
operator carries no noise state: σ lives here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import torch

from .config import NOISE
from .device import seeded
from .physics import LinearOperator, make_operator


class _Observations:
    """What every problem kind has: measurements ``y`` with the batch first."""

    y: torch.Tensor

    @property
    def device(self) -> torch.device:
        return self.y.device

    @property
    def batch(self) -> int:
        return self.y.shape[0]


@dataclass(frozen=True)
class Problem(_Observations):
    """y = A(x) + n, n ~ N(0, σ²): measurements (B, …), the operator, the total noise σ (user +
    operator), the seed the operator and noise were drawn from, the device, and the ground truth
    (B, C, H, W) when it is known (never read by a method)."""

    kind: ClassVar[str] = "known"
    y: torch.Tensor
    physics: LinearOperator
    sigma: float = 0.0
    seed: int = 0
    x: torch.Tensor | None = None
    notes: tuple[str, ...] = ()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.physics.in_shape)

    def subset(self, n: int) -> "Problem":
        """The first ``n`` observations (same operator and σ)."""
        return replace(self, y=self.y[:n], x=None if self.x is None else self.x[:n])

    def noise_energy(self) -> float:
        """E‖n‖² per image, σ² m, m = the measured entries of y (masks and subsampled Fourier store zeros that
        carry no noise): the level Morozov's discrepancy principle fits the residual ‖Ax − y‖² down to."""
        return self.sigma ** 2 * self.physics.measurement_count()


@dataclass(frozen=True)
class BlindProblem(_Observations):
    """N observations (N, C, H, W) of one unknown operator. ``hidden`` is the true operator — kept for the
    baselines and displays that are allowed to know it, never read by a blind method."""

    kind: ClassVar[str] = "blind"
    y: torch.Tensor
    sigma: float = 0.0
    seed: int = 0
    x: torch.Tensor | None = None
    hidden: LinearOperator | None = None


@dataclass(frozen=True)
class SeparationProblem(_Observations):
    """Mixtures (B, O, H, W) of ``sources`` single-channel sources each. ``x`` (B, S, H, W) and
    ``mixing`` (S, O) are the truth, when known (never read by a method)."""

    kind: ClassVar[str] = "separation"
    y: torch.Tensor
    sources: int = 3
    sigma: float = 0.0
    seed: int = 0
    x: torch.Tensor | None = None
    mixing: torch.Tensor | None = None


def _operator(x: torch.Tensor, operator: str | LinearOperator, params: dict[str, Any] | None, seed: int,
              device) -> LinearOperator:
    if isinstance(operator, LinearOperator):
        return operator
    return make_operator(operator, tuple(x.shape[1:]), device=device, seed=seed, **(params or {}))


def make_problem(x: torch.Tensor, operator: str | LinearOperator, params: dict[str, Any] | None = None,
                 noise: float = 0.0, seed: int = 0, device: torch.device | str = "cpu",
                 notes: tuple[str, ...] = ()) -> Problem:
    """Degrade ``x`` (B, C, H, W) with a registered operator (by name) or a ready operator object
    (e.g. a painted :class:`~genprior_demo.physics.Mask`) and Gaussian noise σ = ``noise``; the
    operator's random parts come from ``seed``, the noise from ``seed + 1``.

    >>> p = make_problem(x, "cs-gaussian", {"m": 200}, noise=0.05, seed=0)
    """
    noise = NOISE.parse(noise)
    x = x.to(device)
    op = _operator(x, operator, params, seed, device)
    y = op.measure(x, noise, seeded(seed + 1))
    return Problem(y, op, op.total_sigma(noise), int(seed), x, tuple(notes))


def make_blind_problem(x: torch.Tensor, operator: str | LinearOperator, params: dict[str, Any] | None = None,
                       noise: float = 0.0, seed: int = 0, device: torch.device | str = "cpu") -> BlindProblem:
    """N images (N, C, H, W) degraded by one operator the blind method is not told (it is kept as
    ``hidden``, for the baselines): :func:`make_problem`'s observations without the operator."""
    p = make_problem(x, operator, params, noise, seed, device)
    return BlindProblem(p.y, p.sigma, p.seed, p.x, p.physics)


def make_separation_problem(sources: torch.Tensor, observations: int, seed: int = 0,
                            device: torch.device | str = "cpu") -> SeparationProblem:
    """Mix ``sources`` (B, S, H, W) in [0, 1] as Y = |MᵀX| with one M (S × O) drawn from ``seed``."""
    from .physics.mixing import mix

    x = sources.to(device)
    y, M = mix(x, observations, seeded(seed))
    return SeparationProblem(y, x.shape[1], 0.0, int(seed), x, M)


__all__ = ["Problem", "BlindProblem", "SeparationProblem", "make_problem", "make_blind_problem",
           "make_separation_problem"]
