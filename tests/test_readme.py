"""README's code runs as written: the Python API example and the "add a method" example, which is
then checked like every registered method (streams, residual of x, improves on its start)."""
import re
from pathlib import Path

import pytest
import torch

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_the_two_examples():
    assert len(BLOCKS) == 2 and "gp.method_stream" in BLOCKS[0] and "@register" in BLOCKS[1]


def test_python_api_example_runs(capsys):
    exec(compile(BLOCKS[0], "README-api", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("25 ") and "'data'" in out[0]  # a live step: iteration, residual, losses
    psnrs = [float(v) for v in re.search(r"\[([\d., ]+)\]", out[-1]).group(1).split(",")]
    assert all(p > 20 for p in psnrs)  # 100 CSGM steps from 200 of 1024 measurements (≈ 24–27 dB here)
    assert "torch.Size([2, 100])" in out[-1] and "torch.Size([2, 8, 1, 32, 32])" in out[-1]


def test_the_new_method_example_is_a_full_method():
    from genprior_demo.metrics import psnr
    from genprior_demo.pipeline import method_stream
    from genprior_demo.problem import make_problem
    from genprior_demo.solvers import METHODS, solve

    ns = {}
    try:
        exec(compile(BLOCKS[1], "README-method", "exec"), ns)
        assert len(BLOCKS[1].splitlines()) <= 40  # the whole method, config included
        yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
        x = torch.exp(-((((yy - 16) ** 2 + (xx - 16) ** 2).sqrt() - 8) ** 2) / 4)[None, None]
        prob = make_problem(x, "gaussian-blur", {"size": 5, "sigma": 1.5}, noise=0.01, seed=1)
        stream = method_stream(prob, "landweber", None, {"iters": 100})
        steps = list(stream)
        final = solve(method_stream(prob, "landweber", None, {"iters": 100}))
        assert len(steps) == 9 and final.done and final.iteration == 100
        assert final.residual == pytest.approx(float((prob.physics.A(final.x) - prob.y).norm()), rel=1e-4)
        assert psnr(final.x[0], x[0]) > psnr(steps[0].x[0], x[0]) + 1.0
    finally:
        METHODS.pop("landweber", None)
