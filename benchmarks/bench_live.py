"""Live-view benchmark: how fast the page shows what the solver computes (issue "the app as a teaching
instrument", part 1). Run it alone on the machine (two processes on two cores distort every number):

    python benchmarks/bench_live.py                 # this checkout → docs/BENCHMARKS.md, section "Live view"
    python benchmarks/bench_live.py --compare HEAD~3  # also an earlier commit (a git worktree), same run

For each version it starts the real server (``python app.py`` in its own process) and measures

* **compute**: the same methods on the same problem drained in-process, one after the other, with no
  page (what the CLI computes) — the reference every page number is compared with — at torch's default
  threads and at one thread (the app's solver process uses one on a 2-core machine);
* **gradio_client**: Run → last frame through the API (``download_files=False``: the frames, not the image
  files — fetching them is the browser's part below), for CSGM alone, the
  default run (CSGM + TV + Wiener) and CSGM + DIP + TV + Wiener, and the compute time the status line reports;
* **browser**: Debian's Chromium (Playwright) on the page: pick the first example, click Run, wait for
  "done"; the wall time and how often the result image changed while the methods ran.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--enable-unsafe-swiftshader", "--no-first-run", "--disable-component-update", "--disable-sync"]
RUNS = {"CSGM": [], "CSGM + TV + Wiener (default)": ["tv", "wiener"], "CSGM + DIP + TV + Wiener": ["dip", "tv", "wiener"]}
REPS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compute_seconds(app_dir: Path, baselines: list[str], threads: int | None = None) -> float:
    """The page's default problem and methods drained in-process without a page (a subprocess in
    ``app_dir``, so each version measures its own code), with torch's default threads (the CLI's) or
    ``threads`` (the app's solver uses one on a 2-core machine)."""
    code = f"""
import time, json, torch
if {threads!r}:
    torch.set_num_threads({threads!r})
from genprior_demo.ui import reconstruct as R
from genprior_demo.streams import drain
ex = R.example_images()[0]
gen = R.generator_choices()[0]
def once():
    race = R.prepare(ex, "cs-gaussian", {{}}, 0.05, gen, "csgm", {{}}, {baselines!r}, 0)
    t = time.perf_counter()
    for lane in race.lanes:
        drain(lane.stream)
    return time.perf_counter() - t
once()  # warm-up: imports, first kernels
print(json.dumps(min(once() for _ in range({REPS}))))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=app_dir, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Server:
    def __init__(self, app_dir: Path):
        self.port = free_port()
        env = dict(os.environ, GRADIO_SERVER_PORT=str(self.port), GRADIO_SERVER_NAME="127.0.0.1",
                   GRADIO_ANALYTICS_ENABLED="False")
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=app_dir, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        import urllib.request

        for _ in range(240):
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the server in {app_dir} did not start")

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)


def client_run(client, example: str, baselines: list[str]) -> dict:
    from gradio_client import handle_file

    t = time.perf_counter()
    job = client.submit(image=handle_file(example), baselines=baselines, api_name="/reconstruct")
    n = 0
    for _ in job:
        n += 1
    wall = time.perf_counter() - t
    status = next(v for v in job.outputs()[-1] if isinstance(v, str) and v.startswith("done"))
    reported = float(re.search(r"in ([0-9.]+) s", status).group(1))
    return dict(wall=wall, frames=n, reported=reported)


MEMORY_RUNS = 100


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_growth(server, client, example: str) -> dict:
    """The server's resident memory before and after ``MEMORY_RUNS`` short runs (CSGM, 20 steps, TV)."""
    from gradio_client import handle_file

    before = rss_mb(server.proc.pid)
    for _ in range(MEMORY_RUNS):
        client.predict(image=handle_file(example), csgm__iters=20, baselines=["tv"], api_name="/reconstruct")
    return dict(before=before, after=rss_mb(server.proc.pid))


def browser_run(url: str) -> dict:
    """Wall time Run → "done" and the result image's changes per second while running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        page.goto(url, wait_until="load", timeout=60_000)
        page.locator(".gallery-item").first.wait_for(timeout=60_000)
        page.locator(".gallery-item").first.click()
        page.wait_for_timeout(1000)
        out = []
        for _ in range(REPS):
            page.evaluate("""() => {
                window.__changes = []; window.__last = null;
                const tick = () => {  // polls the DOM each animation frame: a new src is a new image shown
                    const img = document.querySelector('#gp-result img');
                    const src = img ? img.getAttribute('src') : null;
                    if (src && src !== window.__last) { window.__changes.push(performance.now()); window.__last = src; }
                    window.__raf = requestAnimationFrame(tick);
                };
                tick();
            }""")
            t0 = page.evaluate("performance.now()")
            page.locator("#gp-run").click()
            status = "document.querySelector('#gp-status').innerText"
            page.wait_for_function(f"!{status}.includes('done')", timeout=60_000)  # this run has started
            page.wait_for_function(f"{status}.includes('done')", timeout=300_000)
            t1 = page.evaluate("performance.now()")
            changes = page.evaluate("window.__changes")
            page.evaluate("cancelAnimationFrame(window.__raf)")
            inside = [c for c in changes if c > t0]
            span = (inside[-1] - inside[0]) / 1000 if len(inside) > 1 else float("nan")
            out.append(dict(wall=(t1 - t0) / 1000, updates=len(inside), per_s=(len(inside) - 1) / span if span else 0.0))
            page.wait_for_timeout(500)
        browser.close()
    return min(out, key=lambda r: r["wall"])


def measure(app_dir: Path) -> dict:
    print(f"[{app_dir}] compute in-process…", flush=True)
    res = {"compute": {name: compute_seconds(app_dir, b) for name, b in RUNS.items()},
           "compute1": {name: compute_seconds(app_dir, b, threads=1) for name, b in RUNS.items()}}
    sys.path.insert(0, str(app_dir))
    example = str(sorted((app_dir / "assets" / "examples").glob("mnist-*.png"))[0])
    server = Server(app_dir)
    try:
        from gradio_client import Client

        client = Client(server.url, verbose=False, download_files=False)  # the frames, not the image files
        client_run(client, example, [])  # warm-up
        print(f"[{app_dir}] gradio_client…", flush=True)
        res["client"] = {name: min((client_run(client, example, b) for _ in range(REPS)), key=lambda r: r["wall"])
                         for name, b in RUNS.items()}
        print(f"[{app_dir}] browser…", flush=True)
        res["browser"] = browser_run(server.url)
        print(f"[{app_dir}] memory over {MEMORY_RUNS} short runs…", flush=True)
        res["memory"] = memory_growth(server, client, example)
    finally:
        server.close()
    return res


def table(label: str, r: dict) -> str:
    c, c1, cl, br = r["compute"], r["compute1"], r["client"], r["browser"]
    d = "CSGM + TV + Wiener (default)"
    lines = [f"**{label}**", "", "| run | compute, no page (s) | same, 1 thread (s) | gradio_client Run → done (s) | "
             "ratio (to 1 thread) | status line's compute (s) | frames |", "|---|---|---|---|---|---|---|"]
    for name in RUNS:
        lines.append(f"| {name} | {c[name]:.2f} | {c1[name]:.2f} | {cl[name]['wall']:.2f} | {cl[name]['wall'] / c[name]:.2f}× "
                     f"({cl[name]['wall'] / c1[name]:.2f}×) | {cl[name]['reported']:.2f} | {cl[name]['frames']} |")
    lines += ["", f"Browser (Chromium), default run: Run → done {br['wall']:.2f} s = {br['wall'] / c[d]:.2f}× its compute "
              f"({br['wall'] / c1[d]:.2f}× at 1 thread); the result image changed {br['updates']} times, "
              f"{br['per_s']:.1f} per second while running.", ""]
    if "memory" in r:
        mem = r["memory"]
        lines += [f"Server memory (RSS) over {MEMORY_RUNS} short runs: {mem['before']:.0f} → {mem['after']:.0f} MB "
                  f"(+{mem['after'] - mem['before']:.0f} MB).", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    doc = path.read_text()
    head = "## Live view: the page against the solver"
    if head in doc:
        before, rest = doc.split(head, 1)
        nxt = rest.find("\n## ")
        doc = before + head + text + (rest[nxt:] if nxt >= 0 else "\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + head + text
    path.write_text(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compare", help="also measure this git revision (checked out in a temporary worktree)")
    ap.add_argument("--dry-run", action="store_true", help="print, do not write docs/BENCHMARKS.md")
    a = ap.parse_args()
    import torch

    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = " + uncommitted changes" if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                                       capture_output=True, text=True).stdout.strip() else ""
    parts = []
    if a.compare:
        tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
        subprocess.run(["git", "worktree", "add", "--detach", str(tmp), a.compare], cwd=ROOT, check=True, capture_output=True)
        try:
            parts.append(table(f"before ({a.compare}, {subprocess.run(['git', 'rev-parse', '--short', a.compare], cwd=ROOT, capture_output=True, text=True).stdout.strip()})", measure(tmp)))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tmp)], cwd=ROOT)
    parts.append(table(f"this version ({rev}{dirty})", measure(ROOT)))
    text = ("\n\n_Measured by `python benchmarks/bench_live.py"
            + (f" --compare {a.compare}" if a.compare else "") + f"` on {time.strftime('%Y-%m-%d')}, "
            f"{os.cpu_count()} CPUs, torch {torch.__version__}, nothing else running; best of {REPS} runs each. "
            "The problem is the page's default: the first MNIST example, cs-gaussian m = 150, σ = 0.05, the first "
            "generator, CSGM with its defaults (8 restarts × 300 steps), seed 0._\n\n" + "\n".join(parts))
    print(text)
    if not a.dry_run:
        write_section(text)


if __name__ == "__main__":
    main()
