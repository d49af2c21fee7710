"""The Generator lab: projections cached with the generator's sha256, EMD, and the tab's handlers on a
shipped generator (few images, so it stays fast)."""
import numpy as np
import pytest
import torch

from genprior_demo.experiments import lab as L
from genprior_demo.generators import load_prior
from genprior_demo.ui import lab as UL
from genprior_demo.ui.common import UserError


def test_emd_is_zero_for_the_same_cloud_and_grows_with_a_shift():
    a = torch.randn(64, 5, generator=torch.Generator().manual_seed(0))
    assert L.emd(a, a) == pytest.approx(0.0, abs=1e-9)
    assert L.emd(a, a + 3.0) == pytest.approx(3.0 * np.sqrt(5), rel=1e-6)  # every point moves by the same vector
    with pytest.raises(ValueError):
        L.emd(a, a[:10])


def test_projections_roundtrip_and_a_retrained_generator_is_not_shown_stale(tmp_path):
    p = load_prior("mnist-vae")
    x = torch.rand(6, 1, 32, 32)
    pr = L.compute(p, x, np.arange(6), restarts=1, iters=5)
    L.save(pr, tmp_path)
    back = L.load("mnist-vae", p.meta["sha256"], tmp_path)
    assert torch.equal(back.z, pr.z) and np.allclose(back.nrmse, pr.nrmse) and back.meta["iters"] == 5
    assert torch.equal(back.worst_x, x[torch.from_numpy(pr.worst_idx)])  # worst first
    assert pr.nrmse[pr.worst_idx[0]] == pr.nrmse.max()
    assert L.load("mnist-vae", "another sha256", tmp_path) is None
    assert L.load("mnist-dcgan", None, tmp_path) is None


def test_projection_starts_as_duff_et_al_an_autoencoder_at_its_encoding_a_gan_at_draws():
    x = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    ae = load_prior("mnist-ae")
    with torch.no_grad():
        enc = ((ae(ae.encode(x)) - x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)).numpy()
    _, e_enc = L.project(ae, x, restarts=1, iters=1, lr=1e-7, init="encoder")  # one negligible step: still at E(x)
    _, e_pri = L.project(ae, x, restarts=1, iters=1, lr=1e-7, init="prior")
    assert np.allclose(e_enc, enc, atol=1e-4) and not np.allclose(e_pri, enc, atol=1e-3)
    gan = load_prior("mnist-dcgan")  # no encoder: both starts are the same draws
    assert np.array_equal(L.project(gan, x, 1, 2, init="encoder")[1], L.project(gan, x, 1, 2, init="prior")[1])
    pr = L.compute(ae, x, np.arange(4), restarts=1, iters=1)
    assert L.start_label(pr.meta) == "E(x) + draws" and L.start_label({"init": "encoder", "kind": "gan"}) == "prior draws"
    assert L.start_label({}) == "prior draws"  # caches made before the option started from draws
    with pytest.raises(ValueError):
        L.project(ae, x, 1, 1, init="somewhere")


def test_recompute_then_view_compares_two_generators():
    fresh = None
    messages = []
    for fresh_v, msg in UL.recompute("mnist-vae", 8, {}):
        messages.append(msg)
        fresh = fresh_v if fresh_v is not None else fresh
    assert "mnist-vae" in fresh and fresh["mnist-vae"].nrmse.shape == (8,)
    assert messages[0].startswith("projecting") and "this session only" in messages[-1]
    frame = UL.view("mnist-vae", "mnist-dcgan", fresh)
    row = frame["table"][0]
    assert row[0] == "mnist-vae" and row[1] == 8 and 0 < row[2] < 1 and row[4] > 0
    assert set(frame["scatter_a"]["points"]) >= {"prior draw"} and len(frame["scatter_a"]) == 16
    assert len(frame["worst_a"]) == UL.WORST and frame["far_a"].shape[0] > 5 * 32
    assert "mnist-vae" in frame["verdict"] and row[-1].endswith("steps from E(x) + draws")


@pytest.mark.parametrize("n", [0, 10_000, "many", float("nan")])
def test_recompute_refuses_bad_sizes(n):
    with pytest.raises(UserError):
        next(UL.recompute("mnist-vae", n, {}))


def test_view_needs_a_generator():
    with pytest.raises(UserError):
        UL.view("", None, {})
    with pytest.raises(UserError, match="cannot be loaded"):
        UL.view("no-such-generator", None, {})
