"""What every tab's handlers share (no gradio here): the error type the page shows, the one way a
widget value is validated, reading user images, loading a generator, pacing frames.

Every number a handler takes goes through :func:`parse` with a :class:`~genprior_demo.physics.Param`
from ``config`` (method settings via ``ui_params``, operator parameters via ``ui_operator_params``,
tab controls via ``UI_CONTROLS``), so the page, its API and the library share one source of limits.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from ..config import UI_CONTROLS
from ..device import pick_device
from ..generators import load_prior
from ..imaging import ImageError, to_domain
from ..physics import Param

DEVICE = pick_device()
MAX_FPS = 10.0  # frames per second sent to the browser


class UserError(ValueError):
    """Shown to the person as a clear message (the tab builders turn it into ``gr.Error``)."""


def parse(param: Param, value: Any) -> Any:
    """``value`` validated and converted by ``param`` (its range, type and choices); a bad value is a
    :class:`UserError` with the parameter's own message."""
    try:
        return param.parse(value)
    except ValueError as e:
        raise UserError(str(e)) from None


def control(name: str, value: Any) -> Any:
    """A tab control's value (``config.UI_CONTROLS[name]``), validated."""
    return parse(UI_CONTROLS[name], value)


def load_generator(name: str):
    """A shipped generator by name; an unknown or broken one is a :class:`UserError`."""
    try:
        return load_prior(name, DEVICE)
    except Exception as e:  # unknown name, missing or altered checkpoint: say which
        raise UserError(f"generator {name!r} cannot be loaded: {e}") from None


# ------------------------------------------------------------------------------------------- input
def editor_image(v):
    """An ImageEditor/Sketchpad value (dict) → its composite image, or the value itself."""
    if isinstance(v, dict):
        comp = v.get("composite")
        return comp if comp is not None else v.get("background")
    return v


def is_blank(image) -> bool:
    """An untouched drawing canvas: RGBA with nothing painted (alpha 0 everywhere)."""
    return isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 4 and image[..., 3].max() == 0


def load_input(image: Any, prior) -> tuple[torch.Tensor, list[str]]:
    """A user image (file path of an upload, array of a drawing, editor value) → (1, C, H, W) in the
    generator's domain and what was changed. Uploads arrive as paths and are decoded here, by
    :mod:`genprior_demo.imaging` only (size limits, broken files; nothing is ever unpickled)."""
    image = editor_image(image)
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


# ------------------------------------------------------------------------------------------ frames
def paced(stream) -> Iterator[tuple[Any, bool, bool]]:
    """(step, done, due) for every step of a method's stream: ``due`` when a frame should go to the page
    (at most MAX_FPS a second, and always the final step)."""
    last = 0.0
    while True:
        try:
            step, done = next(stream), False
        except StopIteration as stop:
            step, done = stop.value, True
        now = time.perf_counter()
        due = done or now - last >= 1.0 / MAX_FPS
        if due:
            last = now
        yield step, done, due
        if done:
            return
