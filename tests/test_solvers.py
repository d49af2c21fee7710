"""Every registered method: streams steps, lowers the data residual, is deterministic, honours caps."""
import dataclasses

import pytest
import torch

from genprior_demo.config import CSGMConfig, make_config, params_of
from genprior_demo.device import seeded
from genprior_demo.metrics import psnr
from genprior_demo.physics import make_operator
from genprior_demo.pipeline import Problem, make_problem, method_stream
from genprior_demo.solvers import METHODS, solve

from .conftest import tiny_prior

FAST = dict(iters=30, every=5, restarts=2)


def fast_overrides(method):
    names = {f.name for f in dataclasses.fields(METHODS[method].config)}
    return {k: v for k, v in FAST.items() if k in names}


def in_range_problem(prior, operator="cs-gaussian", seed=5, **params):
    with torch.no_grad():
        x = prior(prior.sample_latent(1, seeded(seed)))
    return make_problem(x, operator, params, noise=0.0, seed=seed)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_streams_steps_and_lowers_residual(method, gan):
    prob = in_range_problem(gan, m=200)
    stream = method_stream(prob, method, gan if METHODS[method].needs_prior else None, fast_overrides(method))
    steps = []
    try:
        while True:
            steps.append(next(stream))
    except StopIteration as stop:
        final = stop.value
    assert len(steps) >= 2, "a method must stream intermediate steps"
    assert final.done and final.iteration == fast_overrides(method).get("iters", final.iteration)
    assert all(s.x.shape == prob.x.shape for s in steps + [final])
    assert [s.iteration for s in steps] == sorted(s.iteration for s in steps)
    first_residual = float((prob.physics.A(torch.zeros_like(prob.x)) - prob.y).norm())
    assert final.residual < 0.5 * first_residual
    assert final.elapsed > 0 and all(torch.isfinite(torch.tensor(list(final.losses.values()))))


@pytest.mark.parametrize("method", sorted(METHODS))
def test_deterministic_for_a_seed(method, gan):
    prob = in_range_problem(gan, m=100)
    prior = gan if METHODS[method].needs_prior else None
    a = solve(method_stream(prob, method, prior, fast_overrides(method)))
    b = solve(method_stream(prob, method, prior, fast_overrides(method)))
    assert torch.equal(a.x, b.x)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_iteration_cap_is_enforced(method):
    hi = next(p.hi for p in params_of(METHODS[method].config) if p.name == "iters")
    with pytest.raises(ValueError, match="iters"):
        make_config(METHODS[method].config, {"iters": hi + 1})
    with pytest.raises(ValueError, match="finite"):
        make_config(METHODS[method].config, {"iters": float("nan")})


def test_stopping_is_not_asking_for_more(gan):
    prob = in_range_problem(gan)
    stream = method_stream(prob, "csgm", gan, dict(iters=1000, every=1))
    for _ in range(3):
        step = next(stream)
    stream.close()  # the consumer stops; nothing else runs
    assert step.iteration == 3


@pytest.mark.parametrize("operator,params", [("denoise", {}), ("cs-gaussian", {"m": 300})])
def test_csgm_recovers_an_image_in_the_range(operator, params, gan):
    prob = in_range_problem(gan, operator, seed=11, **params)
    final = solve(method_stream(prob, "csgm", gan, dict(iters=300, restarts=4, lam=0.0)))
    assert psnr(final.x[0], prob.x[0]) >= 30.0


def test_csgm_restarts_are_a_batch_and_uniform_latents_stay_in_the_box(gan):
    prob = in_range_problem(gan)
    final = solve(method_stream(prob, "csgm", gan, dict(iters=40, restarts=5, lr=0.5)))
    assert final.extra["restarts"].shape == (1, 5, 1, 32, 32)
    assert final.extra["z"].shape == (1, 8) and final.extra["z"].abs().max() <= 1.0
    d = final.extra["data_per_restart"][0]
    assert int(final.extra["best"][0]) == int(d.argmin())


def test_csgm_batch_of_observations_matches_single(vae):
    xs = vae(vae.sample_latent(3, seeded(2))).detach()
    op = make_operator("sr", (1, 32, 32), factor=2)
    cfg = CSGMConfig(iters=20, restarts=2, every=10)
    batch = solve(METHODS["csgm"].iterate(op.A(xs), op, vae, cfg))
    assert batch.x.shape == (3, 1, 32, 32)
    assert batch.residual < float((op.A(torch.zeros_like(xs)) - op.A(xs)).flatten(1).norm(dim=1).mean())


def test_method_stream_rejects_bad_requests(gan, digit):
    prob = make_problem(digit, "denoise")
    with pytest.raises(ValueError, match="unknown method"):
        method_stream(prob, "magic", gan)
    with pytest.raises(ValueError, match="needs a generator"):
        method_stream(prob, "csgm", None)
    with pytest.raises(ValueError, match="no setting"):
        method_stream(prob, "csgm", gan, {"learning_rate": 1})
    with pytest.raises(ValueError, match="noise"):
        make_problem(digit, "denoise", noise=float("nan"))
    other = tiny_prior("gan")
    other.size = 16
    with pytest.raises(ValueError, match="generator makes"):
        method_stream(prob, "csgm", other)
