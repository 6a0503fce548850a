"""Every discovered file → its facts: from the cache when its bytes are unchanged, otherwise
parsed — in a process pool when there is enough to parse for the pool to pay for itself.

A file's identity is the hash of its bytes; the hash itself is reused while the file's size,
modification time and inode are those recorded last time, so a warm run reads no unchanged
file at all. Facts come back in discovery order whatever process made them, so the run's
output is the same byte for byte with one process or several, cold or warm.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scalelint.cache import UNREADABLE, Cache
from scalelint.discover import SourceFile

if TYPE_CHECKING:
    from scalelint.facts.model import FileFacts

# Below this many files to parse, starting worker processes costs more than they save.
PARALLEL_MIN_FILES = 400
# Pickling a file's facts and loading them back, relative to parsing the file (measured on
# dubinc/dub: 2.0 s + 2.4 s against 6.7 s for all 4,200 files).
PICKLE_COST = 0.3
CHUNK_FILES = 48
# Reading the facts pack of a 4,000-file repository takes about as long as parsing this many
# files (measured on dubinc/dub: 27 ms against about 1 ms a file).
PACK_WORTH_FILES = 30


@dataclass(slots=True)  # one per file on every run: not frozen, see `records.value_record`
class Content:
    sha: str  # hash of the bytes, or "error:<reason>" when they could not be read
    data: bytes | None  # the bytes, when this run had to read them
    stamp: tuple = ()  # (size, mtime_ns, inode) when the bytes were hashed
    digest: str | None = None  # hash of the file's facts, when a run made them from these bytes


def hash_files(root: Path, files: Sequence[SourceFile], cache: Cache | None) -> dict[str, Content]:
    known = cache.stats() if cache is not None else {}
    out: dict[str, Content] = {}
    base = str(root)
    for sf in files:
        path = os.path.join(base, sf.rel)
        try:
            if sf.stamp:
                stamp = sf.stamp
            else:
                st = os.stat(path)
                stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
            old = known.get(sf.rel)
            if old is not None and old[0] == stamp:
                out[sf.rel] = Content(old[1], None, stamp, _recorded_digest(old))
            else:
                with open(path, "rb") as f:
                    data = f.read()
                sha = hashlib.sha256(data).hexdigest()
                same = old is not None and old[1] == sha  # touched, not changed
                out[sf.rel] = Content(sha, data, stamp, _recorded_digest(old) if same else None)
        except OSError as e:
            out[sf.rel] = Content(f"error:{e.strerror or e}", None)
    return out


def _recorded_digest(entry: tuple) -> str | None:
    return entry[2] if len(entry) > 2 else None


def save_stats(cache: Cache, contents: dict[str, Content], digests: dict[str, str]) -> None:
    """Record each file's stamp, content hash and facts hash for the next run."""
    stats = {
        rel: (c.stamp, c.sha, digests.get(rel))
        for rel, c in contents.items()
        if c.stamp and not c.sha.startswith("error:")
    }
    if stats != cache.stats():
        cache.store_stats(stats)


def keep_facts(cache: Cache, files: Sequence[SourceFile], contents: dict[str, Content]) -> None:
    """Write the facts this run made to the cache, with the keys the project still uses."""
    if cache.has_fresh_facts():
        cache.save_facts({facts_key(sf, contents[sf.rel]) for sf in files})


def facts_digest(blob: bytes) -> str:
    """The identity of a file's facts: two versions of a file with the same facts (a comment
    or the text inside a JSX element changed) give every rule the same input."""
    return hashlib.blake2b(blob, digest_size=20).hexdigest()


def facts_key(sf: SourceFile, content: Content) -> str:
    return hashlib.sha256(f"{sf.rel}\0{sf.kind}\0{content.sha}".encode()).hexdigest()


