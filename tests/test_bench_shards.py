"""Sharding the quality report: n shards run each experiment exactly once; merge folds them into one report."""
import json

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
