"""Handler-level tests of the app (no browser): streaming frames, bad input, mask painting, explorer."""
import math
import re

import numpy as np
import pytest

from genprior_demo.config import UI_CONTROLS, params_of, ui_params
from genprior_demo.solvers import METHODS
from genprior_demo.ui import explorer as E
from genprior_demo.ui import reconstruct as R
from genprior_demo.ui.common import UserError

GEN = "mnist-vae"
DIGIT = next(p for p in R.example_images() if "mnist" in p)
FAST = {"iters": 40, "restarts": 3}


def request(**kw):
    args = dict(image=DIGIT, operator="cs-gaussian", op_params={"m": 150}, noise=0.05, generator=GEN,
                method="csgm", knobs=FAST, baselines=["tv", "wiener"], seed=0)
    args.update(kw)
    return args


def run_all(**kw):
    return list(R.reconstruct(**request(**kw)))


def done(frame) -> bool:
    return frame["status"].startswith("done")


def test_streams_frames_and_fills_the_table(monkeypatch):
    monkeypatch.setattr(R, "MAX_FPS", 1e9)  # a frame after every round of steps, however fast this machine is
    frames = run_all()
    assert len(frames) >= 3
    first, last = frames[0], frames[-1]
    assert set(first) == set(last) == set(R.OUTPUTS), "the first and last frames name every output"
    assert all(set(f) <= set(R.OUTPUTS) for f in frames), "no frame names an output the page lacks"
    live = frames[1:-1]
    assert live and all("gt" not in f and "obs" not in f for f in live), "the input is sent once, not every frame"
    assert all(f["result"].shape[0] <= R.LIVE for f in live if "result" in f), "live frames send small images"
    curve = last["curve"]
    assert list(curve.columns) == ["iteration", "log10 loss", "series"] and len(curve) > 0
    assert {"CSGM", "TV"} <= {s.split(":")[0] for s in curve["series"]} and np.isfinite(curve["log10 loss"]).all()
    assert first["gt"] is not None and first["obs"] is not None and first["result"] is None
    assert done(last) and not any(done(f) for f in frames[:-1]) and len(last["table"]) == 3
    assert [r[0].split(" (")[0] for r in last["table"]] == ["CSGM", "TV", "Tikhonov"]  # Wiener is Tikhonov for CS
    assert "λ = " in last["table"][1][0] and "discrepancy" in last["table"][1][0], "the chosen weight is in the table"
    assert "α = " in last["table"][2][0] and "discrepancy" in last["table"][2][0]
    for row in last["table"]:
        assert math.isfinite(float(row[1])) and 0 < float(row[2]) <= 1
    assert last["result"].shape[0] >= 256  # the result is shown enlarged (crisp pixels), not as a stamp
    assert last["compare"][0] is last["gt"] and last["compare"][1] is last["result"]
    assert last["restarts"] is not None and len(last["restarts"]) == 3
    assert [cap for _, cap in last["restarts"]].count("★") == 1 and last["spread"] is not None
    assert last["z"] is not None and len(last["z"]) == 16


@pytest.mark.parametrize("method", R.GENERATIVE)
def test_every_generative_method_runs_in_the_ui(method):
    own = R.method_params(method)
    knobs = {k: v for k, v in {"iters": 8, "restarts": 2, "csgm_iters": 5, "inner_iters": 3}.items() if k in own}
    last = run_all(method=method, knobs=knobs, baselines=[], operator="sr", op_params={"factor": 2})[-1]
    assert done(last) and last["table"][0][1] not in ("…", "error"), last["status"]


