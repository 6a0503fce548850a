"""JSON with comments and trailing commas (tsconfig, wrangler.jsonc, vercel.json), with the
line and column of every value, which the standard `json` module does not keep."""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple  # (key or index, …)


class JsonError(ValueError):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{message} at line {line}, column {col}")
        self.line = line
        self.col = col


@dataclass
class JsonDoc:
    value: object
    positions: dict[Path, tuple[int, int]]  # path → (line, col) of the value, 1-based

    def line_of(self, *path) -> int:
        return self.positions.get(tuple(path), (1, 1))[0]


MAX_DEPTH = 200


def parse_jsonc(text: str) -> JsonDoc:
    p = _Parser(text)
    p.skip()
    value = p.value((), 0)
    p.skip()
    if p.i < len(text):
        p.fail("unexpected content after the document")
    return JsonDoc(value, p.positions)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.positions: dict[Path, tuple[int, int]] = {}

    def fail(self, message: str):
        raise JsonError(message, self.line, self.i - self.line_start + 1)

    def skip(self) -> None:
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c == "\n":
                self.line += 1
                self.i += 1
                self.line_start = self.i
            elif c in " \t\r\ufeff":
                self.i += 1
            elif s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    self.fail("unclosed comment")
                self.line += s.count("\n", self.i, end)
                nl = s.rfind("\n", self.i, end)
                if nl >= 0:
                    self.line_start = nl + 1
                self.i = end + 2
            else:
                return

    def value(self, path: Path, depth: int):
        if depth > MAX_DEPTH:
            self.fail("nested too deeply")
        self.positions[path] = (self.line, self.i - self.line_start + 1)
        if self.i >= len(self.s):
            self.fail("unexpected end of file")
        c = self.s[self.i]
        if c == "{":
            return self.obj(path, depth)
        if c == "[":
            return self.arr(path, depth)
        if c == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return val
        return self.number()

    def obj(self, path: Path, depth: int) -> dict:
        self.i += 1
        out: dict = {}
        while True:
            self.skip()
            if self.i >= len(self.s):
                self.fail("unclosed object")
            if self.s[self.i] == "}":
                self.i += 1
                return out
            if self.s[self.i] != '"':
                self.fail("expected a quoted key")
            key = self.string()
            self.skip()
            if self.i >= len(self.s) or self.s[self.i] != ":":
                self.fail("expected ':'")
            self.i += 1
            self.skip()
            out[key] = self.value((*path, key), depth + 1)
            self.skip()
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.i += 1
            elif self.i < len(self.s) and self.s[self.i] != "}":
                self.fail("expected ',' or '}'")

    def arr(self, path: Path, depth: int) -> list:
        self.i += 1
        out: list = []
        while True:
            self.skip()
            if self.i >= len(self.s):
                self.fail("unclosed array")
            if self.s[self.i] == "]":
                self.i += 1
                return out
            out.append(self.value((*path, len(out)), depth + 1))
            self.skip()
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.i += 1
            elif self.i < len(self.s) and self.s[self.i] != "]":
                self.fail("expected ',' or ']'")

    def string(self) -> str:
        s = self.s
        self.i += 1
        out = []
        while True:
            j = self.i
            while j < len(s) and s[j] not in '"\\\n':
                j += 1
            out.append(s[self.i : j])
            if j >= len(s) or s[j] == "\n":
                self.i = j
                self.fail("unclosed string")
            if s[j] == '"':
                self.i = j + 1
                return "".join(out)
            esc = s[j + 1 : j + 2]
            simple = {
                '"': '"',
                "\\": "\\",
                "/": "/",
                "b": "\b",
                "f": "\f",
                "n": "\n",
                "r": "\r",
                "t": "\t",
            }
            if esc in simple:
                out.append(simple[esc])
                self.i = j + 2
            elif esc == "u":
                try:
                    out.append(chr(int(s[j + 2 : j + 6], 16)))
                except ValueError:
                    self.i = j
                    self.fail("bad \\u escape")
                self.i = j + 6
            else:
                self.i = j
                self.fail("bad escape")

    def number(self):
        s = self.s
        j = self.i
        while j < len(s) and s[j] in "+-0123456789.eE":
            j += 1
        raw = s[self.i : j]
        if not raw:
            self.fail("unexpected character")
        self.i = j
        try:
            return int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            self.fail(f"bad number {raw!r}")