def extract_all(
    root: Path,
    files: Sequence[SourceFile],
    contents: dict[str, Content] | None = None,
    cache: Cache | None = None,
    jobs: int = 1,
    digests: dict[str, str] | None = None,
    parsed: list[str] | None = None,
) -> dict[str, FileFacts]:
    """The facts of `files`, in their order. With a cache, `digests` (when given) receives
    the facts hash of each file; `parsed` (when given), the files that were not found in the
    cache and were parsed."""
    if contents is None:
        contents = hash_files(root, files, cache)
    found: dict[str, FileFacts] = {}
    todo: list[tuple[SourceFile, str, bytes | None]] = []
    # Files read this run changed since the last one; when they are few, parsing them costs
    # less than reading the whole pack to find an older version of them there.
    few_changed = sum(contents[sf.rel].data is not None for sf in files) <= PACK_WORTH_FILES
    for sf in files:
        content = contents[sf.rel]
        key = facts_key(sf, content)
        blob = None
        if cache is not None:
            blob = cache.facts_blob(key, recent_only=few_changed and content.data is not None)
        cached = _unpickled(blob) if blob is not None else None
        if cached is not None and getattr(cached, "rel", None) == sf.rel:
            found[sf.rel] = cached
            if digests is not None:
                digests[sf.rel] = facts_digest(blob)
        else:
            todo.append((sf, key, content.data))
    cacheable = {
        i for i, (sf, _, _) in enumerate(todo) if not contents[sf.rel].sha.startswith("error:")
    }
    work = [
        (
            sf.rel,
            sf.kind,
            str(root / sf.rel) if data is None else data,
            key if cache is not None and i in cacheable else None,
        )
        for i, (sf, key, data) in enumerate(todo)
    ]
    if parsed is not None:
        parsed.extend(sf.rel for sf, _, _ in todo)
    if jobs > 1 and len(work) >= PARALLEL_MIN_FILES:
        made = _in_pool(work, jobs, cache)
    else:
        made = [_extract_one(item, cache) for item in work]
    for (sf, _, _), (facts, blob) in zip(todo, made, strict=True):
        found[sf.rel] = facts
        if digests is not None and blob is not None:
            digests[sf.rel] = facts_digest(blob)
    return {sf.rel: found[sf.rel] for sf in files}


def _unpickled(blob: bytes):
    try:
        return pickle.loads(blob)
    except UNREADABLE:
        return None


def _in_pool(work: list, jobs: int, cache: Cache | None) -> list[tuple[FileFacts, bytes | None]]:
    """Workers parse part of the files while this process parses the rest itself.

    Facts come back pickled, and loading them here costs about a third of making them, so a
    pool whose parent only waits is no faster than one process. With the parent working
    too, each side finishes at about the same time when the parent takes the share
    (1 + r) / (jobs + r) of the bytes, r being the pickling cost relative to parsing. A worker
    pickles each file's facts once; this process reads those bytes and caches them as they are.
    """
    share = (1 + PICKLE_COST) / (jobs + PICKLE_COST)
    mine: list[int] = []
    theirs: list[int] = []
    mine_bytes = their_bytes = 0
    for i, (_, _, data, _) in enumerate(work):
        size = len(data) if isinstance(data, bytes) else _size(data)
        # each file goes to the side furthest behind its share, so both get a mix of sizes
        if mine_bytes * (1 - share) <= their_bytes * share:
            mine.append(i)
            mine_bytes += size
        else:
            theirs.append(i)
            their_bytes += size
    chunks = [theirs[i : i + CHUNK_FILES] for i in range(0, len(theirs), CHUNK_FILES)]
    import multiprocessing  # here, not at the top: a run the cache answers never needs it
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    out: list = [None] * len(work)
    with ProcessPoolExecutor(max_workers=max(jobs - 1, 1), mp_context=context) as pool:
        futures = [
            (chunk, pool.submit(_extract_chunk, [work[i] for i in chunk])) for chunk in chunks
        ]
        for i in mine:
            out[i] = _extract_one(work[i], cache)
        for chunk, future in futures:
            for i, blob in zip(chunk, future.result(), strict=True):
                out[i] = (pickle.loads(blob), blob)
                key = work[i][3]
                if key is not None and cache is not None:
                    cache.keep_facts(key, blob)
    return out


def _extract_chunk(chunk: list) -> list[bytes]:
    return [
        pickle.dumps(_extract(rel, kind, data), protocol=pickle.HIGHEST_PROTOCOL)
        for rel, kind, data, _ in chunk
    ]


def _extract_one(item: tuple, cache: Cache | None) -> tuple[FileFacts, bytes | None]:
    """The facts, and when a cache will keep them or hash them, their pickled bytes."""
    rel, kind, data, key = item
    facts = _extract(rel, kind, data)
    if cache is None:
        return facts, None
    blob = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
    if key is not None:
        cache.keep_facts(key, blob)
    return facts, blob


def _extract(rel: str, kind: str, data) -> FileFacts:
    from scalelint.facts.extract import extract
    from scalelint.facts.model import FileFacts, Problem

    if isinstance(data, str):  # a path: the bytes were not needed to hash it
        try:
            data = Path(data).read_bytes()
        except OSError as e:
            facts = FileFacts(rel, kind)
            facts.problems.append(Problem(1, f"cannot read: {e.strerror or e}"))
            facts.skipped = "unreadable"
            return facts
    return extract(rel, kind, data)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
