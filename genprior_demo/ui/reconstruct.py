"""Handler of the Reconstruct tab: widget values → problem → the chosen method raced against the
baselines in one thread (the streams are interleaved step by step) → throttled frames for the page.

No gradio import here: errors are :class:`UserError`, which app.py shows as ``gr.Error``.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from ..config import params_of
from ..device import pick_device
from ..generators import available, load_prior
from ..imaging import ImageError, to_domain
from ..metrics import lpips_status
from ..physics import OPERATORS, Convolution, Mask
from ..pipeline import make_problem, method_stream, step_metrics
from ..solvers import METHODS
from .render import curve, show, std_map

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "examples"
DEVICE = pick_device()
MAX_FPS = 10.0           # frames per second sent to the browser
PAINTED = "painted-mask"  # UI-only operator: the user paints the missing pixels
BASELINES = ("dip", "tv", "wiener")
GENERATIVE = [n for n, m in METHODS.items()  # the Reconstruct tab's methods (blind ones have their own tabs)
              if m.needs_prior and m.prior_kind == "generator" and m.forward_model == "known"]
# UI caps tighter than the configs' hard limits, so a public Space stays responsive
UI_CAPS = {"iters": 2000, "csgm_iters": 2000, "restarts": 32, "inner_iters": 200}


class UserError(ValueError):
    """Shown to the person as a clear message (app.py turns it into gr.Error)."""


# ----------------------------------------------------------------------------------------- choices
def example_images() -> list[str]:
    """MNIST test digits first, then Shapes, then natural images (for the baselines)."""
    order = {"mnist": 0, "shapes": 1}
    return [str(p) for p in sorted(ASSETS.glob("*.png"), key=lambda p: (order.get(p.name.split("-")[0], 2), p.name))]


def warm_up() -> None:
    """Import what the first frame needs (metrics, LPIPS status, plotting) ahead of the first click."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import skimage.metrics  # noqa: F401

    lpips_status()
    for name in available():
        load_prior(name, DEVICE)


def generator_choices() -> list[str]:
    return available()


def operator_choices() -> list[str]:
    return [*OPERATORS, PAINTED]


def generator_info(name: str) -> str:
    """Manifest facts about a generator (data set, latent, quality) as one paragraph."""
    try:
        p = load_prior(name)
    except Exception as e:  # missing or altered checkpoint: say so on the page
        return f"**{name}**: cannot be loaded ({e})"
    m = p.meta
    q = m.get("quality", {})
    qs = (f"projection NRMSE median {q['projection_nrmse_median']:.3f} (p90 {q['projection_nrmse_p90']:.3f}) "
          f"on {q['n_test_images']} held-out images") if q else "quality not measured yet"
    return (f"**{name}** — {m['kind'].upper()} trained on {m['dataset']} ({m['resolution']}×{m['resolution']}), "
            f"latent {m['latent_dim']} ({m['latent_prior']}), {m.get('epochs_completed', '?')} epochs; {qs}.")


def method_knobs() -> dict[str, Any]:
    """Union of the generative methods' settings (name → Param of its first method), minus ``every``."""
    knobs: dict[str, Any] = {}
    for name in GENERATIVE:
        for p in params_of(METHODS[name].config):
            if p.name not in ("every", "seed") and p.name not in knobs:
                knobs[p.name] = p
    return knobs


def knob_state(method: str) -> dict[str, tuple[bool, Any]]:
    """For each knob: (visible for this method, the method's default)."""
    own = {p.name: p.default for p in params_of(METHODS[method].config)}
    return {k: (k in own, own.get(k, p.default)) for k, p in method_knobs().items()}


def explain(operator: str, method: str) -> str:
    op = OPERATORS.get(operator)
    m = METHODS[method]
    ot = ("**Operator** — the user paints the missing pixels; A multiplies by the mask." if op is None
          else f"**Operator `{operator}`** — {op.description}" + (f" *({op.reference})*" if op.reference else ""))
    return f"{ot}\n\n**Method `{method}`** — {m.title}: `{m.objective}`\n\n*{m.reference}*"


# ------------------------------------------------------------------------------------------- input
def _editor_image(v):
    """An ImageEditor/Sketchpad value (dict) → its composite image, or the value itself."""
    if isinstance(v, dict):
        comp = v.get("composite")
        return comp if comp is not None else v.get("background")
    return v


def is_blank(image) -> bool:
    """An untouched drawing canvas: RGBA with nothing painted (alpha 0 everywhere)."""
    return isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 4 and image[..., 3].max() == 0


