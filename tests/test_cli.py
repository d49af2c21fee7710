"""The command line end to end on a real checkpoint, and its one-line errors (exit code 2)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from genprior_demo.cli import main
from genprior_demo.generators import available

ROOT = Path(__file__).resolve().parents[1]
DIGIT = ROOT / "assets" / "examples" / "mnist-test0000-digit7.png"


def run(*args):
    return subprocess.run([sys.executable, "-m", "genprior_demo", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_list_names_everything(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("gaussian-blur", "cs-fourier", "tomography", "mnist-dcgan", "shapes-gan", "csgm", "blind", "bss",
                 "uair", "uair-remove-pixel", "uair-patch-band", "uair-convolve-noise"):
        assert name in out
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["operators"]["cs-gaussian"]["m"]["default"] == 150


@pytest.mark.skipif("mnist-vae" not in available(), reason="checkpoint not trained yet")
def test_reconstruct_end_to_end(tmp_path):
    r = run("reconstruct", "--image", str(DIGIT), "--operator", "sr", "--param", "factor=2",
            "--noise", "0.01", "--generator", "mnist-vae", "--method", "csgm", "--iters", "60",
            "--restarts", "4", "--seed", "3", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    for f in ("ground_truth.png", "observation.png", "result.png", "metrics.json"):
        assert (tmp_path / f).exists()
    m = json.loads((tmp_path / "metrics.json").read_text())
    # the bar: bicubic upsampling of the same y (the naive inverse), measured here — 22.7 dB vs CSGM 26.0
    r = run("reconstruct", "--image", str(DIGIT), "--operator", "sr", "--param", "factor=2", "--noise", "0.01",
            "--method", "naive", "--seed", "3", "--out", str(tmp_path / "naive"))
    naive = json.loads((tmp_path / "naive" / "metrics.json").read_text())
    assert m["psnr"] > naive["psnr"] + 2.0 and 0 < m["ssim"] <= 1 and m["iterations"] == 60 and m["seed"] == 3
    assert m["config"]["restarts"] == 4 and m["operator_params"] == {"factor": 2, "filter": "box"}
    assert ("lpips" in m) and (m["lpips"] is not None or m["lpips_unavailable_reason"])
    from PIL import Image

    assert Image.open(tmp_path / "result.png").size == (256, 256)  # enlarged, crisp


def test_blind_and_separate_commands(tmp_path):
    """Shipped digits (no data root), one round: the files and the baselines are written."""
    r = run("blind", "--operator", "edge-sobel", "--n", "2", "--set", "rounds=1", "--set", "t1=5", "--set", "t2=5",
            "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert "blind (surrogate F̂, F unknown)" in m["results"] and "CSGM with the true F (reference)" in m["results"]
    assert "Wiener (true kernel known)" not in m["results"]  # not a blur
    assert (tmp_path / "b" / "surrogate_impulse_response.png").exists()
    r = run("separate", "--observations", "1", "--mixtures", "1", "--set", "rounds=1", "--set", "t1=5",
            "--set", "t2=5", "--out", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert set(m["results"]) == {"mixing network (ours: the demo's default)", "additive model Σ G(zᵢ)", "FastICA"}
    assert "at most 1" in m["results"]["FastICA"]["note"]


def test_reconstruct_with_a_uair_network(tmp_path):
    r = run("reconstruct", "--image", str(DIGIT), "--operator", "convolve-noise", "--method", "uair",
            "--generator", "uair-convolve-noise", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "metrics.json").read_text())
    from genprior_demo.imaging import to_domain
    from genprior_demo.metrics import psnr
    from genprior_demo.problem import make_problem

    x, _ = to_domain(str(DIGIT), 1, 32)
    y = make_problem(x, "convolve-noise", None, 0.0, 0).y  # the CLI's observation (seed 0)
    assert m["iterations"] == 1 and m["psnr"] > psnr(y[0].clamp(0, 1), x[0]) + 0.5  # measured 18.0 vs 16.6 dB


def test_reconstruct_converts_foreign_images(tmp_path):
    from PIL import Image

    img = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 200), "white").save(img)
    r = run("reconstruct", "--image", str(img), "--operator", "denoise", "--generator", "mnist-vae",
            "--iters", "5", "--restarts", "1", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert any("greyscale" in n for n in m["input_conversion"])


@pytest.mark.parametrize("args,msg", [
    (["--image", "/nope.png"], "no such image"),
    (["--image", __file__], "not a readable image"),
    (["--shapes-seed", "1", "--operator", "blurry"], "unknown operator"),
    (["--shapes-seed", "1", "--param", "radius=2"], "no parameter"),
    (["--shapes-seed", "1", "--param", "sigma=nan"], "finite"),
    (["--shapes-seed", "1", "--noise", "inf"], "finite"),
    (["--shapes-seed", "1", "--noise", "-1"], "noise"),
    (["--shapes-seed", "1", "--iters", "1000000"], "iters"),
    (["--shapes-seed", "1", "--generator", "mnist-gpt"], "unknown generator"),
    (["--shapes-seed", "1", "--method", "magic"], "unknown method"),
    (["--shapes-seed", "1", "--method", "blind", "--generator", "mnist-dcgan"], "genprior_demo blind"),
    (["--shapes-seed", "1", "--method", "uair", "--generator", "mnist-vae"], "uair-remove-pixel"),
    (["--shapes-seed", "1", "--set", "lr"], "key=value"),
])
def test_bad_input_is_one_line_and_exit_2(args, msg, tmp_path):
    base = ["reconstruct", "--operator", "gaussian-blur", "--generator", "mnist-vae", "--out", str(tmp_path)]
    # later flags win in argparse, so the bad value replaces the default one
    r = run(*base, *args)
    assert r.returncode == 2
    assert msg in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_downloaded_run_replays_to_the_same_psnr(tmp_path):
    """The app's "download run" zip: run.json + the exact input replay through `--from-run` (and through the
    spelt-out CLI line in it) to the app's PSNR within 0.01 dB; the zip holds metrics, images and a GIF."""
    import csv
    import shlex
    import zipfile

    from PIL import Image

    from genprior_demo.ui import reconstruct as R

    frames = list(R.reconstruct(str(DIGIT), "cs-gaussian", {"m": 100}, 0.05, "mnist-vae", "csgm",
                                {"iters": 30, "restarts": 2, "lr": 0.07}, ["tv"], 3))
    last = frames[-1]
    assert all(f["download"] is None for f in frames[:1]) and last["download"].endswith(".zip")
    with zipfile.ZipFile(last["download"]) as z:
        names = set(z.namelist())
        z.extractall(tmp_path)
    assert {"run.json", "input.safetensors", "metrics.csv", "trajectory.gif", "gt.png", "result.png", "tv.png"} <= names
    assert Image.open(tmp_path / "trajectory.gif").n_frames >= 2
    rows = list(csv.reader(open(tmp_path / "metrics.csv")))
    assert rows[0] == R.TABLE_HEADERS and rows[1][0] == "CSGM"
    app_psnr = float(rows[1][1])
    run_json = json.loads((tmp_path / "run.json").read_text())
    assert run_json["config"]["seed"] == 3 and run_json["config"]["lr"] == 0.07
    r = run("reconstruct", "--from-run", str(tmp_path / "run.json"), "--out", str(tmp_path / "replay"))
    assert r.returncode == 0, r.stderr
    replay = json.loads((tmp_path / "replay" / "metrics.json").read_text())
    assert abs(replay["psnr"] - app_psnr) < 0.01, (replay["psnr"], app_psnr)
    line = shlex.split(run_json["cli_explicit"])
    assert line[:3] == ["python", "-m", "genprior_demo"]
    r = subprocess.run([sys.executable, *line[1:], "--out", str(tmp_path / "explicit")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert abs(json.loads((tmp_path / "explicit" / "metrics.json").read_text())["psnr"] - app_psnr) < 0.01


@pytest.mark.parametrize("content,msg", [
    (b"\x80\x04K\x01.", "not JSON"),  # a pickle is never unpickled
    (b'{"format": "something else"}', "is not a 'genprior_demo run' file"),
    (b'{"format": "genprior_demo run", "version": 1}', "lacks"),
    (b'{"format": "genprior_demo run", "version": 1, "input": "../../etc/passwd", "operator": "sr", '
     b'"operator_params": {}, "noise": 0, "generator": "mnist-vae", "method": "csgm", "config": {}}', "beside run.json"),
    (b'{"format": "genprior_demo run", "version": 1, "input": "missing.safetensors", "operator": "sr", '
     b'"operator_params": {}, "noise": 0, "generator": "mnist-vae", "method": "csgm", "config": {}}', "cannot read"),
])
def test_bad_run_files_are_one_line_errors(tmp_path, content, msg):
    (tmp_path / "run.json").write_bytes(content)
    r = run("reconstruct", "--from-run", str(tmp_path / "run.json"))
    assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.skipif("shapes-ae" not in available(), reason="checkpoint not trained yet")
def test_evaluate_dry_run_starts_as_duff_or_from_prior_draws(capsys):
    base = ["evaluate", "shapes-ae", "--n", "3", "--restarts", "1", "--iters", "2", "--dry-run"]
    assert main(base) == 0
    q = json.loads(capsys.readouterr().out)
    assert q["start"] == "E(x) + draws" and q["n_test_images"] == 3 and 0 < q["projection_nrmse_median"] < 2
    assert main([*base, "--init", "prior"]) == 0
    q = json.loads(capsys.readouterr().out)
    assert q["start"] == "prior draws" and q["command"].endswith("--init prior")
    r = run(*base, "--init", "nowhere")
    assert r.returncode == 2 and "invalid choice" in r.stderr
