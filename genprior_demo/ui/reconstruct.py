"""Handler of the Reconstruct tab: widget values → problem → the chosen method raced against the
baselines in one thread (the streams are interleaved step by step) → throttled frames for the page.

Frames are dicts keyed by the tab's output names (:data:`OUTPUTS`); the tab builder maps them to its
components in one place. No gradio import here: errors are :class:`UserError`.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from ..config import make_config, ui_operator_params, ui_params
from ..generators import available, load_prior
from ..metrics import lpips_status
from ..physics import OPERATORS, Mask, Param
from ..pipeline import make_problem, method_stream, step_metrics
from ..solvers import METHODS
from ..solvers.base import loss_label
from .common import DEVICE, MAX_FPS, UserError, control, load_generator, load_input, parse
from .render import DISPLAY, curve, show, std_map

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "examples"
PAINTED = "painted-mask"  # UI-only operator: the user paints the missing pixels
BASELINES = ("dip", "tv", "wiener")
GENERATIVE = [n for n, m in METHODS.items()  # the Reconstruct tab's methods (blind ones have their own tabs)
              if m.needs_prior and m.prior_kind == "generator" and m.problem == "known"]
# What the page shows, by output name (the tab builder creates one component per name).
OUTPUTS = ("gt", "obs", "obs_caption", "result", "dip", "tv", "wiener", "uair", "curve", "status", "table",
           "restarts", "spread", "compare", "conversion", "z", "download")
TABLE_HEADERS = ["method", "PSNR (dB)", "SSIM", "LPIPS", "residual ‖Ax−y‖", "seconds", "iterations"]


# ----------------------------------------------------------------------------------------- choices
def example_images() -> list[str]:
    """MNIST test digits first, then Shapes, then natural images (for the baselines)."""
    order = {"mnist": 0, "shapes": 1}
    return [str(p) for p in sorted(ASSETS.glob("*.png"), key=lambda p: (order.get(p.name.split("-")[0], 2), p.name))]


def warm_up() -> None:
    """Import what the first frame needs (metrics, LPIPS status, the curve table) ahead of the first click."""
    import pandas  # noqa: F401
    import skimage.metrics  # noqa: F401

    lpips_status()
    for name in available():
        load_prior(name, DEVICE)


def generator_choices() -> list[str]:
    return available()


def operator_choices() -> list[str]:
    return [*OPERATORS, PAINTED]


def generator_info(name: str) -> str:
    """Manifest facts about a generator (data set, latent, quality) as one paragraph."""
    try:
        p = load_prior(name)
    except Exception as e:  # missing or altered checkpoint: say so on the page
        return f"**{name}**: cannot be loaded ({e})"
    m = p.meta
    q = m.get("quality", {})
    qs = (f"projection NRMSE median {q['projection_nrmse_median']:.3f} (p90 {q['projection_nrmse_p90']:.3f}) "
          f"on {q['n_test_images']} held-out images") if q else "quality not measured yet"
    return (f"**{name}** — {m['kind'].upper()} trained on {m['dataset']} ({m['resolution']}×{m['resolution']}), "
            f"latent {m['latent_dim']} ({m['latent_prior']}), {m.get('epochs_completed', '?')} epochs; {qs}.")


def method_params(method: str) -> dict[str, Param]:
    """The settings of ``method`` as the page shows and accepts them (config ranges, UI caps)."""
    return {p.name: p for p in ui_params(METHODS[method].config)}


def operator_params(operator: str) -> dict[str, Param]:
    """The parameters of ``operator`` as the page shows and accepts them (capped for 32×32 images)."""
    return {p.name: p for p in ui_operator_params(OPERATORS[operator].params)} if operator in OPERATORS else {}


def input_name(owner: str, param: str) -> str:
    """The page's (and the API's) name of one method setting or operator parameter, e.g.
    ``pgd_gan__eta`` or ``gaussian_blur__size``: every method and operator has its own controls."""
    return f"{owner.replace('-', '_')}__{param}"


# name → (method, Param) and name → (operator, Param): the per-method and per-operator controls
METHOD_INPUTS = {input_name(m, p.name): (m, p) for m in GENERATIVE for p in method_params(m).values()}
OPERATOR_INPUTS = {input_name(o, p.name): (o, p) for o in OPERATORS for p in operator_params(o).values()}


def explain(operator: str, method: str) -> str:
    op = OPERATORS.get(operator)
    m = METHODS.get(method)
    ot = ("**Operator** — the user paints the missing pixels; A multiplies by the mask." if op is None
          else f"**Operator `{operator}`** — {op.description}" + (f" *({op.reference})*" if op.reference else ""))
    mt = "" if m is None else f"\n\n**Method `{method}`** — {m.title}: `{m.objective}`\n\n*{m.reference}*"
    return ot + mt


# ------------------------------------------------------------------------------------------- input
def painted_mask(editor_value, shape) -> Mask:
    """Pixels painted in the editor's layers (alpha > 0) are missing; resized to the image grid."""
    layers = (editor_value or {}).get("layers") if isinstance(editor_value, dict) else None
    if not layers:
        raise UserError("Paint the pixels to remove on the mask editor first.")
    import torch.nn.functional as F

    alpha = np.zeros(np.asarray(layers[0]).shape[:2], dtype=np.float32)
    for layer in layers:
        a = np.asarray(layer)
        if a.ndim == 3 and a.shape[2] == 4:
            alpha = np.maximum(alpha, a[..., 3].astype(np.float32) / 255)
    painted = F.adaptive_avg_pool2d(torch.from_numpy(alpha)[None, None], shape[1:])[0]  # (1, H, W)
    mask = (painted < 0.25).float()
    if float(mask.mean()) == 1.0:
        raise UserError("The painted mask is empty: paint over the pixels to remove.")
    op = Mask(shape, mask, DEVICE)
    op.name, op.params = PAINTED, {"missing": f"{100 * (1 - float(mask.mean())):.0f}%"}
    return op


