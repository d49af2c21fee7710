"""The latent update shared by CSGM, IAGAN and the generative regularisers.

They differ only in which variables move (z; z and G's weights; z and an image offset u) and which
penalty is added — :func:`descend` takes exactly those two things. Restarts are a batch dimension:
an observation batch (B, ...) with R restarts is optimised as B·R rows at once.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch

from ..device import seeded
from .base import Step, residual_norm


def descend(variables: list[torch.Tensor], lrs: list[float], objective: Callable, iters: int,
            after_step: Callable[[], None] | None = None) -> Iterator[tuple[int, torch.Tensor, dict]]:
    """Adam on ``variables`` (one learning rate each) minimising ``objective()``.

    ``objective()`` returns ``(total (N,), terms {name: (N,)}, x (N, C, H, W))``; rows are independent
    problems (restarts × images) so the gradient of ``total.sum()`` updates each row on its own.
    Yields ``(iteration, x, terms)`` as evaluated before that iteration's update.
    """
    opt = torch.optim.Adam([{"params": [v], "lr": lr} for v, lr in zip(variables, lrs)])
    for it in range(1, iters + 1):
        opt.zero_grad(set_to_none=True)
        total, terms, x = objective()
        total.sum().backward()
        opt.step()
        if after_step is not None:
            with torch.no_grad():
                after_step()
        yield it, x.detach(), {k: v.detach() for k, v in terms.items()}


def restart_latents(prior, images: int, restarts: int, seed: int) -> torch.Tensor:
    """(B·R, k) starting codes, drawn image by image from one seeded generator, so image b's restarts do
    not depend on how many images share the batch (one ``randn(B·R, k)`` would not: torch draws small
    and large normal tensors by different paths)."""
    g = seeded(seed)
    with torch.no_grad():
        return torch.cat([prior.sample_latent(restarts, g) for _ in range(images)])


def best_of_restarts(x: torch.Tensor, score: torch.Tensor, B: int, R: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick, per image, the restart with the smallest score. x (B·R, C, H, W) → (B, C, H, W), idx (B,)."""
    idx = score.view(B, R).argmin(1)
    return x.view(B, R, *x.shape[1:])[torch.arange(B, device=x.device), idx], idx


def restart_step(it: int, x: torch.Tensor, terms: dict, y: torch.Tensor, physics, R: int,
                 z: torch.Tensor | None = None, score: torch.Tensor | None = None) -> Step:
    """A Step for B·R rows: the best restart per image by ``score`` (default: the data loss), with every
    restart, the chosen index and each restart's data loss."""
    B = y.shape[0]
    xb, idx = best_of_restarts(x, terms["data"] if score is None else score, B, R)
    row = int(idx[0])
    losses = {k: float(v.view(B, R)[0, row]) for k, v in terms.items()}
    losses["total"] = sum(losses.values())
    zb = None
    if z is not None:
        zz = z.detach().view(B, R, -1)
        zb = zz[torch.arange(B, device=zz.device), idx]
    return Step(it, xb, float(residual_norm(physics, xb, y).mean()), losses, restarts=x.view(B, R, *x.shape[1:]),
                best=idx, restart_losses=terms["data"].view(B, R), z=zb)
