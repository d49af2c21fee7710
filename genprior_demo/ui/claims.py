"""What each paper claims beside what our report measured, for the tabs' captions. The numbers are read
from docs/results.json (written by ``bench-quality``), never typed here; where a section is missing the
caption says so instead of inventing a number."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results.json"


@lru_cache(maxsize=1)
def _raw() -> dict:
    try:
        return json.loads(RESULTS.read_text()).get("raw", {})
    except (OSError, ValueError):
        return {}


def _mean(v) -> float | None:
    if isinstance(v, dict):
        v = v.get("psnr", v.get("mean", v.get("mse_x100")))
    return float(np.mean(v)) if v else None


def _find(rows: dict, prefix: str) -> float | None:
    return next((_mean(v) for k, v in rows.items() if k.startswith(prefix)), None)


def blind_caption() -> str:
    claim = ("**Anirudh et al. (Table 1):** with the surrogate learned from the observations alone, blind "
             "recovery comes close to inverting with the true F.")
    raw = _raw().get("blind", {})
    parts = []
    for op, title in (("gaussian-blur", "Gaussian blur"), ("motion-blur", "motion blur"), ("edge-sobel", "Sobel edges")):
        rows = raw.get(op, {})
        ours, ref = _find(rows, "blind, support chosen"), _find(rows, "CSGM with the true F")
        if ours is not None and ref is not None:
            parts.append(f"{title} {ours:.1f} dB vs {ref:.1f} dB with the true F")
    ours = ("**Our report (docs/RESULTS.md):** " + "; ".join(parts) + ".") if parts else \
        "**Our report:** no blind-inversion section in docs/results.json yet (`bench-quality --experiments blind`)."
    return claim + "  \n" + ours


def separation_caption() -> str:
    claim = ("**Anirudh et al. (§3.2):** a learned mixing network separates non-linear mixtures that the "
             "additive model and ICA cannot.")
    raw = _raw().get("bss", {})
    parts = []
    for n_obs in ("1", "4"):
        rows = raw.get(n_obs, {})
        net, add, ica = (_find(rows, "mixing network, "), _find(rows, "additive"), _find(rows, "FastICA"))
        if net is None:
            net = _find(rows, "mixing network")
        if None not in (net, add, ica):
            parts.append(f"{n_obs} observation{'s' if n_obs != '1' else ''}: mixing network {net:.1f} dB, "
                         f"additive {add:.1f}, FastICA {ica:.1f}")
    ours = ("**Our report (per-source PSNR):** " + "; ".join(parts) + ".") if parts else \
        "**Our report:** no separation section in docs/results.json yet."
    return claim + "  \n" + ours


def uair_caption() -> str:
    claim = ("**Pajot et al. (Table 1):** a network trained from corrupted observations only reaches the MSE "
             "of the same network trained on clean pairs.")
    raw = _raw().get("uair", {})
    parts = []
    for kind, rows in raw.items():
        if not isinstance(rows, dict) or kind == "tuned":
            continue
        ours, sup, inp = _find(rows, "UAIR, eq. 9"), _find(rows, "same network, supervised"), _find(rows, "corrupted input")
        if ours is not None and inp is not None:
            parts.append(f"{kind}: MSE {100 * ours / inp:.0f} % of the input's"
                         + (f" (supervised {100 * sup / inp:.0f} %)" if sup is not None else ""))
    ours = ("**Our report:** " + "; ".join(parts) + ".") if parts else "**Our report:** no UAIR section yet."
    return claim + "  \n" + ours