def _validated(params: dict[str, Param], values: dict[str, Any] | None, owner: str) -> dict[str, Any]:
    """``values`` checked against ``params`` by name: unknown names and bad values are a UserError."""
    values = dict(values or {})
    extra = set(values) - set(params)
    if extra:
        raise UserError(f"{owner} has no setting {', '.join(sorted(extra))}"
                        + (f"; it takes {', '.join(params)}" if params else "; it takes none"))
    return {k: parse(params[k], v) for k, v in values.items()}


# -------------------------------------------------------------------------------------------- race
@dataclasses.dataclass
class Lane:
    """One method in the race: its stream, latest step and final metrics."""

    name: str
    label: str
    stream: Any
    step: Any = None
    metrics: dict | None = None
    error: str | None = None


@dataclasses.dataclass
class Race:
    """A validated request: the problem, the lanes to run and what was done to the input."""

    problem: Any
    lanes: list[Lane]
    notes: list[str]
    request: dict = dataclasses.field(default_factory=dict)  # what --from-run needs (JSON-able)


def _uair_for(operator: str, channels: int):
    """The shipped UAIR network trained for this degradation and this many channels, or None (the
    Remove-Pixel-Channel network is trained on colour digits: on a grey image that corruption is Remove-Pixel)."""
    from ..generators.registry import UAIR_NETWORKS, CheckpointError, load_uair

    name = f"uair-{operator}"
    if name not in UAIR_NETWORKS:
        return None
    try:
        net = load_uair(name, DEVICE)
    except CheckpointError:
        return None
    return net if net.channels == channels else None


# The baselines' weights: by the discrepancy principle on the page (fair without the ground truth; the
# library's default stays the fixed weight); the person can switch to a fixed weight in the settings.
BASELINE_KNOBS = {"tv": ("rule", "lam"), "tikhonov": ("rule", "alpha"), "dip": ("iters",)}


def baseline_params(method: str) -> dict[str, Param]:
    """The page's settings of a baseline: TV's and Tikhonov's weight rule (discrepancy by default) and
    fixed weight, DIP's iterations."""
    ps = {p.name: p for p in ui_params(METHODS[method].config) if p.name in BASELINE_KNOBS[method]}
    if "rule" in ps:
        ps["rule"] = dataclasses.replace(ps["rule"], default="discrepancy")
    return ps


BASELINE_INPUTS = {input_name(b, p.name): (b, p) for b in BASELINE_KNOBS for p in baseline_params(b).values()}


