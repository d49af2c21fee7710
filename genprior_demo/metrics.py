"""Image quality: PSNR and SSIM (scikit-image), LPIPS (``lpips`` package, only with real backbone
weights — otherwise reported as unavailable with the reason), data residual."""
from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch


def _np(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) or (1, C, H, W) tensor → float64 (H, W) or (H, W, C) array."""
    a = x.detach().cpu().double().reshape(-1, *x.shape[-2:]).numpy()
    return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)


def psnr(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB of one image (C, H, W) against ``ref``; images clipped to [0, 1]."""
    mse = float(((x.detach().clamp(0, 1) - ref.detach()).double() ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)


def psnr_each(x: torch.Tensor, ref: torch.Tensor) -> list[float]:
    """PSNR of every image of a batch (B, C, H, W) against ``ref`` (B, C, H, W)."""
    return [psnr(x[i], ref[i]) for i in range(ref.shape[0])]


def ssim(x: torch.Tensor, ref: torch.Tensor, data_range: float = 1.0) -> float:
    """Structural similarity (scikit-image, Gaussian-free 7×7 default window) of one image."""
    from skimage.metrics import structural_similarity

    a, b = _np(x.clamp(0, 1)), _np(ref)
    win = min(7, *(s if s % 2 else s - 1 for s in a.shape[:2]))
    return float(structural_similarity(a, b, data_range=data_range, win_size=win,
                                       channel_axis=-1 if a.ndim == 3 else None))


_ALEX_FILE = "alexnet-owt-7be5be79.pth"


def _may_download() -> bool:
    flag = os.environ.get("GENPRIOR_LPIPS_DOWNLOAD")
    return flag == "1" or (flag != "0" and bool(os.environ.get("SPACE_ID")))


@lru_cache(maxsize=1)
def _lpips_model() -> tuple[object | None, str]:
    """(model, "") when LPIPS-Alex loads with its real AlexNet backbone, else (None, reason).

    The backbone comes from torchvision's cache (``$TORCH_HOME/hub/checkpoints``); without it we try a
    download only where there is internet: on a Hugging Face Space (``SPACE_ID`` set; the app warms this
    up at start) or with ``GENPRIOR_LPIPS_DOWNLOAD=1`` (``=0`` forbids it) — never a random trunk.
    """
    try:
        import lpips  # noqa: F401
    except ImportError:
        return None, "the lpips package is not installed"
    cached = Path(torch.hub.get_dir()) / "checkpoints" / _ALEX_FILE
    if not cached.exists() and not _may_download():
        return None, f"AlexNet backbone weights not in {cached.parent} (offline; set GENPRIOR_LPIPS_DOWNLOAD=1 to fetch)"
    try:
        import lpips

        model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=False, verbose=False).eval()
        return model, ""
    except Exception as e:  # network or file errors: report, never crash
        return None, f"LPIPS backbone could not be loaded: {type(e).__name__}: {e}"[:300]


def lpips_status() -> str:
    """'' when LPIPS is available, else why not."""
    return _lpips_model()[1]


def lpips_distance(x: torch.Tensor, ref: torch.Tensor) -> float | None:
    """LPIPS (AlexNet) distance of one image, or None when unavailable (see :func:`lpips_status`)."""
    model, _ = _lpips_model()
    if model is None:
        return None
    a = x.detach().cpu().float().clamp(0, 1).reshape(1, -1, *x.shape[-2:])
    b = ref.detach().cpu().float().reshape(1, -1, *ref.shape[-2:])
    if a.shape[1] == 1:
        a, b = a.repeat(1, 3, 1, 1), b.repeat(1, 3, 1, 1)
    if a.shape[-1] < 64:  # AlexNet's stride needs ≥ 64 pixels; enlarge with nearest neighbour
        f = math.ceil(64 / a.shape[-1])
        a, b = (torch.nn.functional.interpolate(t, scale_factor=f, mode="nearest") for t in (a, b))
    with torch.no_grad():
        return float(model(a * 2 - 1, b * 2 - 1).flatten()[0])


def all_metrics(x: torch.Tensor, ref: torch.Tensor | None) -> dict[str, float | None]:
    """psnr, ssim, lpips (None when unavailable) for one image; all None without a reference."""
    if ref is None:
        return {"psnr": None, "ssim": None, "lpips": None}
    return {"psnr": psnr(x, ref), "ssim": ssim(x, ref), "lpips": lpips_distance(x, ref)}


def matched_psnr(xhat: torch.Tensor, x: torch.Tensor) -> tuple[list[float], tuple[int, ...]]:
    """Per-source PSNR after matching recovered sources to true ones (best permutation of the mean).

    xhat, x: (S, H, W) in [0, 1] — source separation recovers sources in any order."""
    import itertools

    S = x.shape[0]
    table = [[psnr(xhat[i:i + 1], x[j:j + 1]) for j in range(S)] for i in range(xhat.shape[0])]
    capped = [[min(v, 100.0) for v in row] for row in table]  # exact matches (inf dB) must not tie
    best = max(itertools.permutations(range(xhat.shape[0]), S), key=lambda p: sum(capped[p[j]][j] for j in range(S)))
    return [table[best[j]][j] for j in range(S)], best
