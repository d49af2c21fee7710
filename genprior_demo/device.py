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


_SEEDED = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "Linear")


def init_parameters(module: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Re-draw the weights of every conv / linear layer from ``generator`` with PyTorch's default
    initialisation (Kaiming-uniform, a = √5; bias U(±1/√fan_in)), in registration order — the same
    values ``torch.manual_seed(s)`` before construction would give, without seeding the global RNG."""
    import math

    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if type(m).__name__ in _SEEDED:
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                if m.bias is not None:
                    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
                    if fan_in:
                        bound = 1 / math.sqrt(fan_in)
                        nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return module


def seeded_module(factory, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.nn.Module:
    """``factory()`` built on the meta device (so construction draws nothing from torch's global RNG,
    which the server's threads share), then materialised on ``device``: conv / linear weights from
    ``generator`` (:func:`init_parameters`), normalisation layers at their deterministic defaults."""
    with torch.device("meta"):
        module = factory()
    module = module.to_empty(device=device)
    for m in module.modules():
        own = list(m.parameters(recurse=False)) + list(m.buffers(recurse=False))
        if not own or type(m).__name__ in _SEEDED:
            continue
        if not hasattr(m, "reset_parameters") or "Norm" not in type(m).__name__:
            raise TypeError(f"seeded_module cannot initialise {type(m).__name__} deterministically")
        m.reset_parameters()  # BatchNorm & co.: ones / zeros, running statistics reset
    return init_parameters(module, generator)
