"""One file's bytes → its FileFacts. Pure, so it can run in any process and be cached by the
hash of the bytes. Nothing a file contains may crash it: a file that cannot be read or parsed
becomes a Problem (reported as SL001) and the run goes on."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import yaml

from scalelint.facts.env_files import extract_dotenv
from scalelint.facts.fly import extract_fly
from scalelint.facts.hosting import (
    extract_dockerfile,
    extract_netlify,
    extract_procfile,
    extract_render,
    extract_sam,
    extract_serverless,
    extract_vercel_json,
    extract_wrangler,
)
from scalelint.facts.manifests import (
    extract_package_json,
    extract_pyproject,
    extract_requirements,
    extract_tsconfig,
)
from scalelint.facts.model import FileFacts, Problem
from scalelint.facts.pgbouncer import extract_pgbouncer
from scalelint.facts.prisma import extract_prisma
from scalelint.parsers.jsonc import JsonError
from scalelint.parsers.toml import TomlError

TEXT_EXTRACTORS: dict[str, Callable[[FileFacts, str], None]] = {
    "dotenv": extract_dotenv,
    "prisma": extract_prisma,
    "fly_toml": extract_fly,
    "pgbouncer_ini": extract_pgbouncer,
    "package_json": extract_package_json,
    "requirements": extract_requirements,
    "pyproject": extract_pyproject,
    "tsconfig": extract_tsconfig,
    "vercel_json": extract_vercel_json,
    "netlify_toml": extract_netlify,
    "wrangler_toml": extract_wrangler,
    "wrangler_json": extract_wrangler,
    "serverless_yml": extract_serverless,
    "sam_template": extract_sam,
    "render_yaml": extract_render,
    "procfile": extract_procfile,
    "dockerfile": extract_dockerfile,
}

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
            TEXT_EXTRACTORS[kind](facts, text)
    except RecursionError:
        facts.problems.append(Problem(1, "nested too deeply to analyse; skipped"))
        facts.code = None
    except JsonError as e:
        facts.problems.append(Problem(e.line, f"invalid JSON: {e}"))
    except TomlError as e:
        facts.problems.append(Problem(_error_line(e), f"invalid TOML: {e}"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        facts.problems.append(
            Problem(mark.line + 1 if mark else 1, f"invalid YAML: {_first_line(e)}")
        )
    except (ValueError, TypeError, AttributeError) as e:
        facts.problems.append(Problem(1, f"could not read: {_first_line(e)}"))
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
