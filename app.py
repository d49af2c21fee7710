"""genprior_demo — Gradio app (wiring and layout only; handlers live in genprior_demo/ui)."""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from genprior_demo.config import params_of
from genprior_demo.physics import OPERATORS
from genprior_demo.solvers import METHODS
from genprior_demo.ui import reconstruct as R


def _run(image, operator, noise, generator, method, iters, restarts, seed):
    try:
        for fr in R.reconstruct(image, operator, {}, noise, generator, method,
                                {"iters": iters, "restarts": restarts, "seed": seed}, seed):
            yield fr["gt"], fr["obs"], fr["result"], fr["curve"], fr["status"], R.metrics_markdown(fr["metrics"])
    except R.UserError as e:
        raise gr.Error(str(e)) from None


def build_demo() -> gr.Blocks:
    cfg = {p.name: p for p in params_of(METHODS["csgm"].config)}
    gens = R.generator_choices()
    with gr.Blocks(title="Generative priors for inverse problems") as demo:
        gr.Markdown("# Generative priors for imaging inverse problems\nPick a digit, degrade it, and watch CSGM search the generator's latent space.")
        with gr.Row():
            with gr.Column(scale=1):
                image = gr.Image(type="numpy", label="input image", height=256, image_mode="RGB")
                gr.Examples(R.example_images(), inputs=image)
                operator = gr.Dropdown(list(OPERATORS), value="cs-gaussian", label="degradation")
                noise = gr.Slider(0, 0.5, 0.05, step=0.01, label="noise σ")
                generator = gr.Dropdown(gens, value=gens[0] if gens else None, label="generator")
                method = gr.Dropdown(list(METHODS), value="csgm", label="method")
                iters = gr.Slider(cfg["iters"].lo, 2000, cfg["iters"].default, step=10, label="iterations")
                restarts = gr.Slider(cfg["restarts"].lo, cfg["restarts"].hi, cfg["restarts"].default, step=1, label="restarts")
                seed = gr.Number(0, precision=0, label="seed")
                with gr.Row():
                    run = gr.Button("Run", variant="primary")
                    stop = gr.Button("Stop")
            with gr.Column(scale=2):
                with gr.Row():
                    gt = gr.Image(label="ground truth", height=256)
                    obs = gr.Image(label="observation", height=256)
                    res = gr.Image(label="reconstruction", height=256)
                with gr.Row():
                    plot = gr.Image(label="loss (log scale)", height=260)
                    with gr.Column():
                        status = gr.Markdown()
                        table = gr.Markdown()
        ev = run.click(_run, [image, operator, noise, generator, method, iters, restarts, seed],
                       [gt, obs, res, plot, status, table], concurrency_id="heavy", concurrency_limit=1,
                       api_name="reconstruct")
        stop.click(None, None, None, cancels=[ev])
    demo.queue(max_size=16, default_concurrency_limit=1)
    return demo


demo = build_demo()

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"))
