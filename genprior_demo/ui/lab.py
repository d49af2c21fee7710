"""Handlers of the Generator lab tab: what Duff, Campbell & Ehrhardt §4 measure, for one or two shipped
generators — the projection-NRMSE histogram on held-out images (their Fig. 1), the earth mover's distance
between the encodings and the latent prior (Fig. 3), a 2-D view of the encodings beside prior draws
(Fig. 4), samples at growing distance from the prior and the worst-represented held-out images.

Projections come from checkpoints/lab/ (made by ``python -m genprior_demo evaluate``: 500 images) or are
recomputed here on fewer images; either way the page says which."""
from __future__ import annotations

import numpy as np
import torch

from ..experiments import evaluate as ev
from ..experiments import lab as L
from .common import UserError, control, load_generator
from .render import show

RADII = (0.5, 1.0, 1.5, 2.0, 3.0)
WORST = 6
SCATTER_COLUMNS = ("x", "y", "points")


def default_pair(gens: list[str]) -> tuple[str | None, str]:
    """The pair the tab opens with: two generators of one data set with current cached projections, else
    cached ones first, in menu order."""
    from ..generators import registry

    manifest = registry.read_manifest()
    cached = [g for g in gens if L.cache_path(g).is_file() and L.load(g, manifest.get(g, {}).get("sha256")) is not None]
    ds = lambda g: manifest.get(g, {}).get("dataset")  # noqa: E731
    for first in cached:  # two cached generators of one data set, if there are
        same = [g for g in cached if g != first and ds(g) == ds(first)]
        if same:
            return first, same[0]
    order = cached + [g for g in gens if g not in cached]
    return (order[0] if order else None), (order[1] if len(order) > 1 else "")


def _projections(name: str, fresh: dict | None) -> L.Projections | None:
    """This session's recomputed projections of ``name``, else the cached ones (same weights only)."""
    if fresh and name in fresh:
        return fresh[name]
    p = load_generator(name)
    return L.load(name, p.meta.get("sha256"))


RECOMPUTE = dict(restarts=2, iters=200, chunk=16, init="encoder")  # lighter than the cache's 4 × 300 so it answers in seconds


def held_out(p, n: int) -> tuple[torch.Tensor, np.ndarray, str]:
    """``n`` held-out images of the generator's data set: MNIST test digits where MNIST is present
    (GENPRIOR_DATA_ROOT), else the 64 shipped test digits; Shapes are drawn (test seed)."""
    import os

    dataset = p.meta.get("dataset", "mnist")
    root = os.environ.get("GENPRIOR_DATA_ROOT")
    if dataset == "mnist":
        try:
            return ev.test_images("mnist", n, root), L.test_labels("mnist", n, root), "MNIST test digits"
        except Exception:  # no local MNIST and no network: the digits shipped with the app
            from ..data import shipped_digits

            n = min(n, 64)
            return shipped_digits(n), np.full(n, -1), "the 64 shipped MNIST test digits"
    return ev.test_images(dataset, n, None, p.size), L.test_labels(dataset, n, None), "held-out Shapes"


def recompute(name: str, n, fresh: dict | None):
    """Project ``n`` held-out images onto the range of ``name`` here: streams (None, progress message), then
    (this session's projections by generator, message). The cache's protocol with fewer restarts and steps."""
    n = control("lab_n", n)
    p = load_generator(name)
    x, labels, source = held_out(p, n)
    out = dict(fresh or {})
    chunk = RECOMPUTE["chunk"]
    zs, es = [], []
    for i in range(0, x.shape[0], chunk):
        yield None, f"projecting {source} onto the range of {name}: {i}/{x.shape[0]}…"
        z, e = L.project(p, x[i:i + chunk], RECOMPUTE["restarts"], RECOMPUTE["iters"], chunk=chunk, init=RECOMPUTE["init"])
        zs.append(z)
        es.append(e)
    out[name] = L.assemble(p, x, labels, torch.cat(zs), np.concatenate(es),
                           dict(restarts=RECOMPUTE["restarts"], iters=RECOMPUTE["iters"], lr=0.1, seed=0,
                                source=source, init=RECOMPUTE["init"], recomputed=True))
    yield out, f"projected {x.shape[0]} images ({source}) onto the range of {name}: this session only"


