"""The real Gradio server in-process, driven by gradio_client: streaming, quality against trivial
baselines, Stop stopping the solver, our handler's error messages and bad uploads through the API.

Outputs are read by name: ``named(app.TABS[tab].outputs, result)`` maps an endpoint's result to the tab's
output names (the one order, from the tab builder)."""
import io
import os
import pickle
import struct
import time
import zlib

import numpy as np
import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

GEN = "mnist-vae"


@pytest.fixture(scope="module")
def served():
    from gradio_client import Client

    import app
    from genprior_demo.ui.worker import start_worker, wanted

    worker = start_worker()  # the app starts it in the background; the tests use it from the first request
    assert (worker is not None) == wanted(), "the solver process must start where it is wanted"
    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, **app.LAUNCH)
    yield app, Client(app.demo.local_url, verbose=False)
    app.demo.close()
    from genprior_demo.ui.worker import current

    assert current() is worker, "the solver process must have served every test (none fell back to the server)"


@pytest.fixture(scope="module")
def client(served):
    return served[1]


def outputs(tab, values):
    import app

    from genprior_demo.ui.tabs.widgets import named

    return named(app.TABS[tab].outputs, values)


def rows(table):
    return table["data"] if isinstance(table, dict) else table


def digit():
    from genprior_demo.ui import reconstruct as R

    return R.example_images()[0]


def request(**kw):
    """Keyword inputs of /reconstruct by the page's input names; everything not given keeps the page's
    default (gr.State inputs are not part of the API: an API call uses the uploaded image)."""
    from gradio_client import handle_file

    args = dict(image=handle_file(digit()), operator="cs-gaussian", cs_gaussian__m=150, noise=0.05, generator=GEN,
                method="csgm", csgm__iters=60, csgm__restarts=2, baselines=["tv"], seed=0)
    args.update(kw)
    return args


def test_page_shows_each_methods_own_settings(served):
    """One control per method setting and operator parameter, with that method's (operator's) own
    default and range — relaxed's λ goes to 100 where CSGM's stops at 10 — and all are API parameters."""
    app, client = served
    from genprior_demo.ui import reconstruct as R

    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {f"/{n}" for n in app.PUBLIC_API}, "one endpoint per tab; internal events hidden"
    assert not api["unnamed_endpoints"]
    params = {p["parameter_name"] for p in api["named_endpoints"]["/reconstruct"]["parameters"]}
    inputs = app.TABS["reconstruct"].inputs
    assert set(R.METHOD_INPUTS) | set(R.OPERATOR_INPUTS) <= params and set(inputs) - {"source"} <= params
    for name, (_, p) in {**R.METHOD_INPUTS, **R.OPERATOR_INPUTS}.items():
        c = inputs[name]
        assert c.value == p.default, name
        if p.choices is None:
            assert (c.minimum, c.maximum) == (p.lo, p.hi), name
    assert inputs["csgm__lam"].maximum == 10 and inputs["relaxed__lam"].maximum == 100
    assert inputs["csgm__lam"].label != inputs["relaxed__lam"].label


def test_full_reconstruction_streams_and_beats_trivial_baselines(client):
    """Bars from baselines measured on the same problem, not fixed numbers: an all-black image and the
    naive inverse A†y. Measured on this digit (seeds 0–2, 60 steps, 2 restarts): black 12.4 dB, A†y
    13.2–13.3 dB, CSGM 25.5–26.0 dB (+12.3 over the better trivial one), TV 20.9–22.2 dB (+7.7). The
    margins (8 and 5 dB) leave ~4 and ~3 dB for machine noise; a method returning a random prior sample
    (12.1–13.6 dB after one step, seeds 0–2) fails them."""
    from genprior_demo.metrics import psnr
    from genprior_demo.ui import reconstruct as R

    job = client.submit(**request(), api_name="/reconstruct")
    updates = list(job)
    assert len(updates) >= 3, "the reconstruction must stream several updates"
    final = outputs("reconstruct", job.outputs()[-1])
    assert final["status"].startswith("done")
    table = {r[0].split(" (")[0]: r for r in rows(final["table"])}  # "TV (λ = … by discrepancy …)"
    race = R.prepare(digit(), "cs-gaussian", {"m": 150}, 0.05, GEN, "csgm", {"iters": 1}, [], 0)
    x, p = race.problem.x[0], race.problem
    black = psnr(torch.zeros_like(x), x)
    naive = psnr(p.physics.naive_inverse(p.y)[0].clamp(0, 1), x)
    trivial = max(black, naive)
    assert float(table["CSGM"][1]) > trivial + 8, (table, black, naive)
    assert float(table["TV"][1]) > trivial + 5, (table, black, naive)


