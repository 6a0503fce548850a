"""Synthetic scale test: does scalelint's time grow linearly in files, and its memory stay flat?

    python bench/scale.py [--sizes 1000,10000,50000] [--jobs N] [--markdown] [--json-out FILE]

For each size it generates a project of that many code files in a temporary folder — Next.js
route handlers with Prisma queries (some inside loops), React components, TS utilities (some
with module-level caches), a few CommonJS scripts and ~10 % FastAPI/SQLAlchemy Python modules,
importing each other — then times, as whole processes, the tree-sitter parse floor of those
files (bench/parse_floor.py) and `scalelint check --no-cache --jobs N` (the plain command when
the flags do not exist yet). Content is a pure function of `--seed` and the file's index, so a
smaller project is a prefix of a larger one and every run generates the same bytes.

Read the table for: seconds per 1,000 files staying level as the size grows (linear time), and
the peak resident memory of the largest process staying level (facts streamed, not held).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    add_common_args,
    child_env,
    find_scalelint,
    fmt_s,
    load_average,
    machine_line,
    markdown_table,
    median,
    run_measured,
    saved_or_measured,
    scalelint_info,
    text_table,
)
from run import CACHE_DIR, code_files, detect_flags

BENCH = Path(__file__).resolve().parent
GROUP = 200  # files per folder group, so no folder gets huge

MODELS = ["user", "project", "invoice", "link", "domain", "workspace", "order", "comment"]
NAMES = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda", "theta", "zeta"]


# --- generation ------------------------------------------------------------------------------


def _rng(seed: int, i: int) -> random.Random:
    # a hash, not seed + i: neighbouring indexes must not get correlated streams
    digest = hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def kind_at(seed: int, i: int) -> str:
    """What file number i is: route | component | util | script | python."""
    x = _rng(seed, i).random()
    if x < 0.30:
        return "route"
    if x < 0.60:
        return "component"
    if x < 0.88:
        return "util"
    if x < 0.90:
        return "script"
    return "python"


def rel_path(kind: str, i: int) -> str:
    g = f"g{i // GROUP:03d}"
    return {
        "route": f"app/api/{g}/r{i}/route.ts",
        "component": f"components/{g}/Card{i}.tsx",
        "util": f"lib/{g}/u{i}.ts",
        "script": f"scripts/{g}/job{i}.js",
        "python": f"py/app/{g}/m{i}.py",
    }[kind]


def _earlier_util(seed: int, i: int, rng: random.Random) -> int | None:
    """An earlier util file to import from (so imports cross files and folders)."""
    for _ in range(4):
        if i < 2:
            return None
        j = rng.randrange(max(0, i - 3 * GROUP), i)
        if kind_at(seed, j) == "util":
            return j
    return None


def _util_import(seed: int, i: int, rng: random.Random, up: str) -> tuple[str, str]:
    j = _earlier_util(seed, i, rng)
    if j is None:
        return "const fmt = (x: string) => x.trim();\n", "fmt"
    return f'import {{ fmt{j} }} from "{up}lib/g{j // GROUP:03d}/u{j}";\n', f"fmt{j}"


def _filler_ts(rng: random.Random, i: int, n: int) -> str:
    """n extra exported helpers of two shapes, so file sizes spread like a real app's."""
    out = []
    for k in range(n):
        name = f"{rng.choice(NAMES)}{i}_{k}"
        limit = rng.randint(2, 500)
        if rng.random() < 0.5:
            out.append(
                f"""
export function {name}(values: number[], factor = {rng.randint(1, 9)}): number[] {{
  const out: number[] = [];
  for (const v of values) {{
    if (v > {limit}) continue;
    out.push(Math.round(v * factor) / {rng.randint(1, 7)});
  }}
  return out.sort((a, b) => a - b).slice(0, {limit});
}}
"""
            )
            continue
        model = rng.choice(MODELS)
        out.append(
            f"""
export interface {name.capitalize()}Row {{
  id: string;
  {model}Id: string;
  status: "draft" | "active" | "archived";
  amount: number;
  createdAt: Date;
  tags?: string[];
}}

export function {name}(rows: {name.capitalize()}Row[], status?: string) {{
  const byStatus: Record<string, number> = {{}};
  for (const row of rows) {{
    switch (row.status) {{
      case "draft":
        byStatus.draft = (byStatus.draft ?? 0) + 1;
        break;
      case "active":
        byStatus.active = (byStatus.active ?? 0) + row.amount * {rng.randint(1, 9)};
        break;
      default:
        byStatus.other = (byStatus.other ?? 0) + 1;
    }}
  }}
  return status ? byStatus[status] ?? 0 : byStatus;
}}
"""
        )
    return "".join(out)


