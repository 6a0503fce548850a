"""Paths → the files scalelint reads, each with its kind, and the project root.

Context is whole-project even when a hook passes five staged files, so discovery always walks
the whole root; the files the user named are marked as *targets*, and only findings in targets
are reported. Symlinks are never followed: a link inside the project points at a file the walk
reaches anyway (following it would read it twice), and a link outside must not be read at all.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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

# `.env-<word>` names that are env files too; other `.env-*` files are tools' own configs.
ENV_TEMPLATE_WORDS = ("example", "sample", "template", "dist", "default", "defaults")

CODE_KINDS = frozenset({"python", "typescript", "tsx", "javascript"})


@lru_cache(maxsize=4096)  # names repeat: index.ts, route.ts, page.tsx, package.json
def file_kind(name: str) -> str | None:
    """The kind of a file from its name alone, or None when scalelint does not read it."""
    if name in _KIND_BY_NAME:
        return _KIND_BY_NAME[name]
    if name == ".env" or name.startswith(".env.") or (name.endswith(".env") and len(name) > 4):
        return "dotenv"
    if name[:5] in (".env-", ".env_") and name[5:] in ENV_TEMPLATE_WORDS:
        return "dotenv"  # `.env-template`, `.env_example` (not `.env-cmdrc`, env-cmd's JSON)
    if name.startswith(("fly.", "fly-")) and name.endswith(".toml"):
        return "fly_toml"  # `fly deploy --config fly.pgbouncer.toml`: one file per Fly app
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


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see `scalelint.records.value_record`
class SourceFile:
    rel: str  # project-relative, "/"-separated
    kind: str
    target: bool  # reported on (inside the paths the user gave)
    stamp: tuple = field(default=(), compare=False)  # (size, mtime_ns, inode) seen by the walk


@dataclass
class Discovery:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    marker_dirs: list[str] = field(default_factory=list)  # e.g. "apps/web/.vercel"


def find_root(start: Path, named_folder: bool = False) -> Path:
    """The project a path belongs to.

    The nearest folder holding scalelint's config wins. Otherwise a folder the user named that
    is a project itself (`scalelint check apps/web`, `scalelint check fixtures/demo-app`) is the
    project. Otherwise — files, as a pre-commit hook passes them — the repository they sit in
    (`.git`), so a staged route in `apps/web` still sees the whole repository's context; and
    without a repository, the nearest `package.json` or `pyproject.toml`.
    """
    start = start if start.is_dir() else start.parent
    chain = [start, *start.parents]
    for d in chain:
        if any((d / m).is_file() for m in STRONG_ROOT_MARKERS) or _pyproject_has_config(d):
            return d
    if named_folder and any((start / m).exists() for m in ROOT_MARKERS):
        return start
    for d in chain:
        if (d / ".git").exists():
            return d
    for d in chain:
        if any((d / m).exists() for m in ROOT_MARKERS):
            return d
    return start


def names_a_folder(paths: Iterable[Path]) -> bool:
    """Whether the user named folders (a project to check) rather than files (a commit's)."""
    paths = list(paths)
    return bool(paths) and all(p.is_dir() for p in paths)


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
        # Plain names (`node_modules`) and `*.suffix` patterns are most exclude lists: a set
        # and a string test answer them for thousands of paths where a pattern engine is slow.
        self.names = {p.strip("/") for p in excludes if not _glob_like(p)}
        self.suffixes = tuple(p[1:] for p in excludes if _suffix_glob(p))
        rest = [p for p in excludes if _glob_like(p) and not _suffix_glob(p)]
        self.excludes = _spec(rest) if rest else None
        self._specs: dict[str, object | None] = {}
        self._global_spec: object | bool | None = False  # read on first use

    def spec_for(self, rel_dir: str):
        if rel_dir not in self._specs:
            d = self.root / rel_dir if rel_dir else self.root
            self._specs[rel_dir] = _read_spec(d / ".gitignore")
        return self._specs[rel_dir]

    def excluded(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")  # like gitignore, `dist` excludes `dist/` at any depth
        if not self.names.isdisjoint(parts):
            return True
        if not is_dir and self.suffixes and parts[-1].endswith(self.suffixes):
            return True
        if self.excludes is None:
            return False
        return bool(self.excludes.match_file(rel + "/" if is_dir else rel))

    def excluded_in(self, rel: str, name: str) -> bool:
        """`excluded(rel, False)` for a file whose folders were already found not excluded:
        only its own name, and the path patterns, are left to test."""
        if name in self.names:
            return True
        if self.suffixes and name.endswith(self.suffixes):
            return True
        return self.excludes is not None and bool(self.excludes.match_file(rel))

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
        if self._global_spec is False:
            self._global_spec = _read_spec(self.root / ".git" / "info" / "exclude")
        if self._global_spec is not None:
            res = self._global_spec.check_file(rel + ("/" if is_dir else ""))
            if res.include is not None:
                return bool(res.include)
        return False


def _glob_like(pattern: str) -> bool:
    """Anything beyond a plain file or folder name: wildcards, paths, negation."""
    return any(c in pattern for c in "*?[!\\") or "/" in pattern.strip("/")


def _suffix_glob(pattern: str) -> bool:
    """`*.min.js`: a name ending, nothing else."""
    return pattern.startswith("*") and not any(c in pattern[1:] for c in "*?[/\\!")


def _spec(lines: list[str]):
    """A gitignore matcher; pathspec loads only when a pattern needs it (a run in a git
    repository with the default excludes never does)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _read_spec(path: Path):
    try:
        if not path.is_file():
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _spec(lines) if lines else None


def discover(
    root: Path,
    paths: list[Path],
    excludes: list[str],
    force_exclude: bool = False,
    max_bytes: int = 2_000_000,
    listing: subprocess.Popen | None = None,
) -> Discovery:
    """Walk the whole project once; mark the files under `paths` as targets. `listing` is a
    `start_listing(root)` begun earlier, if any."""
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
    listed = _git_files(root, ignore, out, listing)
    for rel, st in listed if listed is not None else _walk(root, ignore, out):
        size = st.st_size
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
        out.files.append(SourceFile(rel, kind, is_target(rel), (size, st.st_mtime_ns, st.st_ino)))

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


def start_listing(root: Path) -> subprocess.Popen | None:
    """Start `git ls-files` for the project at `root`, to be passed to `discover`. A run
    starts it before it reads its cache index and configuration, so git lists the files
    meanwhile: waiting for it was a tenth of a warm run on a 4,000-file repository."""
    if shutil.which("git") is None:
        return None
    try:
        return subprocess.Popen(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def stop_listing(listing: subprocess.Popen | None) -> None:
    """End a listing nobody will read, and close its pipe, so no process or file is left."""
    if listing is None:
        return
    if listing.poll() is None:
        listing.kill()
        listing.wait()
    if listing.stdout is not None:
        listing.stdout.close()


def _git_files(
    root: Path, ignore: _IgnoreStack, out: Discovery, started: subprocess.Popen | None = None
) -> list[tuple[str, os.stat_result]] | None:
    """In a git work tree, the files git would show: tracked ones and untracked ones no ignore
    rule hides (every level of .gitignore, .git/info/exclude, the user's global excludes), in
    one call of milliseconds instead of a walk. None when there is no git or no repository."""
    listing = started or start_listing(root)
    if listing is None:
        return None
    try:
        stdout, _ = listing.communicate(timeout=60)
    except (OSError, subprocess.SubprocessError):
        stop_listing(listing)
        return None
    if listing.returncode != 0:
        return None
    names = sorted({n.decode("utf-8", "surrogateescape") for n in stdout.split(b"\0") if n})
    excluded_dirs: dict[str, bool] = {"": False}

    def dir_excluded(d: str) -> bool:
        if d not in excluded_dirs:
            parent = d.rsplit("/", 1)[0] if "/" in d else ""
            excluded_dirs[d] = dir_excluded(parent) or ignore.excluded(d, True)
        return excluded_dirs[d]

    files: list[tuple[str, os.stat_result]] = []
    package_dirs = {""}
    base = f"{root}/"
    for rel in names:
        d, _, name = rel.rpartition("/")
        if file_kind(name) is None or dir_excluded(d) or ignore.excluded_in(rel, name):
            continue
        try:
            st = os.lstat(base + rel)
        except OSError:
            continue  # tracked, but deleted in the work tree
        if not stat.S_ISREG(st.st_mode):
            continue  # links are never followed; submodules are other repositories
        if name == "package.json":
            package_dirs.add(d)
        files.append((rel, st))
    for d in sorted(package_dirs):
        for marker in MARKER_DIRS:
            rel = f"{d}/{marker}" if d else marker
            if os.path.isdir(os.path.join(root, rel)):
                out.marker_dirs.append(rel)
    return files


def _walk(root: Path, ignore: _IgnoreStack, out: Discovery) -> Iterator[tuple[str, os.stat_result]]:
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
                yield rel, st
        stack.extend(reversed(subdirs))