def test_each_method_has_its_own_settings():
    """Each method's controls are its own config's Params (capped), so relaxed/sparse/tv-sparse show their
    own λ (max 100, not CSGM's 10)."""
    for m in R.GENERATIVE:
        assert tuple(R.method_params(m).values()) == ui_params(METHODS[m].config)
        names = [k for k, (owner, _) in R.METHOD_INPUTS.items() if owner == m]
        assert len(names) == len(R.method_params(m)), m
    assert R.method_params("csgm")["lam"].hi == 10
    for m in ("relaxed", "sparse", "tv-sparse"):
        lam = R.method_params(m)["lam"]
        assert lam.hi == 100 and lam.help != R.method_params("csgm")["lam"].help
    hard = {p.name: p for p in params_of(METHODS["csgm"].config)}
    assert hard["iters"].hi > R.method_params("csgm")["iters"].hi, "the UI caps iterations below the config's limit"
    assert "every" not in R.method_params("csgm") and "seed" not in R.method_params("csgm")


def test_page_run_uses_only_the_selected_methods_and_operators_controls():
    values = {"source": "image", "image": DIGIT, "operator": "cs-gaussian", "noise": 0.05, "generator": GEN,
              "method": "csgm", "baselines": [], "seed": 0,
              R.input_name("cs-gaussian", "m"): 100, R.input_name("gaussian-blur", "size"): 10**6,  # not selected
              R.input_name("csgm", "iters"): 3, R.input_name("csgm", "restarts"): 1,
              R.input_name("relaxed", "lam"): -5}  # another method's value is ignored, not validated
    last = list(R.page_run(values))[-1]
    assert done(last) and last["table"][0][-1] == 3
    values[R.input_name("csgm", "iters")] = 2.5
    with pytest.raises(UserError, match="iters must be a whole number"):
        next(R.page_run(values))


def test_baseline_weights_follow_the_chosen_rule():
    """The page's TV weight comes from the discrepancy principle unless the person fixes it; with σ = 0
    the rule cannot apply and says so."""
    table = lambda **kw: {r[0].split(" (")[0]: r[0] for r in run_all(baselines=["tv"], **kw)[-1]["table"]}  # noqa: E731
    assert "by discrepancy" in table()["TV"]
    assert table(baseline_settings={"tv": {"rule": "fixed", "lam": 0.07}})["TV"] == "TV (λ = 0.07, fixed)"
    assert "σ = 0" in table(noise=0.0)["TV"]


def test_blur_uses_wiener_and_dip_runs():
    last = run_all(operator="gaussian-blur", op_params={"size": 5, "sigma": 1.0}, baselines=["wiener", "dip"],
                   knobs={"iters": 10, "restarts": 2}, baseline_settings={"dip": {"iters": 40}})[-1]
    assert [r[0].split(" (")[0] for r in last["table"]] == ["CSGM", "Wiener", "DIP"]


def test_drawing_is_converted_like_mnist():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[60:220, 130:150] = (0, 0, 0, 255)  # a black stroke on a transparent canvas: a "1"
    last = run_all(image={"background": None, "layers": [canvas], "composite": canvas}, baselines=[])[-1]
    assert "inverted" in last["conversion"] and last["table"][0][1] != "error"


def test_painted_mask():
    layer = np.zeros((256, 256, 4), np.uint8)
    layer[100:160, :, 3] = 255
    editor = {"background": None, "layers": [layer], "composite": None}
    race = R.prepare(**request(operator=R.PAINTED, op_params={}, mask_editor=editor, baselines=["tv"]))
    assert race.problem.physics.name == R.PAINTED
    assert 0.1 < 1 - float(race.problem.physics.mask.mean()) < 0.4
    assert [r[0].split(" (")[0] for r in list(R.run(race))[-1]["table"]] == ["CSGM", "TV"]
    with pytest.raises(UserError, match="Paint"):
        run_all(operator=R.PAINTED, op_params={}, mask_editor=None)