def gen_route(seed: int, i: int, rng: random.Random) -> str:
    up = "../../../../"
    imp, fmt = _util_import(seed, i, rng, up)
    model = rng.choice(MODELS)
    other = rng.choice(MODELS)
    body = f"""import {{ NextResponse }} from "next/server";
import {{ prisma }} from "{up}lib/db";
{imp}
export const dynamic = "force-dynamic";

export async function GET(req: Request) {{
  const {{ searchParams }} = new URL(req.url);
  const ownerId = searchParams.get("owner") ?? "";
  const rows = await prisma.{model}.findMany({{
    where: {{ ownerId }},
    orderBy: {{ createdAt: "desc" }},
    take: {rng.choice([20, 50, 100])},
  }});
"""
    if rng.random() < 0.3:  # the N+1 shape SL301 is about
        body += f"""  const out = [];
  for (const row of rows) {{
    const extra = await prisma.{other}.findUnique({{ where: {{ id: row.{other}Id }} }});
    out.push({{ ...row, label: {fmt}(String(extra?.id ?? "")) }});
  }}
  return NextResponse.json(out);
}}
"""
    else:
        body += f"""  return NextResponse.json(rows.map((r) => ({{ id: r.id, label: {fmt}(String(r.id)) }})));
}}
"""
    body += f"""
export async function POST(req: Request) {{
  const data = await req.json();
  if (!data?.name) return NextResponse.json({{ error: "name required" }}, {{ status: 400 }});
  const created = await prisma.{model}.create({{ data: {{ name: String(data.name), ownerId: data.ownerId }} }});
  return NextResponse.json(created, {{ status: 201 }});
}}
"""
    return body + _filler_ts(rng, i, rng.randint(2, 8))


def gen_component(seed: int, i: int, rng: random.Random) -> str:
    imp, fmt = _util_import(seed, i, rng, "../../")
    tag = rng.choice(["section", "article", "div"])
    return f""""use client";

import {{ useEffect, useState }} from "react";
{imp}
type Item = {{ id: string; name: string; count: number }};

export function Card{i}({{ title, items }}: {{ title: string; items: Item[] }}) {{
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState("");
  useEffect(() => {{
    if (!open) setFilter("");
  }}, [open]);
  const shown = items.filter((it) => it.name.includes(filter)).slice(0, {rng.randint(5, 50)});
  return (
    <{tag} className="card card-{i}">
      <h2 onClick={{() => setOpen(!open)}}>{{title}}</h2>
      {{open && (
        <>
          <input value={{filter}} onChange={{(e) => setFilter(e.target.value)}} placeholder="Filter" />
          <ul>
            {{shown.map((it) => (
              <li key={{it.id}}>
                {{{fmt}(it.name)}} <span className="count">{{it.count}}</span>
              </li>
            ))}}
          </ul>
        </>
      )}}
    </{tag}>
  );
}}
""" + _filler_ts(rng, i, rng.randint(1, 6))


def gen_util(seed: int, i: int, rng: random.Random) -> str:
    imp, fmt = _util_import(seed, i, rng, "../../")
    head = f'import {{ prisma }} from "../db";\n{imp}\n'
    body = f"""export function fmt{i}(value: string): string {{
  const v = {fmt}(value);
  return v.length > {rng.randint(10, 80)} ? v.slice(0, {rng.randint(5, 60)}) + "…" : v;
}}
"""
    model = rng.choice(MODELS)
    body += f"""
export async function load{i}(id: string) {{
  return prisma.{model}.findUnique({{ where: {{ id }} }});
}}
"""
    if rng.random() < 0.1:  # a module-level cache that grows with traffic
        body += f"""
const cache{i} = new Map<string, unknown>();

export async function cached{i}(id: string) {{
  if (!cache{i}.has(id)) cache{i}.set(id, await load{i}(id));
  return cache{i}.get(id);
}}
"""
    return head + body + _filler_ts(rng, i, rng.randint(3, 10))


def gen_script(seed: int, i: int, rng: random.Random) -> str:
    return f"""const fs = require("node:fs");
const path = require("node:path");

function walk{i}(dir, out = []) {{
  for (const name of fs.readdirSync(dir)) {{
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) walk{i}(full, out);
    else if (name.endsWith(".{rng.choice(["json", "md", "txt"])}")) out.push(full);
  }}
  return out;
}}

module.exports = {{ walk{i} }};
"""


