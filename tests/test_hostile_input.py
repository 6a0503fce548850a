"""Nothing a repository contains may crash scalelint: every hostile file becomes a diagnostic
(SL001 or a skip notice) and the run goes on to report the rest."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalelint.cli import main
from scalelint.facts.extract import TEXT_EXTRACTORS, extract

DIRECT = "DATABASE_URL=postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres\n"


def project(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "package.json").write_text('{"name": "app", "dependencies": {"next": "15.0.0"}}')
    (tmp_path / ".env.example").write_text(DIRECT)  # one real finding that must survive
    return tmp_path


def check_json(capsys, path: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["check", str(path), "--format", "json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def rules_at(doc: dict) -> set[tuple[str, str]]:
    return {(f["path"], f["rule"]) for f in doc["findings"]}


def test_binary_invalid_utf8_and_syntax_errors(tmp_path, capsys):
    p = project(tmp_path)
    (p / "logo.ts").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (p / ".env.production").write_bytes(b"GOOD=1\nNAME=caf\xe9\n")
    (p / "broken.tsx").write_text("export default function X( { return <div>\n")
    (p / "broken.py").write_text("def f(:\n    pass\n")
    (p / "vercel.json").write_text("{ not json")
    code, doc, err = check_json(capsys, p)
    assert code == 1
    found = rules_at(doc)
    assert (".env.example", "SL101") in found
    for name in ("logo.ts", ".env.production", "broken.tsx", "broken.py", "vercel.json"):
        assert (name, "SL001") in found, name
    assert "Traceback" not in err


def test_symlink_loop_and_links_out_of_the_project(tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".env").write_text(DIRECT)
    p = project(tmp_path / "app")
    (p / "loop").symlink_to(p, target_is_directory=True)
    (p / "escape").symlink_to(outside, target_is_directory=True)
    (p / ".env.linked").symlink_to(outside / ".env")
    (p / "dangling.ts").symlink_to(p / "missing.ts")
    code, doc, _ = check_json(capsys, p)
    assert code == 1
    paths = {f["path"] for f in doc["findings"]}
    assert paths == {".env.example"}, paths  # nothing read through a link, nothing twice
    _code, doc, _err = check_json(capsys, p / ".env.linked")
    assert doc["findings"] == []
    assert any("outside the project" in d["message"] for d in doc["diagnostics"])


def test_deep_nesting_does_not_crash(tmp_path, capsys):
    p = project(tmp_path)
    depth = 5000
    (p / "deep.ts").write_text("export const x = " + "(" * depth + "1" + ")" * depth + ";\n")
    (p / "deep.py").write_text("x = " + "[" * depth + "]" * depth + "\n")
    (p / "deep.json").write_text("[" * depth + "]" * depth)
    (p / "tsconfig.json").write_text('{"a": ' + "[" * depth + "]" * depth + "}")
    code, doc, err = check_json(capsys, p)
    assert code == 1 and (".env.example", "SL101") in rules_at(doc)
    assert "Traceback" not in err


def test_huge_and_minified_bundles_are_skipped_with_a_diagnostic(tmp_path, capsys):
    p = project(tmp_path)
    line = "var a=1;" * 125_000  # one 1 MB line
    (p / "bundle.js").write_text("\n".join([line] * 10))  # 10 MB
    (p / "vendor.js").write_text(line[:300_000])  # under the size limit, but minified
    code, doc, _ = check_json(capsys, p)
    skipped = {d["path"]: d["message"] for d in doc["diagnostics"]}
    assert "over the 2 MB limit" in skipped["bundle.js"]
    assert "minified" in skipped["vendor.js"]
    assert code == 1


def test_default_excludes_and_gitignore(tmp_path, capsys):
    p = project(tmp_path)
    for d in ("node_modules/pkg", ".next/server", "dist", "ignored/deep"):
        (p / d).mkdir(parents=True)
        (p / d / ".env").write_text(DIRECT)
    (p / ".gitignore").write_text("ignored/\n")
    (p / "ignored" / "deep" / ".gitignore").write_text("!keep.env\n")
    code, doc, _ = check_json(capsys, p)
    assert {f["path"] for f in doc["findings"]} == {".env.example"}
    # a file named on the command line is read even when ignored, unless --force-exclude
    code, doc, _ = check_json(capsys, p / "dist" / ".env")
    assert code == 1 and rules_at(doc) == {("dist/.env", "SL101")}
    code, doc, _ = check_json(capsys, p / "dist" / ".env", "--force-exclude")
    assert code == 0 and doc["findings"] == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=400),
    kind=st.sampled_from(sorted([*TEXT_EXTRACTORS, "typescript", "tsx", "javascript", "python"])),
)
def test_any_bytes_in_any_kind_never_raise(data: bytes, kind: str) -> None:
    facts = extract("file", kind, data)
    assert facts.rel == "file"


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("{}[]()=:;,.'\"`$#/\\\n abcxyz0129@-_")), max_size=300
    ),
    kind=st.sampled_from(sorted([*TEXT_EXTRACTORS, "typescript", "python"])),
)
def test_syntax_soup_never_raises(text: str, kind: str) -> None:
    extract("file", kind, text.encode())


def test_unreadable_file_is_a_diagnostic(tmp_path, capsys):
    if os.geteuid() == 0:
        # root reads anything; a directory named like a file is as unreadable as it gets
        p = project(tmp_path)
        (p / "weird.ts").mkdir()
    else:  # pragma: no cover
        p = project(tmp_path)
        (p / "weird.ts").write_text("x")
        (p / "weird.ts").chmod(0)
    code, _doc, err = check_json(capsys, p)
    assert code == 1 and "Traceback" not in err
