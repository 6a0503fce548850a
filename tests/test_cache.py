"""The cache and the process pool change how fast scalelint answers, never what it answers."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scalelint.extraction as extraction
from scalelint.cache import CACHE_DIR, Cache
from scalelint.catalogue import load_rules
from scalelint.cli import main
from scalelint.engine import RunOptions, run_check

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(tmp_path) -> Path:
    dst = tmp_path / "app"
    shutil.copytree(
        REPO / "fixtures" / "demo-app", dst, ignore=shutil.ignore_patterns(CACHE_DIR)
    )  # a developer's own runs may have left a cache in the fixture
    return dst


def output(capsys, *args: str) -> str:
    main(["check", "--format", "json", *args])
    return capsys.readouterr().out


def test_same_findings_with_one_or_more_processes_cold_or_warm(app, capsys, monkeypatch):
    # the pool and the rules' forked copies even for a small app
    monkeypatch.setattr(extraction, "PARALLEL_MIN_FILES", 0)
    serial = output(capsys, str(app), "--no-cache", "-j", "1")
    parallel = output(capsys, str(app), "--no-cache", "-j", "2")
    four = output(capsys, str(app), "--no-cache", "-j", "4")
    cold = output(capsys, str(app), "-j", "2")
    warm = output(capsys, str(app), "-j", "1")
    assert '"rule": "SL301"' in serial
    assert serial == parallel == four == cold == warm
    copies = [run_check(RunOptions(paths=[app], no_cache=True, jobs=j)).timings for j in (2, 9)]
    assert [t.rules_copies for t in copies] == [1, 3]  # at most four processes for the rules


def test_cache_folder_is_self_ignoring_and_cleanable(app, capsys):
    output(capsys, str(app))
    base = app / CACHE_DIR
    assert (base / ".gitignore").read_text().strip().endswith("*")
    assert (
        (base / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert main(["clean", str(app)]) == 0
    assert "Removed" in capsys.readouterr().out and not base.exists()
    output(capsys, str(app), "--no-cache")
    assert not base.exists()


def test_a_changed_file_is_checked_again(app, capsys):
    first = output(capsys, str(app))
    (app / "lib" / "sql.ts").write_text("export const nothing = 1;\n")
    second = output(capsys, str(app))
    assert '"path": "lib/sql.ts"' in first and '"path": "lib/sql.ts"' not in second
    (app / ".env.staging").write_text(
        "DATABASE_URL=postgresql://u:p@db.abcdefghijklmnop.supabase.co:5432/postgres\n"
    )
    third = output(capsys, str(app))
    assert '"path": ".env.staging"' in third


def test_other_versions_and_broken_entries_are_misses(app, capsys, monkeypatch):
    expected = output(capsys, str(app), "--no-cache")
    output(capsys, str(app))
    cache = Cache(app)
    for path in cache.dir.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x80garbage")  # a half-written or foreign file
    assert output(capsys, str(app)) == expected
    import scalelint.cache as cache_module

    monkeypatch.setattr(cache_module, "engine_fingerprint", lambda: "another-version")
    assert Cache(app).dir != cache.dir
    assert output(capsys, str(app)) == expected


def test_two_runs_sharing_the_cache_at_once(app):
    cmd = [sys.executable, "-m", "scalelint", "check", str(app), "--format", "json", "-j", "1"]
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 1 for r in runs), [o[1][-500:] for o in outs]
    assert len({o[0] for o in outs}) == 1


def test_hook_shape_reports_only_named_files_from_the_cached_project(app, capsys):
    whole = output(capsys, str(app))
    named = output(capsys, str(app / "lib" / "sql.ts"), str(app / "prisma" / "schema.prisma"))
    assert '"path": "vercel.json"' in whole and '"path": "vercel.json"' not in named
    assert '"path": "lib/sql.ts"' in named and '"path": "prisma/schema.prisma"' in named


def test_a_warm_run_reads_the_catalogue_from_the_cache(app):
    """The rule catalogue is YAML; a run the cache answers takes it parsed from the cache and
    never loads the YAML parser (a tenth of a short run)."""
    script = (
        "import sys\n"
        "from scalelint.cli import main\n"
        f"code = main(['check', {str(app)!r}, '-q'])\n"
        "print(code, 'yaml' in sys.modules)\n"
    )

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
        )
        return done.stdout.split()[-2:]

    assert run() == ["1", "True"]  # the first run parses the YAML and keeps it
    assert run() == ["1", "False"]


def test_facts_pack_takes_new_facts_and_drops_what_the_project_no_longer_has(tmp_path):
    """A first run writes one pack; later runs add to a small recent file; once that has
    grown, both fold into a new pack holding only the keys still in use."""
    cache = Cache(tmp_path)
    keys = [f"k{i:04d}" for i in range(600)]
    for k in keys:
        cache.keep_facts(k, pickle.dumps({"facts": k}))
    cache.save_facts(set(keys))
    packed = pickle.loads((cache.dir / "facts.pack").read_bytes())
    assert set(packed) == set(keys)
    assert pickle.loads((cache.dir / "facts.recent").read_bytes()) == (600, {})

    later = Cache(tmp_path)
    assert later.facts("k0001") == {"facts": "k0001"} and later.facts("gone") is None
    later.keep_facts("new", pickle.dumps("fresh"))
    in_use = {*keys[1:], "new"}  # k0000 was deleted from the project
    later.save_facts(in_use)
    size, recent = pickle.loads((later.dir / "facts.recent").read_bytes())
    assert size == 600 and set(recent) == {"new"}
    assert Cache(tmp_path).facts("new") == "fresh"
    assert Cache(tmp_path).facts("k0001", recent_only=True) is None  # the pack is not read

    third = Cache(tmp_path)
    for i in range(200):  # enough new facts to fold the recent file into the pack
        third.keep_facts(f"n{i}", pickle.dumps(i))
    third.save_facts(in_use | {f"n{i}" for i in range(200)})
    packed = pickle.loads((third.dir / "facts.pack").read_bytes())
    assert "k0000" not in packed and "new" in packed and "n199" in packed
    assert Cache(tmp_path).facts("n5") == 5


def test_a_new_version_keeps_only_the_latest_few_version_folders(tmp_path, monkeypatch):
    import os

    import scalelint.cache as cache_module

    base = tmp_path / CACHE_DIR
    for i in range(5):  # five older versions, the higher i the more recently used
        old = base / f"v{i}"
        (old / "x").mkdir(parents=True)
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    monkeypatch.setattr(cache_module, "engine_fingerprint", lambda: "current")
    Cache(tmp_path).store_stats({})
    left = sorted(p.name for p in base.iterdir() if p.is_dir())
    assert left == ["current", "v3", "v4"]


def test_a_pack_with_a_garbage_length_is_a_miss(app, capsys):
    expected = output(capsys, str(app))
    cache = Cache(app)
    (cache.dir / "facts.pack").write_bytes(b"\x80\x04\x95" + (2**63).to_bytes(8, "little"))
    (app / "lib" / "sql.ts").write_text((app / "lib" / "sql.ts").read_text() + "\n")
    assert output(capsys, str(app)) == expected


def _first_ts_finding(report: str) -> dict:
    import json

    return next(f for f in json.loads(report)["findings"] if f["path"].endswith(".ts"))


def test_an_edit_that_leaves_the_facts_alone_reuses_the_findings(app, capsys, monkeypatch):
    import scalelint.engine as engine

    output(capsys, str(app))
    before = output(capsys, str(app))
    finding = _first_ts_finding(before)
    path = app / finding["path"]
    lines = path.read_text().splitlines(keepends=True)
    lines[finding["line"] - 1] = lines[finding["line"] - 1].rstrip("\n") + " // reviewed\n"
    path.write_text("".join(lines) + "// the end\n")

    runs = []
    real = engine.check_project
    monkeypatch.setattr(engine, "check_project", lambda *a, **k: runs.append(1) or real(*a, **k))
    reused = output(capsys, str(app))
    assert runs == []  # the rules did not run again
    assert reused == output(capsys, str(app), "--no-cache")
    # the finding's line changed, so its fingerprint did too
    assert _first_ts_finding(reused)["fingerprint"] != finding["fingerprint"]


def test_an_edit_that_changes_the_facts_runs_the_rules_again(app, capsys, monkeypatch):
    import scalelint.engine as engine

    before = output(capsys, str(app))
    path = app / _first_ts_finding(before)["path"]
    path.write_text("const added = 1;\n" + path.read_text())  # every line below moves
    runs = []
    real = engine.check_project
    monkeypatch.setattr(engine, "check_project", lambda *a, **k: runs.append(1) or real(*a, **k))
    after = output(capsys, str(app))
    assert runs == [1]
    assert after == output(capsys, str(app), "--no-cache") != before


def test_a_cache_dir_elsewhere_answers_a_fresh_checkout(app, tmp_path, capsys, monkeypatch):
    """CI restores the cache into a fresh checkout, where every file has a new modification
    time: files are hashed again, but their facts and the findings come from the cache."""
    import os

    import scalelint.engine as engine

    store = tmp_path / "ci-cache"
    first = output(capsys, str(app), "--cache-dir", str(store))
    assert not (app / CACHE_DIR).exists() and len(list(store.iterdir())) == 1
    for path in app.rglob("*"):
        if path.is_file():
            os.utime(path, (2_000_000_000, 2_000_000_000))
    runs = []
    real = engine.check_project
    monkeypatch.setattr(engine, "check_project", lambda *a, **k: runs.append(1) or real(*a, **k))
    monkeypatch.setenv("SCALELINT_CACHE_DIR", str(store))
    assert output(capsys, str(app)) == first and runs == []
    assert not (app / CACHE_DIR).exists()
    assert main(["clean", str(app), "--cache-dir", str(store)]) == 0
    assert "Removed" in capsys.readouterr().out and list(store.iterdir()) == []


def test_grammars_are_stamped_by_their_version_not_their_install_time(tmp_path, monkeypatch):
    import importlib.util
    import os

    import scalelint.cache as cache_module

    site = tmp_path / "site-packages"
    (site / "tree_sitter_fake").mkdir(parents=True)
    (site / "tree_sitter_fake-1.2.3.dist-info").mkdir()
    binary = site / "tree_sitter_fake" / "_binding.so"
    binary.write_bytes(b"\0")
    spec = importlib.util.spec_from_file_location(
        "tree_sitter_fake",
        site / "tree_sitter_fake" / "__init__.py",
        submodule_search_locations=[str(site / "tree_sitter_fake")],
    )
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    stamp = cache_module._binary_stamp("tree_sitter_fake")
    os.utime(binary, (1, 1))  # another install of the same version
    assert cache_module._binary_stamp("tree_sitter_fake") == stamp
    assert "1.2.3" in stamp


DIGESTS = """
import json, pickle, sys
from pathlib import Path
from scalelint.discover import discover
from scalelint.extraction import _extract, facts_digest