def test_stop_stops_the_solver_and_server_keeps_serving(client):
    """After Stop the solver stops: in the solver process (the app's default on a CPU machine) its CPU time
    stops growing; in the server's thread (no worker) the generator's forward passes stop."""
    from genprior_demo.generators import load_prior
    from genprior_demo.ui.common import DEVICE
    from genprior_demo.ui.worker import current

    worker, calls = current(), [0]

    def count(*_):
        calls[0] += 1

    def work() -> float:  # what the solver has done so far
        return worker.cpu_seconds() if worker is not None else calls[0]

    hook = load_prior(GEN, DEVICE).decoder.register_forward_hook(count)  # the cached prior the server uses
    try:
        start = work()
        job = client.submit(**request(csgm__iters=2000, csgm__restarts=8, baselines=[]), api_name="/reconstruct")
        t0 = time.time()
        while len(job.outputs()) < 3 and time.time() - t0 < 120:
            time.sleep(0.1)
        assert len(job.outputs()) >= 3 and work() > start, "the solver must be running"
        stopped = worker.job if worker is not None else None
        job.cancel()
        t1 = time.time()
        while not job.done() and time.time() - t1 < 10:
            time.sleep(0.1)
        assert job.done(), "a cancelled job must end"
        time.sleep(1.0)  # the step in flight when Stop arrived may finish
        n_frames, done = len(job.outputs()), work()
        time.sleep(2.0)
        assert work() - done < 0.05, f"the solver kept running after Stop ({work() - done} more)"
        assert len(job.outputs()) == n_frames, "no more frames after Stop"
        if worker is None:
            assert calls[0] < 2000, "Stop came long before the 2000 iterations"
        last = outputs("reconstruct", job.outputs()[-1])["status"] or ""
        assert not last.startswith("done"), "Stop came before the end"
    finally:
        hook.remove()
    again = client.submit(**request(csgm__iters=20), api_name="/reconstruct")
    assert outputs("reconstruct", again.result(timeout=120))["status"].startswith("done")
    if worker is not None:  # flat CPU time alone would also pass if the child were blocked on a full socket
        assert worker.ends.get(stopped) == "stopped", "the stop must have reached the solver process"


@pytest.mark.parametrize("kw,msg", [
    (dict(csgm__iters=2.5), "iters must be a whole number"),  # a slider takes 2.5; our Param does not
    (dict(cs_gaussian__m=10.5), "m must be a whole number"),
    (dict(method=None), "unknown method None"),
    (dict(generator=None), "generator None cannot be loaded"),
    (dict(operator="painted-mask"), "Paint the pixels to remove"),  # this operator needs a painted mask
    (dict(image=None), "Pick an example, upload an image or draw one first"),
])
def test_api_errors_are_our_handlers_messages(client, kw, msg):
    """Values Gradio's own checks accept but the app rejects: the caller gets the app's message."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=msg):
        client.predict(**request(**kw), api_name="/reconstruct")


def _png_bomb(side: int = 20000) -> bytes:
    """A 1-bit side×side PNG of zeros: ~50 kB on disk, 400 MP once decoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" * (1 + (side + 7) // 8)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * side, 9)) + chunk(b"IEND", b""))


def _truncated_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()[: len(buf.getvalue()) // 2]


class _Boom:
    def __reduce__(self):  # would run if anything unpickled the upload
        return (os.system, ("touch /tmp/genprior-unpickled",))


BAD_FILES = {
    "bomb": (_png_bomb, r"over 80 MP.*decompression bomb.*limit is 40 MP"),
    "truncated": (_truncated_png, "broken or truncated"),
    "empty": (lambda: b"", "the file is empty"),
    "text": (lambda: b"just some text, not an image\n", "not a readable image: use PNG"),
    "pickle": (lambda: pickle.dumps(_Boom()), "not a readable image: use PNG"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_uploads_get_a_clear_message(client, kind, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    make, msg = BAD_FILES[kind]
    path = tmp_path / f"{kind}.png"
    path.write_bytes(make())
    with pytest.raises(AppError, match=msg):
        client.predict(**request(image=handle_file(str(path))), api_name="/reconstruct")
    assert not os.path.exists("/tmp/genprior-unpickled"), "an upload was unpickled"
    if kind == "bomb":  # the editors (drawing slots of Separate) check uploads the same way
        with pytest.raises(AppError, match=msg):
            client.predict(digit1={"background": handle_file(str(path)), "layers": [], "composite": None},
                           separate_rounds=1, api_name="/separate")


def test_server_keeps_serving_after_bad_uploads(client):
    final = outputs("reconstruct", client.predict(**request(csgm__iters=10), api_name="/reconstruct"))
    assert final["status"].startswith("done") and rows(final["table"])[0][0] == "CSGM"


def test_separate_and_blind_endpoints(client):
    from gradio_client.exceptions import AppError

    final = outputs("separate", client.predict(separate_observations=4, separate_rounds=1, seed=0,
                                               api_name="/separate"))
    assert [r[0] for r in rows(final["table"])][:2] == ["mixing network (ours: the demo's default)", "additive model Σ G(zᵢ)"]
    assert final["status"].startswith("done") and final["notes"].startswith("source 1: shipped")
    with pytest.raises(AppError, match="blind_n must be a whole number"):  # our handler's message
        client.predict(hidden="Sobel edge map", blind_n=2.5, blind_rounds=1, api_name="/blind")
    with pytest.raises(AppError, match="maximum value 32"):  # Gradio enforces the slider's bounds first
        client.predict(hidden="Sobel edge map", blind_n=10_000, blind_rounds=1, api_name="/blind")


def test_readme_gradio_client_example_runs(served, capsys):
    """README's gradio_client example, against this server (its URL swapped in), prints a done status and
    the table with the fixed TV weight it asked for."""
    import re
    from pathlib import Path

    app, _ = served
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"\n((?:    .*\n)*    from gradio_client import Client.*\n(?:    .*\n)*)", readme).group(1)
    code = "\n".join(line[4:] for line in block.splitlines()).replace("http://localhost:7860/", app.demo.local_url)
    cwd = os.getcwd()
    os.chdir(Path(__file__).resolve().parents[1])
    try:
        exec(compile(code, "README-gradio", "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "\ndone — CSGM: 200 iterations" in out and "TV (λ = 0.01, fixed)" in out, out


def test_presets_name_their_tabs_inputs(served):
    app, _ = served
    from genprior_demo.ui.presets import PRESETS

    assert len({p.key for p in PRESETS}) == len(PRESETS) >= 7
    for p in PRESETS:
        assert set(p.values) <= set(app.TABS[p.tab].inputs), (p.key, set(p.values) - set(app.TABS[p.tab].inputs))
