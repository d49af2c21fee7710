"""Load and validate user images; convert them to a generator's domain and say what was done.

Public functions check (format, mode, size, finiteness) and raise :class:`ImageError` with a message a
person can act on; the conversion itself is in small private helpers.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024      # uploads larger than this are refused
MAX_PIXELS = 40_000_000           # decompression-bomb guard (width × height)
MIN_SIDE = 4
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageError(ValueError):
    """The input is not a usable image; the message says why."""


def load_image(src) -> Image.Image:
    """Open a path, bytes, PIL image or array as a PIL image, refusing bombs and broken files."""
    if isinstance(src, Image.Image):
        img = src
    elif isinstance(src, np.ndarray):
        return _from_array(src)
    else:
        if isinstance(src, (str, Path)):
            p = Path(src)
            if not p.is_file():
                raise ImageError(f"no such image file: {p}")
            if p.stat().st_size > MAX_BYTES:
                raise ImageError(f"{p.name} is {p.stat().st_size / 2**20:.0f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
            data = p.read_bytes()
        elif isinstance(src, (bytes, bytearray)):
            data = bytes(src)
            if len(data) > MAX_BYTES:
                raise ImageError(f"image is {len(data) / 2**20:.0f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
        else:
            raise ImageError(f"cannot read an image from {type(src).__name__}")
        if not data:
            raise ImageError("the file is empty")
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:  # PIL refuses above 2 × MAX_IMAGE_PIXELS before reading a pixel
            raise ImageError(f"image has over {2 * MAX_PIXELS / 1e6:.0f} MP, refused before decoding (a possible decompression bomb); "
                             f"the limit is {MAX_PIXELS / 1e6:.0f} MP") from None
        except UnidentifiedImageError:
            raise ImageError("not a readable image: use PNG, JPEG, WebP, BMP or TIFF") from None
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"image is {w}×{h} = {w * h / 1e6:.0f} MP; the limit is {MAX_PIXELS / 1e6:.0f} MP")
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"image is {w}×{h}; each side must be at least {MIN_SIDE} pixels")
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
    except (OSError, Image.DecompressionBombError, SyntaxError) as e:
        raise ImageError(f"image data is broken or truncated: {e}") from None
    return img


def _from_array(a: np.ndarray) -> Image.Image:
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ImageError(f"array of shape {a.shape} is not an image (H×W, H×W×3 or H×W×4)")
    h, w = a.shape[:2]
    if h * w > MAX_PIXELS:
        raise ImageError(f"image is {w}×{h} = {w * h / 1e6:.0f} MP; the limit is {MAX_PIXELS / 1e6:.0f} MP")
    if min(h, w) < MIN_SIDE:
        raise ImageError(f"image is {w}×{h}; each side must be at least {MIN_SIDE} pixels")
    if a.dtype != np.uint8:
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ImageError("image contains NaN or infinite values")
        if a.max() > 1.0:
            a = a / 255.0 if a.max() <= 255 else a / a.max()
        a = (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    return Image.fromarray(a)


def _to_gray_or_rgb(img: Image.Image, channels: int, notes: list[str]) -> np.ndarray:
    """Float array in [0, 1], (H, W) or (H, W, 3); transparency composited on white (sketches)."""
    if img.mode in ("I;16", "I;16B", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        notes.append(f"{img.mode} image rescaled from [{lo:g}, {hi:g}] to [0, 1]")
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        return a if channels == 1 else np.repeat(a[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img.convert("RGBA"))
        notes.append("transparent areas filled with white")
    target = "L" if channels == 1 else "RGB"
    if img.mode != target:
        notes.append(f"colour mode {img.mode} → {'greyscale' if channels == 1 else 'RGB'}")
        img = img.convert(target)
    return np.asarray(img, dtype=np.float64) / 255.0


def _mnist_style(a: np.ndarray, size: int) -> np.ndarray:
    """MNIST's own preprocessing: fit the ink's bounding box into 20×20, centre by mass in 28×28, pad."""
    ys, xs = np.nonzero(a > 0.1)
    if ys.size == 0:
        return np.zeros((size, size))
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    s = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * s)), max(1, round(crop.shape[1] * s))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.LANCZOS), dtype=np.float64) / 255
    canvas = np.zeros((28, 28))
    yy, xx = np.indices(small.shape)
    mass = max(small.sum(), 1e-9)
    cy, cx = (yy * small).sum() / mass, (xx * small).sum() / mass
    top, left = int(round(14 - cy)), int(round(14 - cx))
    top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    canvas[top:top + h, left:left + w] = small
    pad = (size - 28) // 2
    return np.pad(canvas, pad)[:size, :size] if size >= 28 else np.asarray(
        Image.fromarray((canvas * 255).astype(np.uint8)).resize((size, size), Image.LANCZOS)) / 255


def to_domain(src, channels: int = 1, size: int = 32, style: str = "resize") -> tuple[torch.Tensor, list[str]]:
    """Convert any image to a tensor (1, channels, size, size) in [0, 1] and list what was changed.

    ``style="digit"`` applies MNIST's preprocessing (dark-on-light images inverted, ink box fitted to
    20×20 and centred by mass, padded to 32); ``"resize"`` centre-crops to a square and resizes.
    """
    img = load_image(src)
    notes: list[str] = []
    w, h = img.size
    a = _to_gray_or_rgb(img, channels, notes)
    if style == "digit":
        gray = a if a.ndim == 2 else a.mean(2)
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        if border.mean() > 0.5:
            gray = 1 - gray
            notes.append("inverted (dark strokes on a light background → white digit on black, like MNIST)")
        if gray.shape != (size, size):  # an image of the right size is taken as it is
            gray = _mnist_style(gray, size)
            notes.append(f"{w}×{h} → {size}×{size} with MNIST's preprocessing (ink box 20×20, centred by mass)")
        out = gray[None] if channels == 1 else np.repeat(gray[None], 3, axis=0)
    else:
        if w != h:
            s = min(w, h)
            notes.append(f"centre-cropped {w}×{h} to {s}×{s}")
            l, t = (w - s) // 2, (h - s) // 2
            a = a[t:t + s, l:l + s]
        if a.shape[0] != size:
            notes.append(f"resized {a.shape[1]}×{a.shape[0]} → {size}×{size}")
            mode = "L" if a.ndim == 2 else "RGB"
            im = Image.fromarray((a * 255 + 0.5).astype(np.uint8)).convert(mode)
            a = np.asarray(im.resize((size, size), Image.LANCZOS if a.shape[0] > size else Image.BICUBIC), dtype=np.float64) / 255
        out = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    return torch.from_numpy(np.ascontiguousarray(out)).float().unsqueeze(0).clamp(0, 1), notes


def to_uint8(x: torch.Tensor, scale: int = 1) -> np.ndarray:
    """(C, H, W) or (1, C, H, W) in [0, 1] → uint8 (H·s, W·s[, 3]) enlarged with nearest neighbour."""
    a = x.detach().cpu().float().reshape(-1, *x.shape[-2:]).clamp(0, 1).numpy()
    a = (a * 255 + 0.5).astype(np.uint8)
    if scale > 1:
        a = a.repeat(scale, axis=1).repeat(scale, axis=2)
    return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)


def display_scale(side: int, target: int = 256) -> int:
    """Integer nearest-neighbour factor that shows a ``side``-pixel image at about ``target`` pixels."""
    return max(1, target // max(side, 1))


def save_png(x: torch.Tensor, path: str | Path, target: int = 256) -> None:
    """Save an image enlarged with nearest neighbour (crisp pixels) to about ``target`` pixels."""
    Image.fromarray(to_uint8(x, display_scale(x.shape[-1], target))).save(path)
