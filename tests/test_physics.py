"""Every registered operator: shapes, adjointness, pseudo-inverse, and a peer implementation."""
import math

import numpy as np
import pytest
import torch

from genprior_demo.device import seeded
from genprior_demo.physics import OPERATORS, LinearOperator, adjointness_error, make_operator, parse_params
from genprior_demo.physics.blur import gaussian_kernel, motion_kernel, uniform_kernel

SHAPE = (1, 32, 32)
NAMES = sorted(OPERATORS)


@pytest.fixture(params=NAMES)
def op(request):
    return make_operator(request.param, SHAPE, seed=3)


def test_shapes_and_finiteness(op, rng):
    x = torch.rand(3, *SHAPE, generator=rng)
    y = op.A(x)
    assert y.shape[0] == 3 and torch.isfinite(y).all()
    assert op.A_adjoint(y).shape == x.shape
    assert op.A_dagger(y).shape == x.shape


def test_adjointness(op, rng):
    assert adjointness_error(op, rng) < 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_adjointness_on_colour_images(name, rng):
    """Three channels, so an operator that mixes or drops channels in its adjoint is caught."""
    params = {"h": 8} if name == "patch-band" else {}
    op = make_operator(name, (3, 32, 32), seed=3, **params)
    assert adjointness_error(op, rng, batch=3) < 1e-5
    x = torch.rand(2, 3, 32, 32, generator=rng)
    assert op.A_adjoint(op.A(x)).shape == x.shape


def test_capabilities_replace_type_checks():
    """Callers ask operators what they can do instead of testing types or names."""
    assert make_operator("gaussian-blur", SHAPE).is_blur and make_operator("uniform-blur", SHAPE).is_blur
    assert not make_operator("edge-sobel", SHAPE).is_blur  # has a kernel, but nothing Wiener can invert
    assert make_operator("edge-sobel", SHAPE).kernel is not None
    assert make_operator("cs-gaussian", SHAPE).kernel is None
    mask = make_operator("remove-pixel", SHAPE, p=0.5, seed=1).observed_mask()
    assert mask is not None and set(mask.unique().tolist()) <= {0.0, 1.0}
    assert make_operator("sr", SHAPE).observed_mask() is None
    assert make_operator("sr", SHAPE).naive_inverse(torch.zeros(1, 1, 16, 16))[1] == "bicubic upsampling"
    assert make_operator("tomography", SHAPE).naive_inverse(
        make_operator("tomography", SHAPE).A(torch.zeros(1, *SHAPE)))[1] == "filtered back-projection"


def test_pseudo_inverse_reproduces_measurements(op, rng):
    """A A† (A x) = A x for every operator (A A† is the projector onto range(A))."""
    x = torch.rand(2, *SHAPE, generator=rng)
    y = op.A(x)
    err = (op.A(op.A_dagger(y)) - y).norm() / y.norm()
    assert err < 2e-3, f"{op.name}: relative error {err:.2e}"


@pytest.mark.parametrize("name", [n for n in NAMES if make_operator(n, SHAPE, seed=3).full_row_rank])
def test_full_row_rank_dagger_is_right_inverse(name, rng):
    op = make_operator(name, SHAPE, seed=3)
    y = op.A(torch.rand(1, *SHAPE, generator=rng))
    y = y + 0.1 * torch.randn(y.shape, generator=rng)  # not in a special subspace
    assert torch.allclose(op.A(op.A_dagger(y)), y, atol=1e-4)


def test_closed_form_dagger_matches_cgls(op, rng):
    """Closed forms agree with the generic minimum-norm least-squares solver of the base class."""
    if type(op).A_dagger is LinearOperator.A_dagger:
        pytest.skip("uses the generic CGLS already")
    y = op.A(torch.rand(1, *SHAPE, generator=rng))
    ref = LinearOperator.A_dagger(op, y, iters=500, tol=1e-9)
    assert (op.A(ref) - y).norm() / y.norm() < 1e-3
    if op.name not in ("gaussian-blur", "uniform-blur", "motion-blur", "convolve-noise", "edge-sobel"):
        # for convolutions the closed form truncates tiny singular values (rcond) and CGLS does not
        assert (op.A_dagger(y) - ref).norm() / ref.norm() < 1e-3