def _baseline_lane(name: str, problem, seed: int, settings: dict[str, dict]) -> Lane:
    if name == "wiener" and problem.physics.kernel is None:  # Wiener needs a convolution: Tikhonov instead
        return Lane(name, "Tikhonov", method_stream(problem, "tikhonov", None, {"seed": seed, **settings["tikhonov"]}))
    label = {"dip": "DIP", "tv": "TV", "wiener": "Wiener"}[name]
    return Lane(name, label, method_stream(problem, name, None, {"seed": seed, **_streaming(name), **settings.get(name, {})}))


UI_EVERY = 5  # the page shows every 5th iteration (with the configs' 10: ~5 image updates a second, docs/BENCHMARKS.md)


def _streaming(method: str) -> dict[str, int]:
    """``every`` for the page: a step every :data:`UI_EVERY` iterations where the config streams every 10."""
    f = {x.name: x for x in dataclasses.fields(METHODS[method].config)}
    return {"every": UI_EVERY} if "every" in f and f["every"].default == 10 else {}


def prepare(image, operator: str, op_params: dict[str, Any], noise, generator: str, method: str,
            knobs: dict[str, Any], baselines: list[str], seed, mask_editor=None,
            baseline_settings: dict[str, dict] | None = None) -> Race:
    """Validate every value (``config``'s Params) and set up the race; a bad value is a UserError.
    ``baseline_settings`` ({"tv": {...}, "tikhonov": {...}}) override :func:`baseline_params`' defaults."""
    noise = control("noise", noise)
    seed = control("seed", seed)
    if method not in GENERATIVE:
        raise UserError(f"unknown method {method!r}; choose from {', '.join(GENERATIVE)}")
    if operator not in operator_choices():
        raise UserError(f"unknown operator {operator!r}; choose from {', '.join(operator_choices())}")
    if any(b not in BASELINES for b in baselines or []):
        raise UserError(f"baselines must be among {', '.join(BASELINES)}, got {', '.join(map(str, baselines))}")
    overrides = dict(_validated(method_params(method), knobs, f"method {method}"), seed=seed, **_streaming(method))
    params = _validated(operator_params(operator), op_params, f"operator {operator}")
    given = dict(baseline_settings or {})
    if set(given) - set(BASELINE_KNOBS):
        raise UserError(f"baseline settings are for {', '.join(BASELINE_KNOBS)}, got {', '.join(map(str, given))}")
    settings = {b: {**{k: p.default for k, p in baseline_params(b).items()},
                    **_validated(baseline_params(b), given.get(b), f"baseline {b}")} for b in BASELINE_KNOBS}
    prior = load_generator(generator)
    x, notes = load_input(image, prior)
    try:
        physics = painted_mask(mask_editor, tuple(x.shape[1:])) if operator == PAINTED else operator
        problem = make_problem(x, physics, params, noise, seed, DEVICE)
        lanes = [Lane(method, METHODS[method].title, method_stream(problem, method, prior, overrides))]
        lanes += [_baseline_lane(b, problem, seed, settings) for b in baselines or []]
        net = _uair_for(operator, problem.physics.in_shape[0])
        if net is not None:  # amortised inference beside the iterative methods (Pajot et al.)
            lanes.append(Lane("uair", "UAIR network (one pass)", method_stream(problem, "uair", net, None)))
    except (ValueError, KeyError) as e:  # e.g. a kernel larger than the image, a generator of another size
        raise UserError(str(e)) from None
    spec = OPERATORS.get(operator)
    request = dict(operator=operator, noise=noise, generator=generator, method=method, seed=seed,
                   operator_params={p.name: params.get(p.name, p.default) for p in spec.params} if spec else dict(params),
                   config=dataclasses.asdict(make_config(METHODS[method].config, overrides)),
                   baselines=list(baselines or []), baseline_settings=settings, input_conversion=notes)
    return Race(problem, lanes, notes, request)


def reconstruct(image, operator: str, op_params: dict[str, Any], noise, generator: str, method: str,
                knobs: dict[str, Any], baselines: list[str], seed, mask_editor=None,
                baseline_settings: dict[str, dict] | None = None) -> Iterator[dict[str, Any]]:
    """Stream frames (dicts keyed by :data:`OUTPUTS`): the chosen method and the baselines, interleaved."""
    race = prepare(image, operator, op_params, noise, generator, method, knobs, baselines, seed, mask_editor,
                   baseline_settings)
    yield from run(race)


