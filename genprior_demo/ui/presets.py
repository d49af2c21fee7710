"""One-click presets, one or more per paper: the page's values (by input name, per tab) that show a paper's
point, and a two-line caption — what the paper claims, what our report measured (read from
docs/results.json by :mod:`genprior_demo.ui.claims`, never typed here). No gradio here: ``app.py`` makes a
button of each and runs the tab."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import claims
from .reconstruct import ASSETS, input_name
from .unknown import HIDDEN

DIGIT = str(ASSETS / "mnist-test0000-digit7.png")
SHAPE = str(ASSETS / "shapes-test0.png")


@dataclass(frozen=True)
class Preset:
    key: str
    label: str  # the button
    tab: str  # "reconstruct", "blind", "separate"
    values: dict = field(default_factory=dict)  # input name → value (the rest keep their current values)
    caption: Callable[[], str] = lambda: ""


def _rec(operator: str, op: dict, method: str, generator: str, knobs: dict | None = None, image: str = DIGIT,
         noise: float = 0.05, baselines=("tv",)) -> dict:
    v = {"source": "image", "image": image, "operator": operator, "noise": noise, "generator": generator,
         "method": method, "baselines": list(baselines), "seed": 0}
    v.update({input_name(operator, k): x for k, x in op.items()})
    v.update({input_name(method, k): x for k, x in (knobs or {}).items()})
    return v


PRESETS = (
    Preset("csgm-plateau", "Bora: CSGM plateaus, TV does not", "reconstruct",
           _rec("cs-gaussian", {"m": 500}, "csgm", "mnist-vae"), claims.csgm_caption),
    Preset("iagan-sr4", "Abu Hussein: IAGAN + BP, SR ×4", "reconstruct",
           _rec("sr", {"factor": 4}, "iagan-bp", "mnist-vae", noise=0.0), claims.iagan_caption),
    Preset("iagan-ood", "Abu Hussein: an image outside the GAN's domain", "reconstruct",
           _rec("sr", {"factor": 2}, "iagan", "mnist-dcgan", image=SHAPE, noise=0.0), claims.iagan_ood_caption),
    Preset("npgd-speed", "Raj: PGD-GAN vs NPGD speed", "reconstruct",
           _rec("cs-gaussian", {"m": 200}, "npgd", "mnist-dcgan", baselines=()), claims.npgd_caption),
    Preset("duff-relaxed", "Duff: relaxed beats hard (tomography)", "reconstruct",
           _rec("tomography", {"angles": 30}, "tv-sparse", "shapes-vae", image=SHAPE, noise=0.1), claims.duff_caption),
    Preset("anirudh-blind", "Anirudh: blind deblurring", "blind",
           {"hidden": next(iter(HIDDEN)), "blind_n": 8, "blind_noise": 0.0}, claims.blind_caption),
    Preset("anirudh-separate", "Anirudh: source separation", "separate",
           {"separate_observations": 4}, claims.separation_caption),
    Preset("pajot-uair", "Pajot: UAIR on remove-pixel", "reconstruct",
           _rec("remove-pixel", {"p": 0.9}, "csgm", "mnist-dcgan", noise=0.0), claims.uair_caption),
)
PRESET_BY_KEY = {p.key: p for p in PRESETS}