out = {}
for folder in sys.argv[1:]:
    found = discover(Path(folder), [Path(folder)], [])
    for sf in found.files:
        blob = pickle.dumps(_extract(sf.rel, sf.kind, str(found.root / sf.rel)), protocol=5)
        out[folder + ":" + sf.rel] = facts_digest(blob)
print(json.dumps(out, sort_keys=True))
"""


def test_facts_digests_do_not_depend_on_the_string_hash_seed():
    """A file's cached findings are found again by its facts' digest; a digest that changed with
    Python's per-process hash seed would miss that cache on every other run."""
    folders = [
        str(REPO / "fixtures" / "demo-app"),
        *map(str, sorted((REPO / "fixtures").glob("SL*"))),
    ]

    def digests(seed: str) -> dict[str, str]:
        run = subprocess.run(
            [sys.executable, "-c", DIGESTS, *folders],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(run.stdout)

    first = digests("1")
    assert any(k.endswith("package.json") for k in first)  # manifests are among them
    assert len(first) > 50
    for seed in ("2", "3"):
        assert digests(seed) == first


def test_time_says_what_was_parsed_reused_or_run_and_leaves_stdout_alone(app, capsys):
    def timed(*args: str) -> tuple[str, str]:
        main(["check", str(app), "--format", "json", "--time", "-j", "1", *args])
        out, err = capsys.readouterr()
        json.loads(out)  # the report on stdout is untouched
        return out, err

    plain = output(capsys, str(app), "--no-cache", "-j", "1")
    out, err = timed()
    assert out == plain
    assert err.startswith("scalelint: ") and " s in all" in err
    assert "files parsed, 0 from the cache" in err
    assert "the rules: " in err and "rules, one by one (the slowest first):" in err
    listed = re.findall(r"^ +\d+\.\d\d s    (SL\d{3})$", err, re.M)
    assert len(listed) == 10 and len(set(listed)) == 10  # the ten slowest, each once
    others = int(re.search(r"the other (\d+) rules", err).group(1))
    assert others + 10 == len(load_rules()) - 1  # every rule but SL002, which reads findings

    _, err = timed()
    assert "0 files read" in err and "findings reused" in err and "the rules:" not in err

    route = app / "lib" / "sql.ts"
    route.write_text(route.read_text() + "\nexport const added = 1;\n")
    _, err = timed()
    assert "1 file read" in err and "facts of new or changed files: 1 file parsed" in err
    assert "the other files' facts: 0 files parsed" in err and "the rules: " in err


def test_time_is_printed_after_writing_a_baseline_too(app, capsys, tmp_path):
    main(["check", str(app), "--no-cache", "--time", "--write-baseline", str(tmp_path / "b.json")])
    out, err = capsys.readouterr()
    assert out.startswith("Wrote ") and " s  writing the baseline" in err


def test_time_counts_the_imports_only_for_the_command(app):
    """The `scalelint` command starts the clock when scalelint loaded; a run called from
    Python (a second one in the same process, say) starts it when it is called."""
    from scalelint import STARTED

    called = run_check(RunOptions(paths=[app], no_cache=True, jobs=1))
    assert called.timings.start > STARTED
    command = run_check(RunOptions(paths=[app], no_cache=True, jobs=1, started=STARTED))
    assert command.timings.start == STARTED
