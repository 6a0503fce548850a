"""Project context: where each file runs, and what each database URL is for."""

from __future__ import annotations

from tests.test_analysis import build


def platform(project, rel: str) -> str:
    return project.context.platform_for(rel).name


def test_hosting_files_speak_for_their_own_package_only(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "root", "dependencies": {"next": "15.0.0"}}',
            "app/page.tsx": "export default function P() {}\n",
            "infra/tailscale/render.yaml": "services:\n  - type: worker\n    name: ts\n",
            "docker/Dockerfile": 'FROM node:20\nCMD ["node", "server.js"]\n',
        },
    )
    assert platform(p, "app/page.tsx") == "server"  # docker/Dockerfile belongs to the root package
    p = build(
        tmp_path / "b",
        {
            "package.json": '{"name": "root", "dependencies": {"next": "15.0.0"}}',
            "app/page.tsx": "export default function P() {}\n",
            "infra/tailscale/render.yaml": "services:\n  - type: worker\n    name: ts\n",
        },
    )
    assert platform(p, "app/page.tsx") == "vercel"  # a side service's render.yaml does not decide


def test_libraries_with_next_as_peer_dependency_are_not_apps(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "mono", "private": true}',
            "packages/ui/package.json": '{"name": "@acme/ui", "peerDependencies": {"next": "*"}, "devDependencies": {"next": "15.0.0"}}',
            "packages/ui/button.tsx": "export const B = 1;\n",
            "apps/web/package.json": '{"name": "web", "dependencies": {"next": "15.0.0"}}',
            "apps/web/app/page.tsx": "export default function P() {}\n",
        },
    )
    assert platform(p, "packages/ui/button.tsx") == "unknown"
    assert platform(p, "apps/web/app/page.tsx") == "vercel"


def test_dockerfiles_every_stage_and_lambda_images(tmp_path):
    p = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "api"\nversion = "0"\n',
            "Dockerfile": 'FROM python:3.12 AS api\nCMD ["uvicorn", "app:app"]\n\nFROM python:3.12 AS worker\nCMD ["python", "-m", "worker"]\n',
            "app.py": "x = 1\n",
        },
    )
    assert p.context.platform_for("app.py").evidence == 'Dockerfile runs `["uvicorn", "app:app"]`'
    p = build(
        tmp_path / "l",
        {
            "pyproject.toml": '[project]\nname = "fn"\nversion = "0"\n',
            "Dockerfile": 'FROM public.ecr.aws/lambda/python:3.12\nCMD ["app.handler"]\n',
            "app.py": "x = 1\n",
        },
    )
    assert platform(p, "app.py") == "lambda"


def test_python_lambda_handlers(tmp_path):
    p = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "fn"\nversion = "0"\n',
            "handler.py": "def lambda_handler(event, context):\n    return {}\n",
            "other.py": "def helper(event, context):\n    return {}\n",
        },
    )
    assert platform(p, "handler.py") == "lambda"
    assert platform(p, "other.py") == "unknown"


def test_migration_name_fragments_match_whole_name_parts(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            ".env.example": "REDIRECT_URL=https://x\nDATABASE_URL_UNPOOLED=postgres://u:p@h/db\nMIGRATION_DB=postgres://u:p@h/db\n",
        },
    )
    roles = p.context.roles
    assert "REDIRECT_URL" not in roles
    assert roles["DATABASE_URL_UNPOOLED"].role == roles["MIGRATION_DB"].role == "migration"


def test_workers_env_binding_is_an_env_read(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "w", "dependencies": {"@neondatabase/serverless": "1"}}',
            "wrangler.toml": 'name = "w"\nmain = "src/index.ts"\n',
            "src/index.ts": (
                "import { neon } from '@neondatabase/serverless';\n"
                "export default { async fetch(req: Request, env: Env) { const sql = neon(env.DATABASE_URL); return new Response(''); } };\n"
            ),
        },
    )
    (c,) = p.context.constructions
    assert [s.env for s in c.url] == ["DATABASE_URL"]
    assert p.context.roles["DATABASE_URL"].role == "runtime"
    assert platform(p, "src/index.ts") == "edge"


def test_project_root_for_folders_files_and_config(tmp_path):
    from scalelint.discover import find_root, names_a_folder

    repo = tmp_path / "repo"
    web = repo / "apps" / "web"
    (web / "app").mkdir(parents=True)
    (repo / ".git").mkdir()
    (web / "package.json").write_text("{}")
    route = web / "app" / "route.ts"
    route.write_text("")
    assert find_root(web, names_a_folder([web])) == web  # a project the user named
    assert find_root(route, names_a_folder([route])) == repo  # a hook's staged file: the repository
    (repo / ".scalelint.yml").write_text("")
    assert find_root(web, names_a_folder([web])) == repo  # scalelint's own config decides first
    outside = tmp_path / "plain" / "pkg"
    (outside / "src").mkdir(parents=True)
    (outside / "package.json").write_text("{}")
    assert find_root(outside / "src", False) == outside  # no repository: the nearest package
