"""genprior_demo — the Gradio app: shared state, one builder per tab (genprior_demo/ui/tabs) and the one
cross-tab event. Handlers live in genprior_demo/ui."""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from genprior_demo.ui import explorer as E
from genprior_demo.ui.reconstruct import warm_up
from genprior_demo.ui.tabs import blind, explorer, reconstruct, separate
from genprior_demo.ui.tabs.widgets import errors

CSS = """
.gp-img img, .gp-thumbs img, #gp-compare img { image-rendering: pixelated; object-fit: contain !important; }
#gp-status { min-height: 2.2em; }
.gallery-item img, .gallery-item { max-width: 56px; max-height: 56px; }
"""


def build_demo() -> tuple[gr.Blocks, dict]:
    """The app and its tabs with an API endpoint (inputs and outputs by name, for callers and tests)."""
    with gr.Blocks(title="Generative priors for inverse problems") as demo:
        gr.Markdown("### Generative priors for imaging inverse problems — degrade an image, watch a GAN/VAE prior restore it live")
        shared = SimpleNamespace(anchors=gr.State(E.empty_anchors()))  # the explorer's anchors; "Send z" fills 1
        with gr.Tab("Reconstruct"):
            rec = reconstruct.build(shared)
        with gr.Tab("Latent explorer"):
            ex = explorer.build(shared)
        with gr.Tab("Blind"):
            blind_tab = blind.build(shared)
        with gr.Tab("Separate"):
            separate_tab = separate.build(shared)

        def send_z(z, generator, anchors):
            anchors, message = E.send_z(z, anchors)
            return anchors, generator, message

        rec.send.click(errors(send_z), [rec.outputs["z"], rec.inputs["generator"], shared.anchors],
                       [shared.anchors, ex.generator, rec.outputs["conversion"]])
    demo.queue(max_size=16, default_concurrency_limit=1)
    return demo, {"reconstruct": rec, "blind": blind_tab, "separate": separate_tab}


demo, TABS = build_demo()
threading.Thread(target=warm_up, daemon=True).start()  # the first Run then answers within ~0.1 s

LAUNCH = dict(css=CSS, max_file_size="20mb")  # server-side upload limit; tests launch with these too

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), **LAUNCH)
