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


def init_parameters(module: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Re-draw the weights of every conv / linear layer from ``generator`` with PyTorch's default
    initialisation (Kaiming-uniform, a = √5; bias U(±1/√fan_in)), in registration order — the same
    values ``torch.manual_seed(s)`` before construction would give, without touching the global RNG
    (which other threads of the server share)."""
    import math

    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                if m.bias is not None:
                    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
                    if fan_in:
                        bound = 1 / math.sqrt(fan_in)
                        nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return module
