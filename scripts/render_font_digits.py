"""Render the handwriting-font digits shipped in assets/ (a non-MNIST source of handwritten digits for
IAGAN's out-of-distribution check, docs/RESULTS.md §6).

No second handwritten-digit data set can be downloaded here, so the digits are drawn in eleven handwriting
fonts packaged by Debian (each made from a person's handwriting; fonts-femkeklaver is left out: its
glyphs are outlines), with a random slant, rotation, size and
stroke weight per digit, and put through MNIST's preprocessing (ink box 20×20, centred by mass, 32×32),
as a person's upload is. The fonts are needed only to re-render the PNG, not to read it:

    apt-get install fonts-bwht fonts-dkg-handwriting fonts-breip fonts-humor-sans \\
        fonts-klee fonts-rufscript
    python scripts/render_font_digits.py          # writes assets/handwriting_font_digits.png (seed 0)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genprior_demo.data import FONT_DIGITS, FONT_DIGITS_GRID  # noqa: E402
from genprior_demo.imaging import to_domain  # noqa: E402

FONTS = [
    "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf",
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
    "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
]


def render(digit: int, font: str, rng: np.random.Generator) -> np.ndarray:
    """One digit, white on black, 96×96, with a random slant (shear ±0.25), rotation (±12°) and stroke
    weight (as drawn, or thickened by one or two pixels; thinning left some strokes faint)."""
    im = Image.new("L", (96, 96), 0)
    f = ImageFont.truetype(font, int(rng.integers(56, 72)))
    ImageDraw.Draw(im).text((48, 48), str(digit), fill=255, font=f, anchor="mm")
    shear = rng.uniform(-0.25, 0.25)
    im = im.transform(im.size, Image.AFFINE, (1, shear, -shear * 48, 0, 1, 0), resample=Image.BILINEAR)
    im = im.rotate(rng.uniform(-12, 12), resample=Image.BILINEAR)
    weight = int(rng.integers(0, 3))
    if weight > 0:
        im = im.filter(ImageFilter.MaxFilter(2 * weight + 1))
    return np.asarray(im)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    rows, cols = FONT_DIGITS_GRID
    # every (font, digit) pair once (110), in a seeded order, then the rest of the grid from random pairs
    pairs = [(f, d) for f in range(len(FONTS)) for d in range(10)]
    order = [pairs[i] for i in rng.permutation(len(pairs))]
    order += [pairs[i] for i in rng.integers(0, len(pairs), rows * cols - len(order))]
    tiles = [to_domain(render(d, FONTS[f], rng), 1, 32, style="digit")[0][0, 0].numpy() for f, d in order]
    grid = np.stack(tiles).reshape(rows, cols, 32, 32).transpose(0, 2, 1, 3).reshape(rows * 32, cols * 32)
    Image.fromarray((grid * 255 + 0.5).astype(np.uint8)).save(FONT_DIGITS, optimize=True)
    print(f"wrote {FONT_DIGITS.relative_to(ROOT)}: {rows * cols} digits, labels {[d for _, d in order][:20]}…")


if __name__ == "__main__":
    main()
