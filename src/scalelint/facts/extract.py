"""One file's bytes → its FileFacts. Pure, so it can run in any process and be cached by the
hash of the bytes. Nothing a file contains may crash it: a file that cannot be read or parsed
becomes a Problem (reported as SL001) and the run goes on."""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
from collections.abc import Callable

from scalelint.facts.model import FileFacts, Problem
from scalelint.parsers.jsonc import JsonError
from scalelint.parsers.toml import TomlError

# kind → "module:function". Imported when a file of that kind is read: a run that re-reads
# one changed route should not load the YAML, TOML and dotenv readers.
TEXT_EXTRACTORS: dict[str, str] = {
    "dotenv": "env_files:extract_dotenv",
    "prisma": "prisma:extract_prisma",
    "fly_toml": "fly:extract_fly",
    "pgbouncer_ini": "pgbouncer:extract_pgbouncer",
    "package_json": "manifests:extract_package_json",
    "requirements": "manifests:extract_requirements",
    "pyproject": "manifests:extract_pyproject",
    "tsconfig": "manifests:extract_tsconfig",
    "vercel_json": "hosting:extract_vercel_json",
    "netlify_toml": "hosting:extract_netlify",
    "wrangler_toml": "hosting:extract_wrangler",
    "wrangler_json": "hosting:extract_wrangler",
    "serverless_yml": "hosting:extract_serverless",
    "sam_template": "hosting:extract_sam",
    "render_yaml": "hosting:extract_render",
    "procfile": "hosting:extract_procfile",
    "dockerfile": "hosting:extract_dockerfile",
}


def text_extractor(kind: str) -> Callable[[FileFacts, str], None]:
    module, name = TEXT_EXTRACTORS[kind].split(":")
    return getattr(importlib.import_module(f"scalelint.facts.{module}"), name)


MINIFIED_MIN_BYTES = 20_000
# tree-sitter keeps going past syntax errors, and its TS grammar trips on some valid code (a bare
# `&` in JSX text, `sql<T>\`…\``); an error that small changes no fact. A file is reported only
# when this share of it could not be placed in the tree.
SYNTAX_ERROR_SHARE = 0.05
MINIFIED_LINE = 1_000  # average characters per line above which a JS file is a bundle


def extract(rel: str, kind: str, data: bytes) -> FileFacts:
    facts = FileFacts(rel, kind)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark (Windows editors)
        with contextlib.suppress(UnicodeDecodeError):
            data = data.decode("utf-16").encode("utf-8")
    if b"\x00" in data[:8192]:
        facts.problems.append(Problem(1, "binary content (a NUL byte): not a text file, skipped"))
        facts.skipped = "binary"
        return facts
    if kind in ("javascript", "typescript", "tsx") and _minified(data):
        facts.skipped = "minified bundle"
        return facts
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        facts.problems.append(
            Problem(line, f"not valid UTF-8 (byte {e.start}); read with replacement characters")
        )
        text = data.decode("utf-8", "replace")
    try:
        if kind in ("javascript", "typescript", "tsx", "python"):
            _extract_code(facts, kind, data)
        else:
            text_extractor(kind)(facts, text)
    except RecursionError:
        facts.problems.append(Problem(1, "nested too deeply to analyse; skipped"))
        facts.code = None
    except JsonError as e:
        facts.problems.append(Problem(e.line, f"invalid JSON: {e}"))
    except TomlError as e:
        facts.problems.append(Problem(_error_line(e), f"invalid TOML: {e}"))
    except (ValueError, TypeError, AttributeError) as e:
        facts.problems.append(Problem(1, f"could not read: {_first_line(e)}"))
    except Exception as e:
        yaml = sys.modules.get("yaml")  # loaded by the readers of YAML files, when one ran
        if yaml is None or not isinstance(e, yaml.YAMLError):
            raise
        mark = getattr(e, "problem_mark", None)
        facts.problems.append(
            Problem(mark.line + 1 if mark else 1, f"invalid YAML: {_first_line(e)}")
        )
    if facts.problems and _template(data):
        facts.problems = []  # a template that generates this kind of file, not the file itself
    return facts


def _extract_code(facts: FileFacts, kind: str, data: bytes) -> None:
    if kind == "python":
        from scalelint.facts.python import extract_python

        code, suppressions, error = extract_python(data)
    else:
        from scalelint.facts.js import extract_js

        code, suppressions, error = extract_js(data, kind)
    facts.code = code
    facts.suppressions = suppressions
    if error is None or _template(data):
        return
    line, text, share = error
    if share >= SYNTAX_ERROR_SHARE:
        near = f" near `{text}`" if text.strip() else ""
        facts.problems.append(
            Problem(
                line,
                f"{share:.0%} of this file could not be parsed (a syntax error{near} at line {line}, or "
                f"syntax the parser does not know); problems in it may go unreported",
            )
        )


def _template(data: bytes) -> bool:
    """A Jinja/Nunjucks template (`{% for … %}`, `{{ name }}`) that generates code or config.
    Asked only of files that failed to parse, so JSX's `style={{ … }}` does not count."""
    return (b"{%" in data and b"%}" in data) or (b"{{ " in data and b" }}" in data)


def _minified(data: bytes) -> bool:
    if len(data) < MINIFIED_MIN_BYTES:
        return False
    lines = data.count(b"\n") + 1
    return len(data) / lines > MINIFIED_LINE


def _error_line(e: BaseException) -> int:
    """tomllib names the line only in its message before Python 3.14."""
    line = getattr(e, "lineno", None)
    if line:
        return line
    m = re.search(r"at line (\d+)", str(e))
    return int(m.group(1)) if m else 1


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
