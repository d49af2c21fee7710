"""Every registered method: streams steps, lowers the data residual, is deterministic, honours caps."""
import dataclasses

import pytest
import torch

from genprior_demo.config import CSGMConfig, make_config, params_of
from genprior_demo.device import seeded
from genprior_demo.generators.registry import read_manifest
from genprior_demo.metrics import psnr
from genprior_demo.physics import make_operator
from genprior_demo.pipeline import Problem, make_problem, method_stream
from genprior_demo.solvers import METHODS, solve

from .conftest import tiny_prior

FAST = dict(iters=30, csgm_iters=20, inner_iters=5, every=5, restarts=2, rounds=3, t1=10, t2=10)


def fields(method):
    return {f.name for f in dataclasses.fields(METHODS[method].config)}


def fast_overrides(method):
    if method == "dip":  # a narrow network needs ~100 steps to pass its averaged start
        return dict(iters=100, every=20, width=8, depth=2)
    return {k: v for k, v in FAST.items() if k in fields(method)}


def in_range_problem(prior, operator="cs-gaussian", seed=5, **params):
    with torch.no_grad():
        x = prior(prior.sample_latent(1, seeded(seed)))
    return make_problem(x, operator, params, noise=0.0, seed=seed)


def tiny_uair(seed=0):
    from genprior_demo.generators.nets import UAIRNet
    from genprior_demo.generators.registry import UAIRModel

    torch.manual_seed(seed)
    return UAIRModel("tiny-uair", UAIRNet(1, 4).eval().requires_grad_(False), "remove-pixel", {})


def problem_for(method, prior, m=200):
    """Masks for biharmonic and UAIR; N blurred images of one operator for blind inversion; mixtures
    for source separation; compressed sensing for every other method."""
    if method in ("biharmonic", "uair"):
        return in_range_problem(prior, "remove-pixel", p=0.5)
    if method in ("blind", "bss"):
        with torch.no_grad():
            x = prior(prior.sample_latent(3, seeded(5)))
        if method == "blind":
            return make_problem(x, "uniform-blur", {"size": 3}, 0.0, 5)
        from genprior_demo.physics.mixing import mix

        y, _ = mix(x.view(1, 3, 32, 32), 2, seeded(5))
        return Problem(None, y, make_operator("denoise", prior.image_shape), 0.0, 5)  # physics unused
    return in_range_problem(prior, m=m)


def prior_for(method, gan):
    m = METHODS[method]
    if not m.needs_prior:
        return None
    return tiny_uair() if m.prior_kind == "uair" else gan


def steps_and_final(stream):
    """Every streamed Step and the final one (the generator's return value)."""
    steps = []
    while True:
        try:
            steps.append(next(stream))
        except StopIteration as stop:
            return steps, stop.value


@pytest.mark.parametrize("method", sorted(METHODS))
def test_streams_steps_and_lowers_residual(method, gan):
    prob = problem_for(method, gan)
    steps, final = steps_and_final(method_stream(prob, method, prior_for(method, gan), fast_overrides(method)))
    if "iters" in fields(method) or method == "wiener":  # wiener on CS falls back to (iterative) Tikhonov
        assert len(steps) >= 2, "an iterative method must stream intermediate steps"
    assert final.done and final.iteration >= max([s.iteration for s in steps], default=0)
    assert [s.iteration for s in steps] == sorted(s.iteration for s in steps)
    if METHODS[method].forward_model == "unknown":  # residual = the surrogate's loss: it must fall
        assert all(s.x.shape == steps[0].x.shape for s in steps + [final])
        assert final.residual < 0.7 * steps[0].residual
        return
    assert all(s.x.shape == prob.x.shape for s in steps + [final])
    first_residual = float((prob.physics.A(torch.zeros_like(prob.x)) - prob.y).norm())
    if method != "npgd":  # the tiny generator's projector is untrained; see test_npgd_on_shipped_projector
        assert final.residual < 0.5 * first_residual
    assert final.elapsed > 0 and all(torch.isfinite(torch.tensor(list(final.losses.values()))))


@pytest.mark.parametrize("method", sorted(METHODS))
def test_deterministic_for_a_seed(method, gan):
    prob = problem_for(method, gan, m=100)
    prior = prior_for(method, gan)
    a = solve(method_stream(prob, method, prior, fast_overrides(method)))
    b = solve(method_stream(prob, method, prior, fast_overrides(method)))
    assert torch.equal(a.x, b.x)


