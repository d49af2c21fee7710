"""Checkpoints: safetensors only, sha256 checked, shipped generators load and are in the manifest."""
import pickle

import numpy as np

import pytest
import torch
from safetensors.torch import save_file

from genprior_demo.device import seeded
from genprior_demo.generators import SPECS, CheckpointError, available, load_prior
from genprior_demo.generators import registry

from .tiny import random_prior as tiny_prior


def _write(tmp_path, prior, name="tiny-gan"):
    f = tmp_path / f"{name}.safetensors"
    save_file(registry.state_dict_of(prior), str(f))
    return f


def test_roundtrip_through_safetensors(tmp_path):
    p = tiny_prior("vae", 6, "gaussian")
    f = _write(tmp_path, p)
    sd = registry.load_state(f, registry.sha256_of(f))
    spec = dict(kind="vae", latent_dim=6, prior="gaussian")
    q = registry.build("vae", 6, "gaussian", ae_width=8)
    q.decoder.load_state_dict({k[8:]: v for k, v in sd.items() if k.startswith("decoder.")})
    z = p.sample_latent(3, seeded(0))
    assert torch.equal(p(z), q(z))
    assert set(sd) >= {"latent_mean", "latent_std"} and spec["kind"] == "vae"


def test_sha256_mismatch_is_refused(tmp_path):
    f = _write(tmp_path, tiny_prior())
    good = registry.sha256_of(f)
    data = bytearray(f.read_bytes())
    data[-1] ^= 1
    f.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        registry.load_state(f, good)


def test_pickles_and_garbage_are_refused(tmp_path):
    pk = tmp_path / "evil.pt"
    pk.write_bytes(pickle.dumps({"w": torch.zeros(2)}))
    with pytest.raises(CheckpointError, match="only .safetensors"):
        registry.load_state(pk, None)
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        registry.load_state(fake, None)
    with pytest.raises(CheckpointError, match="not found"):
        registry.load_state(tmp_path / "missing.safetensors", None)


def test_unknown_generator():
    with pytest.raises(KeyError):
        load_prior("mnist-diffusion")


SHIPPED = available()


def test_every_registered_generator_is_shipped():
    assert set(SHIPPED) == set(SPECS), f"missing checkpoints: {set(SPECS) - set(SHIPPED)}"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_generator_loads_with_provenance(name):
    entry = registry.read_manifest()[name]
    for key in ("dataset", "resolution", "channels", "latent_dim", "latent_prior", "architecture",
                "training_command", "seed", "sha256", "quality"):
        assert key in entry, f"{name}: manifest lacks {key}"
    assert (registry.CHECKPOINT_DIR / entry["samples"]).exists()
    p = load_prior(name)
    x = p(p.sample_latent(4, seeded(0)))
    assert x.shape == (4, 1, entry["resolution"], entry["resolution"]) and x.min() >= 0 and x.max() <= 1
    assert not any(t.requires_grad for t in p.decoder.parameters())
    if SPECS[name]["kind"] == "gan":
        assert p.discriminator is not None and p.discriminator(x).shape == (4,)
    else:
        assert p.encode(x).shape == (4, p.latent_dim)


@pytest.mark.parametrize("name", [n for n in SHIPPED if n.startswith("mnist") and SPECS[n].get("arch") != "duff"])
def test_quality_bar(name):
    """The demo's MNIST generators: median projection NRMSE ≤ 0.25 (AE/VAE) and ≤ 0.35 (GAN) on 500 held-out
    digits. (The Duff-study models miss it and are not defaults: docs/RESULTS.md §7 reports them.)"""
    q = registry.read_manifest()[name]["quality"]
    assert q["n_test_images"] >= 500
    bar = 0.35 if SPECS[name]["kind"] == "gan" else 0.25
    assert q["projection_nrmse_median"] <= bar


def test_batchnorm_folding_keeps_the_function():
    from genprior_demo.generators.fold import fold_batchnorm

    p = tiny_prior("gan")
    for m in p.decoder.modules():  # non-trivial running statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
    folded = fold_batchnorm(p.decoder)
    z = p.sample_latent(5, seeded(3))
    assert torch.allclose(p.decoder(z), folded(z), atol=1e-5)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())


