"""Handlers of the Latent explorer tab: samples (with a "far from the prior" radius), encoding an image
(projection onto the range of G), the 2-D interpolation grid of Duff et al. (Fig. 6) and a walk."""
from __future__ import annotations

import numpy as np
import torch

from ..device import seeded
from ..pipeline import make_problem, method_stream
from ..solvers import solve
from .common import DEVICE, UserError, control, load_generator, load_input
from .render import show

N_SAMPLES = 12
# Encoding = the hard constraint x = G(z) on the identity operator (Duff et al.); λ lighter than the
# method's default, every=iters so the projection is one step of work, not a stream nobody watches.
ENCODE = {"iters": 200, "restarts": 4, "lam": 1e-3, "every": 200}
ANCHORS = 3  # z1, z2, z3 of the interpolation grid
WALK_MODES = ("linear", "spherical")
_prior = load_generator


def empty_anchors() -> list:
    return [None] * ANCHORS


def set_anchor(anchors: list | None, slot, z) -> list:
    """``anchors`` with anchor ``slot`` (1-based) set to ``z``."""
    if slot not in range(1, ANCHORS + 1):
        raise UserError(f"anchor slot must be 1…{ANCHORS}, got {slot!r}")
    out = list(anchors or empty_anchors())[:ANCHORS]
    out += [None] * (ANCHORS - len(out))
    out[int(slot) - 1] = z
    return out


def pick_sample(codes: list, index, slot, anchors: list | None) -> list:
    """The clicked sample's code as anchor ``slot``."""
    if not codes:
        raise UserError("Sample first, then click a sample.")
    return set_anchor(anchors, slot, codes[int(index or 0) % len(codes)])


def send_z(z, anchors: list | None) -> tuple[list, str]:
    """A reconstruction's code as anchor 1 (the Reconstruct tab's "Send z to the latent explorer")."""
    if z is None:
        raise UserError("Run a reconstruction first: its z is sent to anchor 1.")
    return set_anchor(anchors, 1, z), "z of the reconstruction is anchor 1 — open the Latent explorer tab"


def encode_anchor(image, generator: str, slot, anchors: list | None) -> tuple[list, str, list]:
    """Encode ``image`` and make its code anchor ``slot``: (the image and its projection, message, anchors)."""
    orig, proj, z, msg = encode(image, generator)
    return [(orig, "input"), (proj, "G(z*)")], msg, set_anchor(anchors, slot, z)


def _z(prior, z) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(z, dtype=np.float32), device=prior.device).reshape(-1)
    if t.numel() != prior.latent_dim or not torch.isfinite(t).all():
        raise UserError(f"that latent code does not fit {prior.name} (latent size {prior.latent_dim}); pick anchors again")
    return t


def samples(generator: str, seed, radius) -> tuple[list, list[list[float]]]:
    """N_SAMPLES images G(z) with z drawn at ``radius`` × the prior's scale, and their codes."""
    p = _prior(generator)
    seed, radius = control("seed", seed), control("radius", radius)
    with torch.no_grad():
        z = p.sample_latent(N_SAMPLES, seeded(seed), radius=radius)
        x = p(z)
    return [(show(xi, 128), f"sample {i}") for i, xi in enumerate(x)], z.cpu().tolist()


def opening(generator: str, seed, radius, n, anchors: list | None) -> tuple:
    """What the tab shows when first opened: samples, the first three codes as the anchors not yet set
    (one sent by "Send z" stays) and the interpolation grid between them."""
    gallery, codes = samples(generator, seed, radius)
    anchors = [a if a is not None else codes[i] for i, a in enumerate(anchors or empty_anchors())]
    return gallery, codes, anchors, grid(generator, anchors, n)


def encode(image, generator: str) -> tuple[np.ndarray, np.ndarray, list[float], str]:
    """Project an image onto the range of G: z* = argmin ‖G(z) − x‖² (encoder start for AE/VAE)."""
    p = _prior(generator)
    x, notes = load_input(image, p)
    problem = make_problem(x, "denoise", None, 0.0, 0, DEVICE)
    r = solve(method_stream(problem, "hard", p, ENCODE))
    err = float((r.x - problem.x).norm() / problem.x.norm().clamp_min(1e-8))
    return show(x[0]), show(r.x[0]), r.z[0].cpu().tolist(), f"representation error ‖G(z*) − x‖/‖x‖ = {err:.3f}"


def interpolate(z1: torch.Tensor, z2: torch.Tensor, t: float, mode: str) -> torch.Tensor:
    """Linear or spherical (slerp) interpolation between two codes."""
    if mode == "spherical":
        a, b = z1 / z1.norm().clamp_min(1e-8), z2 / z2.norm().clamp_min(1e-8)
        omega = torch.arccos((a * b).sum().clamp(-1 + 1e-7, 1 - 1e-7))
        so = torch.sin(omega)
        if float(so) < 1e-6:
            return (1 - t) * z1 + t * z2
        return (torch.sin((1 - t) * omega) * z1 + torch.sin(t * omega) * z2) / so
    return (1 - t) * z1 + t * z2


def grid(generator: str, anchors: list, n) -> np.ndarray:
    """G(z1 + a(z2 − z1) + b(z3 − z1)) for a, b on an n×n grid in [0, 1] (Duff et al. Fig. 6)."""
    p = _prior(generator)
    n = control("grid", n)
    if not anchors or len(anchors) < ANCHORS or any(a is None for a in anchors[:ANCHORS]):
        raise UserError("Set three anchors first (from samples or by encoding an image).")
    z1, z2, z3 = (_z(p, a) for a in anchors[:ANCHORS])
    ab = torch.linspace(0, 1, n, device=p.device)
    A, B = torch.meshgrid(ab, ab, indexing="ij")
    zs = z1 + A.reshape(-1, 1) * (z2 - z1) + B.reshape(-1, 1) * (z3 - z1)
    with torch.no_grad():
        imgs = p(zs).cpu()  # (n·n, C, H, W)
    C, H, W = imgs.shape[1:]
    tiled = imgs.view(n, n, C, H, W).permute(2, 0, 3, 1, 4).reshape(C, n * H, n * W)
    return show(tiled, 512)


def walk(generator: str, anchors: list, t, mode: str) -> np.ndarray:
    p = _prior(generator)
    t = control("walk_t", t)
    if not anchors or len(anchors) < 2 or anchors[0] is None or anchors[1] is None:
        raise UserError("Set anchors 1 and 2 first.")
    if mode not in WALK_MODES:
        raise UserError(f"interpolation must be one of {', '.join(WALK_MODES)}, got {mode!r}")
    z = interpolate(_z(p, anchors[0]), _z(p, anchors[1]), t, mode)
    if p.prior == "uniform":
        z = z.clamp(-1, 1)
    with torch.no_grad():
        return show(p(z[None])[0])


def anchor_images(generator: str, anchors: list) -> list:
    """The three anchors as images (empty slots skipped)."""
    p = _prior(generator)
    out = []
    for i, a in enumerate(anchors or []):
        if a is None:
            continue
        try:
            z = _z(p, a)
        except UserError:
            continue
        with torch.no_grad():
            out.append((show(p(z[None])[0], 96), f"anchor {i + 1}"))
    return out