def gen_python(seed: int, i: int, rng: random.Random) -> str:
    model = rng.choice(MODELS).capitalize()
    text = f'''"""Routes for {model.lower()} group {i}."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import {model}, Owner

router = APIRouter(prefix="/{model.lower()}s{i}")


@router.get("/")
def list_{i}(owner_id: int, session: Session = Depends(get_session)):
    rows = session.execute(
        select({model}).where({model}.owner_id == owner_id).limit({rng.choice([20, 50, 100])})
    ).scalars().all()
'''
    if rng.random() < 0.3:
        text += """    out = []
    for row in rows:
        owner = session.get(Owner, row.owner_id)
        out.append({"id": row.id, "owner": owner.name if owner else None})
    return out
"""
    else:
        text += """    return [{"id": r.id} for r in rows]
"""
    text += f"""

@router.get("/{{item_id}}")
def get_{i}(item_id: int, session: Session = Depends(get_session)):
    item = session.get({model}, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="not found")
    return {{"id": item.id, "name": item.name[: {rng.randint(10, 90)}]}}
"""
    for k in range(rng.randint(1, 6)):
        text += f"""

def helper_{i}_{k}(values: list[float], factor: float = {rng.randint(1, 9)}.0) -> list[float]:
    out = [v * factor for v in values if v < {rng.randint(2, 500)}]
    return sorted(out)[: {rng.randint(3, 50)}]
"""
    return text


GENERATORS = {
    "route": gen_route,
    "component": gen_component,
    "util": gen_util,
    "script": gen_script,
    "python": gen_python,
}

FIXED_FILES = {
    "package.json": json.dumps(
        {
            "name": "scale-app",
            "private": True,
            "dependencies": {"next": "15.0.0", "react": "19.0.0", "@prisma/client": "5.20.0"},
            "devDependencies": {"prisma": "5.20.0", "typescript": "5.6.0"},
        },
        indent=2,
    )
    + "\n",
    "tsconfig.json": '{ "compilerOptions": { "strict": true, "jsx": "preserve" } }\n',
    "vercel.json": '{ "framework": "nextjs" }\n',
    ".env.example": "DATABASE_URL=postgresql://app:secret@db.example.com:5432/app\n",
    "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\n'
    'generator client {\n  provider = "prisma-client-js"\n}\n',
    "lib/db.ts": 'import { PrismaClient } from "@prisma/client";\n\n'
    "const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };\n\n"
    "export const prisma = globalForPrisma.prisma ?? new PrismaClient();\n\n"
    'if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;\n',
    "py/requirements.txt": "fastapi==0.115.0\nsqlalchemy==2.0.35\npsycopg[binary]==3.2.3\n",
    "py/app/__init__.py": "",
    "py/app/db.py": "import os\n\nfrom sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
    'engine = create_engine(os.environ["DATABASE_URL"], pool_size=5, max_overflow=5)\n'
    "SessionLocal = sessionmaker(bind=engine)\n\n\ndef get_session():\n"
    "    with SessionLocal() as session:\n        yield session\n",
    "py/app/models.py": "from sqlalchemy import ForeignKey, String\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\nclass Owner(Base):\n"
    '    __tablename__ = "owners"\n    id: Mapped[int] = mapped_column(primary_key=True)\n'
    "    name: Mapped[str] = mapped_column(String(200))\n"
    + "".join(
        f"\n\nclass {m.capitalize()}(Base):\n"
        f'    __tablename__ = "{m}s"\n    id: Mapped[int] = mapped_column(primary_key=True)\n'
        "    name: Mapped[str] = mapped_column(String(200))\n"
        '    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))\n'
        for m in MODELS
    ),
}


