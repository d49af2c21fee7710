"""The app's solver process (genprior_demo/ui/worker.py) on its own: frames of a race, Stop that reaches
the child without waiting for it, a run sent while the child is still stopping, a bad request, and a child
that dies mid-race. One child for the module (it loads the generators once)."""
from __future__ import annotations

import os
import signal

import pytest

from genprior_demo.ui.common import UserError

GEN = "mnist-vae"


def values(**kw):
    from genprior_demo.ui import reconstruct as R

    v = dict(image=R.example_images()[0], operator="cs-gaussian", cs_gaussian__m=150, noise=0.05, generator=GEN,
             method="csgm", csgm__iters=40, csgm__restarts=2, baselines=["tv"], seed=0)
    v.update(kw)
    return v


@pytest.fixture(scope="module")
def worker():
    from genprior_demo.ui.worker import Worker

    w = Worker(threads=1).start()
    yield w
    w.close()
    assert w.proc.poll() is not None, "close() ends the child"


def test_a_race_streams_frames_and_ends_done(worker):
    frames = list(worker.stream(values()))
    assert len(frames) >= 2
    assert frames[-1]["status"].startswith("done"), frames[-1]["status"]
    assert frames[-1]["result"] is not None and frames[-1]["tv"] is not None
    assert worker.ends[worker.job] is None, "a race that ran to its end is not 'stopped'"


def test_stop_reaches_the_child_and_the_next_run_waits_for_it(worker):
    """Closing the stream (what Gradio does on Stop) only sends the stop; the child stops the race within a
    step, then runs the request that arrived meanwhile (it is not dropped)."""
    long = worker.stream(values(csgm__iters=2000, csgm__restarts=8, baselines=[]))
    next(long), next(long)  # running
    stopped = worker.job
    long.close()  # only sends the stop: Gradio runs this on its event loop
    assert not worker.lock.locked()
    frames = list(worker.stream(values()))  # sent while the child may still be in the stopped race
    assert frames[-1]["status"].startswith("done")
    assert worker.ends.get(stopped) == "stopped", "the child must have been told to stop, not have run to the end"


def test_a_bad_request_is_a_sentence_and_the_child_serves_on(worker):
    with pytest.raises(UserError, match="Pick an example"):
        list(worker.stream(values(image=None)))
    assert list(worker.stream(values()))[-1]["status"].startswith("done")


def test_a_child_that_dies_mid_race_is_reported(worker):
    """Last in this module: it kills the module's child."""
    from genprior_demo.ui.worker import WorkerError

    race = worker.stream(values(csgm__iters=2000, baselines=[]))
    next(race)
    os.kill(worker.proc.pid, signal.SIGKILL)
    with pytest.raises(WorkerError, match="ended unexpectedly"):
        for _ in race:
            pass
    assert not worker.alive()
    with pytest.raises(WorkerError):
        next(worker.stream(values()))


def test_the_page_says_so_and_the_next_run_works_without_it(monkeypatch):
    """page_run: a dead child's race ends with one sentence; the next run runs in this thread while a new
    child starts in the background."""
    from genprior_demo.ui import reconstruct as R
    from genprior_demo.ui import worker as W

    class Dead:
        def stream(self, _values):
            raise W.WorkerError("the solver process ended unexpectedly (exit code -9)")
            yield  # a generator, as Worker.stream

    restarts = []
    monkeypatch.setattr(W, "current", lambda: Dead())
    monkeypatch.setattr(W, "restart_later", lambda: restarts.append(1))
    with pytest.raises(UserError, match="solver process stopped unexpectedly"):
        list(R.page_run(values()))
    assert restarts == [1], "a new child is started"
    monkeypatch.setattr(W, "current", lambda: None)
    assert list(R.page_run(values()))[-1]["status"].startswith("done")
