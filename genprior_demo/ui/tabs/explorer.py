"""The Latent explorer tab: layout and events. Handlers: :mod:`genprior_demo.ui.explorer`."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import explorer as E
from ..reconstruct import generator_choices
from .widgets import UploadImage, errors, gpu, tab_control


@dataclass
class ExplorerTab:
    generator: gr.Dropdown
    opened: object = None  # the tab's select event fills it (samples, anchors, grid) the first time


def build(shared) -> ExplorerTab:
    """``shared.anchors`` (gr.State of the three anchor codes) is what the Reconstruct tab's "Send z" fills."""
    gens = generator_choices()
    anchors = shared.anchors
    codes, selected = gr.State([]), gr.State(0)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            gen = gr.Dropdown(gens, value=gens[0] if gens else None, label="generator")
            seed = tab_control("seed", number=True, label="seed")
            radius = tab_control("radius")
            sample_btn = gr.Button("Sample", variant="primary")
            slot = gr.Radio(list(range(1, E.ANCHORS + 1)), value=1, label="anchor slot")
            pick_btn = gr.Button("Use the selected sample as this anchor")
            enc_img = UploadImage(label="or encode an image as this anchor", height=160)
            enc_btn = gr.Button("Encode (project onto the range of G)")
            enc_msg = gr.Markdown()
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="samples (click one)", columns=6, height=240)
            anchor_view = gr.Gallery(label="anchors 1, 2, 3", columns=3, height=150, object_fit="contain")
            with gr.Row():
                n_grid = tab_control("grid")
                grid_btn = gr.Button("Render the interpolation grid")
            with gr.Row():
                grid_img = gr.Image(label="G(z1 + a(z2 − z1) + b(z3 − z1))", height=360, format="png", elem_classes="gp-img")
                with gr.Column():
                    walk_t = tab_control("walk_t")
                    walk_mode = gr.Radio(list(E.WALK_MODES), value=E.WALK_MODES[0], label="interpolation")
                    walk_img = gr.Image(label="G(z(t))", height=256, format="png", elem_classes="gp-img")
                    enc_pair = gr.Gallery(label="encoded image and its projection", columns=2, height=140)

    def on_select(evt: gr.SelectData):
        return evt.index

    sample_btn.click(errors(E.samples), [gen, seed, radius], [gallery, codes], concurrency_id="light", api_name="samples")
    gallery.select(on_select, None, selected)
    pick_btn.click(errors(E.pick_sample), [codes, selected, slot, anchors], anchors)
    enc_btn.click(errors(gpu(E.encode_anchor)), [enc_img, gen, slot, anchors], [enc_pair, enc_msg, anchors],
                  concurrency_id="heavy")
    anchors.change(errors(E.anchor_images), [gen, anchors], anchor_view, concurrency_id="light")
    grid_btn.click(errors(E.grid), [gen, anchors, n_grid], grid_img, concurrency_id="light")
    walk_t.change(errors(E.walk), [gen, anchors, walk_t, walk_mode], walk_img, concurrency_id="light",
                  concurrency_limit=2, show_progress="hidden", trigger_mode="always_last")
    walk_mode.change(errors(E.walk), [gen, anchors, walk_t, walk_mode], walk_img, concurrency_id="light")
    gen.input(E.empty_anchors, None, anchors)  # a user change only ("Send z" sets the generator too)

    def open_once(generator, seed_v, radius_v, n, anchors_v, shown):
        if shown:  # only the first time the tab is opened: later visits keep what the person made
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), True
        return (*E.opening(generator, seed_v, radius_v, n, anchors_v), True)

    shown = gr.State(False)
    return ExplorerTab(gen, lambda tab: tab.select(errors(open_once), [gen, seed, radius, n_grid, anchors, shown],
                                                   [gallery, codes, anchors, grid_img, shown], concurrency_id="light"))
