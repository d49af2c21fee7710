"""Operator registry: stable names → factory + parameters (read by the CLI and the UI).

>>> op = make_operator("gaussian-blur", (1, 32, 32), size=5, sigma=1.0)
>>> y = op.measure(x, sigma=0.05, generator=seeded(0))
"""
from __future__ import annotations

from typing import Any

import torch

from ..device import seeded
from .base import LinearOperator, OperatorSpec, Param, adjointness_error, cg
from .blur import SOBEL, Convolution, gaussian_kernel, make_blur, motion_kernel, uniform_kernel
from .masks import Mask, box, patch_band, remove_pixel, remove_pixel_channel
from .sampling import GaussianCS, SubsampledFourier, SuperResolution
from .tomography import Tomography


class Identity(LinearOperator):
    name = "denoise"
    full_row_rank = True

    def A(self, x):
        return x

    def A_adjoint(self, y):
        return y

    def A_dagger(self, y, **_):
        return y

    def observation_image(self, y):
        return y[:1].clamp(0, 1), "noisy observation y"


def _mask_op(name, fn):
    def factory(shape, device, g, **p):
        op = Mask(shape, fn(shape, **p, generator=g) if g is not None else fn(shape, **p), device)
        op.name, op.params = name, p
        return op
    return factory


def _convolve_noise(shape, device, g, l, sigma_c):
    op = make_blur("convolve-noise", uniform_kernel(l), shape, device, l=l, sigma_c=sigma_c)
    op.noise_sigma = float(sigma_c)  # the corruption itself includes noise (Pajot et al.)
    return op


_P_MASK = Param("p", 0.7, 0.0, 0.99, 0.01, "fraction of pixels removed")
OPERATORS: dict[str, OperatorSpec] = {s.name: s for s in [
    OperatorSpec("denoise", lambda shape, device, g: Identity(shape, device), (),
                 "Identity: y = x + noise.", ""),
    OperatorSpec("gaussian-blur", lambda shape, device, g, size, sigma: make_blur(
        "gaussian-blur", gaussian_kernel(size, sigma), shape, device, size=size, sigma=sigma),
        (Param("size", 5, 1, 31, 2, "kernel size (pixels)"), Param("sigma", 1.0, 0.2, 10.0, 0.1, "kernel σ (pixels)")),
        "Gaussian blur, periodic boundary.", "Duff et al. 5×5; Anirudh et al. 20×20 σ=5"),
    OperatorSpec("uniform-blur", lambda shape, device, g, size: make_blur(
        "uniform-blur", uniform_kernel(size), shape, device, size=size),
        (Param("size", 9, 1, 31, 1, "kernel size (pixels)"),), "Uniform (box) blur.", "Abu Hussein et al. 9×9, noise 10/255"),
    OperatorSpec("motion-blur", lambda shape, device, g, length, angle: make_blur(
        "motion-blur", motion_kernel(length, angle), shape, device, length=length, angle=angle),
        (Param("length", 9, 2, 31, 1, "blur length (pixels)"), Param("angle", 0.0, 0.0, 180.0, 1.0, "direction (degrees)")),
        "Linear motion blur.", ""),
    OperatorSpec("edge-sobel", lambda shape, device, g: make_blur("edge-sobel", SOBEL, shape, device), (),
                 "Edge map: 3×3 Sobel kernel [[1,0,-1],[2,0,-2],[1,0,-1]].", "Anirudh et al."),
    OperatorSpec("remove-pixel", _mask_op("remove-pixel", remove_pixel), (_P_MASK,),
                 "Each pixel (all channels) missing with probability p.", "Pajot et al. 2019", random=True),
    OperatorSpec("remove-pixel-channel", _mask_op("remove-pixel-channel", remove_pixel_channel), (_P_MASK,),
                 "Each pixel and channel missing independently with probability p.", "Pajot et al. 2019", random=True),
    OperatorSpec("patch-band", _mask_op("patch-band", patch_band),
                 (Param("h", 8, 1, 4096, 1, "band height (pixels)"),),
                 "A horizontal band of height h missing at a random row.", "Pajot et al. 2019", random=True),
    OperatorSpec("box-mask", lambda shape, device, g, size: _mask_op("box-mask", box)(shape, device, None, size=size),
                 (Param("size", 12, 1, 4096, 1, "side of the centred missing box"),), "A centred box missing.", ""),
    OperatorSpec("convolve-noise", _convolve_noise,
                 (Param("l", 3, 1, 15, 1, "mean-filter size"), Param("sigma_c", 0.15, 0.0, 1.0, 0.01, "noise σ_C")),
                 "Mean filter of size l plus Gaussian noise σ_C.", "Pajot et al. 2019"),
    OperatorSpec("sr", lambda shape, device, g, factor, filter: SuperResolution(shape, factor, filter, device),
                 (Param("factor", 2, choices=(2, 4), help="downscaling factor"),
                  Param("filter", "box", choices=("box", "bicubic"), help="anti-aliasing filter")),
                 "Super-resolution: anti-alias, then subsample.", "Abu Hussein et al. ×2, ×4"),
    OperatorSpec("cs-gaussian", lambda shape, device, g, m: GaussianCS(shape, m, g, device),
                 (Param("m", 150, 1, 16384, 1, "number of measurements"),),
                 "Compressed sensing, Gaussian A_ij ~ N(0, 1/m).", "Bora et al. 2017; Duff et al. m=150", random=True),
    OperatorSpec("cs-fourier", lambda shape, device, g, ratio: SubsampledFourier(shape, ratio, g, device),
                 (Param("ratio", 0.3, 0.01, 1.0, 0.01, "fraction of frequencies sampled"),),
                 "Randomly subsampled 2-D Fourier transform.", "Abu Hussein et al. 0.3, 0.5", random=True),
    OperatorSpec("tomography", lambda shape, device, g, angles: Tomography(shape, angles, device),
                 (Param("angles", 30, 1, 180, 1, "number of projection angles"),),
                 "Parallel-beam Radon transform; naive inverse = filtered back-projection.", "Duff et al."),
]}


def parse_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults, reject unknown names, validate ranges and finiteness."""
    if name not in OPERATORS:
        raise ValueError(f"unknown operator {name!r}; choose from {', '.join(OPERATORS)}")
    spec = OPERATORS[name]
    known = {p.name: p for p in spec.params}
    extra = set(params) - set(known)
    if extra:
        raise ValueError(f"operator {name!r} has no parameter {', '.join(sorted(extra))}"
                         + (f"; it takes {', '.join(known)}" if known else "; it takes none"))
    return {k: p.parse(params[k]) if k in params else p.default for k, p in known.items()}


def make_operator(name: str, in_shape: tuple[int, int, int], *, device: torch.device | str = "cpu",
                  seed: int = 0, **params: Any) -> LinearOperator:
    """Build a registered operator for images of ``in_shape`` (C, H, W); random parts from ``seed``."""
    p = parse_params(name, params)
    spec = OPERATORS[name]
    g = seeded(seed) if spec.random else None
    op = spec.factory(tuple(in_shape), device, g, **p)
    op.params = p
    return op


__all__ = ["OPERATORS", "LinearOperator", "Param", "OperatorSpec", "Mask", "Convolution", "Tomography",
           "make_operator", "parse_params", "adjointness_error", "cg"]
