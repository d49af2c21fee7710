"""Handler of the Reconstruct tab: widget values → problem → streamed method → frames for the page."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from ..device import pick_device
from ..generators import available, load_prior
from ..imaging import ImageError, to_domain
from ..metrics import lpips_status
from ..pipeline import make_problem, method_stream, step_metrics
from .render import curve, show

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "examples"
DEVICE = pick_device()
MAX_FPS = 10.0  # throttle frames to the browser


class UserError(ValueError):
    """Shown to the person as a clear message (app.py turns it into gr.Error)."""


def example_images() -> list[str]:
    return [str(p) for p in sorted(ASSETS.glob("*.png"))]


def generator_choices() -> list[str]:
    return available()


def generator_info(name: str) -> str:
    """One paragraph of manifest facts about a generator (data set, latent, quality)."""
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


def load_input(image: Any, prior) -> tuple[torch.Tensor, list[str]]:
    if image is None:
        raise UserError("Pick an example, upload an image or draw one first.")
    if isinstance(image, dict):  # ImageEditor / Sketchpad value
        image = image.get("composite") if image.get("composite") is not None else image.get("background")
        if image is None:
            raise UserError("The drawing is empty.")
    style = "digit" if prior is not None and prior.meta.get("dataset") == "mnist" else "resize"
    channels, size = (prior.image_shape[:2] if prior is not None else (1, 32))
    try:
        return to_domain(image, channels, size, style=style)
    except ImageError as e:
        raise UserError(str(e)) from None


def reconstruct(image, operator: str, params: dict[str, Any], noise: float, generator: str, method: str,
                overrides: dict[str, Any], seed: int) -> Iterator[dict[str, Any]]:
    """Stream frames: dicts with gt, obs, obs_caption, result, curve, status, metrics."""
    try:
        prior = load_prior(generator, DEVICE) if generator else None
        x, notes = load_input(image, prior)
        problem = make_problem(x, operator, params, float(noise), int(seed), DEVICE)
        stream = method_stream(problem, method, prior, overrides)
    except (ValueError, KeyError, RuntimeError) as e:
        raise UserError(str(e)) from None
    obs, caption = problem.physics.observation_image(problem.y)
    base = dict(gt=show(problem.x[0]), obs=show(obs[0]), obs_caption=caption,
                conversion="; ".join(notes) or "used as is")
    hist: dict[str, list] = {"data ‖A G(z) − y‖²": [], "residual ‖Ax − y‖": []}
    yield dict(base, result=None, curve=None, status="starting…", metrics=None)
    last = 0.0
    final = None
    while True:
        try:
            step = next(stream)
        except StopIteration as stop:
            final = stop.value
            break
        hist["data ‖A G(z) − y‖²"].append((step.iteration, step.losses.get("data", np.nan)))
        hist["residual ‖Ax − y‖"].append((step.iteration, step.residual))
        now = time.perf_counter()
        if now - last >= 1.0 / MAX_FPS:
            last = now
            yield dict(base, result=show(step.x[0]), curve=curve(hist), status=f"iteration {step.iteration}",
                       metrics=None, step=step)
    m = step_metrics(final, problem)
    hist["residual ‖Ax − y‖"].append((final.iteration, final.residual))
    yield dict(base, result=show(final.x[0]), curve=curve(hist), step=final,
               status=f"done: {final.iteration} iterations in {final.elapsed:.2f} s", metrics=m)


def metrics_markdown(m: dict[str, Any] | None) -> str:
    if not m:
        return ""
    f = lambda v, d=2: "n/a" if v is None else f"{v:.{d}f}"
    lp = f(m["lpips"], 3) if m["lpips"] is not None else f"n/a ({lpips_status()})"
    return (f"PSNR **{f(m['psnr'])} dB** · SSIM **{f(m['ssim'], 3)}** · LPIPS {lp} · "
            f"residual {m['residual']:.3g} · {m['seconds']:.2f} s · {m['iterations']} iterations")
