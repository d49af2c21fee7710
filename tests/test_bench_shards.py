"""Sharding the quality report: n shards run each experiment exactly once; merge folds them into one report."""
import json

import numpy as np

import pytest

from genprior_demo.experiments import bench_quality as B


@pytest.mark.parametrize("n", [1, 2, 3, 8, 11])
def test_shards_partition_the_experiments(n):
    runs = [e for k in range(1, n + 1) for e in B.shard_of(list(B.EXPERIMENTS), (k, n))]
    assert sorted(runs) == sorted(B.EXPERIMENTS)


@pytest.mark.parametrize("bad", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_bad_shard_is_refused(bad):
    with pytest.raises(ValueError, match="shard"):
        B.parse_shard(bad)


def test_two_shards_merge_into_one_report(tmp_path, monkeypatch):
    def fake(key):
        def runner(ctx):
            (ctx.rep.dir / f"{key}.png").write_bytes(b"png")
            ctx.rep.add(key, f"\n## {key}\n\n| a | b |\n|---|---|\n| {key} | 1 |\n", raw={"psnr": [1.0]})
        return runner

    monkeypatch.setattr(B, "RUNNERS", {k: fake(k) for k in ("cs", "sr", "pgd")})
    monkeypatch.setattr(B, "_Context", lambda data_root, n, rep: type("C", (), {"n": n, "rep": rep})())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "RESULTS.md").write_text("# old\n" + B.MARK + "\nhand-written discussion\n")
    dirs = []
    for k in (1, 2):
        out = tmp_path / f"s{k}"
        assert B.bench_quality(None, 4, ["cs", "sr", "pgd"], (k, 2), out) == B.shard_of(["cs", "sr", "pgd"], (k, 2))
        assert not (out / "RESULTS.md").exists()  # a shard writes its store, not a report
        dirs.append(out)
    assert B.merge_shards(dirs, docs) == ["cs", "pgd", "sr"]
    text = (docs / "RESULTS.md").read_text()
    assert text.index("## cs") < text.index("## sr") < text.index("## pgd")  # the report's order
    assert "hand-written discussion" in text
    store = json.loads((docs / "results.json").read_text())
    assert set(store["raw"]) == {"cs", "sr", "pgd"}
    assert all((docs / f"{k}.png").exists() for k in ("cs", "sr", "pgd"))
    with pytest.raises(ValueError, match="both"):
        B.merge_shards([dirs[0], dirs[0]], docs)
    with pytest.raises(FileNotFoundError):
        B.merge_shards([tmp_path / "missing"], docs)


def test_log_grid_widens_until_the_best_is_inside():
    from genprior_demo.experiments.duff_study import tune_log

    calls = []

    def score(v):  # peaked at 10^-5: below the first grid 10^-3…10^1
        calls.append(v)
        return -abs(np.log10(v) + 5)

    best, grid, edge = tune_log(score, -3, 1, widen=3)
    assert best == pytest.approx(1e-5) and not edge and min(grid) == pytest.approx(1e-6)
    assert len(calls) == len(set(calls)) == 8  # each value scored once
    best, grid, edge = tune_log(score, -3, 1, widen=1)
    assert best == pytest.approx(1e-4) and edge  # out of widenings: said, not hidden
    best, grid, edge = tune_log(lambda v: v, -3, 1, widen=2, cap=100.0)  # never past a setting's maximum
    assert best == 100.0 and max(grid) == 100.0 and edge


def test_log_grid_refines_by_half_decades_inside_not_on_an_edge():
    from genprior_demo.experiments.duff_study import tune_log

    def score(v):  # peaked at 10^-1.6: between the decades, nearer 10^-1.5 than either neighbour
        return -abs(np.log10(v) + 1.6)

    best, grid, edge = tune_log(score, -3, 1, widen=2)
    assert best == pytest.approx(1e-2) and len(grid) == 5  # decades only, unless asked
    best, grid, edge = tune_log(score, -3, 1, widen=2, halves=True)
    assert best == pytest.approx(10 ** -1.5) and not edge and len(grid) == 7
    assert min(grid, key=lambda v: abs(np.log10(v) + 2.5)) == pytest.approx(10 ** -2.5)
    best, grid, edge = tune_log(lambda v: v, -3, 1, widen=0, halves=True)
    assert best == 10.0 and edge and len(grid) == 5  # on an edge: no refinement to hide it


