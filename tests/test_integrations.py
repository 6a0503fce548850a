"""Where users run scalelint: the pre-commit hook (run by the real pre-commit tool), the GitHub
Action's own steps (run locally), the SARIF multitool, and the baseline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import jsonschema
import pytest
import yaml

from scalelint.cli import main
from scalelint.discover import file_kind
from tests.sarif_checks import assert_github_accepts

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo-app"
DIRECT = "DATABASE_URL=postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres\n"
POOLER = "DATABASE_URL=postgres://postgres.abcdefghijklmnop:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres\n"


# ── pre-commit ──


def hook() -> dict:
    (entry,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return entry


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        "apps/web/.env.production",
        "apps/api/.env-template",
        ".env_example",
        "docker/prod.env",
        "lib/db.mts",
        "lib/db.cts",
        "a.py",
        "b.tsx",
        "c.jsx",
        "d.mjs",
        "e.cjs",
        "prisma/schema.prisma",
        "prisma/schema/user.prisma",
        "fly.toml",
        "fly.pgbouncer.toml",
        "deploy/fly-staging.toml",
        "pgbouncer.ini",
        "package.json",
        "tsconfig.json",
        "tsconfig.base.json",
        "jsconfig.json",
        "vercel.json",
        "netlify.toml",
        "wrangler.toml",
        "wrangler.jsonc",
        "serverless.yml",
        "requirements.txt",
        "requirements-dev.txt",
        "pyproject.toml",
        "Dockerfile",
        "Dockerfile.prod",
        "api.dockerfile",
        "Procfile",
        "render.yaml",
        "template.yaml",
    ],
)
def test_hook_files_pattern_reaches_every_kind(name):
    assert file_kind(name.rsplit("/", 1)[-1]) is not None, f"scalelint does not read {name}"
    assert re.search(hook()["files"], name), f"the hook would never pass {name}"


def test_hook_definition():
    h = hook()
    assert h["id"] == "scalelint" and h["language"] == "python"
    assert h["entry"] == "scalelint check --force-exclude" and h["require_serial"] is True
    for name in ("README.md", "logo.png", "package-lock.json", ".envrc", "yarn.lock"):
        assert not re.search(h["files"], name), name


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed for pre-commit")
def test_real_pre_commit_uses_this_repository_as_hook_source(tmp_path):
    pytest.importorskip("pre_commit")
    head = _git(REPO, "rev-parse", "HEAD").strip()
    if "scalelint" not in _git(REPO, "show", f"{head}:.pre-commit-hooks.yaml"):
        pytest.skip("the hook definition is not committed yet")
    proj = tmp_path / "app"
    proj.mkdir()
    _git(proj, "init", "-q")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: scalelint\n"
    )
    (proj / "package.json").write_text(
        '{"name": "app", "dependencies": {"next": "15.0.0", "postgres": "3"}}'
    )
    (proj / "app").mkdir()
    (proj / "app" / "page.tsx").write_text("export default function Page() { return null }\n")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }

    def pre_commit() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run"],
            cwd=proj,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    _git(proj, "add", "-A")
    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _git(proj, "commit", "-qm", "init")

    (proj / ".env.production").write_text(DIRECT)
    _git(proj, "add", ".env.production")
    bad = pre_commit()
    assert bad.returncode == 1 and "SL101" in bad.stdout, bad.stdout + bad.stderr
    _git(proj, "rm", "-q", "--cached", ".env.production")
    (proj / ".env.production").unlink()

    # The URL is only in an untracked file; the staged module is flagged because of it.
    (proj / ".env.example").write_text(POOLER)
    (proj / "lib").mkdir()
    (proj / "lib" / "db.ts").write_text(
        'import postgres from "postgres";\nexport const sql = postgres(process.env.DATABASE_URL!);\n'
    )
    _git(proj, "add", "lib/db.ts")
    context = pre_commit()
    assert context.returncode == 1 and "lib/db.ts:2:20: SL105" in context.stdout, (
        context.stdout + context.stderr
    )
    assert ".env.example" not in context.stdout.split("SL105")[0].splitlines()[-1]
    _git(proj, "rm", "-q", "--cached", "lib/db.ts")

    # An N+1 route: the query's client is defined in a committed module the hook is not given.
    (proj / "lib" / "prisma.ts").write_text(
        'import { PrismaClient } from "@prisma/client";\nexport const prisma = new PrismaClient();\n'
    )
    _git(proj, "add", "lib/prisma.ts")
    _git(proj, "commit", "-qm", "prisma client")
    route = proj / "app" / "api" / "posts" / "route.ts"
    route.parent.mkdir(parents=True)
    route.write_text(
        'import { prisma } from "@/lib/prisma";\n'
        "export async function GET() {\n"
        "  const posts = await prisma.post.findMany({ take: 20 });\n"
        "  for (const post of posts) {\n"
        "    post.author = await prisma.user.findFirst({ where: { id: post.authorId } });\n"
        "  }\n"
        "  return Response.json(posts);\n"
        "}\n"
    )
    _git(proj, "add", "app/api/posts/route.ts")
    n_plus_one = pre_commit()
    assert n_plus_one.returncode == 1, n_plus_one.stdout + n_plus_one.stderr
    assert "app/api/posts/route.ts:5:25: SL301" in n_plus_one.stdout, n_plus_one.stdout
    assert "lib/prisma.ts" not in n_plus_one.stdout.split("SL301")[0].splitlines()[-1]


# ── the GitHub Action ──


def _render(script: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        key = m.group(1).strip()
        if key not in values:
            raise KeyError(f"action.yml uses {key!r}, which the test does not provide")
        return values[key]

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", sub, script)


def test_action_steps_run_locally_and_produce_accepted_sarif(tmp_path, sarif_schema):
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "path",
        "args",
        "fail-on",
        "upload-sarif",
        "category",
        "python-version",
        "cache",
    }
    workspace = tmp_path / "workspace"
    shutil.copytree(DEMO, workspace / "web", ignore=shutil.ignore_patterns(".scalelint_cache"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    runner_temp, output = tmp_path / "runner-temp", tmp_path / "github-output"
    runner_temp.mkdir()
    output.write_text("")
    values = {
        "github.action_path": str(REPO),
        "inputs.path": "web",
        "inputs.args": "--ignore SL103",
        "inputs.fail-on": "warning",
        "inputs.upload-sarif": "true",
        "inputs.category": "scalelint, web",  # a comma: a cache key may not hold one
        "inputs.python-version": "3.11",
        "runner.temp": str(runner_temp),
    }
    env = {
        **os.environ,
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_OS": "Linux",
        "GITHUB_JOB": "lint",
        "GITHUB_REF": "refs/heads/feature,x",
        "GITHUB_SHA": "0" * 40,
    }
    uses = []
    exit_codes = {}
    for step in action["runs"]["steps"]:
        if "uses" in step:
            uses.append((step["uses"], step.get("if", ""), step.get("with", {})))
            continue
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        step_values = {**values, **{f"steps.check.outputs.{k}": v for k, v in outputs.items()}}
        step_env = {
            **env,
            **{k: _render(str(v), step_values) for k, v in step.get("env", {}).items()},
        }
        done = subprocess.run(
            ["bash", "-e", "-c", _render(step["run"], step_values)],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        exit_codes[step["name"]] = done.returncode
        if step["name"] == "Run scalelint":
            annotations = done.stdout
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert exit_codes["Install scalelint"] == 0
    assert outputs["exit-code"] == "1" and exit_codes["Fail on findings"] == 1
    assert (
        "::error file=web/.env.example,line=3," in annotations
    )  # paths relative to the repository
    assert "SL103" not in annotations  # `args` reached scalelint
    log = json.loads(Path(outputs["sarif-file"]).read_text())
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    assert_github_accepts(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert "web/lib/sql.ts" in uris
    # the cache lives outside the checkout, where actions/cache keeps it between runs
    assert not (workspace / "web" / ".scalelint_cache").exists()
    assert any((runner_temp / "scalelint-cache").iterdir())
    steps = [s.get("uses", s.get("name")) for s in action["runs"]["steps"]]
    restore = next(u for u in uses if u[0].startswith("actions/cache/restore@"))
    save = next(u for u in uses if u[0].startswith("actions/cache/save@"))
    for kept in (restore, save):
        assert kept[2]["path"] == "${{ runner.temp }}/scalelint-cache" and "inputs.cache" in kept[1]
        assert kept[2]["key"] == "${{ steps.cache-key.outputs.key }}"
    # the key: no comma from the inputs or the branch; the restore keys fall back from this
    # commit to this branch to any branch, always for the same job, category and path
    key, branch, anywhere = outputs["key"], outputs["branch"], outputs["any"]
    assert "," not in key and key.startswith(branch) and branch.startswith(anywhere)
    assert anywhere.startswith("scalelint-Linux-lint-") and key.endswith("0" * 40)
    assert restore[2]["restore-keys"].splitlines() == [
        "${{ steps.cache-key.outputs.branch }}",
        "${{ steps.cache-key.outputs.any }}",
    ]
    # saved after the check whether or not its findings fail the job, but not after an error
    assert "!cancelled()" in save[1] and "exit-code == '1'" in save[1]
    assert "always()" not in save[1]
    assert steps.index(restore[0]) < steps.index("Run scalelint") < steps.index(save[0])
    upload = next(u for u in uses if "upload-sarif" in u[0])
    assert upload[0].startswith("github/codeql-action/upload-sarif@") and "always()" in upload[1]
    assert upload[2]["category"] == "${{ inputs.category }}"


# ── the SARIF multitool ──


@pytest.mark.skipif(
    shutil.which("npm") is None, reason="npm is needed for @microsoft/sarif-multitool"
)
def test_microsoft_sarif_multitool_finds_nothing(tmp_path, capsys):
    prefix = (
        Path(os.environ.get("SCALELINT_TEST_CACHE", Path.home() / ".cache" / "scalelint-tests"))
        / "multitool"
    )
    tool = prefix / "node_modules" / ".bin" / "sarif-multitool"
    if not tool.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                "@microsoft/sarif-multitool@5.7.0",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    main(["check", str(DEMO), "--format", "sarif", "--output", str(tmp_path / "demo.sarif")])
    capsys.readouterr()
    out = tmp_path / "validated.sarif"
    subprocess.run(
        [str(tool), "validate", str(tmp_path / "demo.sarif"), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # its exit code is 0 whatever it finds: read its own SARIF instead
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert results == [], [r["message"] for r in results][:5]


# ── baseline ──


def test_baseline_round_trip(tmp_path, capsys):
    shutil.copytree(DEMO, tmp_path / "app")
    app, baseline = tmp_path / "app", tmp_path / "baseline.json"
    assert main(["check", str(app), "--write-baseline", str(baseline)]) == 0
    recorded = json.loads(baseline.read_text())["findings"]
    assert len(recorded) >= 10 and all(e["fingerprint"] for e in recorded)
    capsys.readouterr()

    for rel in ("lib/sql.ts", "prisma/schema.prisma", "infra/pgbouncer/fly.toml", ".env.example"):
        path = app / rel
        marker = "//" if rel.endswith((".ts", ".prisma")) else "#"
        path.write_text(f"{marker} a new first line\n{marker} and a second\n\n" + path.read_text())
    assert main(["check", str(app), "--baseline", str(baseline), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] == [] and doc["summary"]["baselined"] == len(recorded)

    (app / ".env.staging").write_text(
        DIRECT.replace("/postgres\n", "/postgres?connection_limit=1\n")
    )
    assert main(["check", str(app), "--baseline", str(baseline), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["rule"]) for f in doc["findings"]] == [(".env.staging", "SL101")]

    (app / "lib" / "sql.ts").write_text("export const nothing = 1;\n")
    main(["check", str(app), "--baseline", str(baseline), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["summary"]["baseline_stale"] == 1

    (app / ".scalelint.yml").write_text(f"baseline: {baseline}\n")
    assert main(["check", str(app), "--ignore", "SL101"]) == 0  # config `baseline:` is read too
    capsys.readouterr()
    assert main(["check", str(app), "--baseline", str(tmp_path / "missing.json")]) == 2
