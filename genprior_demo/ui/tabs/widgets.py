"""What every tab builder shares (gradio here, handlers elsewhere): a widget from a ``Param``, uploads
that only :mod:`genprior_demo.imaging` decodes, handler errors as ``gr.Error``, and the one mapping from
a handler's frame (a dict keyed by output name) to the tab's components."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ...config import UI_CONTROLS
from ...imaging import ImageError, load_image
from ...physics import Param
from ..common import UserError

try:  # on a ZeroGPU Space the heavy handlers get a GPU; elsewhere this is a no-op
    import spaces

    gpu = spaces.GPU
except ImportError:
    def gpu(fn):
        return fn

IMG = dict(height=210, format="png", elem_classes="gp-img", buttons=["download"])


@dataclass
class Tab:
    """A built tab: its input and output components by name (the API's parameter names and the
    handler's frame keys)."""

    inputs: dict
    outputs: dict
    run: Callable | None = None  # what Run does, for other triggers (a preset): ``rerun(tab, trigger)``
    stop: gr.Button | None = None
    opened: Callable | None = None  # ``opened(tab)`` fills the tab when it is selected



def loss_plot(label: str) -> gr.LinePlot:
    """The live loss curves (:func:`genprior_demo.ui.render.curve`'s table), drawn in the browser: the
    server sends a few hundred numbers a frame instead of a rendered figure. Log₁₀ on the y-axis, since
    losses span decades and the plot has no log scale. No fixed height: with one the legend is cut off."""
    from ..render import CURVE_COLUMNS

    it, val, series = CURVE_COLUMNS
    return gr.LinePlot(x=it, y=val, color=series, label=label, y_title="log₁₀ loss", x_title="iteration",
                       tooltip="all", buttons=["export"])


def errors(fn: Callable) -> Callable:
    """``fn`` with a :class:`UserError` shown as a clear message on the page and to API callers (the app
    keeps serving). Keeps ``fn``'s signature, which names the API's parameters."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*a, **kw):
            try:
                yield from fn(*a, **kw)
            except UserError as e:
                raise gr.Error(str(e)) from None
        return stream

    @functools.wraps(fn)
    def call(*a, **kw):
        try:
            return fn(*a, **kw)
        except UserError as e:
            raise gr.Error(str(e)) from None
    return call


def to_components(components: Mapping[str, Any], frame: Mapping[str, Any]) -> dict:
    """A handler's frame ``{output name: value}`` as Gradio's ``{component: value}`` — the only place
    where output names meet components (an unknown name is a KeyError, not a silent gap)."""
    return {components[name]: value for name, value in frame.items()}


def api_names(components: Mapping[str, Any]) -> list[str]:
    """The output names in the order an API caller receives them (gr.State outputs are not sent)."""
    return [name for name, c in components.items() if not getattr(c, "skip_api", False)]


def named(components: Mapping[str, Any], values) -> dict[str, Any]:
    """An API result (a tuple in endpoint order) as ``{output name: value}``."""
    names = api_names(components)
    values = values if isinstance(values, (list, tuple)) else [values]
    if len(values) != len(names):
        raise ValueError(f"endpoint returned {len(values)} values for {len(names)} outputs {names}")
    return dict(zip(names, values))


def control(p: Param, *, label: str | None = None, number: bool = False, **kw) -> gr.components.Component:
    """The widget of one Param, with its default and range: a checkbox for booleans, a radio for
    choices, a number box for values spanning decades (``log``) or when ``number``, else a slider.
    No step snapping (Slider precision) — the server validates through ``Param.parse``."""
    label = label or (f"{p.name}: {p.help}" if p.help else p.name)
    if p.choices is not None:
        if set(p.choices) == {False, True}:
            return gr.Checkbox(value=p.default, label=label, **kw)
        return gr.Radio(list(p.choices), value=p.default, label=label, **kw)
    if p.log or number:
        return gr.Number(p.default, minimum=p.lo, maximum=p.hi, precision=0 if p.is_int else None, label=label, **kw)
    step = p.step or (1 if p.is_int else 0.01)
    return gr.Slider(p.lo, p.hi, p.default, step=step, label=label, **kw)


def run_stop(out: dict, run_label: str, run_id: str, status_id: str) -> tuple[gr.Button, gr.Button]:
    """A Run and a Stop button in one row with the tab's status line (``out["status"]``) under them."""
    with gr.Row():
        run = gr.Button(run_label, variant="primary", elem_id=run_id)
        stop = gr.Button("Stop", variant="stop")
    out["status"] = gr.Markdown(elem_id=status_id)
    return run, stop


def wire_run(run: gr.Button, stop: gr.Button, handler: Callable, inputs: dict, out: dict, api_name: str, **kw):
    """Run streams ``handler``'s frames into the tab's outputs on the shared heavy queue (one endpoint,
    named parameters from ``inputs``); Stop cancels it. Returns the Tab's ``run`` (for :func:`rerun`)."""
    ev = run.click(errors(handler), inputs_kwargs=inputs, outputs=list(out.values()), concurrency_id="heavy",
                   api_name=api_name, show_progress="hidden", **kw)
    stop.click(None, None, None, cancels=[ev])
    return handler


def rerun(tab: Tab, dependency) -> None:
    """After ``dependency`` (an event), run ``tab`` as its Run button does; its Stop cancels this one too."""
    ev = dependency.then(errors(tab.run), inputs_kwargs=tab.inputs, outputs=list(tab.outputs.values()),
                         concurrency_id="heavy", show_progress="hidden", api_visibility="private")
    tab.stop.click(None, None, None, cancels=[ev])


def tab_control(name: str, **kw) -> gr.components.Component:
    """The widget of a tab's own control ``config.UI_CONTROLS[name]``, labelled by its help text."""
    p = UI_CONTROLS[name]
    return control(p, **{"label": p.help, **kw})


def _check(src) -> None:
    try:
        load_image(src)
    except ImageError as e:
        raise gr.Error(str(e)) from None


class UploadImage(gr.Image):
    """An image input whose upload reaches the handler undecoded (a file path, or bytes for a pasted
    data URL): :mod:`genprior_demo.imaging` alone opens user files, with its size and format checks, so a
    decompression bomb, a truncated or a non-image file gets our clear message, not a crash in a
    generic decoder. Displayed as a gr.Image (a template component)."""

    is_template = True  # (no __init__ override: Gradio reads a component's props from its signature)

    def preprocess(self, payload):  # whatever ``type`` says: never decoded here
        if payload is None:
            return None
        if payload.url and payload.url.startswith("data:"):
            import base64

            return base64.b64decode(payload.url.split(",", 1)[-1])
        return payload.path


class CheckedEditor(gr.ImageEditor):
    """An image editor (also the sketchpad) whose uploaded files are checked by
    :mod:`genprior_demo.imaging` before Gradio decodes them (same reasons as :class:`UploadImage`)."""

    is_template = True

    def preprocess(self, payload):
        if payload is not None:
            blobs = self.blob_storage.get(payload.id) if payload.id is not None else None
            files = ([blobs.background, blobs.composite, *blobs.layers] if blobs is not None else
                     [f.path for f in (payload.background, payload.composite, *payload.layers) if f is not None])
            for f in files:
                if f is not None:
                    _check(f)
        return super().preprocess(payload)
