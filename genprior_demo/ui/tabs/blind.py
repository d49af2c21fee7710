"""The Blind tab: layout and events. Handler: :func:`genprior_demo.ui.unknown.blind_run`."""
from __future__ import annotations

import gradio as gr

from .. import unknown as U
from .widgets import IMG, Tab, gpu, loss_plot, run_stop, tab_control, to_components, wire_run


def build(shared) -> Tab:
    from ..claims import blind_caption

    gr.Markdown("N digits degraded by **one hidden operator** the method is never told; it learns a surrogate "
                "F̂ (two linear conv layers, their size chosen from the observations) and the latents together "
                "(Anirudh et al. 2020, Algorithm 1), with 2 latent restarts per digit (the report uses 4). About a "
                "minute for 8 digits on a 2-core CPU; the images update after every round.\n\n" + blind_caption())
    inputs: dict = {}
    out: dict = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280):
            run, stop = run_stop(out, "Run", "gp-blind-run", "gp-blind-status")
            inputs["hidden"] = gr.Radio(list(U.HIDDEN), value=next(iter(U.HIDDEN)), label="hidden operator F")
            for name in ("blind_n", "blind_noise", "blind_rounds"):  # API names = the Params' names
                inputs[name] = tab_control(name, elem_id=f"gp-{name.replace('_', '-')}")
            inputs["blind_lr_z"] = tab_control("blind_lr_z", label="learning rate of z")
            inputs["seed"] = tab_control("seed", number=True, label="seed (also picks the digits)")
        with gr.Column(scale=3):
            with gr.Row():
                out["obs"] = gr.Image(label="observations y_j", **IMG)
                out["rec"] = gr.Image(label="recovered G(z_j)", **IMG)
                out["truth"] = gr.Image(label="ground truth", **IMG)
            with gr.Row():
                out["kernel"] = gr.Image(label="F̂ impulse response (grey = 0)", elem_id="gp-blind-kernel", **IMG)
                out["true_kernel"] = gr.Image(label="true F impulse response", **IMG)
                out["probe"] = gr.Image(label="F̂(clean digit)", **IMG)
                out["true_probe"] = gr.Image(label="F(clean digit)", **IMG)
            with gr.Row():
                out["curve"] = loss_plot("surrogate loss (log₁₀)")
                out["table"] = gr.Dataframe(headers=U.BLIND_HEADERS, label="PSNR against the ground truth",
                                            interactive=False, elem_id="gp-blind-table")
    assert set(out) == set(U.BLIND_OUTPUTS), "every output the handler yields has one component"
    out = {k: out[k] for k in U.BLIND_OUTPUTS}  # the API returns them in this order

    @gpu
    def blind(hidden, blind_n, blind_noise, blind_rounds, blind_lr_z, seed):
        """Blind inversion: N observations of one unknown operator, a surrogate F̂ learned with the images."""
        for frame in U.blind_run(hidden, blind_n, blind_noise, blind_rounds, blind_lr_z, seed):
            yield to_components(out, frame)

    return Tab(inputs, out, wire_run(run, stop, blind, inputs, out, "blind"), stop)