@pytest.mark.parametrize("name,kernel", [
    ("gaussian-blur", gaussian_kernel(5, 1.0)), ("uniform-blur", uniform_kernel(9)),
    ("motion-blur", motion_kernel(9, 0.0)),
    ("edge-sobel", torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])),
    ("convolve-noise", uniform_kernel(3)),
])
def test_convolutions_match_scipy_and_deepinv(name, kernel, rng):
    from scipy.ndimage import convolve

    op = make_operator(name, SHAPE)
    x = torch.rand(1, *SHAPE, generator=rng)
    ours = op.A(x)[0, 0].numpy()
    ref = convolve(x[0, 0].numpy().astype(np.float64), kernel.numpy().astype(np.float64), mode="wrap")
    assert np.abs(ours - ref).max() < 1e-5
    import deepinv

    peer = deepinv.physics.BlurFFT(img_size=SHAPE, filter=kernel[None, None])
    assert (peer.A(x) - op.A(x)).abs().max() < 1e-5
    assert (peer.A_adjoint(op.A(x)) - op.A_adjoint(op.A(x))).abs().max() < 1e-5


def test_motion_kernel_direction():
    k0, k90 = motion_kernel(7, 0.0), motion_kernel(7, 90.0)
    assert torch.allclose(k0.sum(), torch.tensor(1.0)) and torch.allclose(k0, k90.T, atol=1e-6)


def test_sr_box_matches_scikit_image(rng):
    from skimage.transform import downscale_local_mean

    x = torch.rand(1, *SHAPE, generator=rng)
    for f in (2, 4):
        op = make_operator("sr", SHAPE, factor=f)
        ref = downscale_local_mean(x[0, 0].numpy(), (f, f))
        assert np.abs(op.A(x)[0, 0].numpy() - ref).max() < 1e-6


def test_sr_bicubic_close_to_pillow(rng):
    from PIL import Image

    x = torch.rand(1, *SHAPE, generator=rng)
    x = torch.nn.functional.avg_pool2d(x, 3, 1, 1)  # smooth, to compare interpolation kernels
    op = make_operator("sr", SHAPE, factor=2, filter="bicubic")
    im = Image.fromarray(x[0, 0].numpy()).resize((16, 16), Image.BICUBIC)
    assert np.abs(op.A(x)[0, 0].numpy() - np.asarray(im)).mean() < 0.02


def test_cs_gaussian_statistics():
    op = make_operator("cs-gaussian", SHAPE, m=400, seed=0)
    assert op.M.shape == (400, 1024)
    assert abs(float(op.M.var()) * 400 - 1.0) < 0.02  # A_ij ~ N(0, 1/m)


def test_cs_fourier_matches_numpy(rng):
    op = make_operator("cs-fourier", SHAPE, ratio=0.3, seed=1)
    x = torch.rand(1, *SHAPE, generator=rng)
    ref = np.fft.fft2(x[0, 0].numpy().astype(np.float64), norm="ortho") * op.mask.numpy()
    y = torch.view_as_complex(op.A(x))[0, 0].numpy()
    assert np.abs(y - ref).max() < 1e-5
    assert 0.3 <= op.actual_ratio <= 0.6  # symmetrisation adds the mirrored frequencies


def test_tomography_matches_scikit_image_radon():
    from skimage.data import shepp_logan_phantom
    from skimage.transform import radon, resize

    for size in (31, 32):
        x = resize(shepp_logan_phantom(), (size, size), anti_aliasing=True)
        op = make_operator("tomography", (1, size, size), angles=30)
        ours = op.A(torch.tensor(x).float()[None, None])[0, 0].numpy()
        ref = radon(x, theta=np.arange(30) * 6.0, circle=False).T
        assert ours.shape == ref.shape
        assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-4


def test_fbp_close_to_scikit_image_iradon():
    from skimage.data import shepp_logan_phantom
    from skimage.transform import iradon, radon, resize

    x = resize(shepp_logan_phantom(), (32, 32), anti_aliasing=True)
    op = make_operator("tomography", (1, 32, 32), angles=60)
    ours = op.fbp(op.A(torch.tensor(x).float()[None, None]))[0, 0].numpy()
    th = np.arange(60) * 3.0
    ref = iradon(radon(x, theta=th, circle=False), theta=th, circle=False, filter_name="ramp")
    rmse = lambda a: float(np.sqrt(((a - x) ** 2).mean()))
    assert rmse(ours) < 1.2 * rmse(ref) + 0.01


def test_masks():
    op = make_operator("remove-pixel", (3, 32, 32), p=0.9, seed=0)
    assert abs(float(op.mask.mean()) - 0.1) < 0.03
    assert torch.equal(op.mask[0], op.mask[1])  # all channels together
    op = make_operator("remove-pixel-channel", (3, 32, 32), p=0.5, seed=0)
    assert not torch.equal(op.mask[0], op.mask[1])
    op = make_operator("patch-band", SHAPE, h=8, seed=0)
    rows = (op.mask[0] == 0).all(1)
    assert int(rows.sum()) == 8 and (op.mask[0].sum(1) % 32 == 0).all()
    op = make_operator("box-mask", SHAPE, size=12)
    assert int((op.mask == 0).sum()) == 144


