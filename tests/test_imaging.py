"""Bad images give clear errors; any mode and size converts to the generator's domain."""
import io

import numpy as np
import pytest
from PIL import Image

from genprior_demo.imaging import ImageError, load_image, to_domain, to_uint8


def _png(img: Image.Image, fmt="PNG") -> bytes:
    b = io.BytesIO()
    img.save(b, fmt)
    return b.getvalue()


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "I", "F", "1", "LA", "CMYK"])
def test_every_mode_converts(mode):
    img = Image.new("RGB", (50, 40), (255, 255, 255))
    img.paste((0, 0, 0), (20, 5, 28, 35))
    img = img.convert(mode)
    x, notes = to_domain(img, channels=1, size=32, style="digit")
    assert x.shape == (1, 1, 32, 32) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert float(x.max()) > 0.5, "a dark stroke on white becomes a bright digit on black"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_formats(fmt):
    img = Image.fromarray((np.random.default_rng(0).random((64, 80, 3)) * 255).astype(np.uint8))
    x, notes = to_domain(_png(img, fmt), channels=3, size=32)
    assert x.shape == (1, 3, 32, 32)
    assert any("centre-cropped" in n for n in notes) and any("resized" in n for n in notes)


def test_mnist_sized_input_passes_unchanged_in_resize_style():
    a = np.zeros((32, 32), np.uint8)
    a[8:24, 14:18] = 255
    x, notes = to_domain(a, 1, 32)
    assert notes == [] and np.array_equal(to_uint8(x[0]), a)


@pytest.mark.parametrize("src,msg", [
    (b"not an image at all", "not a readable image"),
    ("/no/such/file.png", "no such image"),
    (np.zeros((2, 2)), "at least"),
    (np.full((8, 8), np.nan), "NaN"),
    (np.zeros((8, 8, 7)), "not an image"),
    (12345, "cannot read"),
])
def test_bad_inputs(src, msg):
    with pytest.raises(ImageError, match=msg):
        load_image(src)


def test_decompression_bomb_refused():
    bomb = _png(Image.new("1", (8000, 8000)))  # 64 MP, a few kB on disk
    assert len(bomb) < 100_000
    with pytest.raises(ImageError, match="limit|readable"):
        load_image(bomb)


def test_tiny_image_refused_and_truncated_file():
    with pytest.raises(ImageError, match="at least"):
        load_image(_png(Image.new("L", (3, 3))))
    data = _png(Image.fromarray((np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)))
    with pytest.raises(ImageError):
        load_image(data[: len(data) // 2])


def test_nearest_neighbour_enlargement():
    import torch

    x = torch.rand(1, 32, 32)
    big = to_uint8(x, 8)
    assert big.shape == (256, 256)
    assert (big[:8, :8] == big[0, 0]).all()
