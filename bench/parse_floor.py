"""The parse floor: read and tree-sitter-parse every listed code file, nothing else.

    python bench/parse_floor.py FILE_LIST JOBS

FILE_LIST holds one `kind<TAB>path` per line (kind = typescript | tsx | javascript | python,
the grammar scalelint uses for that file). JOBS > 1 parses in a `multiprocessing` pool of that
many processes (parsers built once per worker, paths sent in chunks of 64, trees dropped at
once); JOBS = 1 parses in this process. It prints `files errors bytes`.

This is the cost no linter built on the same grammars can go under on the same cores, so
`scalelint check` ÷ this time says how much scalelint adds on top of parsing.
"""

from __future__ import annotations

import sys

_parsers: dict = {}


def _init() -> None:
    import tree_sitter as ts
    import tree_sitter_javascript as js
    import tree_sitter_python as py
    import tree_sitter_typescript as tsg

    langs = {
        "typescript": tsg.language_typescript(),
        "tsx": tsg.language_tsx(),
        "javascript": js.language(),
        "python": py.language(),
    }
    for kind, lang in langs.items():
        _parsers[kind] = ts.Parser(ts.Language(lang))


def _parse_chunk(chunk: list[tuple[str, str]]) -> tuple[int, int, int]:
    files = errors = size = 0
    for kind, path in chunk:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        tree = _parsers[kind].parse(data)
        files += 1
        size += len(data)
        errors += tree.root_node.has_error
        del tree
    return files, errors, size


def read_list(path: str) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                kind, _, file = line.partition("\t")
                out.append((kind, file))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    items = read_list(argv[0])
    jobs = int(argv[1])
    chunks = [items[i : i + 64] for i in range(0, len(items), 64)]
    if jobs <= 1:
        _init()
        results = [_parse_chunk(c) for c in chunks]
    else:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs, initializer=_init) as pool:
            results = list(pool.imap_unordered(_parse_chunk, chunks))
    files, errors, size = (sum(r[i] for r in results) for i in range(3))
    print(files, errors, size)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