@pytest.mark.parametrize("method", sorted(m for m in METHODS if "iters" in fields(m)))
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


@pytest.mark.parametrize("method", [m for m in sorted(METHODS) if "iters" in fields(m)])
def test_final_iteration_honours_the_cap(method, gan):
    prob = problem_for(method, gan)
    cfg = dict(fast_overrides(method), early_stop=False) if method == "dip" else fast_overrides(method)
    final = solve(method_stream(prob, method, gan if METHODS[method].needs_prior else None, cfg))
    cap = cfg["iters"] + cfg.get("csgm_iters", 0)
    assert final.iteration <= cap


@pytest.mark.parametrize("operator,params", [("sr", {"factor": 2}), ("cs-gaussian", {"m": 120}),
                                             ("remove-pixel", {"p": 0.7}), ("cs-fourier", {"ratio": 0.3})])
@pytest.mark.parametrize("method", ["csgm-bp", "iagan-bp"])
def test_back_projection_fits_the_measurements_exactly(method, operator, params, gan, digit):
    prob = make_problem(digit, operator, params)  # σ = 0; the digit is *not* in the tiny GAN's range
    final = solve(method_stream(prob, method, gan, fast_overrides(method)))
    y = prob.y
    assert float((prob.physics.A(final.x) - y).norm() / y.norm()) < 1e-4
    assert float((prob.physics.A(final.extra["before_bp"]) - y).norm() / y.norm()) > 1e-2


def test_iagan_leaves_the_generator_untouched(gan, digit):
    before = {k: v.clone() for k, v in gan.decoder.state_dict().items()}
    prob = make_problem(digit, "sr", {"factor": 2})
    final = solve(method_stream(prob, "iagan", gan, dict(csgm_iters=20, iters=40, lr_theta=1e-3, restarts=2)))
    after = gan.decoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in gan.decoder.parameters())
    # and fine-tuning did something: it fits y at least as well as its CSGM start
    csgm_fit = float((prob.physics.A(final.extra["csgm"]) - prob.y).norm())
    assert final.residual <= csgm_fit + 1e-6


def test_iagan_halves_iterations_when_noisy(gan, digit):
    prob = make_problem(digit, "sr", {"factor": 2}, noise=0.05, seed=1)
    final = solve(method_stream(prob, "iagan", gan, dict(csgm_iters=10, iters=40, every=5, restarts=1)))
    assert final.iteration == 10 + 20


def test_iagan_discrepancy_stop_ends_fine_tuning_at_the_noise_level(gan, digit):
    import dataclasses

    from genprior_demo.config import IAGANConfig
    from genprior_demo.solvers.iagan import iagan

    prob = make_problem(digit, "sr", {"factor": 2}, noise=0.05, seed=1)
    A, y = prob.physics.A, prob.y

    def fit(x):
        return float((A(x) - y).pow(2).sum())

    def tuned(steps):
        return sum("fine-tuning" in s.extra.get("phase", "") for s in steps)

    cfg = IAGANConfig(csgm_iters=10, iters=80, every=5, restarts=1, lr_theta=1e-3)
    full_steps, full = steps_and_final(iagan(y, prob.physics, gan, cfg))
    start, end = fit(full.extra["csgm"]), fit(full.x)
    assert end < 0.9 * start  # fine-tuning lowers the residual on this problem
    floor = (start + end) / 2
    stop = dataclasses.replace(cfg, discrepancy=floor / (prob.physics.sigma ** 2 * y.numel()))
    stopped_steps, stopped = steps_and_final(iagan(y, prob.physics, gan, stop))
    assert end <= fit(stopped.x) <= floor * (1 + 1e-5)
    assert tuned(stopped_steps) < tuned(full_steps)


