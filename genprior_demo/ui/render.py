"""Pictures for the page: crisp enlarged images and a log-scale loss curve (no gradio here)."""
from __future__ import annotations

import io

import numpy as np
import torch

from ..imaging import display_scale, to_uint8

DISPLAY = 256


def show(x: torch.Tensor | None, target: int = DISPLAY) -> np.ndarray | None:
    """(C, H, W) in [0, 1] → uint8 enlarged with nearest neighbour to about ``target`` pixels."""
    if x is None:
        return None
    x = x.detach().cpu().reshape(-1, *x.shape[-2:])
    return to_uint8(x, display_scale(max(x.shape[-2:]), target))


def std_map(restarts: torch.Tensor) -> np.ndarray:
    """Per-pixel standard deviation across restarts (R, C, H, W), scaled to its maximum, as uint8."""
    s = restarts.detach().float().std(0, unbiased=False).mean(0, keepdim=True)
    return show(s / s.max().clamp_min(1e-8))


def curve(history: dict[str, list[tuple[int, float]]], title: str = "loss", width: int = 420, height: int = 260) -> np.ndarray:
    """Loss curves on a log y-axis (losses span decades), rendered to an RGB array."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    for name, pts in history.items():
        if pts:
            it, v = zip(*pts)
            ax.plot(it, np.maximum(np.asarray(v, dtype=float), 1e-12), label=name, lw=1.6)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if any(history.values()):
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
