"""Pick the compute device once and pass it down (never assume CUDA)."""
from __future__ import annotations

import os

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """Return ``cuda`` when available (or ``prefer`` / ``$GENPRIOR_DEVICE``), else ``cpu``."""
    name = prefer or os.environ.get("GENPRIOR_DEVICE")
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seeded(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """An explicit random generator: the same seed gives the same result (no global RNG state)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g