def test_tv_matches_scikit_image_chambolle():
    import numpy as np
    from skimage.data import camera
    from skimage.restoration import denoise_tv_chambolle
    from skimage.transform import resize

    from genprior_demo.solvers.tvops import tv_prox

    x = resize(camera(), (32, 32), anti_aliasing=True)
    y = np.clip(x + 0.1 * np.random.default_rng(0).standard_normal(x.shape), 0, 1)
    yt = torch.tensor(y).float()[None, None]
    ours = solve(method_stream(Problem(None, yt, make_operator("denoise", (1, 32, 32)), 0.1, 0), "tv", None,
                               dict(iters=3000, lam=0.1, every=1000))).x[0, 0].numpy()
    ref = denoise_tv_chambolle(y, weight=0.1, max_num_iter=5000, eps=1e-8)
    assert np.abs(ours - ref).max() < 0.01
    assert np.abs(tv_prox(yt, 0.1, iters=2000)[0, 0].numpy() - ours).max() < 2e-3


def test_wiener_matches_scikit_image(digit):
    import numpy as np
    from skimage.restoration import wiener as sk_wiener

    from genprior_demo.physics.blur import gaussian_kernel

    prob = make_problem(digit, "gaussian-blur", {"size": 5, "sigma": 1.5}, noise=0.01, seed=2)
    ours = solve(method_stream(prob, "wiener", None, {"balance": 0.05, "reg": "laplacian"})).x[0, 0].numpy()
    ref = sk_wiener(prob.y[0, 0].double().numpy(), gaussian_kernel(5, 1.5).double().numpy(), 0.05, clip=False)
    assert np.abs(ours - ref).max() < 1e-5


def test_wiener_falls_back_to_labelled_tikhonov(digit):
    prob = make_problem(digit, "cs-gaussian", {"m": 300})
    final = solve(method_stream(prob, "wiener", None))
    assert "Tikhonov" in final.extra["label"]


def test_biharmonic_needs_a_mask(digit):
    prob = make_problem(digit, "gaussian-blur")
    with pytest.raises(ValueError, match="mask"):
        solve(method_stream(prob, "biharmonic", None))


def test_naive_inverses(digit):
    for op, params, label in [("tomography", {"angles": 60}, "filtered back-projection"),
                              ("sr", {"factor": 2}, "bicubic"), ("cs-fourier", {"ratio": 0.5}, "pseudo-inverse")]:
        final = solve(method_stream(make_problem(digit, op, params), "naive", None))
        assert label in final.extra["label"]
        assert psnr(final.x[0], digit[0]) > 15


def test_relaxed_leaves_the_range(gan, digit):
    """An image outside range(G): the offset u lets relaxed/sparse fit y better than CSGM."""
    prob = make_problem(digit, "remove-pixel", {"p": 0.3}, seed=3)
    hard = solve(method_stream(prob, "csgm", gan, dict(iters=100, restarts=2)))
    for m in ("relaxed", "sparse", "tv-sparse"):
        r = solve(method_stream(prob, m, gan, dict(iters=100, restarts=2, lam=0.01)))
        assert r.residual < hard.residual
        assert r.extra["offset"].abs().sum() > 0


def test_dip_early_stops_at_the_noise_level(digit):
    prob = make_problem(digit, "remove-pixel", {"p": 0.5}, noise=0.1, seed=4)
    final = solve(method_stream(prob, "dip", None, dict(iters=1000, width=16, depth=2, every=50, tau=1.2, early_stop=True)))
    assert final.extra["early_stopped"] and final.iteration < 1000
    assert final.residual < float(prob.y.norm())  # the (averaged) estimate explains the data


@pytest.mark.skipif("projector" not in read_manifest().get("mnist-vae", {}), reason="projector not trained yet")
def test_npgd_on_shipped_projector():
    """With its trained projector, NPGD recovers a real digit from 200 measurements and its iterations
    improve on the first projection (it does not reach CSGM's quality here: see docs/RESULTS.md)."""
    from genprior_demo.generators import load_prior
    from genprior_demo.imaging import to_domain
    from genprior_demo.ui.reconstruct import example_images

    prior = load_prior("mnist-vae")
    x, _ = to_domain(next(p for p in example_images() if "mnist" in p), 1, 32)
    prob = make_problem(x, "cs-gaussian", {"m": 200}, noise=0.02, seed=0)
    n = solve(method_stream(prob, "npgd", prior))
    first = solve(method_stream(prob, "npgd", prior, {"iters": 1}))
    assert psnr(n.x[0], x[0]) > 15 and psnr(n.x[0], x[0]) > psnr(first.x[0], x[0])
