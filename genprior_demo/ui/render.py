"""Pictures for the page: crisp images and loss curves as data for a client-side plot (no gradio here)."""
from __future__ import annotations

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


def std_map(restarts: torch.Tensor, target: int = DISPLAY) -> np.ndarray:
    """Per-pixel standard deviation across restarts (R, C, H, W), scaled to its maximum, as uint8."""
    s = restarts.detach().float().std(0, unbiased=False).mean(0, keepdim=True)
    return show(s / s.max().clamp_min(1e-8), target)


CURVE_POINTS = 240  # points per series sent to the page (a longer history is thinned evenly, last point kept)
CURVE_COLUMNS = ("iteration", "log10 loss", "series")


def curve(history: dict[str, list[tuple[int, float]]]):
    """Loss curves for a client-side ``gr.LinePlot``: one row per point, the loss as log₁₀ (losses span
    decades and the plot has no log axis), each series thinned to :data:`CURVE_POINTS`. The browser draws
    it (a matplotlib figure per frame cost more than the solver's step: docs/BENCHMARKS.md)."""
    import pandas as pd

    it, val, series = [], [], []
    for name, pts in history.items():
        if not pts:
            continue
        keep = pts if len(pts) <= CURVE_POINTS else [pts[i * (len(pts) - 1) // (CURVE_POINTS - 1)] for i in range(CURVE_POINTS)]
        v = np.log10(np.maximum(np.asarray([p[1] for p in keep], dtype=float), 1e-12))
        it += [p[0] for p in keep]
        val += v.tolist()
        series += [name] * len(keep)
    return pd.DataFrame({"iteration": it, "log10 loss": val, "series": series}, columns=list(CURVE_COLUMNS))