@pytest.mark.parametrize("kw,msg", [
    (dict(image=None), "Pick an example"),
    (dict(image=b"garbage"), "not a readable image"),
    (dict(image=np.zeros((7000, 7000, 3), np.uint8)), "limit"),
    (dict(image=np.full((40, 40), np.nan)), "NaN"),
    (dict(noise=float("nan")), "noise must be finite"),
    (dict(noise=5), r"noise must be in \[0.0, 0.5\]"),  # UI_CONTROLS caps σ below NOISE's 1.0
    (dict(seed=-1), "seed must be in"),
    (dict(seed=1.5), "seed must be a whole number"),
    (dict(knobs={"iters": 10**6}), r"iters must be in \[1, 2000\]"),  # the UI cap, not the config's 5000
    (dict(knobs={"iters": 2.5}), "iters must be a whole number"),
    (dict(knobs={"lr": float("inf")}), "lr must be finite"),
    (dict(knobs={"mu": 0.1}), "method csgm has no setting mu"),  # relaxed's setting, not CSGM's
    (dict(method="relaxed", knobs={"lam": 101}), r"lam must be in \[0.0, 100.0\]"),
    (dict(method="rm -rf"), "unknown method"),
    (dict(method="blind"), "unknown method"),  # a blind method is not a Reconstruct method
    (dict(baselines=["shell"]), "baselines"),
    (dict(baseline_settings={"tv": {"rule": "oracle"}}), "rule"),
    (dict(baseline_settings={"tv": {"lam": float("nan")}}), "lam must be finite"),
    (dict(baseline_settings={"tikhonov": {"lam": 0.1}}), "baseline tikhonov has no setting lam"),
    (dict(baseline_settings={"wiener": {}}), "baseline settings are for"),
    (dict(generator="nope"), "cannot be loaded"),
    (dict(operator="nope"), "unknown operator"),
    (dict(op_params={"m": -3}), "m must be in"),
    (dict(op_params={"m": 2000}), r"m must be in \[1, 1024\]"),  # capped for 32×32 images
    (dict(op_params={"size": 5}), "operator cs-gaussian has no setting size"),
])
def test_bad_input_gives_a_clear_message(kw, msg):
    with pytest.raises(UserError, match=msg):
        run_all(**kw)


def test_still_serving_after_bad_input():
    with pytest.raises(UserError):
        run_all(noise=float("nan"))
    assert done(run_all(knobs={"iters": 5, "restarts": 1}, baselines=[])[-1])


def test_explain_names_the_method_and_operator():
    assert "Bora" in R.explain("cs-gaussian", "csgm") and "cs-gaussian" in R.explain("cs-gaussian", "csgm")


def test_explorer_samples_grid_walk_encode():
    gallery, zs = E.samples(GEN, 0, 1.0)
    assert len(gallery) == E.N_SAMPLES and len(zs[0]) == 16
    far, _ = E.samples(GEN, 0, 3.0)
    assert not np.array_equal(far[0][0], gallery[0][0])
    img = E.grid(GEN, zs[:3], 5)
    assert img.shape[0] >= 5 * 32 and img.shape[0] == img.shape[1]
    a, b = E.walk(GEN, zs[:2], 0.0, "linear"), E.walk(GEN, zs[:2], 1.0, "spherical")
    assert a.shape == b.shape and not np.array_equal(a, b)
    orig, proj, z, msg = E.encode(DIGIT, GEN)
    assert len(z) == 16 and "representation error" in msg
    anchors = E.set_anchor(E.pick_sample(zs, 1, 3, None), 1, z)
    assert anchors[0] == z and anchors[1] is None and anchors[2] == zs[1]
    assert len(E.anchor_images(GEN, anchors)) == 2
    with pytest.raises(UserError, match="three anchors"):
        E.grid(GEN, anchors, 5)
    with pytest.raises(UserError, match="does not fit"):
        E.walk(GEN, [[0.0] * 3, [0.0] * 3], 0.5, "linear")
    with pytest.raises(UserError, match="Run a reconstruction first"):
        E.send_z(None, anchors)
    assert E.send_z(zs[4], anchors)[0][0] == zs[4]


