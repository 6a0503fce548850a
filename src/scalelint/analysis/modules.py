"""Import specifiers → files of the project, for TS/JS and Python.

`import { db } from "@/lib/db"` must land on `src/lib/db.ts` before a rule can say that `db`
is a Prisma client. TS/JS: relative paths with every extension and `index` files (and the
`.js`-for-`.ts` ESM convention), tsconfig/jsconfig `paths` and `baseUrl` (following
`extends`), Next.js's default `@/` when no paths are configured, and workspace packages by
their package.json name. Python: package-relative imports and absolute ones, matched against
every suffix of every module path, since source roots (`src/`, `backend/`) vary.

Lives once here because the pool, query and webhook rules all need it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from functools import cache

from scalelint.facts.model import FileFacts, TsConfig

JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_KINDS = ("typescript", "tsx", "javascript")


_UNSEEN = object()


def _keep_first(table: dict[str, tuple[int, str]], key: str, rank: int, rel: str) -> None:
    if key not in table or rank < table[key][0]:
        table[key] = (rank, rel)


class ModuleResolver:
    def __init__(self, files: Mapping[str, FileFacts]) -> None:
        self.js_files = {rel for rel, f in files.items() if f.kind in _JS_KINDS}
        # `base + extension` and `base/index + extension`, the first extension in
        # JS_EXTENSIONS order winning: what an import without an extension lands on
        self._with_extension: dict[str, tuple[int, str]] = {}
        self._index_of: dict[str, tuple[int, str]] = {}
        for rel in self.js_files:
            for rank, ext in enumerate(JS_EXTENSIONS):
                if rel.endswith(ext):
                    base = rel[: -len(ext)]
                    _keep_first(self._with_extension, base, rank, rel)
                    if base == "index" or base.endswith("/index"):
                        _keep_first(self._index_of, base[:-6].rstrip("/"), rank, rel)
        self.py_files = {rel for rel, f in files.items() if f.kind == "python"}
        self.tsconfigs: dict[str, TsConfig] = {}
        for rel, f in files.items():
            if f.tsconfig is not None:
                self.tsconfigs[rel] = f.tsconfig
        self.workspaces: dict[str, tuple[str, str]] = {}  # npm name → (dir, entry)
        self.package_dirs: set[str] = set()
        for rel, f in files.items():
            if f.kind == "package_json":
                d = posixpath.dirname(rel)
                self.package_dirs.add(d)
                if f.manifest is not None and f.manifest.name:
                    self.workspaces[f.manifest.name] = (d, f.manifest.entry)
        self._workspace_names = sorted(self.workspaces, key=len, reverse=True)
        self.py_index: dict[str, list[str]] = {}
        for rel in sorted(self.py_files):
            dotted = rel[:-3].replace("/", ".")
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            parts = dotted.split(".")
            for i in range(len(parts)):
                self.py_index.setdefault(".".join(parts[i:]), []).append(rel)
        self._cache: dict[tuple[str, str], str | None] = {}
        self._tsconfig_memo: dict[str, str | None] = {}  # folder → its tsconfig
        self._bare: dict[tuple[str | None, str | None, str], str | None] = {}
        self._loaded: dict[str, tuple[dict[str, list[str]], str | None]] = {}
        self._asked: dict[tuple[str, str], str | None] = {}

    # ── TS / JS ──
    def resolve_js(self, from_rel: str, spec: str) -> str | None:
        asked = (from_rel, spec)  # asked again for every use of every imported name
        found = self._asked.get(asked, _UNSEEN)
        if found is _UNSEEN:
            here = posixpath.dirname(from_rel)  # the files of one folder resolve alike
            key = (here, spec)
            found = self._cache.get(key, _UNSEEN)
            if found is _UNSEEN:
                found = self._cache[key] = self._resolve_js(here, spec)
            self._asked[asked] = found
        return found

    def _resolve_js(self, here: str, spec: str) -> str | None:
        spec = spec.split("?", 1)[0]
        if spec.startswith("."):
            return self._js_file(posixpath.normpath(posixpath.join(here, spec)))
        if spec.startswith("/"):
            return self._js_file(spec.lstrip("/"))
        # Anything else lands in the same place from every folder that shares a tsconfig
        # (and, for `@/`, a package): `react` or `@/lib/db` is resolved once, not per folder.
        config = self._tsconfig_rel(here)
        pkg = self._package_dir(here) if spec.startswith(("@/", "~/")) else None
        key = (config, pkg, spec)
        found = self._bare.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._bare[key] = self._resolve_bare(config, pkg, spec)
        return found

    def _resolve_bare(self, config_rel: str | None, pkg: str | None, spec: str) -> str | None:
        if config_rel is not None:
            if config_rel not in self._loaded:
                self._loaded[config_rel] = self._load_tsconfig(config_rel)
            paths, base_dir = self._loaded[config_rel]
            for pattern in sorted(paths, key=len, reverse=True):
                star = _match_pattern(pattern, spec)
                if star is None:
                    continue
                for target in paths[pattern]:
                    found = self._js_file(
                        posixpath.normpath(posixpath.join(base_dir, target.replace("*", star)))
                    )
                    if found:
                        return found
            if base_dir is not None and not paths:
                found = self._js_file(posixpath.normpath(posixpath.join(base_dir, spec)))
                if found:
                    return found
        if pkg is not None:
            for prefix in ("src/", ""):
                found = self._js_file(posixpath.normpath(posixpath.join(pkg, prefix + spec[2:])))
                if found:
                    return found
        return self._workspace(spec)

    def _js_file(self, base: str) -> str | None:
        if base in ("", "."):
            base = ""
        if base in self.js_files:
            return base
        stem, ext = posixpath.splitext(base)
        if ext in (".js", ".jsx", ".mjs", ".cjs"):
            for alt in (".ts", ".tsx", ".mts", ".cts"):
                if stem + alt in self.js_files:
                    return stem + alt
        found = self._with_extension.get(base) or self._index_of.get(base)
        return found[1] if found is not None else None

    def _workspace(self, spec: str) -> str | None:
        for name in self._workspace_names:
            if spec != name and not spec.startswith(name + "/"):
                continue
            d, entry = self.workspaces[name]
            sub = spec[len(name) + 1 :]
            if sub:
                for base in (sub, f"src/{sub}"):
                    found = self._js_file(posixpath.normpath(posixpath.join(d, base)))
                    if found:
                        return found
                return None
            candidates = [entry] if entry else []
            candidates += ["src/index", "index"]
            for c in candidates:
                c = c.replace("dist/", "src/") if c.startswith(("dist/", "./dist/")) else c
                found = self._js_file(posixpath.normpath(posixpath.join(d, c)))
                if found:
                    return found
        return None

    def _package_dir(self, here: str) -> str:
        d = here
        while True:
            if d in self.package_dirs:
                return d
            if not d:
                return ""
            d = posixpath.dirname(d)

    def _tsconfig_rel(self, here: str) -> str | None:
        """The nearest tsconfig.json / jsconfig.json above `here`."""
        if here in self._tsconfig_memo:
            return self._tsconfig_memo[here]
        result = None
        d = here
        while True:
            for name in ("tsconfig.json", "jsconfig.json"):
                rel = posixpath.join(d, name) if d else name
                if rel in self.tsconfigs:
                    result = rel
                    break
            if result is not None or not d:
                break
            d = posixpath.dirname(d)
        self._tsconfig_memo[here] = result
        return result

    def _load_tsconfig(self, rel: str, depth: int = 0) -> tuple[dict[str, list[str]], str | None]:
        """The effective `paths` and the folder they are relative to, following `extends`."""
        cfg = self.tsconfigs.get(rel)
        if cfg is None or depth > 5:
            return {}, None
        here = posixpath.dirname(rel)
        paths: dict[str, list[str]] = {}
        base_dir: str | None = None
        for parent in cfg.extends:
            parent_rel = self._extends_target(here, parent)
            if parent_rel is not None:
                p_paths, p_base = self._load_tsconfig(parent_rel, depth + 1)
                if p_paths:
                    paths = p_paths
                if p_base is not None:
                    base_dir = p_base
        if cfg.base_url is not None:
            base_dir = posixpath.normpath(posixpath.join(here, cfg.base_url))
        if cfg.paths:
            paths = cfg.paths
            if cfg.base_url is None:
                base_dir = here  # TS 4.1+: paths without baseUrl are relative to the config
        if paths and base_dir is None:
            base_dir = here
        return paths, base_dir

    def _extends_target(self, here: str, spec: str) -> str | None:
        if spec.startswith("."):
            target = posixpath.normpath(posixpath.join(here, spec))
            for candidate in (target, target + ".json", posixpath.join(target, "tsconfig.json")):
                if candidate in self.tsconfigs:
                    return candidate
            return None
        for name, (d, _) in self.workspaces.items():
            if spec == name or spec.startswith(name + "/"):
                sub = spec[len(name) + 1 :] or "tsconfig.json"
                candidate = posixpath.normpath(posixpath.join(d, sub))
                for c in (candidate, candidate + ".json"):
                    if c in self.tsconfigs:
                        return c
        return None

    # ── Python ──
    def resolve_py(self, from_rel: str, module: str) -> str | None:
        """`module` as written after `from`/`import`, leading dots included."""
        key = (from_rel, "py:" + module)
        if key not in self._cache:
            self._cache[key] = self._resolve_py(from_rel, module)
        return self._cache[key]

    def _resolve_py(self, from_rel: str, module: str) -> str | None:
        level = len(module) - len(module.lstrip("."))
        name = module[level:]
        if level:
            base = posixpath.dirname(from_rel)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            path = posixpath.join(base, *name.split(".")) if name else base
            for candidate in (path + ".py", posixpath.join(path, "__init__.py")):
                if candidate.lstrip("/") in self.py_files:
                    return candidate.lstrip("/")
            return None
        candidates = self.py_index.get(name)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        here = posixpath.dirname(from_rel)
        return max(candidates, key=lambda c: (_shared_prefix(here, c), -len(c)))

    def py_submodule(self, package_rel: str, name: str) -> str | None:
        """`from pkg import name` where `name` is a module of the package, not a variable."""
        if not package_rel.endswith("__init__.py"):
            return None
        base = posixpath.dirname(package_rel)
        for candidate in (
            posixpath.join(base, name + ".py"),
            posixpath.join(base, name, "__init__.py"),
        ):
            if candidate in self.py_files:
                return candidate
        return None


def _match_pattern(pattern: str, spec: str) -> str | None:
    """tsconfig `paths` matching: the text the `*` stands for, or None."""
    if "*" not in pattern:
        return "" if pattern == spec else None
    prefix, _, suffix = pattern.partition("*")
    if spec.startswith(prefix) and spec.endswith(suffix) and len(spec) >= len(prefix) + len(suffix):
        return spec[len(prefix) : len(spec) - len(suffix)]
    return None


@cache
def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
