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
def _store() -> dict:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def _raw() -> dict:
    return _store().get("raw", {})


def _table(section: str, row: str, heading: str = "", column: int = 1) -> float | None:
    """The number (mean of ``mean ± std``) in ``column`` of the first row starting with ``row`` of a
    markdown table in a report section (under the ``### heading`` when given)."""
    text = _store().get("sections", {}).get(section, "")
    if heading:
        start = text.find(heading)
        if start < 0:
            return None
        end = text.find("\n### ", start + 1)
        text = text[start:end if end > 0 else None]
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith(row) and len(cells) > column:
            try:
                return float(cells[column].split("±")[0])
            except ValueError:
                return None
    return None


def _report(parts: list[str], what: str) -> str:
    return ("**Our report (docs/RESULTS.md):** " + "; ".join(parts) + ".") if parts else \
        f"**Our report:** no {what} numbers in docs/results.json yet."


def csgm_caption() -> str:
    claim = ("**Bora et al. (Fig. 1):** CSGM needs far fewer measurements than sparsity priors, but its error "
             "stops falling once the generator's representation error dominates.")
    cs = _raw().get("cs", {})
    parts = []
    for m in ("25", "500"):
        g, tv = _mean(cs.get("CSGM (VAE)", {}).get(m)), _mean(cs.get("TV", {}).get(m))
        if g is not None and tv is not None:
            parts.append(f"m = {m}: CSGM (VAE) {g:.1f} dB vs TV {tv:.1f}")
    return claim + "  \n" + _report(parts, "compressed-sensing") + " (§1, 50 test digits, σ = 0.05)"


def iagan_caption() -> str:
    claim = ("**Abu Hussein et al. (Tables 2–3):** adapting the generator to the image (IAGAN) and "
             "back-projecting beat CSGM on super-resolution ×4 (their bicubic filter; ours is a box filter).")
    parts = _rows("sr", "### ×4, σ = 0.000", IAGAN_BP="IAGAN-BP (mnist-vae)", CSGM="CSGM (mnist-vae)", bicubic="bicubic")
    return claim + "  \n" + _report(parts, "super-resolution") + " (§2, ×4, VAE, 50 test digits)"


def _rows(section: str, heading: str, column: int = 1, **rows: str) -> list[str]:
    """One clause "label x dB, …" from a report table's rows (label ← row prefix; PSNR in ``column``), or none
    if any is missing."""
    vals = [(lbl.replace("_", "-"), _table(section, row, heading, column)) for lbl, row in rows.items()]
    return [", ".join(f"{lbl} {v:.1f} dB" for lbl, v in vals)] if all(v is not None for _, v in vals) else []


def iagan_ood_caption() -> str:
    claim = ("**Abu Hussein et al. (§4):** image-adaptive reconstruction recovers images outside the generator's "
             "domain, where CSGM returns the nearest in-domain image.")
    parts = [f"{p} ({where})" for where, sec, head in (("§6c, handwriting-font digits", "iagan-fonts", "### ×2"),
                                                        ("§6, UCI digits", "iagan", "### Digits from outside MNIST"))
             for p in _rows(sec, head, IAGAN="IAGAN", CSGM="CSGM", bicubic="bicubic")]
    return (claim + "  \n" + _report(parts, "out-of-domain") + " Both: SR ×2, noiseless. This preset "
            "runs IAGAN with the MNIST GAN on a Shapes image: compare the CSGM stage of its curve with the adapted result.")


def npgd_caption() -> str:
    claim = ("**Raj et al. (slides):** a learned projector makes projected gradient descent ≥ 10× faster than "
             "PGD-GAN's inner optimisation, at a small cost in PSNR.")
    rows = [(lbl, _table("pgd", row), _table("pgd", row, column=4)) for lbl, row in
            (("CSGM", "CSGM (mnist-dcgan)"), ("PGD-GAN", "pgd-gan (mnist-dcgan)"), ("NPGD", "npgd (mnist-dcgan)"))]
    parts = [", ".join(f"{lbl} {p:.1f} dB in {s:.2f} s" for lbl, p, s in rows)] if all(
        p is not None and s is not None for _, p, s in rows) else []
    return claim + "  \n" + _report(parts, "PGD-GAN / NPGD") + " (§5, CS m = 200, σ = 0.05, DCGAN)"


def duff_caption() -> str:
    claim = ("**Duff et al. (Figs. 9–11):** relaxing the hard constraint x = G(z) (x = G(z) + u with a sparse or "
             "TV penalty on u) helps when the image is not exactly in the generator's range.")
    parts = _rows("shapes", "### tomography", column=3, hard="hard, prior start (shapes-vae)",
                  TV_sparse="tv-sparse (shapes-vae)", TV="TV")
    return (claim + "  \n" + _report(parts, "Shapes tomography") + " (§4, Shapes VAE, 30 angles, noise 10 % of ‖Ax‖; "
            "this preset's σ = 0.1 on the page's unscaled sinogram is ≈ 2 %)")


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
        ours, ref = _find(rows, "blind, support"), _find(rows, "CSGM with the true F")
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
        net, paper = _find(rows, "mixing network"), _find(rows, "the paper's loop")
        add, ica = _find(rows, "additive"), _find(rows, "FastICA")
        if None not in (net, add, ica):
            loop = f" (the paper's loop {paper:.1f})" if paper is not None else ""
            parts.append(f"{n_obs} observation{'s' if n_obs != '1' else ''}: mixing network {net:.1f} dB{loop}, "
                         f"additive {add:.1f}, FastICA {ica:.1f}")
    ours = ("**Our report (per-source PSNR):** " + "; ".join(parts) + ".") if parts else \
        "**Our report:** no separation section in docs/results.json yet."
    return claim + "  \n" + ours


def uair_caption() -> str:
    claim = ("**Pajot et al. (Table 1):** a network trained from corrupted observations only reaches the MSE "
             "of the same network trained on clean pairs with an adversarial term (their Paired Variant).")
    raw = _raw().get("uair", {})
    parts = []
    for kind, rows in raw.items():
        if not isinstance(rows, dict) or kind == "tuned":
            continue
        ours, inp = _find(rows, "UAIR, eq. 9"), _find(rows, "corrupted input")
        sup, pair = _find(rows, "same network, supervised"), _find(rows, "the paper's Paired Variant")
        refs = [f"{what}: {100 * v / inp:.0f} %" for what, v in (("clean pairs + adversarial (Paired Variant)", pair),
                                                                  ("clean pairs, MSE", sup)) if v is not None]
        if ours is not None and inp is not None:
            parts.append(f"{kind}: MSE {100 * ours / inp:.0f} % of the input's" + (f" ({', '.join(refs)})" if refs else ""))
    ours = ("**Our report:** " + "; ".join(parts) + ".") if parts else "**Our report:** no UAIR section yet."
    return claim + "  \n" + ours
