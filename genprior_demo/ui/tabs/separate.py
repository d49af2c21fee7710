"""The Separate tab: layout and events. Handler: :func:`genprior_demo.ui.unknown.separate_run`."""
from __future__ import annotations

import gradio as gr

from .. import unknown as U
from .widgets import CheckedEditor, IMG, Tab, gpu, loss_plot, run_stop, tab_control, to_components, wire_run


def build(shared) -> Tab:
    from ...config import BSSConfig
    from ..claims import separation_caption

    gr.Markdown("Three digits mixed as **Y = |MᵀX|** (X in [−1, 1]) with unknown M (entries from N(−0.5, 0.5²)); a small "
                "mixing network and one latent per source are learned together (Anirudh et al. 2020, §3.2). Ours adds "
                "three things to the paper's loop: the mixing network starts fitted to the mixtures' pixel statistics, "
                f"the latents are shaken by noise that fades out by half the rounds, and {BSSConfig().restarts} latent "
                "restarts share the one mixing network. Draw or upload up to three digits; an empty slot uses a shipped test digit. "
                "The images update after every round.\n\n" + separation_caption())
    inputs: dict = {}
    out: dict = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):
            run, stop = run_stop(out, "Mix and separate", "gp-sep-run", "gp-sep-status")
            for name in ("separate_observations", "separate_rounds"):  # API names = the Params' names
                inputs[name] = tab_control(name)
            inputs["seed"] = tab_control("seed", number=True, label="seed (mixing matrix, init, shipped digits)")
            out["notes"] = gr.Markdown()
        with gr.Column(scale=3):
            with gr.Row():
                for i in range(U.SOURCES):  # draw (black on the white canvas) or upload; empty = a shipped digit
                    inputs[f"digit{i + 1}"] = CheckedEditor(
                        type="numpy", image_mode="RGBA", label=f"digit {i + 1}", canvas_size=(140, 140), height=190,
                        sources=["upload", "clipboard"], brush=gr.Brush(default_size=12, colors=["#000000"]),
                        layers=False, transforms=())
            with gr.Row():
                out["sources"] = gr.Image(label="sources X", **IMG)
                out["mixtures"] = gr.Image(label="mixtures Y", **IMG)
                out["rec"] = gr.Image(label="separated (mixing network)", elem_id="gp-sep-result", **IMG)
            out["table"] = gr.Dataframe(headers=U.SEPARATE_HEADERS, label="per-source PSNR (best matching)",
                                        interactive=False, elem_id="gp-sep-table")
            with gr.Row():
                out["additive"] = gr.Image(label="additive baseline", **IMG)
                out["ica"] = gr.Image(label="FastICA", **IMG)
                out["curve"] = loss_plot("loss (log₁₀)")
    assert set(out) == set(U.SEPARATE_OUTPUTS), "every output the handler yields has one component"
    out = {k: out[k] for k in U.SEPARATE_OUTPUTS}  # the API returns them in this order

    @gpu
    def separate(separate_observations, separate_rounds, seed, digit1=None, digit2=None, digit3=None):
        """Mix three digits with an unknown M and separate them with a learned mixing network."""
        for frame in U.separate_run(digit1, digit2, digit3, separate_observations, separate_rounds, seed):
            yield to_components(out, frame)

    return Tab(inputs, out, wire_run(run, stop, separate, inputs, out, "separate"), stop)
