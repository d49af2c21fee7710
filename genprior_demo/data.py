"""Training and test data: MNIST (torchvision loader, padded 28→32) and procedural Shapes.

MNIST digits are zero-padded by 2 pixels on each side to 32×32 (not resized), so pixel values stay
those of the data set and the digit keeps its 20×20 box inside a black border, as in DCGAN code bases.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_SIZE = 32


def load_mnist(root: str | Path | None, train: bool, download: bool | None = None) -> torch.Tensor:
    """All MNIST images of a split as a float tensor (N, 1, 32, 32) in [0, 1].

    ``root`` is the folder holding ``MNIST/raw`` (torchvision's layout). Without a root, torchvision
    downloads into ``~/.cache/genprior_demo`` where a network exists.
    """
    from torchvision.datasets import MNIST

    if root is None:
        root = Path.home() / ".cache" / "genprior_demo"
        download = True if download is None else download
    try:
        ds = MNIST(root=str(root), train=train, download=bool(download))
    except RuntimeError as e:  # not there and not downloadable (offline): say what to pass
        raise RuntimeError(f"MNIST is not under {root}/MNIST/raw and could not be downloaded there ({str(e).splitlines()[0]}); "
                           "pass --data-root (the folder holding MNIST/raw), e.g. --data-root ../shared/data") from e
    x = ds.data.float().div_(255.0).unsqueeze(1)  # (N, 1, 28, 28)
    return F.pad(x, (2, 2, 2, 2))


def make_shapes(n: int, seed: int, size: int = IMAGE_SIZE) -> torch.Tensor:
    """``n`` images (n, 1, size, size) of one grey circle and one rectangle on black, not overlapping.

    As in Duff, Campbell & Ehrhardt (2021): each shape has its own constant intensity in [0.2, 1];
    positions and sizes are uniform; pairs that overlap (or touch) are redrawn.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    out = np.zeros((n, 1, size, size), dtype=np.float32)
    todo = np.arange(n)
    while todo.size:
        k = todo.size
        r = rng.uniform(0.12, 0.25, k) * size
        cx = rng.uniform(r, size - r)
        cy = rng.uniform(r, size - r)
        w = rng.uniform(0.2, 0.5, k) * size
        h = rng.uniform(0.2, 0.5, k) * size
        x0 = rng.uniform(0, size - w)
        y0 = rng.uniform(0, size - h)
        circ = (xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2 <= r[:, None, None] ** 2
        rect = ((xx >= x0[:, None, None]) & (xx <= (x0 + w)[:, None, None])
                & (yy >= y0[:, None, None]) & (yy <= (y0 + h)[:, None, None]))
        # keep a one-pixel gap: dilate the circle by 1 before testing overlap
        circ_d = (xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2 <= (r[:, None, None] + 1) ** 2
        ok = ~(circ_d & rect).any(axis=(1, 2)) & rect.any(axis=(1, 2)) & circ.any(axis=(1, 2))
        ic = rng.uniform(0.2, 1.0, k)
        ir = rng.uniform(0.2, 1.0, k)
        img = circ * ic[:, None, None] + rect * ir[:, None, None]
        out[todo[ok], 0] = img[ok]
        todo = todo[~ok]
    return torch.from_numpy(out)


def shapes_plus(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Out-of-distribution "shapes+" images (Duff et al. §5): a bright spot inside the circle."""
    rng = np.random.default_rng(seed)
    x = x.clone()
    n, _, h, w = x.shape
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(n):
        img = x[i, 0].numpy()
        vals = np.unique(img[img > 0])
        # the circle is the non-rectangular component; find its pixels via the roundest intensity blob
        best = None
        for v in vals:
            ys, xs = np.nonzero(np.isclose(img, v))
            fill = ys.size / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1))
            if best is None or abs(fill - np.pi / 4) < abs(best[0] - np.pi / 4):
                best = (fill, ys.mean(), xs.mean(), min(np.ptp(ys), np.ptp(xs)) / 2)
        _, cy, cx, r = best
        sr = max(1.0, r / 3)
        oy, ox = rng.uniform(-r / 3, r / 3, 2)
        spot = (yy - cy - oy) ** 2 + (xx - cx - ox) ** 2 <= sr ** 2
        x[i, 0][torch.from_numpy(spot)] = 1.0
    return x


FONT_DIGITS = Path(__file__).resolve().parents[1] / "assets" / "handwriting_font_digits.png"
FONT_DIGITS_GRID = (8, 16)  # rows × columns of 32×32 tiles


def font_digits(n: int, offset: int = 0) -> torch.Tensor:
    """``n`` digits (n, 1, 32, 32) drawn in eleven handwriting fonts (Debian's fonts-bwht, fonts-dkg-handwriting,
    …) with a random slant, rotation and stroke weight, in MNIST's preprocessing: handwritten digits from a
    source other than MNIST, sharper than scikit-learn's 8×8 UCI scans. Made by scripts/render_font_digits.py."""
    from PIL import Image

    rows, cols = FONT_DIGITS_GRID
    if not (0 <= offset and 0 <= n and offset + n <= rows * cols):
        raise ValueError(f"font_digits holds {rows * cols} digits; asked for {n} from offset {offset}")
    grid = torch.from_numpy(np.asarray(Image.open(FONT_DIGITS).convert("L"), dtype=np.float32) / 255.0)
    if grid.shape != (rows * 32, cols * 32):
        raise ValueError(f"{FONT_DIGITS.name} is {tuple(grid.shape)}, not the {rows}×{cols} grid of 32×32 tiles it should be")
    tiles = grid.view(rows, 32, cols, 32).permute(0, 2, 1, 3).reshape(rows * cols, 1, 32, 32)
    return tiles[offset:offset + n].clone()


def sklearn_digits(n: int, offset: int = 0) -> torch.Tensor:
    """Handwritten digits from another source than MNIST: scikit-learn's copy of the UCI optical digits
    (8×8, 17 grey levels, other writers and scanner), put through MNIST's preprocessing (ink box 20×20,
    centred by mass, 32×32), as a person's upload is. (n, 1, 32, 32)."""
    from sklearn.datasets import load_digits

    from .imaging import to_domain

    imgs = load_digits().images[offset:offset + n]
    return torch.cat([to_domain((im * (255 / 16)).astype(np.uint8), 1, 32, style="digit")[0] for im in imgs])


SHIPPED_DIGITS = Path(__file__).resolve().parents[1] / "assets" / "mnist_test_1000-1063.png"


def shipped_digits(n: int, offset: int = 0) -> torch.Tensor:
    """``n`` of the 64 MNIST test digits shipped in assets/ (test indices 1000–1063, an 8×8 grid of 32×32
    tiles; outside the 0–49 used by the quality report), from ``offset`` cyclically: (n, 1, 32, 32).
    The app uses them where the MNIST files are not available (a Space)."""
    from PIL import Image

    grid = torch.from_numpy(np.asarray(Image.open(SHIPPED_DIGITS).convert("L"), dtype=np.float32) / 255.0)
    tiles = grid.view(8, 32, 8, 32).permute(0, 2, 1, 3).reshape(64, 1, 32, 32)
    return tiles[[(offset + i) % 64 for i in range(n)]]