def load_input(image: Any, prior) -> tuple[torch.Tensor, list[str]]:
    image = _editor_image(image)
    if image is None:
        raise UserError("Pick an example, upload an image or draw one first.")
    if is_blank(image):
        raise UserError("The drawing is empty: draw a digit first.")
    style = "digit" if prior is not None and prior.meta.get("dataset") == "mnist" else "resize"
    channels, size = (prior.image_shape[:2] if prior is not None else (1, 32))
    try:
        return to_domain(image, channels, size, style=style)
    except ImageError as e:
        raise UserError(str(e)) from None


def painted_mask(editor_value, shape) -> Mask:
    """Pixels painted in the editor's layers (alpha > 0) are missing; resized to the image grid."""
    layers = (editor_value or {}).get("layers") if isinstance(editor_value, dict) else None
    if not layers:
        raise UserError("Paint the pixels to remove on the mask editor first.")
    import torch.nn.functional as F

    alpha = np.zeros(np.asarray(layers[0]).shape[:2], dtype=np.float32)
    for layer in layers:
        a = np.asarray(layer)
        if a.ndim == 3 and a.shape[2] == 4:
            alpha = np.maximum(alpha, a[..., 3].astype(np.float32) / 255)
    painted = F.adaptive_avg_pool2d(torch.from_numpy(alpha)[None, None], shape[1:])[0]  # (1, H, W)
    mask = (painted < 0.25).float()
    if float(mask.mean()) == 1.0:
        raise UserError("The painted mask is empty: paint over the pixels to remove.")
    op = Mask(shape, mask, DEVICE)
    op.name, op.params = PAINTED, {"missing": f"{100 * (1 - float(mask.mean())):.0f}%"}
    return op


def _check_number(name: str, v, lo=None, hi=None) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, got {v!r}") from None
    if not math.isfinite(f) or (lo is not None and f < lo) or (hi is not None and f > hi):
        raise UserError(f"{name} must be a finite number in [{lo}, {hi}], got {v!r}")
    return f


# -------------------------------------------------------------------------------------------- race
@dataclasses.dataclass
class Lane:
    """One method in the race: its stream, latest step and final metrics."""

    name: str
    label: str
    stream: Any
    step: Any = None
    metrics: dict | None = None
    error: str | None = None


def _uair_for(operator: str):
    """The shipped UAIR network trained for this degradation, or None."""
    from ..generators.registry import UAIR_NETWORKS, CheckpointError, load_uair

    name = f"uair-{operator}"
    if name not in UAIR_NETWORKS:
        return None
    try:
        return load_uair(name, DEVICE)
    except CheckpointError:
        return None


def _baseline_stream(name: str, problem, seed: int):
    if name == "wiener" and not isinstance(problem.physics, Convolution):
        name = "tikhonov"
    label = {"dip": "DIP", "tv": "TV", "wiener": "Wiener", "tikhonov": "Tikhonov"}[name]
    return label, method_stream(problem, name, None, {"seed": seed})


def reconstruct(image, operator: str, op_params: dict[str, Any], noise, generator: str, method: str,
                knobs: dict[str, Any], baselines: list[str], seed, mask_editor=None) -> Iterator[dict[str, Any]]:
    """Stream frames (dicts) for the page: the chosen method and the baselines, interleaved."""
    noise = _check_number("noise σ", noise, 0.0, 0.5)
    seed = int(_check_number("seed", seed, 0, 2**31 - 1))
    if method not in GENERATIVE:
        raise UserError(f"unknown method {method!r}")
    if any(b not in BASELINES for b in baselines or []):
        raise UserError(f"baselines must be among {', '.join(BASELINES)}")
    own = {p.name for p in params_of(METHODS[method].config)}
    overrides = {k: v for k, v in (knobs or {}).items() if k in own}
    for k, cap in UI_CAPS.items():
        if k in overrides and _check_number(k, overrides[k]) > cap:
            raise UserError(f"{k} is limited to {cap} in this demo")
    overrides["seed"] = seed
    try:
        prior = load_prior(generator, DEVICE)
    except Exception as e:
        raise UserError(f"generator {generator!r} cannot be loaded: {e}") from None
    x, notes = load_input(image, prior)
    try:
        if operator == PAINTED:
            problem = make_problem(x, painted_mask(mask_editor, tuple(x.shape[1:])), None, noise, seed, DEVICE)
        else:
            params = {k: v for k, v in (op_params or {}).items() if k in {p.name for p in OPERATORS[operator].params}} \
                if operator in OPERATORS else {}
            problem = make_problem(x, operator, params, noise, seed, DEVICE)
        lanes = [Lane(method, METHODS[method].title, method_stream(problem, method, prior, overrides))]
        for b in baselines or []:
            label, stream = _baseline_stream(b, problem, seed)
            lanes.append(Lane(b, label, stream))
        net = _uair_for(operator)
        if net is not None:  # amortised inference beside the iterative methods (Pajot et al.)
            lanes.append(Lane("uair", "UAIR network (one pass)", method_stream(problem, "uair", net, None)))
    except (ValueError, KeyError) as e:
        raise UserError(str(e)) from None
    obs, caption = problem.physics.observation_image(problem.y)
    base = dict(gt=show(problem.x[0]), obs=show(obs[0]), obs_caption=caption,
                conversion="; ".join(notes) or "used as is", problem=problem)
    history: dict[str, list] = {}
    frame = _frame(base, lanes, history, "starting…")
    yield frame
    last, active = time.perf_counter(), list(lanes)
    while active:
        for lane in list(active):  # round-robin: one step of each method in turn
            try:
                lane.step = next(lane.stream)
            except StopIteration as stop:
                lane.step = stop.value
                lane.metrics = step_metrics(lane.step, problem)
                active.remove(lane)
            except (ValueError, RuntimeError) as e:  # one method failing must not end the others
                lane.error = str(e)
                active.remove(lane)
                continue
            for k, v in lane.step.losses.items():
                history.setdefault(f"{lane.label}: {k}", []).append((lane.step.iteration, v))
        now = time.perf_counter()
        if active and now - last >= 1.0 / MAX_FPS:
            last = now
            lead = lanes[0].step
            yield _frame(base, lanes, history, f"{lanes[0].label}: iteration {lead.iteration if lead else 0}")
    lead = lanes[0]
    status = (f"done — {lead.label}: {lead.step.iteration} iterations in {lead.step.elapsed:.2f} s"
              if lead.error is None else f"{lead.label} failed: {lead.error}")
    yield _frame(base, lanes, history, status, final=True)


