"""The Generator lab tab: layout and events. Handlers: :mod:`genprior_demo.ui.lab`."""
from __future__ import annotations

import gradio as gr

from .. import lab as L
from ..reconstruct import generator_choices
from .widgets import Tab, errors, gpu, tab_control

TABLE_HEADERS = ["generator", "images", "median NRMSE", "p90 NRMSE", "EMD to prior", "EMD floor", "projections"]


def _side(label: str) -> dict:
    out = {}
    with gr.Column():
        out["scatter"] = gr.ScatterPlot(x="x", y="y", color="points", label=f"{label}: encodings z* and prior draws "
                                        "on a random plane (Duff et al. Fig. 4)", height=300)
        out["far"] = gr.Image(label=f"{label}: samples at radius 0.5, 1, 1.5, 2, 3 × the prior's scale (one row each)",
                              height=340, format="png", elem_classes="gp-img")
        out["worst"] = gr.Gallery(label=f"{label}: worst-represented held-out images | their projection G(z*)",
                                  columns=3, height=230, object_fit="contain", elem_classes="gp-thumbs")
    return out


def build(shared) -> Tab:
    gens = generator_choices()
    first, second = L.default_pair(gens)
    fresh = gr.State({})  # this session's recomputed projections, by generator
    gr.Markdown("How well does a generator represent images it never saw, and do its encodings look like its "
                "prior? (Duff, Campbell & Ehrhardt §4). Pick one or two generators; projections of held-out "
                "images are cached (500 images, 4 restarts × 300 steps) or recomputed here on fewer.")
    with gr.Row():
        gen_a = gr.Dropdown(gens, value=first, label="generator A", scale=2)
        gen_b = gr.Dropdown([""] + gens, value=second, label="generator B (optional)", scale=2)
        n = tab_control("lab_n")
        again = gr.Button("Recompute A here", scale=1)
    status = gr.Markdown(elem_id="gp-lab-status")
    with gr.Row(equal_height=False):
        hist = gr.Plot(label="projection NRMSE on held-out images (Duff et al. Fig. 1)", elem_id="gp-lab-hist")
        with gr.Column():
            verdict = gr.Markdown(elem_id="gp-lab-verdict")
            table = gr.Dataframe(headers=TABLE_HEADERS, label="per generator (EMD: Duff et al. Fig. 3)",
                                 interactive=False, elem_id="gp-lab-table")
    with gr.Row(equal_height=False):
        a, b = _side("A"), _side("B")
    outputs = {"hist": hist, "verdict": verdict, "table": table,
               **{f"{k}_a": v for k, v in a.items()}, **{f"{k}_b": v for k, v in b.items()}}
    names = list(outputs)

    def show(ga, gb, fr):
        frame = L.view(ga, gb, fr)
        return [frame[k] for k in names]

    def redo(ga, n_v, fr):
        for proj, msg in L.recompute(ga, n_v, fr):
            yield (gr.skip() if proj is None else proj), msg

    inputs = {"generator_a": gen_a, "generator_b": gen_b, "n": n}
    for trigger in (gen_a.change, gen_b.change):
        trigger(errors(show), [gen_a, gen_b, fresh], list(outputs.values()), concurrency_id="light")
    again.click(errors(gpu(redo)), [gen_a, n, fresh], [fresh, status], concurrency_id="heavy").then(
        errors(show), [gen_a, gen_b, fresh], list(outputs.values()), concurrency_id="light")
    return Tab(inputs, outputs, opened=lambda t: t.select(errors(show), [gen_a, gen_b, fresh], list(outputs.values()),
                                                           concurrency_id="light"))