def test_relative_noise_means_the_same_on_every_problem():
    import torch

    from genprior_demo.experiments import duff_study as D
    from genprior_demo.data import make_shapes

    x = make_shapes(6, 5, D.SIZE)
    for name in D.PROBLEMS:
        op = D.operator(name)
        assert op.norm() == pytest.approx(1.0, rel=0.02)
        sigma = D.relative_sigma(op, x, 0.1)
        p = D.problem(op, x, sigma)
        clean = op.A(x)
        rel = float((p.y - clean).flatten(1).norm(dim=1).mean() / clean.flatten(1).norm(dim=1).mean())
        assert rel == pytest.approx(0.1, rel=0.15), name
        assert torch.isfinite(p.y).all()


def test_a_study_table_tunes_every_row_and_reports_the_choice():
    from genprior_demo.device import seeded
    from genprior_demo.experiments import duff_study as D
    from genprior_demo.physics import make_operator

    from .tiny import tiny_prior

    prior = tiny_prior("vae", 4, "gaussian")
    x = prior(prior.sample_latent(3, seeded(0)))
    cfg = D.StudyConfig(n_val=2, restarts=1, iters=3, grid=(-2, 0), widen=0)
    op = make_operator("gaussian-blur", prior.image_shape, size=5, sigma=1.0)
    rows = D.rows_for([prior], cfg)
    labels = [r[0] for r in rows]
    assert any("hard, prior start" in lab for lab in labels)
    assert any("encoder start" in lab for lab in labels)  # a generator with an encoder gets both starts
    lines, raw, chosen, curves = D.table("t", op, x, x[:2], 0.05, rows, cfg)
    assert set(chosen) == set(labels) and all(v in (0.01, 0.1, 1.0) for v in chosen.values())
    assert len(lines) == 3 + len(rows) and all(len(r["psnr"]) == 3 for r in raw.values())
    assert all(len(c) == 3 for c in curves.values())  # the whole grid, with its data discrepancy
    assert all(isinstance(r["edge"], bool) for r in raw.values())  # the noise sweep's table marks edges


def test_noise_figure_draws_from_the_stored_raw_numbers(tmp_path):
    from genprior_demo.experiments import duff_study as D

    levels = (0.02, 0.1)
    res = {m: {lv: {"psnr": [20.0 + i, 22.0 - lv]} for lv in levels} for i, m in enumerate(("hard", "relaxed"))}
    D.noise_figure(res, levels, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 5000


def test_report_runs_tv_to_convergence_unless_told_otherwise():
    from genprior_demo.config import TVConfig
    from genprior_demo.experiments import bench_quality as B

    assert B.converged("tv", {"lam": 0.1}) == {"iters": B.CONVERGED["tv"]["iters"], "lam": 0.1}
    assert B.CONVERGED["tv"]["iters"] > TVConfig().iters  # more than the app animates
    assert B.converged("tv", {"iters": 300})["iters"] == 300  # an explicit count wins
    assert B.converged("csgm", None) is None and B.converged("csgm", {"lr": 0.1}) == {"lr": 0.1}


def test_report_section_4_runs_the_study_protocol_on_the_demos_trio(tmp_path, monkeypatch):
    """§4 (`shapes`) is the Duff study's table on the 32×32 trio: every row tuned on deconvolution and on
    tomography, and shapes+ deconvolution reuses the deconvolution weights (it is not tuned on itself)."""
    from genprior_demo.experiments import duff_study as D

    from .tiny import tiny_prior

    monkeypatch.setattr(D, "TV_ITERS", 20)
    monkeypatch.setattr("genprior_demo.generators.load_prior", lambda name: tiny_prior("vae", 4, "gaussian"))
    rep = B.Report(tmp_path / "RESULTS.md", 2, markdown=False)
    D.exp_demo_shapes(2, rep, D.StudyConfig(trio=("tiny",), size=32, n_val=2, restarts=1, iters=2, grid=(-1, 0), widen=0))
    store = json.loads((tmp_path / "results.json").read_text())
    raw, text = store["raw"]["shapes"], store["sections"]["shapes"]
    deconv, tomo, plus = raw["deconvolution"], raw["tomography"], raw["shapes+ deconvolution"]
    assert plus["chosen"] == deconv["chosen"]  # reused, not tuned on the out-of-distribution images:
    plus_table = text.split("### shapes+ deconvolution", 1)[1]
    assert plus_table.count("as tuned on the in-distribution problem") == len(plus["chosen"])
    assert len(deconv["chosen"]) == len(tomo["chosen"]) >= 6  # Tikhonov, TV, and every generative row
    assert deconv["sigma"] != tomo["sigma"]  # relative noise: each problem's own σ
