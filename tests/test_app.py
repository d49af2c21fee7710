"""The real Gradio server in-process, driven by gradio_client: streaming, cancel, bad API calls."""
import os
import time

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="module")
def client():
    from gradio_client import Client

    import app

    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, **app.LAUNCH)
    yield Client(app.demo.local_url, verbose=False)
    app.demo.close()


def _args(iters=60, restarts=2, image=None, noise=0.05, baselines=("tv",)):
    """Positional inputs of the /reconstruct endpoint (gr.State inputs are not part of the API: an API
    call uses the uploaded image), built from the app's own defaults."""
    from gradio_client import handle_file

    from genprior_demo.physics import OPERATORS
    from genprior_demo.ui import reconstruct as R

    op_vals = [p.default for n in R.operator_choices() if n in OPERATORS for p in OPERATORS[n].params]
    knobs = {k: R.knob_state("csgm")[k][1] for k in R.method_knobs()}
    knobs.update(iters=iters, restarts=restarts)
    img = handle_file(image or R.example_images()[0])
    return [img, None, "cs-gaussian", *op_vals, *knobs.values(), None, noise, "mnist-vae", "csgm",
            list(baselines), 0]


def test_full_reconstruction_streams_and_ends_with_metrics(client):
    job = client.submit(*_args(), api_name="/reconstruct")
    updates = list(job)
    assert len(updates) >= 3, "the reconstruction must stream several updates"
    final = job.outputs()[-1]
    table = final[10]  # after gt, obs, caption, result, dip, tv, wiener, uair, curve, status
    rows = table["data"] if isinstance(table, dict) else table
    assert rows[0][0] == "CSGM" and float(rows[0][1]) > 10 and float(rows[1][1]) > 5


def test_cancelled_job_stops_and_server_keeps_serving(client):
    job = client.submit(*_args(iters=2000, restarts=8, baselines=()), api_name="/reconstruct")
    t0 = time.time()
    while len(job.outputs()) < 2 and time.time() - t0 < 120:
        time.sleep(0.1)
    assert len(job.outputs()) >= 2
    job.cancel()
    t1 = time.time()
    while not job.done() and time.time() - t1 < 10:
        time.sleep(0.1)
    assert job.done(), "a cancelled job must end"
    n = len(job.outputs())
    time.sleep(1.5)
    assert len(job.outputs()) == n, "no more frames after cancel"
    again = client.submit(*_args(iters=20), api_name="/reconstruct")
    assert len(list(again)) >= 1 and again.outputs()


def test_api_callers_get_errors_not_crashes(client):
    from gradio_client.exceptions import AppError

    bad = _args()
    bad[len(bad) - 5] = 99.0  # noise σ beyond the UI slider
    with pytest.raises(AppError, match="noise|maximum"):  # gradio checks slider bounds, our handler the rest
        client.predict(*bad, api_name="/reconstruct")
    big = _args(iters=10**6)
    with pytest.raises(AppError, match="iters|limited|maximum"):
        client.predict(*big, api_name="/reconstruct")
    assert client.predict(*_args(iters=10), api_name="/reconstruct")  # still serving


def test_separate_and_blind_endpoints(client):
    final = client.predict(None, None, None, 4, 1, 0, api_name="/separate")
    rows = final[7]["data"] if isinstance(final[7], dict) else final[7]
    assert [r[0] for r in rows][:2] == ["mixing network (Anirudh et al.)", "additive model Σ G(zᵢ)"]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="maximum value 32"):  # Gradio enforces the slider bounds
        client.predict("Sobel edge map", 10_000, 0.0, 1, 0.02, 0, api_name="/blind")