def test_random_operators_follow_the_seed():
    a = make_operator("cs-gaussian", SHAPE, m=50, seed=7)
    b = make_operator("cs-gaussian", SHAPE, m=50, seed=7)
    c = make_operator("cs-gaussian", SHAPE, m=50, seed=8)
    assert torch.equal(a.M, b.M) and not torch.equal(a.M, c.M)


def test_measure_noise_is_seeded_and_includes_operator_noise(digit):
    op = make_operator("convolve-noise", SHAPE, l=3, sigma_c=0.15)
    y1 = op.measure(digit, 0.0, seeded(0))
    y2 = op.measure(digit, 0.0, seeded(0))
    assert torch.equal(y1, y2)
    assert abs(float((y1 - op.A(digit)).std()) - 0.15) < 0.02
    assert math.isclose(op.total_sigma(0.2), 0.25)
    with pytest.raises(ValueError):
        op.measure(digit, 0.1, None)


def test_operators_keep_no_noise_state(digit):
    """The noise of an observation lives in its Problem: measuring changes nothing on the operator."""
    from genprior_demo.problem import make_problem

    op = make_operator("gaussian-blur", SHAPE)
    before = dict(vars(op))
    p = make_problem(digit, op, noise=0.3, seed=1)
    assert p.sigma == pytest.approx(0.3) and p.physics is op
    assert vars(op).keys() == before.keys() and not hasattr(op, "sigma")
    quiet = make_problem(digit, op, noise=0.0)
    assert quiet.sigma == 0.0 and p.sigma == pytest.approx(0.3)


@pytest.mark.parametrize("name,params,msg", [
    ("nope", {}, "unknown operator"),
    ("gaussian-blur", {"radius": 3}, "no parameter"),
    ("gaussian-blur", {"sigma": float("nan")}, "finite"),
    ("gaussian-blur", {"sigma": "inf"}, "finite"),
    ("remove-pixel", {"p": 1.5}, "must be in"),
    ("cs-gaussian", {"m": 10.5}, "whole number"),
    ("sr", {"factor": 3}, "one of"),
    ("uniform-blur", {"size": "big"}, "number"),
])
def test_bad_parameters_are_rejected(name, params, msg):
    with pytest.raises(ValueError, match=msg):
        parse_params(name, params)


def test_operator_geometry_errors():
    with pytest.raises(ValueError, match="divisible"):
        make_operator("sr", (1, 30, 30), factor=4)
    with pytest.raises(ValueError, match="exceeds"):
        make_operator("patch-band", SHAPE, h=40)


def test_noise_only_on_measured_entries(op, rng):
    """‖y − Ax‖² ≈ σ² · (entries that carry a measurement): a missing pixel or an unsampled frequency
    is not measured, so it has no noise (DIP's discrepancy target counts the same entries)."""
    from genprior_demo.device import seeded

    x = torch.rand((64, *op.in_shape), generator=rng)
    sigma = 0.1
    r = op.measure(x, sigma, seeded(3)) - op.A(x)
    ratio = float(r.pow(2).sum()) / (64 * op.total_sigma(sigma) ** 2 * op.measurement_count())
    assert ratio == pytest.approx(1.0, abs=0.1)
    keep = op.measured()
    if keep is not None:
        assert keep.min() == 0 and float(r[(keep.expand_as(r[0]) == 0).expand_as(r)].abs().max()) == 0.0


@pytest.mark.parametrize("size,angles,kind", [(31, 30, "matrix"), (32, 60, "matrix"), (56, 30, "matrix"), (64, 90, "none")])
def test_tomography_matrix_equals_resampling_and_its_transpose_is_the_gradient(size, angles, kind):
    """A as a precomputed matrix (or none when it would be too big) is grid_sample's
    rotate-and-sum to float rounding, and Aᵀ is autograd's adjoint of it."""
    op = make_operator("tomography", (1, size, size), angles=angles)
    assert kind == ("none" if op.M is None else "matrix")
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, size, size, generator=g, requires_grad=True)
    ref = op.A_resample(x)
    assert (op.A(x) - ref).abs().max() <= 1e-5 * ref.abs().max()
    y = torch.randn(ref.shape, generator=g)
    (grad,) = torch.autograd.grad((op.A_resample(x) * y).sum(), x)
    assert torch.allclose(op.A_adjoint(y), grad, atol=1e-4 * grad.abs().max())