@pytest.mark.parametrize("name", SHIPPED)
def test_lab_projections_are_those_of_the_shipped_weights(name):
    """The Generator lab's cached projections (checkpoints/lab/) are never stale: a cache made with other
    weights is refused by its sha256, so none may be left behind; its median is the manifest's."""
    from genprior_demo.experiments import lab

    entry = registry.read_manifest()[name]
    path = lab.cache_path(name)
    if path.is_file():
        pr = lab.load(name, entry["sha256"])
        assert pr is not None, f"{name}: lab cache made with other weights"
        assert pr.nrmse.shape == (pr.meta["n"],) and pr.z.shape == (pr.meta["n"], entry["latent_dim"])
        assert np.isclose(np.median(pr.nrmse), entry["quality"]["projection_nrmse_median"], atol=5e-4)


def test_the_lab_opens_on_two_cached_generators():
    from genprior_demo.experiments import lab
    from genprior_demo.ui.lab import default_pair

    a, b = default_pair(SHIPPED)
    assert lab.cache_path(a).is_file() and lab.cache_path(b).is_file(), "run `evaluate` for two generators"


@pytest.mark.parametrize("kind", ["gan", "vae", "ae"])
def test_duff_training_resumes_where_it_stopped(kind, tmp_path, monkeypatch):
    """A Duff-style training killed and resumed continues from its saved state (iterations, weights)."""
    from genprior_demo.train import generators as T

    monkeypatch.setattr(T, "STATE_DIR", tmp_path)
    p = registry.build(kind, 4, "gaussian", f"tiny-{kind}", arch="duff", size=16)
    x = torch.rand(64, 1, 16, 16, generator=seeded(1))
    first = T.train_duff(p, f"tiny-{kind}", x, 0.01, seeded(0), "cpu")
    assert (tmp_path / f"tiny-{kind}.pt").is_file() and first["iterations"] > 0
    q = registry.build(kind, 4, "gaussian", f"tiny-{kind}", arch="duff", size=16)
    again = T.train_duff(q, f"tiny-{kind}", x, 0.0, seeded(0), "cpu", resume=True)  # no time left: loads, saves
    assert again["iterations"] == first["iterations"]
    assert all(torch.equal(a, b) for a, b in zip(p.decoder.state_dict().values(), q.decoder.state_dict().values()))


@pytest.mark.parametrize("n_real", [0, 3])
def test_projector_batches_mix_range_samples_and_training_images(n_real):
    """train-projector's batch: bs − n_real fresh G(z) (with the latent term) and n_real training images
    (reconstruction term only); both terms give P a gradient."""
    from genprior_demo.generators.nets import ConvEncoder
    from genprior_demo.train.projector import projector_loss
    from tests.tiny import tiny_prior

    prior = tiny_prior("gan", latent=4)
    x_train = torch.rand(5, 1, 32, 32, generator=seeded(2))
    P = ConvEncoder(4, 1, width=8, variational=False)
    rec, lat, x = projector_loss(prior, P, 8, seeded(0), x_train if n_real else None, n_real)
    assert x.shape == (8, 1, 32, 32)
    in_train = [any(torch.equal(r, t) for t in x_train) for r in x]
    assert in_train == [False] * (8 - n_real) + [True] * n_real
    for term in (rec, lat):
        (grad,) = torch.autograd.grad(term, next(P.parameters()), retain_graph=True)
        assert grad.abs().sum() > 0


def test_cosine_lr_falls_from_lr_to_lr_final():
    from genprior_demo.train.generators import cosine_lr

    assert cosine_lr(1e-3, None, 50.0, 100.0) == 1e-3  # no schedule: constant
    lrs = [cosine_lr(1e-3, 1e-5, t, 100.0) for t in range(0, 101, 10)]
    assert np.isclose(lrs[0], 1e-3) and np.isclose(lrs[-1], 1e-5) and np.isclose(lrs[5], (1e-3 + 1e-5) / 2)
    assert all(a > b for a, b in zip(lrs, lrs[1:]))
    assert np.isclose(cosine_lr(1e-3, 1e-5, 500.0, 100.0), 1e-5)  # past the budget: stays at the end


