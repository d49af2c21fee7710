"""What the resumable trainings share: an atomic state save and the warmed-up moving average of weights."""
from __future__ import annotations

from pathlib import Path

import torch


def save_atomic(state: dict, path: Path) -> None:
    """torch.save to a temporary file, then rename: a run killed mid-save keeps its previous state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, it: int, decay: float) -> None:
    """ema ← d·ema + (1 − d)·model with d = min(decay, (1 + it)/(10 + it)): warmed up, so an early
    average is not stuck at the initial weights."""
    d = min(decay, (1 + it) / (10 + it))
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - d)
