"""The human format, after Ruff's `full` output: location, rule, message, the source line
with a caret under the problem, the fix, and the rule's page."""

from __future__ import annotations

from collections import Counter

from scalelint.findings import Finding
from scalelint.report import ReportData
from scalelint.urls import redact, redact_line

_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;34m"}
_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"


def render_text(
    data: ReportData, color: bool = False, quiet: bool = False, statistics: bool = False
) -> str:
    paint = _painter(color)
    out: list[str] = []
    if statistics:
        counts = Counter(f.rule for f in data.result.findings)
        for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            meta = data.rules.get(rule)
            out.append(f"{n:>5}  {paint(rule, _BOLD)}  {meta.name if meta else ''}")
        if not quiet:
            out.append(_summary(data, paint))
        return "\n".join(out) + "\n"
    for f in data.result.findings:
        out.extend(_finding(data, f, paint))
    if not quiet:
        out.append(_summary(data, paint))
    return "\n".join(out) + ("\n" if out else "")


def _finding(data: ReportData, f: Finding, paint) -> list[str]:
    s = f.span
    sev = paint(f.severity, _COLORS[f.severity])
    conf = "" if f.confidence == "high" else paint(" (medium confidence)", _DIM)
    head = f"{paint(f.path, _BOLD)}:{s.line}:{s.col}: {paint(f.rule, _COLORS[f.severity])} [{sev}] {f.message}{conf}"
    lines = [head]
    source = data.line(f)
    if source:
        shown, start, width = _caret_line(source.rstrip("\n\r").expandtabs(1), s)
        gutter = " " * len(str(s.line))
        lines.append(f"{gutter} {paint('|', _CYAN)}")
        lines.append(f"{paint(str(s.line), _CYAN)} {paint('|', _CYAN)} {shown}")
        lines.append(
            f"{gutter} {paint('|', _CYAN)} {' ' * start}{paint('^' * width, _COLORS[f.severity])}"
        )
        lines.append(f"{gutter} {paint('|', _CYAN)}")
        prefix = f"{gutter} "
    else:
        prefix = "  "
    lines.append(f"{prefix}{paint('=', _CYAN)} {paint('fix', _BOLD)}: {f.fix}")
    meta = data.rules.get(f.rule)
    if meta is not None:
        lines.append(f"{prefix}{paint('=', _CYAN)} {paint('docs', _BOLD)}: {meta.help_uri}")
    lines.append("")
    return lines


def _caret_line(line: str, s) -> tuple[str, int, int]:
    """The line safe to print, and where the caret goes on it. Passwords are replaced before
    printing, which shifts columns, so the pieces before, in and after the span are redacted
    on their own and measured."""
    start = max(s.col - 1, 0)
    end = s.end_col - 1 if s.end_line == s.line else len(line)
    end = max(min(end, len(line)), start + 1)
    full = redact_line(line)
    if full == line:
        return line, start, max(end - start, 1)
    pre, mid, post = redact(line[:start]), redact(line[start:end]), redact(line[end:])
    if pre + mid + post == full:
        return full, len(pre), max(len(mid), 1)
    return full, min(start, len(full)), max(len(full) - min(start, len(full)), 1)


def _summary(data: ReportData, paint) -> str:
    c = data.counts()
    total = sum(c.values())
    files = data.result.files_checked
    extra = []
    if data.result.suppressed:
        extra.append(f"{data.result.suppressed} suppressed")
    if data.result.baselined:
        extra.append(f"{data.result.baselined} in the baseline")
    if data.result.baseline_stale:
        extra.append(
            f"{data.result.baseline_stale} baseline entries no longer match (rewrite it with --write-baseline)"
        )
    tail = f" [{'; '.join(extra)}]" if extra else ""
    if total == 0:
        return f"{paint('All checks passed!', _BOLD)} ({files} files checked){tail}"
    parts = [
        f"{n} {name}{'s' if n != 1 else ''}"
        for name, n in (("error", c["error"]), ("warning", c["warning"]))
        if n
    ]
    if c["info"]:
        parts.append(f"{c['info']} info")
    noun = "problem" if total == 1 else "problems"
    return f"{paint(f'Found {total} {noun}', _BOLD)} ({', '.join(parts)}) in {files} files checked.{tail}"


def _painter(color: bool):
    if not color:
        return lambda text, code: text
    return lambda text, code: f"{code}{text}{_RESET}"
