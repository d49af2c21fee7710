"""The Reconstruct tab's solver in a process of its own, so that the page keeps up with it.

In the server's process the solver and the web server share one interpreter lock: every frame Gradio
encodes and sends (~60 ms of Python on this 2-core machine) is time the solver waits, and the solver's Python
between torch ops slows the server down in turn (docs/BENCHMARKS.md, "Live view"). Here the race runs in a
child process (torch on all cores but one: one thread, its own core, on 2 cores) that sends each frame (a dict of small numpy images, the
table, the curve) over a local socket as soon as it has it; the handler in the server merges whatever arrived
since the page's last update into one frame, so the page shows the newest state at its own pace and the
solver never waits for it (it only blocks if the page falls ~200 KB of frames behind).

Messages (pickled by :mod:`multiprocessing.connection` between these two processes of ours, authenticated
with a random key; no user file is ever unpickled — the page's values travel as plain strings, numbers and
arrays: an upload as its file path or a pasted image's bytes, decoded by :mod:`genprior_demo.imaging` in the
child; a drawing or painted mask as the array Gradio decoded): server → child ``("run", job, values)``,
``("stop", job)``, ``("quit",)``; child → server ``("ready",)`` once, then ``(job, kind, payload)`` with kind
``"frame"``, ``"error"`` (a :class:`UserError`'s sentence), ``"crash"`` or ``"end"`` (payload ``"stopped"``
when a stop ended it). Stop only sends ``("stop", job)`` and returns (Gradio closes a cancelled generator on
its event loop); the next race skips what is left of the stopped one, and the child keeps a run that
arrives while it is still stopping for after.

Off (the race runs in the server's thread as before) with ``GENPRIOR_WORKER`` set to 0 / false / off / no,
where CUDA is present (one process should own the GPU) and on ZeroGPU Spaces. If the child dies, the race
it was running ends with a sentence saying so, the next races run in the server's thread and a new child
is started in the background.
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
from collections import deque
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
    if os.environ.get("GENPRIOR_WORKER", "1").strip().lower() in ("0", "false", "off", "no") or os.environ.get("SPACES_ZERO_GPU"):
        return False
    import torch

    return not torch.cuda.is_available()


class WorkerError(RuntimeError):
    """The worker process is gone or did not start."""


def cores() -> int:
    """CPUs this process may use (affinity, e.g. a container's cpuset), not the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Worker:
    """A child process that runs one race at a time (:func:`stream`), started by :meth:`start`."""

    def __init__(self, threads: int = 1):
        self.threads, self.proc, self.conn = threads, None, None
        self.lock = threading.Lock()  # one race at a time (the tab's concurrency limit is 1 too)
        self.job = 0
        self.ends: dict[int, Any] = {}  # job → the payload of its "end" (``"stopped"`` if a stop ended it)

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
        try:
            os.rmdir(folder)  # the socket file went with the listener
        except OSError:
            pass
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
        try:
            while not self.conn.poll(0.5):
                if self.proc.poll() is not None:
                    break
            return self.conn.recv()
        except (EOFError, OSError) as e:
            try:  # the socket is gone: so is (or must be) the child
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            raise WorkerError(f"the solver process ended unexpectedly (exit code {self.proc.returncode})") from e

    def stream(self, values: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Frames of the race the page's ``values`` ask for (:func:`reconstruct.page_run`), each the merge
        of every frame the child sent since the previous one; a :class:`UserError` as in the server."""
        with self.lock:
            self.job += 1
            job, ended = self.job, False
            try:
                try:
                    self.conn.send(("run", job, values))
                except OSError as e:
                    raise WorkerError("the solver process is gone") from e
                while not ended:
                    messages = [self._recv()]
                    while self.conn.poll():
                        messages.append(self.conn.recv())
                    merged: dict[str, Any] = {}
                    for j, kind, payload in messages:
                        if kind == "end":
                            self.ends[j] = payload
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
                    try:  # only send: this runs on Gradio's event loop, and the next race skips the rest
                        self.conn.send(("stop", job))
                    except OSError:
                        pass

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send(("quit",))
            except OSError:
                pass
            self.conn.close()
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_WORKER: Worker | None = None
_STARTING = threading.Lock()


def start_worker(threads: int | None = None) -> Worker | None:
    """Start the app's worker (once; call from a background thread: it takes a few seconds) with ``threads``
    torch threads (default ``GENPRIOR_WORKER_THREADS``, else all cores but one — one on a 2-core machine,
    measured best there: docs/BENCHMARKS.md —, the other serves the page). None where it is off or failed
    to start — the races then run in the server's thread."""
    global _WORKER
    threads = threads or int(os.environ.get("GENPRIOR_WORKER_THREADS", "0")) or max(1, cores() - 1)
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


def restart_later() -> None:
    """Start a new worker in the background (the old one died); races run in the server's thread meanwhile."""
    threading.Thread(target=start_worker, daemon=True).start()


def current() -> Worker | None:
    """The running worker, or None (not started yet, off, or gone)."""
    w = _WORKER
    return w if w is not None and w.alive() else None


# --------------------------------------------------------------------------------------------- child
def _serve(conn) -> None:
    from .reconstruct import page_prepare, run, warm_up

    try:
        warm_up()  # loads the generators: a bad checkpoint must not cost the page its solver process
    except Exception:  # noqa: BLE001 — the race that needs it reports it
        print("genprior_demo solver process: warm-up failed\n" + traceback.format_exc(limit=3), file=sys.stderr)
    conn.send(("ready",))
    pending: deque = deque()  # runs that arrived while a race was stopping
    while True:
        message = pending.popleft() if pending else conn.recv()
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
                    if m[0] == "stop":
                        state["stop"] = state["stop"] or m[1] == job  # an older job's stop: already ended
                    else:
                        pending.append(m)
            return state["stop"]

        try:
            for frame in run(page_prepare(values), fps=FPS, should_stop=should_stop):
                conn.send((job, "frame", frame))
        except UserError as e:
            conn.send((job, "error", str(e)))
        except Exception:  # noqa: BLE001 — reported to the page; the worker serves the next run
            conn.send((job, "crash", traceback.format_exc(limit=4)))
        conn.send((job, "end", "stopped" if state["stop"] else None))


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
