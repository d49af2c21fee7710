"""Handler-level tests of the app (no browser): streaming frames, bad input, mask painting, explorer."""
import math

import numpy as np
import pytest

from genprior_demo.ui import explorer as E
from genprior_demo.ui import reconstruct as R

GEN = "mnist-vae"
DIGIT = next(p for p in R.example_images() if "mnist" in p)
FAST = {"iters": 40, "restarts": 3}


def run_all(**kw):
    args = dict(image=DIGIT, operator="cs-gaussian", op_params={"m": 150}, noise=0.05, generator=GEN,
                method="csgm", knobs=FAST, baselines=["tv", "wiener"], seed=0)
    args.update(kw)
    return list(R.reconstruct(**args))


def test_streams_frames_and_fills_the_table():
    frames = run_all()
    assert len(frames) >= 3
    first, last = frames[0], frames[-1]
    assert first["gt"] is not None and first["obs"] is not None and first["panels"]["csgm"][0] is None
    assert last["final"] and len(last["table"]) == 3
    labels = [r[0] for r in last["table"]]
    assert labels == ["CSGM", "TV", "Tikhonov"]  # Wiener is labelled Tikhonov for compressed sensing
    for row in last["table"]:
        assert math.isfinite(float(row[1])) and 0 < float(row[2]) <= 1
    out = R.frame_outputs(last)
    assert len(out) == len(R.OUTPUTS)
    assert out[3].shape[0] >= 256  # the result is shown enlarged (crisp pixels), not as a stamp
    assert last["restarts"] is not None and len(last["restarts"]) == 3
    assert any("★" in cap for _, cap in last["restarts"]) and last["spread"] is not None
    assert last["z"] is not None and len(last["z"]) == 16


def test_every_generative_method_runs_in_the_ui():
    for m in R.GENERATIVE:
        knobs = {"iters": 8, "restarts": 2, "csgm_iters": 5, "inner_iters": 3}
        last = run_all(method=m, knobs=knobs, baselines=[], operator="sr", op_params={"factor": 2})[-1]
        assert last["final"] and last["table"][0][1] not in ("…", "error"), m


def test_blur_uses_wiener_and_dip_runs():
    last = run_all(operator="gaussian-blur", op_params={"size": 5, "sigma": 1.0}, baselines=["wiener", "dip"],
                   knobs={"iters": 10, "restarts": 2})[-1]
    assert [r[0] for r in last["table"]] == ["CSGM", "Wiener", "DIP"]


def test_drawing_is_converted_like_mnist():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[60:220, 130:150] = (0, 0, 0, 255)  # a black stroke on a transparent canvas: a "1"
    last = run_all(image={"background": None, "layers": [canvas], "composite": canvas}, baselines=[])[-1]
    assert "inverted" in last["conversion"] and last["table"][0][1] != "error"


def test_painted_mask():
    layer = np.zeros((256, 256, 4), np.uint8)
    layer[100:160, :, 3] = 255
    editor = {"background": None, "layers": [layer], "composite": None}
    last = run_all(operator=R.PAINTED, mask_editor=editor, baselines=["tv"])[-1]
    assert last["problem"].physics.name == R.PAINTED
    assert 0.1 < 1 - float(last["problem"].physics.mask.mean()) < 0.4
    with pytest.raises(R.UserError, match="Paint"):
        run_all(operator=R.PAINTED, mask_editor=None)


@pytest.mark.parametrize("kw,msg", [
    (dict(image=None), "Pick an example"),
    (dict(image=b"garbage"), "not a readable image"),
    (dict(image=np.zeros((7000, 7000, 3), np.uint8)), "limit"),
    (dict(image=np.full((40, 40), np.nan)), "NaN"),
    (dict(noise=float("nan")), "noise"),
    (dict(noise=5), "noise"),
    (dict(seed=-1), "seed"),
    (dict(knobs={"iters": 10**6}), "limited"),
    (dict(knobs={"lr": float("inf")}), "finite"),
    (dict(method="rm -rf"), "unknown method"),
    (dict(baselines=["shell"]), "baselines"),
    (dict(generator="nope"), "cannot be loaded"),
    (dict(operator="nope"), "unknown operator"),
    (dict(op_params={"m": -3}), "must be in"),
])
def test_bad_input_gives_a_clear_message(kw, msg):
    with pytest.raises(R.UserError, match=msg):
        run_all(**kw)
    assert run_all(knobs={"iters": 5, "restarts": 1}, baselines=[])[-1]["final"]  # still serving


def test_knob_state_follows_the_method():
    st = R.knob_state("iagan")
    assert st["lr_theta"][0] and st["csgm_iters"][0] and not st["mu"][0]
    st = R.knob_state("relaxed")
    assert st["mu"][0] and st["lam"][1] == 0.1 and not st["lr_theta"][0]
    assert "Bora" in R.explain("cs-gaussian", "csgm")


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
    assert len(E.anchor_images(GEN, [z, None, zs[1]])) == 2
    with pytest.raises(R.UserError, match="three anchors"):
        E.grid(GEN, [z, None, None], 5)
    with pytest.raises(R.UserError, match="does not fit"):
        E.walk(GEN, [[0.0] * 3, [0.0] * 3], 0.5, "linear")


def test_uair_network_appears_beside_the_iterative_methods():
    """Amortised (one forward pass) vs iterative inference, with the time of each."""
    frames = list(R.reconstruct(R.example_images()[0], "convolve-noise", {}, 0.0, "mnist-vae", "csgm",
                                {"iters": 20, "restarts": 2}, ["tv"], 0))
    last = frames[-1]
    rows = {r[0]: r for r in last["table"]}
    assert "UAIR network (one pass)" in rows and rows["UAIR network (one pass)"][-1] == 1
    assert float(rows["UAIR network (one pass)"][5]) < float(rows["CSGM"][5])
    assert R.frame_outputs(last)[R.OUTPUTS.index("uair")] is not None
    # no network for this degradation: no UAIR lane
    last = list(R.reconstruct(R.example_images()[0], "denoise", {}, 0.1, "mnist-vae", "csgm",
                              {"iters": 5, "restarts": 1}, [], 0))[-1]
    assert [r[0] for r in last["table"]] == ["CSGM"]