def _frame(base, lanes: list[Lane], history, status: str, final: bool = False) -> dict[str, Any]:
    lead = lanes[0]
    panels = {ln.name: (show(ln.step.x[0]) if ln.step is not None else None, ln.label) for ln in lanes}
    rows = []
    for ln in lanes:
        m = ln.metrics
        if ln.error:
            rows.append([ln.label, "error", "", "", "", "", ln.error[:60]])
        elif m is None:
            rows.append([ln.label, "…", "…", "…", "…", f"{ln.step.elapsed:.2f}" if ln.step else "", ln.step.iteration if ln.step else 0])
        else:
            f = lambda v, d: "n/a" if v is None else f"{v:.{d}f}"
            rows.append([ln.label, f(m["psnr"], 2), f(m["ssim"], 3), f(m["lpips"], 3), f"{m['residual']:.3g}",
                         f"{m['seconds']:.2f}", m["iterations"]])
    extra = lead.step.extra if lead.step is not None else {}
    restarts = extra.get("restarts")
    gallery, spread = None, None
    if restarts is not None and restarts.shape[1] > 1:
        best = int(extra["best"][0])
        gallery = [(show(r, 96), "chosen ★" if i == best else f"restart {i}") for i, r in enumerate(restarts[0])]
        spread = std_map(restarts[0])
    z = extra.get("z")
    return dict(base, panels=panels, curve=curve(history) if history else None, status=status, table=rows,
                restarts=gallery, spread=spread, final=final,
                z=z[0].detach().cpu().tolist() if z is not None else None,
                lpips_note="" if lpips_status() == "" else f"LPIPS n/a: {lpips_status()}")


TABLE_HEADERS = ["method", "PSNR (dB)", "SSIM", "LPIPS", "residual ‖Ax−y‖", "seconds", "iterations"]


def ui_range(param) -> tuple[float, float]:
    """Slider range of an operator parameter on the page (images here are 32×32)."""
    hi = param.hi
    if param.name in ("h", "size"):
        hi = min(hi, 32)
    elif param.name == "m":
        hi = min(hi, 1024)
    return param.lo, hi


OUTPUTS = ("gt", "obs", "obs_caption", "result", "dip", "tv", "wiener", "uair", "curve", "status", "table",
           "restarts", "spread", "compare", "conversion", "z")


def frame_outputs(fr: dict[str, Any]) -> tuple:
    """A frame as the tuple of page outputs, in the order of :data:`OUTPUTS`."""
    panels = fr["panels"]
    lead = next(iter(panels.values()))
    get = lambda k: panels.get(k, (None, ""))[0]
    wiener = get("wiener")
    compare = (fr["gt"], lead[0]) if lead[0] is not None else None
    status = fr["status"] + (f"  \n{fr['lpips_note']}" if fr["final"] and fr["lpips_note"] else "")
    return (fr["gt"], fr["obs"], f"*{fr['obs_caption']}*", lead[0], get("dip"), get("tv"), wiener, get("uair"),
            fr["curve"], status, fr["table"], fr["restarts"], fr["spread"], compare,
            f"input: {fr['conversion']}", fr["z"])
