"""The benchmark scripts' pure parts: number formatting, the goal table, file picking, and the
synthetic project generator (deterministic, parseable). Nothing here times anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import benchlib  # noqa: E402
import parse_floor  # noqa: E402
import run  # noqa: E402
import scale  # noqa: E402


def test_median_and_formats():
    assert benchlib.median([3.0, 1.0, 2.0]) == 2.0
    assert benchlib.median([1.0, 2.0, 3.0, 4.0]) == 2.5
    with pytest.raises(ValueError):
        benchlib.median([])
    assert benchlib.fmt_s(0.1234) == "0.123 s"
    assert benchlib.fmt_s(12.345) == "12.35 s"
    assert benchlib.fmt_s(None) == "—"
    assert benchlib.fmt_ratio(0.2468) == "0.25×"
    assert benchlib.fmt_ratio(22.31) == "22.3×"
    assert benchlib.ratio(1.0, 0.0) is None
    assert benchlib.ratio(1.0, 4.0) == 0.25


def test_goal_mark_is_inclusive():
    assert benchlib.goal_mark(0.25, 0.25) == "met"
    assert benchlib.goal_mark(0.26, 0.25) == "NOT met"
    assert benchlib.goal_mark(None, 0.25) == "not measured"


def test_tables():
    md = benchlib.markdown_table(["a", "b"], [["1", "2"]])
    assert md.splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
    txt = benchlib.text_table(["name", "x"], [["long name", "1"]])
    assert txt.splitlines()[0].startswith("name       x")


def test_kind_of_matches_scalelint_grammars():
    assert benchlib.kind_of("a.ts") == "typescript"
    assert benchlib.kind_of("a.tsx") == "tsx"
    assert benchlib.kind_of("a.mjs") == "javascript"
    assert benchlib.kind_of("a.py") == "python"
    assert benchlib.kind_of("a.d.ts") is None
    assert benchlib.kind_of("a.json") is None


def test_commit_from_corpus_readme():
    text = (
        "| 3 | [dubinc/dub](https://github.com/dubinc/dub) | "
        "`1de955f782a72e1eff7b201ae54a909d5ceb5722` | 2026-08-21 | `/work/corpus/dubinc__dub/` |"
    )
    sha = "1de955f782a72e1eff7b201ae54a909d5ceb5722"
    assert benchlib.commit_from_readme(text, "/work/corpus/dubinc__dub") == sha
    assert benchlib.commit_from_readme(text, "/work/corpus/dub") is None


def test_pick_staged_spreads_and_pick_changed_prefers_routes(tmp_path):
    files = [("typescript", str(tmp_path / f"lib/u{i:02d}.ts")) for i in range(20)]
    files.append(("typescript", str(tmp_path / "app/api/x/route.ts")))
    files.append(("python", str(tmp_path / "a.py")))
    staged = run.pick_staged(files, tmp_path)
    assert len(staged) == 5 and len(set(staged)) == 5
    assert all(s.endswith(".ts") for s in staged)
    assert run.pick_changed(files, tmp_path) == "app/api/x/route.ts"


def _result(**over):
    res = {
        "machine": "machine: test",
        "checkout": "/x",
        "rounds": 2,
        "warmup": 1,
        "jobs": 2,
        "when": "now",
        "cold_command": "scalelint check PATH --no-cache --jobs 2",
        "flags": {"no_cache": True, "jobs": True},
        "cache_written": True,
        "files_by_kind": {"typescript": 3},
        "files": 3,
        "bytes": 1000,
        "file_list_from": "test",
        "semgrep_results": 1,
        "semgrep_scanned": 3,
        "semgrep_version": "1.0",
        "findings": 4,
        "same_findings": {"cold": True, "warm1": True},
        "changed_file": "a.ts",
        "staged_files": ["a.ts"],
        "load_before": "0",
        "load_after": "0",
        "samples": {
            "floor": [[1.0, 1.0, 20.0], [1.2, 1.0, 20.0]],
            "cold": [[2.0, 3.0, 50.0], [2.2, 3.0, 50.0]],
            "semgrep": [[10.0, 12.0, 150.0], [10.0, 12.0, 150.0]],
            "warm1": [[0.1, 0.1, 30.0], [0.1, 0.1, 30.0]],
            "warm2": [[0.3, 0.1, 30.0], [0.3, 0.1, 30.0]],
            "changed": [[0.15, 0.1, 30.0], [0.15, 0.1, 30.0]],
            "pre-commit": [[0.5, 0.4, 30.0], [0.5, 0.4, 30.0]],
        },
    }
    res.update(over)
    return res


def test_goals_from_medians():
    vals = run.goal_values(_result())
    assert vals["cold/semgrep"] == pytest.approx(0.21)
    assert vals["cold/floor"] == pytest.approx(2.1 / 1.1)
    assert vals["warm"] == 0.3  # the slower of the two warm runs
    rows = {r[0]: r[3] for r in run.goal_rows(_result())}
    assert rows["scalelint cold ÷ Semgrep `-j 2`"] == "met"
    assert rows["scalelint cold ÷ Semgrep `-j 1`"] == "not measured"
    assert rows["scalelint cold ÷ parse floor"] == "met"
    assert rows["warm, nothing changed"] == "NOT met"
    assert rows["pre-commit shape, 5 files"] == "NOT met"


def test_render_says_when_flags_were_missing():
    res = _result(flags={"no_cache": False, "jobs": False}, cold_command="scalelint check PATH")
    out = run.render(res, md=True)
    assert "| scalelint check, cold | 2.100 s |" in out
    assert "has no --no-cache / --jobs" in out
    assert "| scalelint check, cold --no-cache --jobs 2 |" in run.render(_result(), md=True)


def test_generator_is_deterministic_and_prefix_stable(tmp_path):
    a, b, small = tmp_path / "a", tmp_path / "b", tmp_path / "small"
    counts = scale.generate(a, 20, seed=7)
    scale.generate(b, 20, seed=7)
    scale.generate(small, 10, seed=7)
    assert sum(counts.values()) == 20

    def tree(root):
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    ta, tsmall = tree(a), tree(small)
    assert ta == tree(b)
    assert all(ta[rel] == data for rel, data in tsmall.items())  # 10 files are a prefix of 20
    assert len(ta) == 20 + len(scale.FIXED_FILES)


def test_generated_code_parses_cleanly(tmp_path):
    scale.generate(tmp_path, 40, seed=1)
    items = []
    for p in sorted(tmp_path.rglob("*")):
        kind = benchlib.kind_of(p.name)
        if kind and p.is_file():
            items.append((kind, str(p)))
    assert {k for k, _ in items} >= {"typescript", "tsx", "python"}
    parse_floor._init()
    files, errors, size = parse_floor._parse_chunk(items)
    assert files == len(items) and size > 0
    assert errors == 0


def test_parse_floor_script_in_process(tmp_path, capsys):
    scale.generate(tmp_path / "app", 20, seed=3)
    items = [
        (benchlib.kind_of(p.name), str(p))
        for p in sorted((tmp_path / "app").rglob("*"))
        if p.is_file() and benchlib.kind_of(p.name)
    ]
    lst = tmp_path / "files.txt"
    lst.write_text("".join(f"{k}\t{p}\n" for k, p in items))
    assert parse_floor.main([str(lst), "1"]) == 0
    files, errors, _ = capsys.readouterr().out.split()
    assert int(files) == len(items) and errors == "0"


def test_the_machine_line_counts_the_cores_scalelint_would_use(monkeypatch):
    """A container's CPU quota on a large host: the benchmark's default `--jobs` and its
    `cores:` line are the CPUs a run may use, as scalelint's own default counts them."""
    import scalelint.resources

    monkeypatch.setattr(scalelint.resources, "available_cores", lambda: 3)
    assert benchlib.usable_cores() == 3
    assert "cores: 3;" in benchlib.machine_line({"version": "v", "commit": "c"})
