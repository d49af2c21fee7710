"""Handlers of the Blind and Separate tabs: frames stream, tables fill, bad input is a clear message."""
import numpy as np
import pytest
import torch

from genprior_demo.config import UI_CONTROLS
from genprior_demo.ui import unknown as U
from genprior_demo.ui.common import UserError

BLUR = "Gaussian blur 11×11, σ = 2.5"


@pytest.fixture(autouse=True)
def one_thread():
    """The blind loops are many tiny convolutions: one thread is faster on a shared 2-core machine.
    Restored after each test (never process-wide)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_blind_tab_streams_images_kernel_and_baselines():
    frames = list(U.blind_run(BLUR, 2, 0.0, 2, 0.02, 0))
    assert len(frames) >= 3
    assert set(frames[0]) == set(frames[-1]) == set(U.BLIND_OUTPUTS), "the first and last frames name every output"
    assert all(set(f) <= set(U.BLIND_OUTPUTS) for f in frames)
    last = frames[-1]
    for k in ("obs", "rec", "truth", "kernel", "true_kernel", "probe", "true_probe"):
        assert isinstance(last[k], np.ndarray) and last[k].dtype == np.uint8, k
    assert len(last["curve"]) > 0 and last["curve"]["series"].str.startswith("F̂").any()
    assert last["rec"].shape[0] >= 64, "digits are shown enlarged"
    labels = [r[0] for r in last["table"]]
    assert labels[0].startswith("blind") and "Wiener (true kernel known)" in labels
    assert all(np.isfinite(float(r[1])) for r in last["table"])
    assert frames[0]["table"] is None and "done" in last["status"]


def test_separate_tab_one_observation_says_fastica_cannot():
    frames = list(U.separate_run(None, None, None, 1, 1, 0))
    assert all(set(f) == set(U.SEPARATE_OUTPUTS) for f in frames)
    last = frames[-1]
    assert [r[0] for r in last["table"]][0].startswith("mixing network")
    assert any("cannot" in r[0] for r in last["table"] if r[0].startswith("FastICA"))
    assert len(last["table"][0]) == len(U.SEPARATE_HEADERS)
    assert last["sources"].shape == last["rec"].shape


@pytest.mark.parametrize("args,msg", [
    ((BLUR, UI_CONTROLS["blind_n"].hi + 1, 0.0, 1, 0.02, 0), r"blind_n must be in \[2, 32\]"),
    ((BLUR, 2.5, 0.0, 1, 0.02, 0), "blind_n must be a whole number"),
    ((BLUR, 4, float("nan"), 1, 0.02, 0), "blind_noise must be finite"),
    ((BLUR, 4, 0.5, 1, 0.02, 0), r"blind_noise must be in \[0.0, 0.2\]"),
    (("no such operator", 4, 0.0, 1, 0.02, 0), "hidden operator"),
    (("Sobel edge map", 4, 0.0, 10_000, 0.02, 0), r"blind_rounds must be in \[1, 60\]"),
    (("Sobel edge map", 4, 0.0, 1, float("inf"), 0), "blind_lr_z must be finite"),
    (("Sobel edge map", 4, 0.0, 1, 0.02, -1), "seed must be in"),
])
def test_blind_bad_input(args, msg):
    with pytest.raises(UserError, match=msg):
        next(U.blind_run(*args))


def test_separate_bad_input_and_bad_image():
    with pytest.raises(UserError, match="separate_observations must be one of 1, 4"):
        next(U.separate_run(None, None, None, 7, 1, 0))
    with pytest.raises(UserError, match="separate_rounds must be a whole number"):
        next(U.separate_run(None, None, None, 4, 1.5, 0))
    with pytest.raises(UserError, match="not an image"):
        next(U.separate_run(np.zeros((2, 2, 7), dtype=np.uint8), None, None, 4, 1, 0))


def test_separate_uses_a_drawing_and_fills_empty_slots():
    blank = np.zeros((140, 140, 4), dtype=np.uint8)  # an untouched editor canvas
    drawn = blank.copy()
    drawn[30:110, 65:78] = (0, 0, 0, 255)  # a "1"
    frames = list(U.separate_run({"composite": drawn, "background": None, "layers": []},
                                 {"composite": blank, "background": None, "layers": []}, None, 4, 1, 0))
    notes = frames[-1]["notes"]
    assert "source 1: " in notes and "source 1: shipped" not in notes
    assert "source 2: shipped test digit (slot empty)" in notes and "source 3: shipped" in notes