def page_run(values: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The tab's Run: the page's values by input name (``image``, ``operator``, ``noise``, … and the
    per-operator / per-method names of :data:`OPERATOR_INPUTS` / :data:`METHOD_INPUTS`); only the
    selected operator's parameters and the selected method's settings are read (and validated).
    In the app's solver process when it runs (:mod:`.worker`), else in this thread."""
    from .worker import WorkerError, current, restart_later

    w = current()
    if w is None:
        yield from run(page_prepare(values))
        return
    try:
        yield from w.stream(values)
    except WorkerError as e:
        restart_later()
        raise UserError(f"The solver process stopped unexpectedly ({e}); press Run again.") from e


def page_prepare(values: dict[str, Any]) -> Race:
    """:func:`prepare` from the page's values by input name (see :func:`page_run`)."""
    op, method = values.get("operator"), values.get("method")
    op_params = {p.name: values[k] for k, (o, p) in OPERATOR_INPUTS.items() if o == op and k in values}
    knobs = {p.name: values[k] for k, (m, p) in METHOD_INPUTS.items() if m == method and k in values}
    image = values.get("sketch") if values.get("source") == "draw" else values.get("image")
    bsets: dict[str, dict] = {}
    for k, (b, p) in BASELINE_INPUTS.items():
        if k in values:
            bsets.setdefault(b, {})[p.name] = values[k]
    return prepare(image, op, op_params, values.get("noise"), values.get("generator"), method, knobs,
                   values.get("baselines") or [], values.get("seed"), values.get("mask"), bsets)


def run(race: Race, fps: float = MAX_FPS, should_stop=None) -> Iterator[dict[str, Any]]:
    """Frames of the race, at most ``fps`` a second. The first and the last frame name every output (the
    first clears the previous run's images); frames in between carry only what changed — the status, table
    and curve, and the image of each method that stepped since the last frame, small (the page enlarges
    them with pixelated CSS), so consecutive frames merge by ``dict.update``. ``should_stop()`` is asked
    between rounds of steps; when it says so the streams are closed and no last frame follows.
    In the server's thread the solver pauses while a frame is sent (a thread of its own was slower: the
    interpreter lock); the app runs this in a process of its own instead (:mod:`.worker`)."""
    problem, lanes = race.problem, race.lanes
    obs, caption = problem.physics.observation_image(problem.y)
    base = dict(gt=show(problem.x[0]), obs=show(obs[0]), obs_caption=f"*{caption}*",
                conversion="input: " + ("; ".join(race.notes) or "used as is"))
    view = _View(lanes)
    history: dict[str, list] = {}
    yield {**base, **view.frame(history, "starting…", full=True), "download": None}
    last, active = time.perf_counter(), list(lanes)
    while active:
        if should_stop is not None and should_stop():
            for lane in active:
                lane.stream.close()
            return
        for lane in list(active):  # round-robin: one step of each method in turn
            try:
                lane.step = next(lane.stream)
            except StopIteration as end:
                lane.step = end.value
                lane.metrics = step_metrics(lane.step, problem)
                active.remove(lane)
            except (ValueError, RuntimeError) as e:  # one method failing must not end the others
                lane.error = str(e)
                active.remove(lane)
                continue
            for k, v in lane.step.losses.items():
                history.setdefault(f"{lane.label}: {loss_label(k)}", []).append((lane.step.iteration, v))
        now = time.perf_counter()
        if active and now - last >= 1.0 / fps:
            last = now
            lead = lanes[0].step
            yield view.frame(history, f"{lanes[0].label}: iteration {lead.iteration if lead else 0}")
    lead = lanes[0]
    status = (f"done — {lead.label}: {lead.step.iteration} iterations in {lead.step.elapsed:.2f} s"
              if lead.error is None else f"{lead.label} failed: {lead.error}")
    if lpips_status():
        status += f"  \nLPIPS n/a: {lpips_status()}"
    final = {**base, **view.frame(history, status, full=True, gt=base["gt"])}
    yield {**final, "download": _download(race, final, view.trajectory)}


RUNS_DIR = Path(tempfile.gettempdir()) / "genprior_demo-runs"
RUNS_KEPT = 32  # older downloads are deleted (a Space's disk is small)


def _download(race: Race, final: dict, trajectory) -> str | None:
    """The run as a zip (:mod:`genprior_demo.runs`): request, exact input, metrics, images, trajectory GIF."""
    from ..runs import write_run

    if not race.request:
        return None
    RUNS_DIR.mkdir(exist_ok=True)
    for old in sorted(RUNS_DIR.glob("*.zip"), key=lambda p: p.stat().st_mtime)[:-RUNS_KEPT]:
        old.unlink(missing_ok=True)
    r = race.request
    path = RUNS_DIR / f"run-{r['method']}-{r['operator']}-seed{r['seed']}-{time.strftime('%Y%m%d-%H%M%S')}-{id(race) % 10000}.zip"
    images = {k: final[k] for k in ("gt", "obs", *LANE_OUTPUTS)}
    return str(write_run(path, r, race.problem.x[:1], images, final["table"], TABLE_HEADERS, trajectory))


GALLERY_PERIOD = 0.5  # seconds between updates of the restarts gallery and their spread (each image is a file)
LIVE = 64  # pixels of the images in live frames (a 32×32 digit ×2); the last frame sends them at DISPLAY
LANE_OUTPUTS = ("result", "dip", "tv", "wiener", "uair")  # the lead method's image is "result"


class _View:
    """What the page already shows, so that a frame sends only what changed."""

    def __init__(self, lanes: list[Lane]):
        self.lanes, self.sent = lanes, {}
        self.trajectory: list[tuple[int, np.ndarray]] = []  # (iteration, image) of the lead, as shown
        self.gallery_at = -1.0  # when the restarts were last sent

    def frame(self, history, status: str, full: bool = False, gt=None) -> dict[str, Any]:
        f: dict[str, Any] = dict(status=status, table=[_row(ln) for ln in self.lanes],
                                 curve=curve(history) if history else None)
        if full:
            f.update({k: None for k in (*LANE_OUTPUTS, "restarts", "spread", "compare", "z")})
        target = DISPLAY if gt is not None else LIVE
        for i, ln in enumerate(self.lanes):
            key, mark = ("result" if i == 0 else ln.name), (id(ln.step), getattr(ln.step, "iteration", None))
            if ln.step is None or (not full and self.sent.get(key) == mark):
                continue
            self.sent[key] = mark
            f[key] = show(ln.step.x[0], target)
            if i == 0:
                now = time.perf_counter()
                if full or now - self.gallery_at >= GALLERY_PERIOD:  # 8 thumbnails cost more than the rest of a frame
                    self.gallery_at = now
                    f.update(_lead_extras(ln.step, target))
                self.trajectory.append((ln.step.iteration, f[key] if target == LIVE else show(ln.step.x[0], LIVE)))
        if gt is not None and f.get("result") is not None:  # the slider only on the last frame, full size
            f["compare"] = (gt, f["result"])
        return f


def _lead_extras(step, target: int) -> dict[str, Any]:
    """The lead method's restarts (★ the chosen one), their spread and its latent, as outputs."""
    extras: dict[str, Any] = dict(z=step.z[0].detach().cpu().tolist() if step.z is not None else None)
    if step.restarts is not None and step.restarts.shape[1] > 1:
        best = int(step.best[0])
        extras["restarts"] = [(show(r, min(target, 96)), "★" if i == best else None)  # a caption would cover the digit
                              for i, r in enumerate(step.restarts[0])]
        extras["spread"] = std_map(step.restarts[0], target)
    return extras


def _row(ln: Lane) -> list:
    m = ln.metrics
    if ln.error:
        return [ln.label, "error", "", "", "", "", ln.error[:60]]
    label = f"{ln.label} ({ln.step.label})" if ln.step is not None and ln.step.label else ln.label  # e.g. TV (λ = …)
    if m is None:
        return [label, "…", "…", "…", "…", f"{ln.step.elapsed:.2f}" if ln.step else "", ln.step.iteration if ln.step else 0]
    f = lambda v, d: "n/a" if v is None else f"{v:.{d}f}"  # noqa: E731
    return [label, f(m["psnr"], 2), f(m["ssim"], 3), f(m["lpips"], 3), f"{m['residual']:.3g}",
            f"{m['seconds']:.2f}", m["iterations"]]
