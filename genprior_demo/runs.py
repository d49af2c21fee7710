"""Runs that can be kept and reproduced: a zip with the full request as JSON (seed included), the input x
exactly (safetensors, never a pickle), the CLI line that replays it, metrics as CSV, the final images and
the trajectory as an animated GIF. ``python -m genprior_demo reconstruct --from-run run.json`` replays it.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

FORMAT, VERSION = "genprior_demo run", 1
RUN_KEYS = ("format", "version", "input", "operator", "operator_params", "noise", "generator", "method", "config")
MAX_JSON = 1 << 20  # a run file is a few kB; anything larger is not one


def cli_line(run: dict[str, Any]) -> str:
    """The explicit CLI command equivalent to ``--from-run`` (every setting spelt out)."""
    parts = ["python -m genprior_demo reconstruct --input-tensor", run["input"], "--operator", run["operator"]]
    parts += [f"--param {k}={v}" for k, v in run["operator_params"].items()]
    parts += ["--noise", repr(run["noise"]), "--generator", run["generator"], "--method", run["method"]]
    parts += ["--seed", str(run["config"].get("seed", 0))]  # the operator's and the noise's seed, as the method's
    parts += [f"--set {k}={v}" for k, v in run["config"].items() if k != "seed"]
    return " ".join(parts)


def write_run(path: Path, run: dict[str, Any], x: torch.Tensor, images: dict[str, np.ndarray],
              metrics: list[list], headers: list[str], trajectory: list[tuple[int, np.ndarray]]) -> Path:
    """The zip at ``path``: run.json, input.safetensors, metrics.csv, <name>.png, trajectory.gif, README.txt."""
    from PIL import Image
    from safetensors.torch import save

    run = dict(run, format=FORMAT, version=VERSION, input="input.safetensors")
    run["cli"] = "python -m genprior_demo reconstruct --from-run run.json"
    run["cli_explicit"] = cli_line(run)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("run.json", json.dumps(run, indent=2, default=float) + "\n")
        z.writestr("input.safetensors", save({"x": x.detach().cpu().float().contiguous()}))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(headers)
        w.writerows(metrics)
        z.writestr("metrics.csv", buf.getvalue())
        for name, img in images.items():
            if img is not None:
                b = io.BytesIO()
                Image.fromarray(img).save(b, format="PNG")
                z.writestr(f"{name}.png", b.getvalue())
        if trajectory:
            z.writestr("trajectory.gif", gif(trajectory))
        z.writestr("README.txt", f"Replay: {run['cli']}\nSpelt out: {run['cli_explicit']}\n"
                                 "(unzip first; both read input.safetensors beside run.json)\n")
    return path


def gif(trajectory: list[tuple[int, np.ndarray]], side: int = 192, max_frames: int = 80) -> bytes:
    """The estimate over the iterations, enlarged with nearest neighbour, with the iteration counter."""
    from PIL import Image, ImageDraw

    step = max(1, len(trajectory) // max_frames)
    keep = trajectory[::step] + ([trajectory[-1]] if (len(trajectory) - 1) % step else [])
    frames = []
    for it, img in keep:
        im = Image.fromarray(img).convert("RGB")
        im = im.resize((side, side * im.height // im.width), Image.NEAREST)
        canvas = Image.new("RGB", (im.width, im.height + 18), "white")
        canvas.paste(im, (0, 18))
        ImageDraw.Draw(canvas).text((4, 3), f"iteration {it}", fill="black")
        frames.append(canvas)
    b = io.BytesIO()
    frames[0].save(b, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return b.getvalue()


def read_run(path: str | Path) -> tuple[dict[str, Any], torch.Tensor]:
    """A run.json (and the input it names, beside it) checked for what a run file must hold; a bad file
    is a ValueError with what is wrong. Reads JSON and safetensors only."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such run file: {path}")
    if path.stat().st_size > MAX_JSON:
        raise ValueError(f"{path} is too large for a run file ({path.stat().st_size} bytes)")
    try:
        run = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a run file (not JSON: {e})") from None
    if not isinstance(run, dict) or run.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT!r} file (download one from the app's Reconstruct tab)")
    missing = [k for k in RUN_KEYS if k not in run]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    if run["version"] != VERSION:
        raise ValueError(f"{path} is run format version {run['version']}; this version reads {VERSION}")
    name = Path(str(run["input"]))
    if name.is_absolute() or ".." in name.parts:
        raise ValueError(f"the input must be a file beside run.json, got {run['input']!r}")
    return run, read_input(path.parent / name)


def read_input(path: str | Path) -> torch.Tensor:
    """A run's exact input x — safetensors ``{"x": (1, C, H, W)}``, finite, in [0, 1] — or a ValueError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        x = load_file(str(path))["x"]
    except (FileNotFoundError, SafetensorError, KeyError, OSError) as e:
        raise ValueError(f"cannot read the run's input {path}: {e}") from None
    if x.ndim != 4 or x.shape[0] != 1 or not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError(f"the run's input must be one finite image (1, C, H, W) in [0, 1], got {tuple(x.shape)}")
    return x
