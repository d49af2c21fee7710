"""genprior_demo — the Gradio app: layout and event wiring only (handlers in genprior_demo/ui)."""
from __future__ import annotations

import functools
import inspect
import os
import threading

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from genprior_demo.physics import OPERATORS
from genprior_demo.ui import explorer as E
from genprior_demo.config import BlindConfig
from genprior_demo.ui import reconstruct as R
from genprior_demo.ui import unknown as U

try:  # on a ZeroGPU Space the heavy handlers get a GPU; elsewhere this is a no-op
    import spaces

    gpu = spaces.GPU
except ImportError:
    def gpu(fn):
        return fn

CSS = """
.gp-img img { image-rendering: pixelated; }
#gp-status { min-height: 2.2em; }
.gallery-item img, .gallery-item { max-width: 56px; max-height: 56px; }
"""
IMG = dict(height=210, format="png", elem_classes="gp-img", buttons=["download"])


def _err(fn):
    """Run a handler; a UserError becomes a clear message in the page (the app keeps serving)."""
    if inspect.isgeneratorfunction(fn):
        def stream(*a):
            try:
                yield from fn(*a)
            except R.UserError as e:
                raise gr.Error(str(e)) from None
        return functools.wraps(fn)(stream)

    def call(*a):
        try:
            return fn(*a)
        except R.UserError as e:
            raise gr.Error(str(e)) from None
    return functools.wraps(fn)(call)


