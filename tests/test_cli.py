"""The command line as a user meets it: exit codes, output formats, config errors,
suppressions, selection, and what never leaves the machine (passwords)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scalelint.cli import main

SUPABASE_DIRECT = "postgresql://postgres:hunter2pw@db.abcdefghijklmnop.supabase.co:5432/postgres"


def make_project(
    tmp_path: Path, env: str = f"DATABASE_URL={SUPABASE_DIRECT}\n", **files: str
) -> Path:
    (tmp_path / "package.json").write_text('{"name": "app", "dependencies": {"next": "15.0.0"}}')
    (tmp_path / ".env.example").write_text(env)
    for name, text in files.items():
        p = tmp_path / name.replace("__", "/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_findings_exit_1_and_name_the_fix(tmp_path, capsys):
    project = make_project(tmp_path)
    code, out, _ = run(capsys, "check", str(project))
    assert code == 1
    assert ".env.example:1:14: SL101 [error]" in out
    assert "db.abcdefghijklmnop.supabase.co:5432" in out
    assert "fix: Use Supabase's transaction pooler" in out
    assert "Found 1 problem (1 error)" in out


def test_clean_project_exits_0(tmp_path, capsys):
    project = make_project(
        tmp_path, env="DATABASE_URL=postgres://postgres:postgres@localhost:5432/app\n"
    )
    code, out, _ = run(capsys, "check", str(project))
    assert code == 0
    assert "All checks passed!" in out


def test_password_never_printed_in_any_format(tmp_path, capsys):
    project = make_project(tmp_path)
    for fmt in ("text", "json", "sarif", "github"):
        _, out, err = run(capsys, "check", str(project), "--format", fmt)
        assert "hunter2pw" not in out + err, fmt
    _, out, _ = run(capsys, "check", str(project))
    assert "postgres:***@db.abcdefghijklmnop" in out


def test_fail_on_and_exit_zero(tmp_path, capsys):
    env = "DATABASE_URL=postgres://u:p@ep-x-1-pooler.us-east-2.aws.neon.tech/db\n"
    project = make_project(
        tmp_path,
        env=env,
        **{
            "prisma__schema.prisma": 'datasource db {\n  url = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n}\n'
        },
    )
    (project / "package.json").write_text(
        '{"name": "a", "dependencies": {"next": "15.0.0", "prisma": "5.0.0"}}'
    )
    code, out, _ = run(capsys, "check", str(project))
    assert "SL103 [warning]" in out and code == 1
    assert run(capsys, "check", str(project), "--fail-on", "error")[0] == 0
    assert run(capsys, "check", str(make_project(tmp_path)), "--exit-zero")[0] == 0


def test_select_and_ignore(tmp_path, capsys):
    project = make_project(tmp_path)
    assert run(capsys, "check", str(project), "--ignore", "SL101")[0] == 0
    assert run(capsys, "check", str(project), "--select", "SL6")[0] == 0
    assert run(capsys, "check", str(project), "--select", "SL1")[0] == 1
    code, _, err = run(capsys, "check", str(project), "--select", "SL999")
    assert code == 2 and "matches no rule" in err


def test_json_output_matches_documented_shape(tmp_path, capsys):
    project = make_project(tmp_path)
    _, out, _ = run(capsys, "check", str(project), "--format", "json")
    doc = json.loads(out)
    assert set(doc) == {"version", "findings", "diagnostics", "summary"}
    (finding,) = doc["findings"]
    assert set(finding) == {
        "rule",
        "name",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "fix",
        "fingerprint",
    }
    assert finding["path"] == ".env.example" and finding["line"] == 1 and finding["column"] == 14
    assert finding["rule"] == "SL101" and finding["name"] == "direct-connection-in-serverless"
    assert doc["summary"]["errors"] == 1


def test_github_annotations(tmp_path, capsys):
    project = make_project(tmp_path)
    _, out, _ = run(capsys, "check", str(project), "--format", "github")
    assert out.startswith("::error file=.env.example,line=1,col=14,")
    assert "title=SL101 direct-connection-in-serverless::" in out


def test_several_outputs_in_one_run(tmp_path, capsys):
    project = make_project(tmp_path)
    sarif, js = tmp_path / "out" / "r.sarif", tmp_path / "out" / "r.json"
    code, out, _ = run(
        capsys, "check", str(project), "--sarif-output", str(sarif), "--json-output", str(js)
    )
    assert code == 1 and "SL101" in out
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "SL101"
    assert json.loads(js.read_text())["findings"][0]["rule"] == "SL101"


def test_statistics_and_quiet(tmp_path, capsys):
    project = make_project(tmp_path)
    _, out, _ = run(capsys, "check", str(project), "--statistics")
    assert "1  SL101  direct-connection-in-serverless" in out
    _, out, _ = run(capsys, "check", str(project), "--quiet")
    assert "Found" not in out and "SL101" in out


def test_color(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path)
    _, out, _ = run(capsys, "check", str(project), "--color", "always")
    assert "\x1b[" in out
    _, out, _ = run(capsys, "check", str(project), "--color", "never")
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("selct: [SL1]\n", "unknown key `selct`"),
        ("platform: heroku\n", "`platform` must be one of"),
        ("severity: {SL101: fatal}\n", "`severity.SL101` must be error, warning or info"),
        ("knowledge: {query-callz: [x]}\n", "`knowledge.query-callz`: no such table"),
        ("select: [SL9]\n", "`SL9` matches no rule"),
        ("pool-budget: -1\n", "`pool-budget` must be"),
        (": : :\n", "not valid"),
    ],
)
def test_config_errors_exit_2_naming_key_and_file(tmp_path, capsys, config, message):
    project = make_project(tmp_path, **{".scalelint.yml": config})
    code, _, err = run(capsys, "check", str(project))
    assert code == 2
    assert message in err and ".scalelint.yml" in err
    assert "Traceback" not in err


def test_config_from_pyproject(tmp_path, capsys):
    project = make_project(tmp_path, **{"pyproject.toml": '[tool.scalelint]\nignore = ["SL101"]\n'})
    assert run(capsys, "check", str(project))[0] == 0
    (project / "pyproject.toml").write_text('[tool.scalelint]\nplatfrom = "vercel"\n')
    code, _, err = run(capsys, "check", str(project))
    assert code == 2 and "pyproject.toml [tool.scalelint]: unknown key `platfrom`" in err


def test_config_severity_platform_and_per_path_ignores(tmp_path, capsys):
    project = make_project(tmp_path, **{".scalelint.yml": "severity: {SL101: info}\n"})
    code, out, _ = run(capsys, "check", str(project))
    assert code == 0 and "SL101 [info]" in out
    (project / ".scalelint.yml").write_text("platform: server\n")
    assert run(capsys, "check", str(project))[0] == 0
    (project / ".scalelint.yml").write_text("per-path-ignores: {'.env.*': [SL1]}\n")
    assert run(capsys, "check", str(project))[0] == 0
    assert run(capsys, "check", str(make_project(tmp_path)), "--platform", "server")[0] == 0


def test_inline_suppressions(tmp_path, capsys):
    own_line = f"# scalelint: ignore[SL101] -- pooler next sprint\nDATABASE_URL={SUPABASE_DIRECT}\n"
    code, out, _ = run(capsys, "check", str(make_project(tmp_path, env=own_line)))
    assert code == 0 and "1 suppressed" in out
    other_rule = f"DATABASE_URL={SUPABASE_DIRECT} # scalelint: ignore[SL604]\n"
    assert run(capsys, "check", str(make_project(tmp_path, env=other_rule)))[0] == 1
    file_level = f"# scalelint: ignore-file[SL1]\n\nDATABASE_URL={SUPABASE_DIRECT}\n"
    assert run(capsys, "check", str(make_project(tmp_path, env=file_level)))[0] == 0
    late_file_level = f"DATABASE_URL={SUPABASE_DIRECT}\n# scalelint: ignore-file\n"
    assert run(capsys, "check", str(make_project(tmp_path, env=late_file_level)))[0] == 1


def test_suppressed_findings_absent_from_sarif(tmp_path, capsys):
    env = f"DATABASE_URL={SUPABASE_DIRECT} # scalelint: ignore[SL101]\n"
    _, out, _ = run(capsys, "check", str(make_project(tmp_path, env=env)), "--format", "sarif")
    assert json.loads(out)["runs"][0]["results"] == []


def test_only_named_files_are_reported_but_context_is_whole_project(tmp_path, capsys):
    project = make_project(
        tmp_path,
        env="DATABASE_URL=postgres://postgres.abcdefghijklmnop:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres\n",
        **{
            "lib__db.ts": 'import postgres from "postgres";\nexport const sql = postgres(process.env.DATABASE_URL!);\n'
        },
    )
    code, out, _ = run(capsys, "check", str(project / "lib" / "db.ts"))
    assert code == 1 and "lib/db.ts:2:20: SL105" in out  # the URL came from .env.example
    code, out, _ = run(capsys, "check", str(project / ".env.example"))
    assert code == 0


def test_rules_command(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "SL101  error" in out and "SL604" in out
    code, out, _ = run(capsys, "rules", "sl101")
    assert code == 0 and "## Why it breaks under load" in out and "## Use instead" in out
    code, out, _ = run(capsys, "rules", "SL101", "--format", "json")
    assert json.loads(out)["name"] == "direct-connection-in-serverless"
    assert run(capsys, "rules", "SL999")[0] == 2


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["check", "--format", "xml"])
    assert e.value.code == 2
    assert main([]) == 2


def test_version_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "scalelint", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("scalelint ")


def _command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scalelint", *args], capture_output=True, text=True, cwd=cwd
    )


def test_command_exit_codes_survive_the_fast_exit(tmp_path):
    """The command ends its process without freeing the facts; what it printed and its exit
    code must be exactly what `main` returns."""
    project = make_project(tmp_path)
    found = _command("check", str(project), "--format", "json")
    assert found.returncode == 1
    assert json.loads(found.stdout)["findings"][0]["rule"] == "SL101"
    assert _command("check", str(project), "--exit-zero").returncode == 0
    assert _command("check", "--format", "xml").returncode == 2
    helped = _command("--help")
    assert helped.returncode == 0 and "check" in helped.stdout


def test_a_closed_pipe_is_not_an_internal_error(tmp_path):
    """`scalelint rules | head -1`: the reader left; nothing to report about it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalelint", "rules", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the command has started up, so its first write fails
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in err and "Traceback" not in err


