"""The Reconstruct tab: layout and events. Handlers: :mod:`genprior_demo.ui.reconstruct`."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import reconstruct as R
from .widgets import CheckedEditor, IMG, Tab, UploadImage, control, gpu, loss_plot, tab_control, to_components, wire_run

DEFAULT_OPERATOR, DEFAULT_METHOD = "cs-gaussian", "csgm"


@dataclass
class ReconstructTab(Tab):
    """What the rest of the app wires to: the inputs and outputs by name, the "Send z" button."""

    send: gr.Button = None


def _operator_groups(inputs: dict) -> dict[str, gr.Group]:
    """One group per operator with exactly its own parameters (and the mask editor for the painted mask)."""
    groups = {}
    for op in R.operator_choices():
        with gr.Group(visible=op == DEFAULT_OPERATOR) as groups[op]:
            for p in R.operator_params(op).values():
                inputs[R.input_name(op, p.name)] = control(p)
            if op == R.PAINTED:
                inputs["mask"] = CheckedEditor(type="numpy", image_mode="RGBA", canvas_size=(256, 256),
                                               label="paint the missing pixels", height=260,
                                               brush=gr.Brush(default_size=24, colors=["#ff0000"]))
    return groups


def _method_groups(inputs: dict) -> dict[str, gr.Group]:
    """One group per method with exactly its own settings (its labels, defaults and maxima)."""
    groups = {}
    for m in R.GENERATIVE:
        with gr.Group(visible=m == DEFAULT_METHOD) as groups[m]:
            for p in R.method_params(m).values():
                inputs[R.input_name(m, p.name)] = control(p)
    return groups


def build(shared) -> ReconstructTab:
    gens = R.generator_choices()
    inputs: dict = {"source": gr.State("image")}
    out: dict = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            with gr.Tabs():
                with gr.Tab("Example / upload") as t_img:
                    inputs["image"] = UploadImage(label="input image", height=180, sources=["upload", "clipboard"],
                                                  elem_classes="gp-img", elem_id="gp-input")  # enlarged, crisp
                    gr.Examples(R.example_images(), inputs=inputs["image"], examples_per_page=16, label="examples",
                                elem_id="gp-examples")
                with gr.Tab("Draw") as t_draw:
                    inputs["sketch"] = CheckedEditor(type="numpy", image_mode="RGBA", label="draw a digit", height=260,
                                                     sources=(), transforms=("crop",), canvas_size=(280, 280),
                                                     brush=gr.Brush(default_size=22, colors=["#000000"], color_mode="fixed"))
            t_img.select(lambda: "image", None, inputs["source"])
            t_draw.select(lambda: "draw", None, inputs["source"])
            inputs["operator"] = gr.Dropdown(R.operator_choices(), value=DEFAULT_OPERATOR, label="degradation")
            op_groups = _operator_groups(inputs)
            inputs["noise"] = tab_control("noise")
            inputs["generator"] = gr.Dropdown(gens, value=gens[0] if gens else None, label="generator")
            gen_info = gr.Markdown(R.generator_info(gens[0]) if gens else "no trained generator found")
            inputs["method"] = gr.Dropdown(R.GENERATIVE, value=DEFAULT_METHOD, label="method", elem_id="gp-method")
            with gr.Accordion("method settings", open=False):
                method_groups = _method_groups(inputs)
            inputs["baselines"] = gr.CheckboxGroup(list(R.BASELINES), value=["tv", "wiener"], label="baselines (same run)")
            with gr.Accordion("baseline settings (TV, Tikhonov, DIP)", open=False):
                gr.Markdown("Each weight is chosen per image by the discrepancy principle ‖Ax − y‖ = σ√m "
                            "(no ground truth needed; shown in the table). Pick *fixed* to set it yourself.")
                for name, (_, p) in R.BASELINE_INPUTS.items():
                    inputs[name] = control(p, label=f"{name.split('__')[0]} {p.name}: {p.help}")
            inputs["seed"] = tab_control("seed", number=True, label="seed")
        with gr.Column(scale=3):
            with gr.Row(equal_height=True):
                run = gr.Button("Run", variant="primary", scale=1, elem_id="gp-run")
                stop = gr.Button("Stop", variant="stop", scale=1)
                out["status"] = gr.Markdown(elem_id="gp-status")
            with gr.Row():
                out["gt"] = gr.Image(label="ground truth", **IMG)
                out["obs"] = gr.Image(label="observation y", **IMG)
                out["result"] = gr.Image(label="generative method", elem_id="gp-result", **IMG)
            out["obs_caption"] = gr.Markdown()
            with gr.Row():
                out["dip"] = gr.Image(label="DIP", **IMG)
                out["tv"] = gr.Image(label="TV", **IMG)
                out["wiener"] = gr.Image(label="Wiener / Tikhonov", **IMG)
                out["uair"] = gr.Image(label="UAIR network (one pass; remove-pixel, patch-band, convolve-noise)", **IMG)
            out["table"] = gr.Dataframe(headers=R.TABLE_HEADERS, label="metrics", interactive=False, elem_id="gp-table")
            with gr.Accordion("UAIR panel: what Pajot et al. claim, what we measured", open=False):
                from ..claims import uair_caption

                gr.Markdown("The UAIR network appears for remove-pixel, patch-band and convolve-noise (trained at "
                            "p = 0.9, h = 10, l = 3 / σ_C = 0.15): one forward pass, never told the mask.\n\n" + uair_caption())
            with gr.Row():
                out["curve"] = loss_plot("loss (log₁₀)")
                out["compare"] = gr.ImageSlider(label="ground truth ↔ result", type="numpy", elem_id="gp-compare")
            with gr.Row():
                out["restarts"] = gr.Gallery(label="restarts (plausible solutions; ★ chosen)", columns=8, height=180,
                                             object_fit="contain", elem_classes="gp-thumbs")
                out["spread"] = gr.Image(label="std across restarts", height=140, format="png", elem_classes="gp-img")
            out["conversion"] = gr.Markdown()
            out["download"] = gr.File(label="download run (zip: run.json + input, CLI line, metrics.csv, images, "
                                            "trajectory.gif; replay: reconstruct --from-run run.json)", height=70)
            out["z"] = gr.State(None)
            send = gr.Button("Send z to the latent explorer", size="sm")
            with gr.Accordion("what is happening here?", open=False):
                about = gr.Markdown(R.explain(DEFAULT_OPERATOR, DEFAULT_METHOD))
    assert set(out) == set(R.OUTPUTS), "every output the handler yields has one component"
    out = {k: out[k] for k in R.OUTPUTS}  # the API returns them in OUTPUTS' order

    def on_choice(operator, method):
        shown = {**{g: gr.update(visible=n == operator) for n, g in op_groups.items()},
                 **{g: gr.update(visible=n == method) for n, g in method_groups.items()}}
        return {**shown, about: R.explain(operator, method)}

    choice_outputs = [*op_groups.values(), *method_groups.values(), about]
    for c in (inputs["operator"], inputs["method"]):
        c.change(on_choice, [inputs["operator"], inputs["method"]], choice_outputs, show_progress="hidden")
    inputs["generator"].change(R.generator_info, inputs["generator"], gen_info)

    @gpu
    def reconstruct(source="image", image=None, sketch=None, mask=None, **values):
        """Degrade the image and race the chosen generative method against the baselines (streams)."""
        for frame in R.page_run(dict(values, source=source, image=image, sketch=sketch, mask=mask)):
            yield to_components(out, frame)

    handler = wire_run(run, stop, reconstruct, inputs, out, "reconstruct", concurrency_limit=1)
    return ReconstructTab(inputs, out, handler, stop, send=send)
