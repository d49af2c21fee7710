"""Back-projection (Abu Hussein, Tirer & Giryes 2020): x_bp = x̂ + Aᵀ(AAᵀ + ηI)⁻¹(y − A x̂).

A post-processing step for any estimate; with η = 0 it is x̂ + A†(y − A x̂), so A x_bp = y exactly
(σ = 0, full row rank). Applied to every streamed step of a method, so the UI shows its effect live.
The paper uses the exact A† (η = 0) and skips it for noisy y; η > 0 is our variant for noisy data.
"""
from __future__ import annotations

import dataclasses

import torch

from .base import Step, StepStream, map_steps, residual_norm


def backproject(x: torch.Tensor, y: torch.Tensor, physics, eta: float = 0.0) -> torch.Tensor:
    with torch.no_grad():
        return x + physics.regularised_dagger(y - physics.A(x), eta)


def with_backprojection(stream: StepStream, problem, eta: float) -> StepStream:
    """Stream ``stream``'s steps with each estimate back-projected (the raw one in ``before_bp``)."""
    y, physics = problem.y, problem.physics

    def bp(step: Step) -> Step:
        xb = backproject(step.x, y, physics, eta)
        return dataclasses.replace(step, x=xb, residual=float(residual_norm(physics, xb, y).mean()), before_bp=step.x)

    return (yield from map_steps(stream, bp))