@pytest.mark.parametrize("warm", [True, False])
def test_warm_start_begins_at_the_shipped_weights_and_records_them(warm, tmp_path, monkeypatch):
    """`train --warm-start` continues from the shipped weights (a fresh start does not) and the new manifest
    entry keeps the sha256 it started from."""
    import json
    import shutil

    from genprior_demo.data import make_shapes
    from genprior_demo.train import generators as T

    name = "shapes56-ae"
    entry = registry.read_manifest()[name]
    shutil.copy(registry.CHECKPOINT_DIR / entry["file"], tmp_path / entry["file"])
    (tmp_path / "manifest.json").write_text(json.dumps({name: entry}))
    monkeypatch.setattr(T, "STATE_DIR", tmp_path / ".state")
    monkeypatch.setattr(T, "training_data", lambda *a, **k: make_shapes(8, seed=5, size=56))
    new = T.train(name, None, 1, 0.0, 0, None, "cpu", out_dir=tmp_path, warm_start=warm, lr_final=1e-5 if warm else None)
    shipped = registry.load_state(registry.CHECKPOINT_DIR / entry["file"], entry["sha256"])
    got = registry.load_state(tmp_path / entry["file"], new["sha256"])
    same = all(torch.equal(got[k], v) for k, v in shipped.items() if k.startswith("decoder."))
    assert same == warm
    assert (new.get("warm_start", {}).get("sha256") == entry["sha256"]) == warm
    if warm:
        assert "lr_final=1e-05" in new["recipe"] and "vae_warmup=0" in new["recipe"]
        # extended after it finished: the origin stays the first shipped entry, not the run's own result
        again = T.train(name, None, 1, 0.0, 0, None, "cpu", out_dir=tmp_path, resume=True, warm_start=True, lr_final=1e-5)
        assert again["warm_start"]["sha256"] == entry["sha256"]
        # resumed after a kill (the manifest still holds the shipped entry): the origin is that entry
        (tmp_path / "manifest.json").write_text(json.dumps({name: entry}))
        again = T.train(name, None, 1, 0.0, 0, None, "cpu", out_dir=tmp_path, resume=True, warm_start=True, lr_final=1e-5)
        assert again["warm_start"]["sha256"] == entry["sha256"]


def test_warm_start_is_refused_for_generators_that_train_in_one_go(tmp_path):
    from genprior_demo.train import generators as T

    with pytest.raises(T.TrainSettingsError, match="Duff-style"):
        T.train("mnist-vae", None, 1, 0.0, 0, None, "cpu", out_dir=tmp_path, warm_start=True)
    with pytest.raises(T.TrainSettingsError, match="WGAN-GP"):  # the GAN's rate is not annealed: refused, not ignored
        T.train("shapes56-wgan", None, 1, 0.0, 0, None, "cpu", out_dir=tmp_path, lr_final=1e-5)


@pytest.mark.parametrize("first, then, match", [
    (dict(), dict(origin={"sha256": "x"}), "from random weights"),          # a scratch run resumed as a warm start
    (dict(origin={"sha256": "x"}), dict(origin=None), "from the shipped weights"),  # a warm start resumed without it
    (dict(lr_final=1e-5), dict(lr_final=None), "--lr-final"),               # the schedule dropped on resume
    (dict(lr_final=1e-5), dict(lr_final=1e-5, minutes=0.02), "cannot be extended"),  # a longer annealed run
])
def test_a_resume_must_match_the_saved_run(first, then, match, tmp_path, monkeypatch):
    """The saved state keeps the warm start's origin and the learning-rate schedule; a resume that does not
    match them is refused with a message, not silently trained differently."""
    from genprior_demo.train import generators as T

    monkeypatch.setattr(T, "STATE_DIR", tmp_path)
    x = torch.rand(64, 1, 16, 16, generator=seeded(1))

    def run(minutes=0.0, lr_final=None, origin=None, resume=False):
        p = registry.build("ae", 4, "gaussian", "tiny-ae", arch="duff", size=16)
        return T.train_duff(p, "tiny-ae", x, minutes, seeded(0), "cpu", T.DuffTrainConfig(lr_final=lr_final),
                            resume=resume, origin=origin)

    out = run(**first)
    assert out.get("warm_start") == first.get("origin")
    assert run(**first, resume=True).get("warm_start") == first.get("origin")  # the same settings resume
    with pytest.raises(T.TrainSettingsError, match=match):
        run(**{**first, **then}, resume=True)


def test_font_digits_are_mnist_style_tiles():
    from genprior_demo.data import FONT_DIGITS_GRID, font_digits

    x = font_digits(128)
    assert x.shape == (128, 1, 32, 32) and 0 <= x.min() and x.max() <= 1
    ink = x.flatten(1).sum(1)
    assert (ink > 20).all(), "every tile holds a digit"
    frame = torch.ones(32, 32, dtype=torch.bool)
    frame[2:-2, 2:-2] = False
    assert x[:, 0, frame].sum() == 0  # MNIST's layout: the 20×20 ink box, centred by mass, leaves a blank frame
    assert torch.equal(font_digits(3, offset=5), x[5:8])
    with pytest.raises(ValueError):
        font_digits(2, offset=FONT_DIGITS_GRID[0] * FONT_DIGITS_GRID[1] - 1)
