"""`.scalelint_cache/`: what a run can reuse from the last one.

Three layers, all keyed by content, never by time alone:
- facts of each file, by the hash of its bytes (and path and kind), so an unchanged file is
  never parsed again (kept together in one pack file, see `save_facts`);
- the findings of the whole project, by a key over every file's facts hash, the configuration
  and the options that change findings, so a re-run with nothing changed renders the last
  answer, and so does one after an edit that changed no fact (a comment, the
  text inside a JSX element);
- each file's stamp (size, modification time, inode), content hash and facts hash, so an
  unchanged file is not even read.

Everything lives under a folder named for the engine's fingerprint (the scalelint version, a
hash of its own source and rule catalogue, the grammar versions): a new version never reads an
old cache. Writes go to a temporary file renamed into place, so two runs sharing the folder
never see half a file; anything unreadable is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from functools import cache
from pathlib import Path

from scalelint import __version__

CACHE_DIR = ".scalelint_cache"
# What a half-written, foreign or outdated cache file can raise when read: a miss, not an error.
UNREADABLE = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    AttributeError,
    ValueError,
    TypeError,
    ImportError,
    OverflowError,  # a garbage length field
    MemoryError,
)
_GRAMMARS = (
    "tree_sitter",
    "tree_sitter_typescript",
    "tree_sitter_javascript",
    "tree_sitter_python",
)


@cache
def engine_fingerprint() -> str:
    """scalelint's version, its source and catalogue, and the grammars: anything that can
    change a fact or a finding."""
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).resolve().parent
    from scalelint.catalogue import catalogue_dir

    for base, pattern in ((here, "*.py"), (catalogue_dir(), "*.yml")):
        for path in sorted(base.rglob(pattern)):
            h.update(path.relative_to(base).as_posix().encode())
            h.update(path.read_bytes())
    for name in _GRAMMARS:
        h.update(_binary_stamp(name).encode())
    return h.hexdigest()[:20]


def _binary_stamp(module: str) -> str:
    """An installed grammar by its version, read from the name of the `*.dist-info` folder
    beside it: every fresh install of the same version (each CI run's virtualenv) gets the
    same stamp, so a cache restored there is used. (Asking importlib.metadata would cost a
    warm run more than everything else it does before its answer.) Without that folder, the
    compiled files by name, size and time."""
    from importlib.util import find_spec

    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return module
    stamps = [module]
    for folder in spec.submodule_search_locations:
        with contextlib.suppress(OSError):
            site = os.path.dirname(os.path.abspath(folder))
            versions = sorted(
                name
                for name in os.listdir(site)
                if name.startswith(module + "-") and name.endswith(".dist-info")
            )
            if versions:
                stamps.extend(versions)
                continue
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name.endswith((".so", ".pyd", ".dylib")):
                    st = entry.stat()
                    stamps.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(stamps)


def cache_base(root: Path, cache_dir: Path | None = None) -> Path:
    """Where a project's cache lives: `.scalelint_cache/` in it, or, with `--cache-dir` or
    `SCALELINT_CACHE_DIR` (Ruff's `--cache-dir` and `RUFF_CACHE_DIR`), a folder of that
    directory named for the project's path, so projects sharing it keep apart."""
    if cache_dir is None:
        env = os.environ.get("SCALELINT_CACHE_DIR")
        cache_dir = Path(env) if env else None
    if cache_dir is None:
        return root / CACHE_DIR
    project = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache_dir.expanduser().resolve() / f"{root.name or 'root'}-{project}"


def content_key(rel: str, kind: str, data: bytes) -> str:
    h = hashlib.sha256(rel.encode())
    h.update(b"\0" + kind.encode() + b"\0")
    h.update(data)
    return h.hexdigest()


class Cache:
    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.base = cache_base(root, cache_dir)
        self.dir = self.base / engine_fingerprint()
        self._ready = False
        self._packed: dict[str, bytes] | None = None
        self._recent: dict[str, bytes] | None = None
        self._pack_size = 0  # entries in the pack, as the recent file records it
        self._fresh: dict[str, bytes] = {}
        self._stats: dict | None = None

    # ── files on disk ──
    def _prepare(self) -> bool:
        if self._ready:
            return True
        try:
            if not self.dir.is_dir():
                self.dir.mkdir(parents=True, exist_ok=True)
                _prune_other_versions(self.base, self.dir)
            ignore = self.base / ".gitignore"
            if not ignore.exists():
                _write_atomic(ignore, b"# created by scalelint: nothing here belongs in git\n*\n")
            tag = self.base / "CACHEDIR.TAG"
            if not tag.exists():
                _write_atomic(
                    tag, b"Signature: 8a477f597d28d172789f06886806bc55\n# scalelint cache\n"
                )
        except OSError:
            return False
        self._ready = True
        return True

    def _load(self, path: Path):
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except UNREADABLE:
            return None

    def _store(self, path: Path, value) -> None:
        if not self._prepare():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, pickle.PicklingError, RecursionError):
            pass

    # ── facts ──
    # Facts live in two files of pickled blobs by key: `facts.pack`, rewritten now and then
    # with only the keys the project still uses, and `facts.recent`, what runs have added
    # since. One file per source file meant thousands of file creations on a first run (a
    # third of its time on a 4,000-file repository) and as many opens on every later one.
    def _recent_blobs(self) -> dict[str, bytes]:
        if self._recent is None:
            found = self._load(self.dir / "facts.recent")
            ok = isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], dict)
            self._pack_size = found[0] if ok and isinstance(found[0], int) else 0
            self._recent = found[1] if ok else {}
        return self._recent

    def _packed_blobs(self) -> dict[str, bytes]:
        if self._packed is None:
            packed = self._load(self.dir / "facts.pack")
            self._packed = packed if isinstance(packed, dict) else {}
        return self._packed

    def facts(self, key: str, recent_only: bool = False):
        blob = self.facts_blob(key, recent_only)
        if blob is None:
            return None
        try:
            return pickle.loads(blob)
        except UNREADABLE:
            return None

    def facts_blob(self, key: str, recent_only: bool = False) -> bytes | None:
        """The pickled facts kept under `key`. `recent_only` spares reading the pack, tens of
        megabytes on a large repository, when the caller would rather parse a few files."""
        blob = self._recent_blobs().get(key)
        if blob is None and not recent_only:
            blob = self._packed_blobs().get(key)
        return blob

    def keep_facts(self, key: str, blob: bytes) -> None:
        """Facts made this run, already pickled; written by `save_facts`."""
        self._fresh[key] = blob

    def has_fresh_facts(self) -> bool:
        return bool(self._fresh)

    def save_facts(self, in_use: set[str]) -> None:
        """Write what this run made. The recent file takes it until it holds an eighth as
        many entries as the pack (it records the pack's size, so this is known without
        reading the pack); then both are folded into a new pack of the keys still in use."""
        if not self._fresh:
            return
        recent = {**self._recent_blobs(), **self._fresh}
        self._fresh = {}
        pack_size = self._pack_size
        if len(recent) * 8 > pack_size + 512:
            old = self._packed_blobs()
            packed = {k: b for k in sorted(in_use) if (b := recent.get(k) or old.get(k))}
            self._store(self.dir / "facts.pack", packed)
            self._packed, pack_size, recent = packed, len(packed), {}
        self._store(self.dir / "facts.recent", (pack_size, recent))
        self._recent, self._pack_size = recent, pack_size

    # ── file hashes by stat, so an unchanged file is not even read ──
    def stats(self) -> dict:
        if self._stats is None:
            found = self._load(self.dir / "stats")
            self._stats = found if isinstance(found, dict) else {}
        return self._stats

    def store_stats(self, stats: dict) -> None:
        self._stats = stats
        self._store(self.dir / "stats", stats)

    # ── whole-run results ──
    def catalogue(self) -> dict | None:
        found = self._load(self.dir / "catalogue")
        return found if isinstance(found, dict) else None

    def store_catalogue(self, parsed: dict) -> None:
        self._store(self.dir / "catalogue", parsed)

    def results(self, key: str):
        found = self._load(self.dir / "results")
        if isinstance(found, tuple) and len(found) == 2 and found[0] == key:
            return found[1]
        return None

    def store_results(self, key: str, value) -> None:
        self._store(self.dir / "results", (key, value))


KEEP_VERSIONS = 3


def _prune_other_versions(base: Path, current: Path) -> None:
    """Each scalelint version caches in a folder of its own; on the first run of a new one,
    all but the few most recently used are removed. A few, not one: a pre-commit hook pinned
    to one version and a command line on another take turns on the same project."""
    try:
        others = [p for p in base.iterdir() if p.is_dir() and p != current]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in others[KEEP_VERSIONS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def clean(root: Path, cache_dir: Path | None = None) -> bool:
    """Remove the project's cache folder; True when there was one."""
    base = cache_base(root, cache_dir)
    if not base.is_dir():
        return False
    shutil.rmtree(base, ignore_errors=True)
    return True