def generate(root: Path, n: int, seed: int = 1) -> dict[str, int]:
    """Write a project of n generated code files (plus a few fixed config files) under root;
    return the count per kind."""
    made: set[str] = set()
    counts: dict[str, int] = {}

    def write(rel: str, text: str) -> None:
        folder = rel.rpartition("/")[0]
        if folder and folder not in made:
            (root / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        with open(root / rel, "w", encoding="utf-8") as f:
            f.write(text)

    root.mkdir(parents=True, exist_ok=True)
    for rel, text in FIXED_FILES.items():
        write(rel, text)
    for i in range(n):
        kind = kind_at(seed, i)
        rng = _rng(seed, i)
        rng.random()  # the draw kind_at used
        write(rel_path(kind, i), GENERATORS[kind](seed, i, rng))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# --- measuring -------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict:
    scalelint = find_scalelint(args.scalelint)
    info = scalelint_info(scalelint)
    flags = detect_flags(scalelint)
    cold = (["--no-cache"] if flags["no_cache"] else []) + (
        ["--jobs", str(args.jobs)] if flags["jobs"] else []
    )
    env = child_env()
    rows = []
    base = Path(tempfile.mkdtemp(prefix="scalelint-scale-", dir=args.tmp))
    load_before = load_average()
    try:
        for n in args.sizes:
            root = base / f"app-{n}"
            t0 = time.perf_counter()
            counts = generate(root, n, args.seed)
            gen_s = time.perf_counter() - t0
            files, _ = code_files(root)
            size = sum(os.path.getsize(p) for _, p in files)
            lst = base / f"files-{n}.txt"
            lst.write_text("".join(f"{k}\t{p}\n" for k, p in files))
            floor, lint = [], []
            out = base / f"out-{n}.json"
            for _ in range(args.repeat):
                floor.append(
                    run_measured(
                        [sys.executable, str(BENCH / "parse_floor.py"), str(lst), str(args.jobs)],
                        env=env,
                    )
                )
                shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
                cmd = [
                    scalelint,
                    "check",
                    str(root),
                    *cold,
                    "--format",
                    "json",
                    "-o",
                    str(out),
                    "--exit-zero",
                ]
                lint.append(run_measured(cmd, cwd=base, env=env))
                print(
                    f"  {n:>6} files: floor {floor[-1].wall:.2f} s, scalelint {lint[-1].wall:.2f} s,"
                    f" {lint[-1].peak_mib:.0f} MiB",
                    file=sys.stderr,
                )
            report = json.loads(out.read_text())
            rows.append(
                {
                    "files": n,
                    "code_files": len(files),
                    "by_kind": counts,
                    "bytes": size,
                    "generate_s": round(gen_s, 2),
                    "floor": [[s.wall, s.cpu, s.peak_mib] for s in floor],
                    "scalelint": [[s.wall, s.cpu, s.peak_mib] for s in lint],
                    "findings": len(report.get("findings", [])),
                    "files_checked": report.get("summary", {}).get("files_checked"),
                }
            )
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if args.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    return {
        "machine": machine_line(info, None),
        "scalelint": info,
        "flags": flags,
        "command": " ".join(["scalelint check PATH", *cold]),
        "jobs": args.jobs,
        "seed": args.seed,
        "repeat": args.repeat,
        "load_before": load_before,
        "load_after": load_average(),
        "rows": rows,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def table_rows(res: dict) -> list[list[str]]:
    out = []
    first = None
    for r in res["rows"]:
        wall = median(s[0] for s in r["scalelint"])
        floor = median(s[0] for s in r["floor"])
        peak = max(s[2] for s in r["scalelint"])
        first = first or (r["files"], wall, peak)
        out.append(
            [
                f"{r['files']:,}",
                f"{r['bytes'] / 1e6:.1f} MB",
                fmt_s(floor),
                fmt_s(wall),
                f"{wall / r['files'] * 1000:.2f} s",
                f"{wall / floor:.1f}×",
                f"{peak:.0f} MiB",
                f"{peak / first[2]:.1f}×",
                str(r["findings"]),
            ]
        )
    return out


def render(res: dict, md: bool) -> str:
    table = markdown_table if md else text_table
    head = [
        "files",
        "size",
        "parse floor",
        "scalelint",
        "per 1k files",
        "÷ floor",
        "peak RSS",
        "peak ÷ smallest",
        "findings",
    ]
    notes = [
        f"command: `{res['command']}`, seed {res['seed']}, "
        f"median of {res['repeat']} run(s) per size; {res['when']}",
        f"load average before / after: {res['load_before']} / {res['load_after']}",
    ]
    f = res["flags"]
    if not (f["no_cache"] and f["jobs"]):
        notes.append(
            "this scalelint has no `--no-cache` / `--jobs`: the plain command ran, cache "
            "folder removed first"
        )
    return (
        "\n".join(
            [
                ("- " if md else "") + res["machine"],
                "",
                table(head, table_rows(res)),
                "",
                *(("- " if md else "") + n for n in notes),
            ]
        )
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="1000,10000,50000", help="comma-separated file counts")
    p.add_argument("--repeat", type=int, default=1, help="runs per size (median)")
    p.add_argument("--seed", type=int, default=1)
    add_common_args(p, "the generated projects")
    p.add_argument(
        "--generate-only",
        type=Path,
        metavar="DIR",
        help="write the first size's project to DIR and stop",
    )
    args = p.parse_args(argv)
    args.sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",")]
    if args.generate_only:
        counts = generate(args.generate_only, args.sizes[0], args.seed)
        print(json.dumps(counts))
        return 0
    res = saved_or_measured(args, measure)
    sys.stdout.write(render(res, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
