"""The pool rules' messages name the database the pool really reaches: its limit and what it
answers when the limit is reached come from the URL when the code states one, not from the
driver alone (SQLAlchemy speaks to Postgres, MySQL and SQLite alike)."""

from __future__ import annotations

from pathlib import Path

from scalelint.engine import RunOptions, run_check


def messages(tmp_path: Path, files: dict[str, str], rule: str) -> list[str]:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    run = run_check(RunOptions(paths=[tmp_path], no_cache=True, jobs=1))
    return [f.message for f in run.result.findings if f.rule == rule]


MYSQL_ON_VERCEL = {
    "package.json": '{ "name": "app", "dependencies": { "next": "15.1.0", "mysql2": "^3.11.0" } }',
    "lib/db.ts": 'import mysql from "mysql2/promise";\n'
    "export const pool = mysql.createPool({ uri: process.env.MYSQL_URL, connectionLimit: 10 });\n",
}


def test_mysql_pool_says_what_mysql_answers(tmp_path):
    (drain,) = messages(tmp_path, MYSQL_ON_VERCEL, "SL201")
    assert "`Too many connections`" in drain and "too many clients" not in drain
    (size,) = messages(tmp_path, MYSQL_ON_VERCEL, "SL202")
    # Under the limit, the total is given as its share of it rather than next to it.
    assert "10 warm instances could hold up to 100 connections, 66% of the 151 that MySQL" in size
    assert "Postgres" not in size


def test_sqlalchemy_limit_follows_the_url_scheme(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "api"\ndependencies = ["mangum", "sqlalchemy"]\n',
        "serverless.yml": "service: api\nprovider:\n  name: aws\n",
        "app/db.py": "from sqlalchemy import create_engine\n"
        'engine = create_engine("mysql+pymysql://app:secret@db.example.io/shop", pool_size=4)\n',
    }
    (size,) = messages(tmp_path, files, "SL202")
    assert "MySQL allows 151 by default" in size and "Postgres" not in size
    # Lambda: one instance per concurrent request, each keeping what it opened while frozen.
    assert "50 concurrent requests could hold up to 700 connections" in size
