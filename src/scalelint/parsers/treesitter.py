"""Tree-sitter grammars, loaded once per process.

The official per-grammar wheels are used (tree-sitter-languages pins tree-sitter < 0.22 and is
unmaintained). TS and TSX are different grammars: JSX in a `.ts` file is a syntax error.
"""

from __future__ import annotations

from functools import cache

import tree_sitter as ts


@cache
def parser_for(kind: str) -> ts.Parser:
    return ts.Parser(_language(kind))


def language(kind: str) -> ts.Language:
    return _language(kind)


@cache
def _language(kind: str) -> ts.Language:
    if kind == "python":
        import tree_sitter_python as grammar

        return ts.Language(grammar.language())
    if kind in ("typescript", "tsx"):
        import tree_sitter_typescript as grammar

        fn = grammar.language_tsx if kind == "tsx" else grammar.language_typescript
        return ts.Language(fn())
    if kind == "javascript":
        import tree_sitter_javascript as grammar

        return ts.Language(grammar.language())
    raise ValueError(f"no grammar for {kind}")


def parse(kind: str, source: bytes) -> ts.Tree:
    return parser_for(kind).parse(source)


def error_share(root: ts.Node) -> float:
    """The share of the file's bytes tree-sitter could not place in the syntax tree.

    An ERROR node often wraps well-parsed statements (a whole file can hang under an ERROR root
    for one odd token); only the bytes an ERROR node holds outside its parsed children count.
    """
    if not root.has_error:
        return 0.0
    total = max(root.end_byte - root.start_byte, 1)
    bad = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            bad += 1
            continue
        if node.is_error:
            kept = [c for c in node.children if c.is_named and not c.is_error]
            bad += (node.end_byte - node.start_byte) - sum(c.end_byte - c.start_byte for c in kept)
            stack.extend(kept)
        elif node.has_error:
            stack.extend(node.children)
    return bad / total


def first_error(root: ts.Node) -> ts.Node | None:
    """The first ERROR or MISSING node in document order, to point a parse diagnostic at."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    return root