def build_demo() -> gr.Blocks:
    gens = R.generator_choices()
    knobs = R.method_knobs()
    ops = R.operator_choices()
    with gr.Blocks(title="Generative priors for inverse problems") as demo:
        gr.Markdown("### Generative priors for imaging inverse problems — degrade an image, watch a GAN/VAE prior restore it live")
        source = gr.State("image")
        z_state = gr.State(None)
        anchors = gr.State([None, None, None])
        sample_z = gr.State([])
        with gr.Tab("Reconstruct"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=300):
                    with gr.Tabs():
                        with gr.Tab("Example / upload") as t_img:
                            image = gr.Image(type="numpy", label="input image", height=180, sources=["upload", "clipboard"])
                            gr.Examples(R.example_images(), inputs=image, examples_per_page=16, label="examples")
                        with gr.Tab("Draw") as t_draw:
                            sketch = gr.Sketchpad(type="numpy", image_mode="RGBA", label="draw a digit", height=260,
                                                  canvas_size=(280, 280), brush=gr.Brush(default_size=22, colors=["#000000"]))
                    t_img.select(lambda: "image", None, source)
                    t_draw.select(lambda: "draw", None, source)
                    operator = gr.Dropdown(ops, value="cs-gaussian", label="degradation")
                    op_controls, op_groups = [], {}
                    for name in ops:
                        with gr.Group(visible=name == "cs-gaussian") as grp:
                            for p in OPERATORS[name].params if name in OPERATORS else ():
                                if p.choices:
                                    c = gr.Radio(list(p.choices), value=p.default, label=f"{p.name}: {p.help}")
                                else:
                                    lo, hi = R.ui_range(p)
                                    c = gr.Slider(lo, hi, p.default, step=p.step or 1, label=f"{p.name}: {p.help}")
                                op_controls.append((name, p.name, c))
                            if name == R.PAINTED:
                                mask_editor = gr.ImageEditor(type="numpy", image_mode="RGBA", canvas_size=(256, 256),
                                                             label="paint the missing pixels", height=260,
                                                             brush=gr.Brush(default_size=24, colors=["#ff0000"]))
                        op_groups[name] = grp
                    noise = gr.Slider(0, 0.5, 0.05, step=0.01, label="noise σ")
                    generator = gr.Dropdown(gens, value=gens[0] if gens else None, label="generator")
                    gen_info = gr.Markdown(R.generator_info(gens[0]) if gens else "no trained generator found")
                    method = gr.Dropdown(R.GENERATIVE, value="csgm", label="method")
                    knob_c = {}
                    with gr.Accordion("method settings", open=False):
                        state = R.knob_state("csgm")
                        for k, p in knobs.items():
                            vis, val = state[k]
                            hi = min(p.hi, R.UI_CAPS.get(k, p.hi))
                            if p.log:
                                knob_c[k] = gr.Number(val, minimum=p.lo, maximum=hi, label=f"{k}: {p.help}", visible=vis)
                            else:
                                knob_c[k] = gr.Slider(p.lo, hi, val, step=p.step or (1 if isinstance(p.default, int) else 0.01),
                                                      label=f"{k}: {p.help}", visible=vis)
                    baselines = gr.CheckboxGroup(list(R.BASELINES), value=["tv", "wiener"], label="baselines (same run)")
                    seed = gr.Number(0, precision=0, minimum=0, label="seed")
                with gr.Column(scale=3):
                    with gr.Row(equal_height=True):
                        run = gr.Button("Run", variant="primary", scale=1, elem_id="gp-run")
                        stop = gr.Button("Stop", variant="stop", scale=1)
                        status = gr.Markdown(elem_id="gp-status")
                    with gr.Row():
                        gt = gr.Image(label="ground truth", **IMG)
                        obs = gr.Image(label="observation y", **IMG)
                        result = gr.Image(label="generative method", elem_id="gp-result", **IMG)
                    obs_caption = gr.Markdown()
                    with gr.Row():
                        dip = gr.Image(label="DIP", **IMG)
                        tv = gr.Image(label="TV", **IMG)
                        wiener = gr.Image(label="Wiener / Tikhonov", **IMG)
                        uair_img = gr.Image(label="UAIR network (remove-pixel, patch-band, convolve-noise)", **IMG)
                    table = gr.Dataframe(headers=R.TABLE_HEADERS, label="metrics", interactive=False, elem_id="gp-table")
                    with gr.Row():
                        curve = gr.Image(label="loss (log scale)", height=260, format="png")
                        compare = gr.ImageSlider(label="ground truth ↔ result", height=260, type="numpy")
                    with gr.Row():
                        restarts = gr.Gallery(label="restarts (plausible solutions; ★ chosen)", columns=8, height=140)
                        spread = gr.Image(label="std across restarts", height=140, format="png")
                    conversion = gr.Markdown()
                    send = gr.Button("Send z to the latent explorer", size="sm")
                    with gr.Accordion("what is happening here?", open=False):
                        about = gr.Markdown(R.explain("cs-gaussian", "csgm"))

        with gr.Tab("Latent explorer"):
            with gr.Row():
                with gr.Column(scale=1, min_width=280):
                    ex_gen = gr.Dropdown(gens, value=gens[0] if gens else None, label="generator")
                    ex_seed = gr.Number(0, precision=0, minimum=0, label="seed")
                    radius = gr.Slider(0, 4, 1, step=0.1, label="radius (× the prior's scale; >1 is far from the prior)")
                    sample_btn = gr.Button("Sample", variant="primary")
                    slot = gr.Radio([1, 2, 3], value=1, label="anchor slot")
                    pick_btn = gr.Button("Use the selected sample as this anchor")
                    enc_img = gr.Image(type="numpy", label="or encode an image as this anchor", height=160)
                    enc_btn = gr.Button("Encode (project onto the range of G)")
                    enc_msg = gr.Markdown()
                with gr.Column(scale=2):
                    gallery = gr.Gallery(label="samples (click one)", columns=6, height=240)
                    anchor_view = gr.Gallery(label="anchors 1, 2, 3", columns=3, height=150)
                    with gr.Row():
                        n_grid = gr.Slider(3, 12, 7, step=1, label="grid size")
                        grid_btn = gr.Button("Render the interpolation grid")
                    with gr.Row():
                        grid_img = gr.Image(label="G(z1 + a(z2 − z1) + b(z3 − z1))", height=360, format="png", elem_classes="gp-img")
                        with gr.Column():
                            walk_t = gr.Slider(0, 1, 0.5, step=0.02, label="walk from anchor 1 to anchor 2")
                            walk_mode = gr.Radio(["linear", "spherical"], value="linear", label="interpolation")
                            walk_img = gr.Image(label="G(z(t))", height=256, format="png", elem_classes="gp-img")
                            enc_pair = gr.Gallery(label="encoded image and its projection", columns=2, height=140)

        with gr.Tab("Blind"):
            gr.Markdown("N digits degraded by **one hidden operator** the method is never told; it learns a surrogate "
                        "F̂ (two linear conv layers) and the latents together (Anirudh et al. 2020, Algorithm 1).")
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    with gr.Row():
                        b_run = gr.Button("Run", variant="primary", elem_id="gp-blind-run")
                        b_stop = gr.Button("Stop", variant="stop")
                    b_status = gr.Markdown(elem_id="gp-blind-status")
                    b_hidden = gr.Radio(list(U.HIDDEN), value=next(iter(U.HIDDEN)), label="hidden operator F")
                    b_n = gr.Slider(2, U.CAPS["n"], 8, step=1, label="N observations (same F)")
                    b_noise = gr.Slider(0, U.CAPS["noise"], 0.0, step=0.01, label="noise σ")
                    b_rounds = gr.Slider(1, U.CAPS["rounds"], 10, step=1, label="rounds T (each: 50 steps on F̂, 50 on z)")
                    b_lr = gr.Number(BlindConfig.lr_z, minimum=1e-5, maximum=0.5, label="learning rate of z")
                    b_seed = gr.Number(0, precision=0, minimum=0, label="seed (also picks the digits)")
                with gr.Column(scale=3):
                    with gr.Row():
                        b_obs = gr.Image(label="observations y_j", **IMG)
                        b_rec = gr.Image(label="recovered G(z_j)", **IMG)
                        b_truth = gr.Image(label="ground truth", **IMG)
                    with gr.Row():
                        b_kernel = gr.Image(label="F̂ impulse response (grey = 0)", elem_id="gp-blind-kernel", **IMG)
                        b_true_kernel = gr.Image(label="true F impulse response", **IMG)
                        b_probe = gr.Image(label="F̂(clean digit)", **IMG)
                        b_true_probe = gr.Image(label="F(clean digit)", **IMG)
                    with gr.Row():
                        b_curve = gr.Image(label="surrogate loss (log scale)", height=240, format="png")
                        b_table = gr.Dataframe(headers=U.BLIND_HEADERS, label="PSNR against the ground truth", interactive=False,
                                               elem_id="gp-blind-table")

        with gr.Tab("Separate"):
            gr.Markdown("Three digits mixed as **Y = |MᵀX|** with unknown M (entries from N(−0.5, 0.5²)); a small "
                        "mixing network and one latent per source are learned together (Anirudh et al. 2020, §3.2). "
                        "Draw or upload up to three digits; an empty slot uses a shipped test digit.")
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=260):
                    with gr.Row():
                        s_run = gr.Button("Mix and separate", variant="primary", elem_id="gp-sep-run")
                        s_stop = gr.Button("Stop", variant="stop")
                    s_status = gr.Markdown(elem_id="gp-sep-status")
                    s_obs = gr.Radio([1, 4], value=4, label="observations (1 = under-determined, 4 = over-determined)")
                    s_rounds = gr.Slider(1, U.CAPS["rounds"], 10, step=1, label="rounds T")
                    s_seed = gr.Number(0, precision=0, minimum=0, label="seed (mixing matrix, init, shipped digits)")
                    s_notes = gr.Markdown()
                with gr.Column(scale=3):
                    s_slots = []
                    with gr.Row():
                        for i in range(3):  # draw (black on the white canvas) or upload; empty = a shipped digit
                            s_slots.append(gr.ImageEditor(type="numpy", image_mode="RGBA", label=f"digit {i + 1}",
                                                          canvas_size=(140, 140), height=190, sources=["upload", "clipboard"],
                                                          brush=gr.Brush(default_size=12, colors=["#000000"]),
                                                          layers=False, transforms=()))
                    s_a, s_b, s_c = s_slots
                    with gr.Row():
                        s_sources = gr.Image(label="sources X", **IMG)
                        s_mix = gr.Image(label="mixtures Y", **IMG)
                        s_rec = gr.Image(label="separated (mixing network)", elem_id="gp-sep-result", **IMG)
                    s_table = gr.Dataframe(headers=U.SEPARATE_HEADERS, label="per-source PSNR (best matching)",
                                           interactive=False, elem_id="gp-sep-table")
                    with gr.Row():
                        s_add = gr.Image(label="additive baseline", **IMG)
                        s_ica = gr.Image(label="FastICA", **IMG)
                        s_curve = gr.Image(label="loss (log scale)", height=210, format="png")

        # --- Reconstruct wiring ---
        def on_operator(op, m):
            return [gr.update(visible=(n == op)) for n in op_groups] + [R.explain(op, m)]

        operator.change(on_operator, [operator, method], [*op_groups.values(), about])

        def on_method(m, op):
            st = R.knob_state(m)
            return [gr.update(visible=st[k][0], value=st[k][1]) for k in knob_c] + [R.explain(op, m)]

        method.change(on_method, [method, operator], [*knob_c.values(), about])
        generator.change(R.generator_info, generator, gen_info)

        op_inputs = [c for _, _, c in op_controls]
        knob_inputs = list(knob_c.values())

        @gpu
        def run_fn(src, img, sk, op, *rest):
            n_op, n_k = len(op_inputs), len(knob_inputs)
            op_vals, k_vals = rest[:n_op], rest[n_op:n_op + n_k]
            mask_v, nz, gen, meth, base, sd = rest[n_op + n_k:]
            params = {pn: v for (on, pn, _), v in zip(op_controls, op_vals) if on == op}
            kv = dict(zip(knob_c, k_vals))
            for fr in R.reconstruct(sk if src == "draw" else img, op, params, nz, gen, meth, kv, base, sd, mask_v):
                yield R.frame_outputs(fr)

        outs = [gt, obs, obs_caption, result, dip, tv, wiener, uair_img, curve, status, table, restarts, spread, compare,
                conversion, z_state]
        ev = run.click(_err(run_fn), [source, image, sketch, operator, *op_inputs, *knob_inputs, mask_editor, noise,
                                      generator, method, baselines, seed], outs,
                       concurrency_id="heavy", concurrency_limit=1, api_name="reconstruct", show_progress="hidden")
        stop.click(None, None, None, cancels=[ev])

        def send_z(z, gen, anc):
            if z is None:
                raise gr.Error("Run a reconstruction first: its z is sent to anchor 1.")
            anc = [z, *(anc or [None, None, None])[1:3]]
            return anc, gen, "z of the reconstruction is anchor 1 — open the Latent explorer tab"

        send.click(send_z, [z_state, generator, anchors], [anchors, ex_gen, conversion])

        # --- Latent explorer wiring ---
        sample_btn.click(_err(E.samples), [ex_gen, ex_seed, radius], [gallery, sample_z], concurrency_id="light")
        selected = gr.State(0)
        def on_select(evt: gr.SelectData):
            return evt.index

        gallery.select(on_select, None, selected)

        def pick(zs, idx, sl, anc, gen):
            if not zs:
                raise gr.Error("Sample first, then click a sample.")
            anc = list(anc or [None, None, None])
            anc[int(sl) - 1] = zs[int(idx) % len(zs)]
            return anc

        pick_btn.click(pick, [sample_z, selected, slot, anchors, ex_gen], anchors)

        def encode_fn(img, gen, sl, anc):
            orig, proj, z, msg = E.encode(img, gen)
            anc = list(anc or [None, None, None])
            anc[int(sl) - 1] = z
            return [(orig, "input"), (proj, "G(z*)")], msg, anc

        enc_btn.click(_err(gpu(encode_fn)), [enc_img, ex_gen, slot, anchors], [enc_pair, enc_msg, anchors],
                      concurrency_id="heavy")
        anchors.change(_err(E.anchor_images), [ex_gen, anchors], anchor_view, concurrency_id="light")
        grid_btn.click(_err(E.grid), [ex_gen, anchors, n_grid], grid_img, concurrency_id="light")
        walk_t.change(_err(E.walk), [ex_gen, anchors, walk_t, walk_mode], walk_img, concurrency_id="light",
                      concurrency_limit=2, show_progress="hidden", trigger_mode="always_last")
        walk_mode.change(_err(E.walk), [ex_gen, anchors, walk_t, walk_mode], walk_img, concurrency_id="light")
        ex_gen.input(lambda: [None, None, None], None, anchors)  # user change only (send_z sets it too)
        # --- Blind / Separate wiring ---
        b_outs = [b_obs, b_rec, b_truth, b_kernel, b_true_kernel, b_probe, b_true_probe, b_curve, b_status, b_table]

        @gpu
        def blind_fn(*a):
            for fr in U.blind_run(*a):
                yield tuple(fr[k] for k in ("obs", "rec", "truth", "kernel", "true_kernel", "probe", "true_probe",
                                             "curve", "status", "table"))

        b_ev = b_run.click(_err(blind_fn), [b_hidden, b_n, b_noise, b_rounds, b_lr, b_seed], b_outs,
                           concurrency_id="heavy", api_name="blind", show_progress="hidden")
        b_stop.click(None, None, None, cancels=[b_ev])
        s_outs = [s_sources, s_mix, s_rec, s_add, s_ica, s_curve, s_status, s_table, s_notes]

        @gpu
        def separate_fn(*a):
            for fr in U.separate_run(*a):
                yield tuple(fr[k] for k in ("sources", "mixtures", "rec", "additive", "ica", "curve", "status",
                                             "table", "notes"))

        s_ev = s_run.click(_err(separate_fn), [s_a, s_b, s_c, s_obs, s_rounds, s_seed], s_outs,
                           concurrency_id="heavy", api_name="separate", show_progress="hidden")
        s_stop.click(None, None, None, cancels=[s_ev])
    demo.queue(max_size=16, default_concurrency_limit=1)
    return demo


demo = build_demo()
threading.Thread(target=R.warm_up, daemon=True).start()  # the first Run then answers within ~0.1 s

LAUNCH = dict(css=CSS, max_file_size="20mb")  # server-side upload limit; tests launch with these too

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), **LAUNCH)
