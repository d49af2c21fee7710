"""genprior_demo — the Gradio app: shared state, one builder per tab (genprior_demo/ui/tabs) and the one
cross-tab event. Handlers live in genprior_demo/ui."""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
import torch

# On a 2-core machine (a free Space) the solver's torch threads compete with the web server's for the
# cores: one torch thread made the live page ~1.7× faster (CSGM + DIP + TV + Wiener 14.3 s vs 23.9 s through
# the API, docs/BENCHMARKS.md). GENPRIOR_TORCH_THREADS overrides; larger machines keep torch's default.
TORCH_THREADS = int(os.environ.get("GENPRIOR_TORCH_THREADS", "1" if (os.cpu_count() or 1) <= 2 else "0"))
if TORCH_THREADS > 0 and not torch.cuda.is_available():
    torch.set_num_threads(TORCH_THREADS)

from genprior_demo.ui import explorer as E
from genprior_demo.ui.reconstruct import warm_up
from genprior_demo.ui.worker import start_worker
from genprior_demo.ui.tabs import blind, explorer, lab, reconstruct, separate
from genprior_demo.ui.presets import PRESETS
from genprior_demo.ui.tabs.widgets import errors, rerun

CSS = """
.gp-img img, .gp-thumbs img, #gp-compare img { image-rendering: pixelated; object-fit: contain !important; }
#gp-status { min-height: 2.2em; }
#gp-examples .gallery-item img, #gp-examples .gallery-item { max-width: 56px; max-height: 56px; }
"""


PUBLIC_API = ("reconstruct", "blind", "separate", "samples")  # one documented endpoint per tab


def build_demo() -> tuple[gr.Blocks, dict]:
    """The app and its tabs with an API endpoint (inputs and outputs by name, for callers and tests)."""
    with gr.Blocks(title="Generative priors for inverse problems") as demo:
        gr.Markdown("### Generative priors for imaging inverse problems — degrade an image, watch a GAN/VAE prior restore it live")
        shared = SimpleNamespace(anchors=gr.State(E.empty_anchors()))  # the explorer's anchors; "Send z" fills 1
        with gr.Row(elem_id="gp-presets"):
            buttons = {p.key: gr.Button(p.label, size="sm", elem_id=f"gp-preset-{p.key}", min_width=120)
                       for p in PRESETS}
        caption = gr.Markdown(elem_id="gp-preset-caption")
        with gr.Tabs() as tabs:
            with gr.Tab("Reconstruct", id="reconstruct"):
                rec = reconstruct.build(shared)
            with gr.Tab("Latent explorer", id="explorer") as ex_tab:
                ex = explorer.build(shared)
            ex.opened(ex_tab)
            with gr.Tab("Blind", id="blind"):
                blind_tab = blind.build(shared)
            with gr.Tab("Separate", id="separate"):
                separate_tab = separate.build(shared)
            with gr.Tab("Generator lab", id="lab") as lab_tab:
                lab_built = lab.build(shared)
            lab_built.opened(lab_tab)
        built = {"reconstruct": rec, "blind": blind_tab, "separate": separate_tab}
        for p in PRESETS:  # one click: every value of the preset, its tab, its caption, then Run
            tab = built[p.tab]

            def apply(p=p, tab=tab):
                return {**{tab.inputs[k]: v for k, v in p.values.items()}, tabs: gr.Tabs(selected=p.tab),
                        caption: f"**Preset — {p.label}.** " + p.caption()}

            rerun(tab, buttons[p.key].click(apply, None, [*(tab.inputs[k] for k in p.values), tabs, caption],
                                            api_visibility="private"))

        def send_z(z, generator, anchors):
            anchors, message = E.send_z(z, anchors)
            return anchors, generator, message

        rec.send.click(errors(send_z), [rec.outputs["z"], rec.inputs["generator"], shared.anchors],
                       [shared.anchors, ex.generator, rec.outputs["conversion"]])
    for fn in demo.fns.values():  # the page's internal events (choices, anchors, walk, …) are not an API
        if fn.api_name not in PUBLIC_API:
            fn.api_visibility = "private"
    demo.queue(max_size=16, default_concurrency_limit=1)
    q = getattr(demo, "_queue", None)
    if q is not None and os.environ.get("GENPRIOR_QUEUE_POLL") != "gradio":
        # Gradio's queue polls every 1 ms when free (10 ms for progress): on 2 cores those wake-ups take the
        # GIL from the solver thread between torch ops. 20 ms adds at most 20 ms before a run starts
        # (measured in docs/BENCHMARKS.md, "Live view"; GENPRIOR_QUEUE_POLL=gradio keeps Gradio's).
        q.sleep_when_free, q.progress_update_sleep_when_free = 0.02, 0.1
    return demo, built


demo, TABS = build_demo()
threading.Thread(target=warm_up, daemon=True).start()  # the first Run then answers within ~0.1 s
# The Reconstruct tab's solver runs in a process of its own (all cores but one) so the page keeps up with it
# (genprior_demo/ui/worker.py); until it is ready, and where it is off, races run in the server's thread.
threading.Thread(target=start_worker, daemon=True).start()

LAUNCH = dict(css=CSS, max_file_size="20mb")  # server-side upload limit; tests launch with these too

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), **LAUNCH)