@pytest.mark.parametrize("call,msg", [
    (lambda: E.samples(GEN, 0, UI_CONTROLS["radius"].hi + 1), "radius must be in"),
    (lambda: E.samples(GEN, float("nan"), 1.0), "seed must be finite"),
    (lambda: E.grid(GEN, [[0.0] * 16] * 3, UI_CONTROLS["grid"].hi + 1), "grid must be in"),
    (lambda: E.walk(GEN, [[0.0] * 16] * 2, 1.5, "linear"), "walk_t must be in"),
    (lambda: E.walk(GEN, [[0.0] * 16] * 2, 0.5, "cubic"), "interpolation must be one of"),
    (lambda: E.set_anchor(None, 4, [0.0]), "anchor slot"),
    (lambda: E.samples("nope", 0, 1.0), "cannot be loaded"),
])
def test_explorer_bad_input(call, msg):
    with pytest.raises(UserError, match=msg):
        call()


def test_uair_network_appears_beside_the_iterative_methods():
    """Amortised (one forward pass) vs iterative inference, with the time of each."""
    last = run_all(image=R.example_images()[0], operator="convolve-noise", op_params={}, noise=0.0,
                   knobs={"iters": 20, "restarts": 2}, baselines=["tv"])[-1]
    rows = {r[0]: r for r in last["table"]}
    assert "UAIR network (one pass)" in rows and rows["UAIR network (one pass)"][-1] == 1
    assert float(rows["UAIR network (one pass)"][5]) < float(rows["CSGM"][5])
    assert last["uair"] is not None
    # no network for this degradation: no UAIR lane
    last = run_all(image=R.example_images()[0], operator="denoise", op_params={}, noise=0.1,
                   knobs={"iters": 5, "restarts": 1}, baselines=[])[-1]
    assert [r[0] for r in last["table"]] == ["CSGM"] and last["uair"] is None


def test_every_reconstruct_preset_is_a_valid_request():
    """Each preset's values name page inputs and pass the same validation as a Run (its operator and method
    exist, its parameters are in range); its caption names the paper and reads our report."""
    from genprior_demo.ui.presets import PRESETS

    names = {"source", "image", "operator", "noise", "generator", "method", "baselines", "seed",
             *R.METHOD_INPUTS, *R.OPERATOR_INPUTS, *R.BASELINE_INPUTS}
    for p in PRESETS:
        cap = p.caption()
        assert cap.count("**") >= 4 and ("Our report" in cap), p.key  # claim, then our number (or why not)
        if p.tab != "reconstruct":
            continue
        assert set(p.values) <= names, (p.key, set(p.values) - names)
        race = R.page_prepare(p.values)
        assert race.lanes[0].name == p.values["method"] and race.request["operator"] == p.values["operator"]


def test_the_out_of_domain_preset_quotes_the_reports_numbers():
    import re

    from genprior_demo.ui import claims

    assert re.search(r"IAGAN \d+\.\d dB, CSGM \d+\.\d dB, bicubic \d+\.\d dB", claims.iagan_ood_caption())


def test_the_latent_explorer_opens_with_samples_anchors_and_a_grid():
    gallery, codes, anchors, grid = E.opening(GEN, 0, 1.0, 5, E.empty_anchors())
    assert len(gallery) == len(codes) >= 3 and anchors == codes[:3]
    assert grid.shape[0] >= 5 * 32 and grid.dtype == np.uint8
    sent = [codes[5], None, None]  # "Send z" came first: the person's anchor stays
    assert E.opening(GEN, 0, 1.0, 5, sent)[2] == [codes[5], codes[1], codes[2]]


@pytest.mark.parametrize("key", ["csgm-plateau", "iagan-sr4", "iagan-ood", "npgd-speed", "duff-relaxed", "anirudh-blind",
                                 "anirudh-separate", "pajot-uair"])
def test_paper_presets_quote_the_shipped_reports_numbers(key):
    """With the committed docs/results.json every paper preset quotes our numbers; a renamed report row or
    a moved column would fall back to "no … numbers yet" and fail here."""
    from genprior_demo.ui.presets import PRESET_BY_KEY

    cap = PRESET_BY_KEY[key].caption()
    ours = cap.split("**Our report", 1)[1]
    assert "yet" not in ours and re.search(r"\d+\.\d+ dB|\d+ %", ours), cap
