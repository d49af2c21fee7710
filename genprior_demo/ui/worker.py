"""The Reconstruct tab's solver in a process of its own, so that the page keeps up with it.

In the server's process the solver and the web server share one interpreter lock: every frame Gradio
encodes and sends (~60 ms of Python on this 2-core machine) is time the solver waits, and the solver's Python
between torch ops slows the server down in turn (docs/BENCHMARKS.md, "Live view"). Here the race runs in a
child process (one torch thread, its own core) that sends each frame (a dict of small numpy images, the
table, the curve) over a local socket as soon as it has it; the handler in the server merges whatever arrived
since the page's last update into one frame, so the page shows the newest state at its own pace and the
solver never waits for it (it only blocks if the page falls ~200 KB of frames behind).

Messages (pickled by :mod:`multiprocessing.connection` between these two processes of ours, authenticated
with a random key; no user file is ever unpickled — uploads travel as file paths and are decoded by
:mod:`genprior_demo.imaging` in the child): server → child ``("run", job, values)``, ``("stop", job)``,
``("quit",)``; child → server ``("ready",)`` once, then ``(job, kind, payload)`` with kind ``"frame"``,
``"error"`` (a :class:`UserError`'s sentence), ``"crash"`` or ``"end"``.

Off (the race runs in the server's thread as before) with ``GENPRIOR_WORKER=0``, where CUDA is present (one
process should own the GPU) and on ZeroGPU Spaces.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Client, Listener
from pathlib import Path
from typing import Any

from .common import UserError

ROOT = Path(__file__).resolve().parents[2]
FPS = 25.0  # frames the child sends per second at most; the server merges those it has not shown yet
START_TIMEOUT = 120.0  # seconds for the child to import torch and load the generators


def wanted() -> bool:
    """Whether the app should run its races in a worker process (see the module's docstring)."""
    if os.environ.get("GENPRIOR_WORKER", "1") == "0" or os.environ.get("SPACES_ZERO_GPU"):
        return False
    import torch

    return not torch.cuda.is_available()


class WorkerError(RuntimeError):
    """The worker process is gone or did not start."""


class Worker:
    """A child process that runs one race at a time (:func:`stream`), started by :meth:`start`."""

    def __init__(self, threads: int = 1):
        self.threads, self.proc, self.conn = threads, None, None
        self.lock = threading.Lock()  # one race at a time (the tab's concurrency limit is 1 too)
        self.job = 0

    def start(self) -> "Worker":
        folder = tempfile.mkdtemp(prefix="genprior-worker-")
        address, key = os.path.join(folder, "socket"), secrets.token_bytes(32)
        listener = Listener(address, family="AF_UNIX", authkey=key)
        env = dict(os.environ, GENPRIOR_WORKER_ADDRESS=address, GENPRIOR_WORKER_KEY=key.hex(),
                   GENPRIOR_TORCH_THREADS=str(self.threads))
        self.proc = subprocess.Popen([sys.executable, "-m", "genprior_demo.ui.worker"], env=env, cwd=str(ROOT))
        accepted: list = []
        t = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
        t.start()
        deadline = time.time() + START_TIMEOUT
        while t.is_alive() and time.time() < deadline and self.proc.poll() is None:
            t.join(0.2)
        listener.close()
        if not accepted:
            self.close()
            raise WorkerError("the solver process did not start")
        self.conn = accepted[0]
        try:
            ready = self.conn.poll(max(1.0, deadline - time.time())) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.close()
            raise WorkerError("the solver process did not get ready")
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.conn is not None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the child so far (Linux), e.g. to check that Stop stopped it."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _recv(self):
        while not self.conn.poll(0.5):
            if self.proc.poll() is not None:
                raise WorkerError(f"the solver process ended unexpectedly (exit code {self.proc.returncode})")
        return self.conn.recv()

    def stream(self, values: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Frames of the race the page's ``values`` ask for (:func:`reconstruct.page_run`), each the merge
        of every frame the child sent since the previous one; a :class:`UserError` as in the server."""
        with self.lock:
            self.job += 1
            job, ended = self.job, False
            try:
                self.conn.send(("run", job, values))
                while not ended:
                    messages = [self._recv()]
                    while self.conn.poll():
                        messages.append(self.conn.recv())
                    merged: dict[str, Any] = {}
                    for j, kind, payload in messages:
                        if j != job:  # the tail of a stopped race
                            continue
                        if kind == "frame":
                            merged.update(payload)
                        elif kind == "error":
                            ended = True
                            raise UserError(payload)
                        elif kind == "crash":
                            ended = True
                            raise RuntimeError(payload)
                        else:
                            ended = True
                    if merged:
                        yield merged
            finally:
                if not ended and self.alive():  # Stop (the generator was closed) or the server's error
                    try:
                        self.conn.send(("stop", job))
                        deadline = time.time() + 5.0
                        while time.time() < deadline and self.conn.poll(max(0.0, deadline - time.time())):
                            j, kind, _ = self.conn.recv()
                            if j == job and kind in ("end", "error", "crash"):
                                break
                    except (OSError, EOFError):
                        pass

    def close(self) -> None:
        try:
            if self.conn is not None:
                self.conn.send(("quit",))
        except (OSError, EOFError):
            pass
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


_WORKER: Worker | None = None
_STARTING = threading.Lock()


def start_worker(threads: int | None = None) -> Worker | None:
    """Start the app's worker (once; call from a background thread: it takes a few seconds) with ``threads``
    torch threads (default ``GENPRIOR_WORKER_THREADS`` or 1: the other core serves the page). None where
    it is off or failed to start — the races then run in the server's thread."""
    global _WORKER
    threads = threads or int(os.environ.get("GENPRIOR_WORKER_THREADS", "1"))
    with _STARTING:
        if _WORKER is None or not _WORKER.alive():
            if not wanted():
                return None
            try:
                _WORKER = Worker(threads).start()
                import atexit

                atexit.register(_WORKER.close)
            except (WorkerError, OSError) as e:
                print(f"genprior_demo: solver process not started ({e}); running races in the server", file=sys.stderr)
                _WORKER = None
        return _WORKER


def current() -> Worker | None:
    """The running worker, or None (not started yet, off, or gone)."""
    w = _WORKER
    return w if w is not None and w.alive() else None


# --------------------------------------------------------------------------------------------- child
def _serve(conn) -> None:
    from .reconstruct import page_prepare, run, warm_up

    warm_up()
    conn.send(("ready",))
    while True:
        message = conn.recv()
        if message[0] == "quit":
            return
        if message[0] != "run":  # a stop for a race that has ended already
            continue
        _, job, values = message
        state = {"stop": False, "checked": 0.0}

        def should_stop() -> bool:  # between two solver steps; looks at the socket at most every 20 ms
            now = time.perf_counter()
            if now - state["checked"] >= 0.02:
                state["checked"] = now
                while conn.poll():
                    m = conn.recv()
                    if m[0] == "quit":
                        raise SystemExit(0)
                    if m[0] == "stop" and m[1] == job:
                        state["stop"] = True
            return state["stop"]

        try:
            for frame in run(page_prepare(values), fps=FPS, should_stop=should_stop):
                conn.send((job, "frame", frame))
        except UserError as e:
            conn.send((job, "error", str(e)))
        except Exception:  # noqa: BLE001 — reported to the page; the worker serves the next run
            conn.send((job, "crash", traceback.format_exc(limit=4)))
        conn.send((job, "end", None))


def main() -> None:
    import torch

    torch.set_num_threads(int(os.environ.get("GENPRIOR_TORCH_THREADS", "1")))
    conn = Client(os.environ["GENPRIOR_WORKER_ADDRESS"], family="AF_UNIX",
                  authkey=bytes.fromhex(os.environ["GENPRIOR_WORKER_KEY"]))
    try:
        _serve(conn)
    except (EOFError, OSError, KeyboardInterrupt):  # the server went away
        pass


if __name__ == "__main__":
    main()