def summary_table(names: list[str], projs: dict) -> tuple[list[list], str]:
    """Rows (generator, images, median / p90 NRMSE, EMD to the prior, EMD floor) and a one-line verdict."""
    rows, med = [], {}
    for n in names:
        pr = projs.get(n)
        if pr is None:
            rows.append([n, 0, "—", "—", "—", "—", "no projections: press Recompute"])
            continue
        p = load_generator(n)
        s = pr.summary()
        draws = L.prior_draws(p, 2 * s["n"])
        e = L.emd(pr.z.float(), draws[:s["n"]])
        floor = L.emd(draws[s["n"]:], draws[:s["n"]])  # two independent draws of the prior, same size
        med[n] = s["median"]
        src = "recomputed here" if pr.meta.get("recomputed") else "cached (evaluate)"
        rows.append([n, s["n"], round(s["median"], 3), round(s["p90"], 3), round(e, 2), round(floor, 2),
                     f"{src}: {pr.meta.get('source', 'held-out images')}, {pr.meta.get('restarts')} restarts × "
                     f"{pr.meta.get('iters')} steps from {L.start_label(pr.meta)}"])
    if len(med) == 2:
        (a, ma), (b, mb) = sorted(med.items(), key=lambda kv: kv[1])
        verdict = (f"**{a} represents held-out images better than {b}**: median NRMSE {ma:.3f} vs {mb:.3f} "
                   f"({(1 - ma / mb) * 100:.0f} % lower)." if ma < mb else f"{a} and {b} represent held-out images equally well.")
    elif med:
        (a, ma), = med.items()
        verdict = f"**{a}**: half of the held-out images are within NRMSE {ma:.3f} of the range of G."
    else:
        verdict = "No projections yet."
    return rows, verdict + (" An EMD near its floor means the encodings look like draws of the prior "
                            "(Duff et al. Fig. 3); far above it, the prior term pulls solutions away from the images.")


def histogram(names: list[str], projs: dict):
    """Projection-NRMSE histograms of the generators on one axis (Duff et al. Fig. 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 2.8), dpi=100)
    vals = [projs[n].nrmse for n in names if projs.get(n) is not None]
    hi = max([float(np.percentile(v, 99)) for v in vals] + [0.5])
    bins = np.linspace(0, hi, 30)
    for n in names:
        pr = projs.get(n)
        if pr is not None:
            ax.hist(np.clip(pr.nrmse, 0, hi), bins=bins, alpha=0.55, label=f"{n} (median {np.median(pr.nrmse):.3f})")
            ax.axvline(float(np.median(pr.nrmse)), ls="--", lw=1, color=ax.patches[-1].get_facecolor())
    ax.set_xlabel("projection NRMSE ‖G(z*) − x‖ / ‖x‖  (lower is better)")
    ax.set_ylabel("held-out images")
    if vals:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no projections yet: press Recompute", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def scatter(name: str, pr: L.Projections | None):
    """Encodings z* and as many prior draws, on one random plane (Duff et al. Fig. 4), for a ScatterPlot."""
    import pandas as pd

    if pr is None:
        return pd.DataFrame({c: [] for c in SCATTER_COLUMNS})
    p = load_generator(name)
    plane = L.random_plane(p.latent_dim)
    draws = L.prior_draws(p, pr.z.shape[0])
    a, b = (pr.z.float() @ plane).numpy(), (draws @ plane).numpy()
    other = "held-out Shapes" if pr.meta.get("dataset") == "shapes" else "held-out images"
    group = [f"digit {int(c)}" if c >= 0 else other for c in pr.labels]
    return pd.DataFrame({"x": np.r_[b[:, 0], a[:, 0]], "y": np.r_[b[:, 1], a[:, 1]],
                         "points": ["prior draw"] * len(b) + group})


def _tile(imgs: torch.Tensor, cols: int) -> torch.Tensor:
    n, C, H, W = imgs.shape
    rows = -(-n // cols)
    pad = torch.full((rows * cols - n, C, H, W), 0.5)
    t = torch.cat([imgs, pad]).view(rows, cols, C, H, W)
    t = torch.nn.functional.pad(t, (1, 1, 1, 1), value=0.5)
    return t.permute(2, 0, 3, 1, 4).reshape(C, rows * (H + 2), cols * (W + 2))


def far_samples(name: str) -> np.ndarray:
    """Rows of samples at radius 0.5, 1, 1.5, 2, 3 × the prior's scale (the same directions in each row)."""
    p = load_generator(name)
    return show(_tile(L.distance_samples(p, RADII), 8), 640)


def worst(name: str, pr: L.Projections | None) -> list:
    """The worst-represented held-out images (stored with the projections) beside their projections G(z*)."""
    if pr is None or pr.worst_x is None:
        return []
    p = load_generator(name)
    with torch.no_grad():
        g = p(pr.z[torch.from_numpy(pr.worst_idx)].to(p.device)).cpu()
    return [(show(_tile(torch.stack([pr.worst_x[i], g[i]]), 2), 192), f"image {j}: NRMSE {pr.nrmse[j]:.3f}")
            for i, j in enumerate(pr.worst_idx[:WORST])]


def view(gen_a: str, gen_b: str | None, fresh: dict | None) -> dict:
    """Everything the tab shows for generator A (and B, if picked), keyed by output name."""
    if not gen_a:
        raise UserError("Pick a generator.")
    names = [gen_a] + ([gen_b] if gen_b and gen_b != gen_a else [])
    projs = {n: _projections(n, fresh) for n in names}
    rows, verdict = summary_table(names, projs)
    out = {"table": rows, "verdict": verdict, "hist": histogram(names, projs)}
    for side, n in zip("ab", names + [None]):
        out[f"scatter_{side}"] = scatter(n, projs[n]) if n else scatter("", None)
        out[f"far_{side}"] = far_samples(n) if n else None
        out[f"worst_{side}"] = worst(n, projs[n]) if n else []
    return out