def test_debug_shows_the_traceback_through_the_command(tmp_path):
    """`--debug` re-raises an internal error; the command must show it, not exit silently."""
    project = make_project(tmp_path)
    sitecustomize = tmp_path / "inject"
    sitecustomize.mkdir()
    (sitecustomize / "sitecustomize.py").write_text(
        "import scalelint.engine as e\n"
        "def boom(opts):\n"
        "    raise RuntimeError('planted failure')\n"
        "e._run_check = boom\n"
    )
    import os

    env = {
        **os.environ,
        "PYTHONPATH": f"{sitecustomize}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "scalelint", "check", str(project), "--debug"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "Traceback" in done.stderr and "planted failure" in done.stderr
    plain = subprocess.run(
        [sys.executable, "-m", "scalelint", "check", str(project)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert plain.returncode == 2 and "internal error: RuntimeError: planted failure" in plain.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="the listing is git's")
def test_a_run_stopped_by_a_config_error_leaves_no_process_or_pipe_open(tmp_path):
    """The git listing starts before the configuration is read; a run that stops at a bad
    configuration must still end it and close its pipe."""
    project = make_project(tmp_path, **{".scalelint.yml": "selct: [SL1]\n"})
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    warn = ["-X", "dev", "-W", "always::ResourceWarning"]
    run_ = subprocess.run(
        [sys.executable, *warn, "-m", "scalelint", "check", str(project)],
        capture_output=True,
        text=True,
    )
    assert run_.returncode == 2 and "unknown key `selct`" in run_.stderr
    assert "ResourceWarning" not in run_.stderr
