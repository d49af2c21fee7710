"""Finite differences for total variation (Neumann boundary), and the TV proximal operator."""
from __future__ import annotations

import torch


def grad(x: torch.Tensor) -> torch.Tensor:
    """Forward differences, (B, C, H, W) → (B, 2, C, H, W); zero across the last row/column."""
    gy = torch.zeros_like(x)
    gx = torch.zeros_like(x)
    gy[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    gx[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    return torch.stack([gy, gx], 1)


def div(p: torch.Tensor) -> torch.Tensor:
    """The negative adjoint of :func:`grad`: ⟨grad x, p⟩ = −⟨x, div p⟩."""
    py, px = p[:, 0], p[:, 1]
    dy = torch.zeros_like(py)
    dx = torch.zeros_like(px)
    dy[..., 0, :] = py[..., 0, :]
    dy[..., 1:-1, :] = py[..., 1:-1, :] - py[..., :-2, :]
    dy[..., -1, :] = -py[..., -2, :]
    dx[..., :, 0] = px[..., :, 0]
    dx[..., :, 1:-1] = px[..., :, 1:-1] - px[..., :, :-2]
    dx[..., :, -1] = -px[..., :, -2]
    return dy + dx


def tv(x: torch.Tensor) -> torch.Tensor:
    """Isotropic total variation per image (B,)."""
    return grad(x).pow(2).sum(1).add(1e-12).sqrt().flatten(1).sum(1)


def tv_prox(v: torch.Tensor, weight: torch.Tensor | float, iters: int = 30) -> torch.Tensor:
    """argmin_u ½‖u − v‖² + weight·TV(u) by Chambolle's (2004) dual projection, batched."""
    w = torch.as_tensor(weight, dtype=v.dtype, device=v.device).reshape(-1, *([1] * (v.ndim - 1)))
    if bool((w <= 0).all()):
        return v.clone()
    w = w.clamp_min(1e-12)
    p = torch.zeros((v.shape[0], 2, *v.shape[1:]), dtype=v.dtype, device=v.device)
    tau = 0.125
    for _ in range(iters):
        g = grad(div(p) - v / w)
        p = (p + tau * g) / (1 + tau * g.pow(2).sum(1, keepdim=True).sqrt())
    return v - w * div(p)
