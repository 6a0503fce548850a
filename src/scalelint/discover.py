"""Paths → the files scalelint reads, each with its kind, and the project root.

Context is whole-project even when a hook passes five staged files, so discovery always walks
the whole root; the files the user named are marked as *targets*, and only findings in targets
are reported. Symlinks are never followed: a link inside the project points at a file the walk
reaches anyway (following it would read it twice), and a link outside must not be read at all.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from scalelint.findings import Diagnostic

STRONG_ROOT_MARKERS = (".scalelint.yml", ".scalelint.yaml")
ROOT_MARKERS = (".git", "package.json", "pyproject.toml")

DEFAULT_EXCLUDES = (
    "node_modules",
    ".next",
    ".vercel",
    "dist",
    "build",
    "out",
    "coverage",
    ".venv",
    "venv",
    "vendor",
    "__pycache__",
    ".git",
    ".scalelint_cache",
    "*.min.js",
    "*.min.mjs",
    "*.bundle.js",
)

# Directories whose presence is itself a fact (a linked Vercel project), though never read.
MARKER_DIRS = (".vercel",)

_KIND_BY_NAME = {
    "schema.prisma": "prisma",
    "fly.toml": "fly_toml",
    "pgbouncer.ini": "pgbouncer_ini",
    "package.json": "package_json",
    "jsconfig.json": "tsconfig",
    "vercel.json": "vercel_json",
    "netlify.toml": "netlify_toml",
    "wrangler.toml": "wrangler_toml",
    "wrangler.jsonc": "wrangler_json",
    "wrangler.json": "wrangler_json",
    "serverless.yml": "serverless_yml",
    "serverless.yaml": "serverless_yml",
    "pyproject.toml": "pyproject",
    "Procfile": "procfile",
    "render.yaml": "render_yaml",
    "template.yaml": "sam_template",
    "template.yml": "sam_template",
}

_KIND_BY_SUFFIX = {
    ".py": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".prisma": "prisma",
}

CODE_KINDS = frozenset({"python", "typescript", "tsx", "javascript"})


def file_kind(name: str) -> str | None:
    """The kind of a file from its name alone, or None when scalelint does not read it."""
    if name in _KIND_BY_NAME:
        return _KIND_BY_NAME[name]
    if name == ".env" or name.startswith(".env.") or (name.endswith(".env") and len(name) > 4):
        return "dotenv"
    if name.startswith("tsconfig") and name.endswith(".json"):
        return "tsconfig"
    if name.startswith("requirements") and name.endswith(".txt"):
        return "requirements"
    if (
        name == "Dockerfile"
        or name.startswith("Dockerfile.")
        or name.lower().endswith(".dockerfile")
    ):
        return "dockerfile"
    if name.endswith(".d.ts") or name.endswith(".d.mts") or name.endswith(".d.cts"):
        return None  # declarations only: no code runs there
    return _KIND_BY_SUFFIX.get(os.path.splitext(name)[1])


@dataclass(frozen=True, slots=True)
class SourceFile:
    rel: str  # project-relative, "/"-separated
    kind: str
    target: bool  # reported on (inside the paths the user gave)


@dataclass
class Discovery:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    marker_dirs: list[str] = field(default_factory=list)  # e.g. "apps/web/.vercel"


def find_root(start: Path) -> Path:
    """The project a path belongs to: the nearest folder holding scalelint's config, else the
    nearest holding `.git`, `package.json` or `pyproject.toml`, else the path itself."""
    start = start if start.is_dir() else start.parent
    chain = [start, *start.parents]
    for d in chain:
        if any((d / m).is_file() for m in STRONG_ROOT_MARKERS) or _pyproject_has_config(d):
            return d
    for d in chain:
        if any((d / m).exists() for m in ROOT_MARKERS):
            return d
    return start


def _pyproject_has_config(d: Path) -> bool:
    p = d / "pyproject.toml"
    try:
        return p.is_file() and "[tool.scalelint" in p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def common_start(paths: Iterable[Path]) -> Path:
    """Where the root search starts: the paths as written (a link's own folder, not its
    target's, so a link cannot move the project somewhere else)."""
    absolute = [os.path.abspath(p) for p in paths]
    if not absolute:
        return Path.cwd().resolve()
    common = Path(os.path.commonpath(absolute))
    return common.resolve() if not common.is_symlink() else common.parent.resolve()


class _IgnoreStack:
    """gitignore semantics at every level: a file is judged by the deepest .gitignore that
    says anything about it, then by shallower ones, like git itself."""

    def __init__(self, root: Path, excludes: list[str]) -> None:
        self.root = root
        self.excludes = pathspec.GitIgnoreSpec.from_lines(excludes)
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        info_exclude = root / ".git" / "info" / "exclude"
        self.global_spec = _read_spec(info_exclude)

    def spec_for(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        if rel_dir not in self._specs:
            d = self.root / rel_dir if rel_dir else self.root
            self._specs[rel_dir] = _read_spec(d / ".gitignore")
        return self._specs[rel_dir]

    def excluded(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        return bool(self.excludes.match_file(probe))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        # deepest directory first: its .gitignore overrides its parents'
        for depth in range(len(parts) - 1, -1, -1):
            base = "/".join(parts[:depth])
            spec = self.spec_for(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            result = spec.check_file(sub)
            if result.include is not None:
                return bool(result.include)
        if self.global_spec is not None:
            res = self.global_spec.check_file(rel + ("/" if is_dir else ""))
            if res.include is not None:
                return bool(res.include)
        return False


def _read_spec(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        if not path.is_file():
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def discover(
    root: Path,
    paths: list[Path],
    excludes: list[str],
    force_exclude: bool = False,
    max_bytes: int = 2_000_000,
) -> Discovery:
    """Walk the whole project once; mark the files under `paths` as targets."""
    root = root.resolve()
    out = Discovery(root=root)
    ignore = _IgnoreStack(root, excludes)
    targets_dirs: list[str] = []
    explicit_files: dict[str, str] = {}
    for p in paths:
        rel = _relative(root, p, out)
        if rel is None:
            continue
        full = root / rel if rel else root
        if full.is_dir():
            targets_dirs.append(rel)
        elif full.is_file():
            explicit_files[rel] = p.name
        else:
            out.diagnostics.append(Diagnostic("skipped", "no such file or folder", str(p)))

    def is_target(rel: str) -> bool:
        if rel in explicit_files:
            return True
        return any(d == "" or rel == d or rel.startswith(d + "/") for d in targets_dirs)

    seen: set[str] = set()
    for rel, size in _walk(root, ignore, out):
        kind = file_kind(rel.rsplit("/", 1)[-1])
        if kind is None:
            continue
        seen.add(rel)
        if size > max_bytes:
            if is_target(rel):
                out.diagnostics.append(
                    Diagnostic(
                        "skipped",
                        f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
                        rel,
                    )
                )
            continue
        out.files.append(SourceFile(rel, kind, is_target(rel)))

    # Files named on the command line are read even when excluded, unless --force-exclude.
    for rel, name in sorted(explicit_files.items()):
        if rel in seen:
            continue
        kind = file_kind(name)
        if kind is None:
            continue
        full = root / rel
        if not force_exclude or not (ignore.excluded(rel, False) or ignore.ignored(rel, False)):
            try:
                size = full.stat().st_size
            except OSError as e:
                out.diagnostics.append(Diagnostic("skipped", f"cannot read: {e.strerror}", rel))
                continue
            if size > max_bytes:
                out.diagnostics.append(
                    Diagnostic(
                        "skipped",
                        f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
                        rel,
                    )
                )
                continue
            out.files.append(SourceFile(rel, kind, True))
    out.files.sort(key=lambda f: f.rel)
    return out


def _relative(root: Path, p: Path, out: Discovery) -> str | None:
    """The project-relative form of a path the user gave; links resolve to their target, and a
    target outside the project is refused."""
    try:
        resolved = p.resolve()
    except (OSError, RuntimeError) as e:  # RuntimeError: symlink loop on older Pythons
        out.diagnostics.append(Diagnostic("skipped", f"cannot resolve: {e}", str(p)))
        return None
    try:
        rel = resolved.relative_to(root)
    except ValueError:
        out.diagnostics.append(Diagnostic("skipped", "outside the project root", str(p)))
        return None
    return "" if str(rel) == "." else rel.as_posix()


def _walk(root: Path, ignore: _IgnoreStack, out: Discovery) -> Iterator[tuple[str, int]]:
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        full_dir = root / rel_dir if rel_dir else root
        try:
            entries = sorted(os.scandir(full_dir), key=lambda e: e.name)
        except OSError as e:
            out.diagnostics.append(
                Diagnostic("skipped", f"cannot list: {e.strerror}", rel_dir or ".")
            )
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name in MARKER_DIRS:
                    out.marker_dirs.append(rel)
                if ignore.excluded(rel, True) or ignore.ignored(rel, True):
                    continue
                subdirs.append(rel)
            elif stat.S_ISREG(st.st_mode):
                if ignore.excluded(rel, False) or ignore.ignored(rel, False):
                    continue
                yield rel, st.st_size
        stack.extend(reversed(subdirs))
