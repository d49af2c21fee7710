"""Back-projection (Abu Hussein, Tirer & Giryes 2020): x_bp = x̂ + Aᵀ(AAᵀ + ηI)⁻¹(y − A x̂).

A post-processing step for any estimate; with η = 0 it is x̂ + A†(y − A x̂), so A x_bp = y exactly
(σ = 0, full row rank). Applied to every streamed step of a method, so the UI shows its effect live.
"""
from __future__ import annotations

import dataclasses

import torch

from .base import Step, StepStream, residual_norm


def backproject(x: torch.Tensor, y: torch.Tensor, physics, eta: float = 0.0) -> torch.Tensor:
    with torch.no_grad():
        return x + physics.regularised_dagger(y - physics.A(x), eta)


def with_backprojection(stream: StepStream, y: torch.Tensor, physics, eta: float) -> StepStream:
    """Stream ``stream``'s steps with each estimate back-projected (the raw one kept in extra)."""
    def bp(step: Step) -> Step:
        xb = backproject(step.x, y, physics, eta)
        extra = dict(step.extra, before_bp=step.x)
        return dataclasses.replace(step, x=xb, residual=float(residual_norm(physics, xb, y).mean()), extra=extra)

    while True:
        try:
            step = next(stream)
        except StopIteration as stop:
            return bp(stop.value)
        yield bp(step)
