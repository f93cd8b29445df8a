"""The generated Rust API end to end: its own checks, then the real binary against a real PostgreSQL.

Slow tier. The API is built and run directly on this machine (outside Docker) with one Cargo
target directory shared by the whole suite, so the dependencies compile once per machine.
"""

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from harness.bake import bake
from harness.env_docs import readme_configuration, set_by_fly
from harness.rust_api import (WRITE_TOKEN, WRITER, build_api, cargo, cargo_env, get, request, seed_writer, start_api,
                              wait_for)
from harness.servers import free_port, status_of
from harness.web_build import start_web

pytestmark = pytest.mark.slow

WEB_ORIGIN = "http://localhost:3000"
AUTHORIZED = WRITER
SEEDED_TITLES = ["Welcome to your Composable app", "State, actions and reducers"]


@pytest.fixture(scope="module")
def api_server(api_binary, migrated_database, tmp_path_factory):
    server = start_api(api_binary, migrated_database, tmp_path_factory.mktemp("api"),
                       DATABASE_ACQUIRE_TIMEOUT_SECS="1", CORS_ALLOWED_ORIGINS=WEB_ORIGIN, RUST_LOG="info")
    yield server
    server.stop()


def test_generated_api_passes_fmt_clippy_and_its_tests_against_postgres(api_crate, postgres_server):
    cargo(api_crate, "fmt", "--check")
    cargo(api_crate, "clippy", "--locked", "--all-targets", "--", "-D", "warnings")
    result = cargo(api_crate, "test", "--locked", DATABASE_URL=postgres_server.url)
    assert "skipped" not in result.stdout, "database tests were skipped despite DATABASE_URL"
    assert "Running tests/postgres.rs" in result.stdout


def test_database_none_variant_keeps_posts_in_memory_and_still_builds_the_postgres_feature(tmp_path):
    """database=none: the default build has no sqlx; the `postgres` feature stays buildable (lint only)."""
    project = bake(tmp_path, layout="monorepo", backend="rust", database="none")
    crate = project / "apps" / "api"
    tree = cargo(crate, "tree", "--locked", "--edges", "normal", "--prefix", "none").stdout
    assert "sqlx" not in tree, "the default build of database=none compiles sqlx"
    cargo(crate, "fmt", "--check")
    cargo(crate, "clippy", "--locked", "--all-targets", "--all-features", "--", "-D", "warnings")
    result = cargo(crate, "test", "--locked")
    assert "Running tests/http.rs" in result.stdout
    binary = build_api(crate, tmp_path)
    declared, _ = declared_variables(binary)
    assert "PORT" in declared and "DATABASE_URL" not in declared
    problems = docs_disagreeing_with_help(binary, crate, project)
    assert not problems, "\n".join(problems)


def test_bad_configuration_stops_the_api_with_one_line_and_exit_1(api_binary):
    env = cargo_env(PORT="eighty", DATABASE_URL="postgres://app@127.0.0.1:1/app")
    result = subprocess.run([str(api_binary)], env=env, text=True, capture_output=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ['configuration error: invalid PORT="eighty": '
                                                  'expected a port number from 1 to 65535']


def declared_variables(api_binary: Path, **env: str) -> tuple[dict[str, str | None], str]:
    """({variable: default or None}, the help) as `api --help` lists what the build reads."""
    result = subprocess.run([str(api_binary), "--help"], env=cargo_env(**env), text=True, capture_output=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    pattern = r"\[env: ([A-Z][A-Z0-9_]*)[^\]]*\](?: \[default: ([^\]]*)\])?"
    return {m[1]: m[2] for m in re.finditer(pattern, result.stdout)}, result.stdout


def test_api_help_never_shows_a_secret_and_a_bad_secret_is_never_echoed(api_binary):
    secret = "never-shown-" * 4
    declared, help_text = declared_variables(api_binary, API_WRITE_TOKEN=secret, RATE_LIMIT_BURST="7",
                                             DATABASE_URL=f"postgres://app:{secret}@db/app",
                                             DATABASE_READ_URL=f"postgres://app:{secret}@replica/app")
    assert "RATE_LIMIT_BURST=7]" in help_text  # the current values of the others are shown
    assert secret not in help_text
    _, help_text = declared_variables(api_binary, PORT="eighty", API_WRITE_TOKEN="short-" + secret[:8])
    assert "[env: PORT=eighty]" in help_text and secret[:8] not in help_text  # help comes before the checks
    for name, value in [("API_WRITE_TOKEN", "short-" + secret[:8]), ("DATABASE_URL", f"mysql://app:{secret}@db/app"),
                        ("DATABASE_READ_URL", f"mysql://app:{secret}@replica/app")]:
        env = cargo_env(**{"DATABASE_URL": "postgres://app@127.0.0.1:1/app", name: value})
        result = subprocess.run([str(api_binary)], env=env, text=True, capture_output=True, timeout=30)
        assert result.returncode == 1
        assert result.stderr.startswith(f"configuration error: invalid {name}: expected "), result.stderr
        assert value not in result.stderr and secret[:8] not in result.stderr


def test_a_blank_variable_is_unset_and_a_flag_error_names_the_variable(api_binary):
    """As in an `.env` line `PORT=`: the default applies, no configuration error."""
    env = cargo_env(PORT=" ", METRICS_PORT="", API_WRITE_TOKEN="", DATABASE_URL="postgres://app@127.0.0.1:1/app")
    result = subprocess.run([str(api_binary), "healthcheck"], env=env, text=True, capture_output=True, timeout=30)
    assert "configuration error" not in result.stderr, result.stderr
    result = subprocess.run([str(api_binary), "--rate-limit-burst", "many"], env=env, text=True,
                            capture_output=True, timeout=30)
    assert (result.returncode, result.stderr) == (1, 'configuration error: invalid RATE_LIMIT_BURST="many": '
                                                     'expected a positive number of requests\n')
    result = subprocess.run([str(api_binary), "bogus"], env=env, text=True, capture_output=True, timeout=30)
    assert result.returncode == 2 and "unrecognized subcommand 'bogus'" in result.stderr


def test_api_help_lists_exactly_what_the_docs_list_with_the_same_defaults(api_binary, api_crate, baked_monorepo):
    """The variables and defaults are declared once, in config.rs's `Settings`: `api --help`
    lists them as built; config.rs's table, the README's table and .env.example must agree."""
    problems = docs_disagreeing_with_help(api_binary, api_crate, baked_monorepo)
    assert not problems, "\n".join(problems)


def docs_disagreeing_with_help(api_binary: Path, api_crate: Path, project: Path) -> list[str]:
    declared, _ = declared_variables(api_binary)
    features = set(tomllib.loads((api_crate / "Cargo.toml").read_text())["features"]["default"])
    problems = []

    table = {}
    for m in re.finditer(r"^//! \| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|(.*)\|$",
                         (api_crate / "src" / "config.rs").read_text(), re.M):
        gate = re.search(r"\(feature `([\w-]+)`\)", m[3])
        if gate is None or gate[1] in features:
            table[m[1]] = m[2].strip()
    problems += [f"config.rs's table lacks {name}" for name in sorted(declared.keys() - table.keys())]
    problems += [f"config.rs's table lists {name}, which `api --help` does not" for name in sorted(table.keys() - declared.keys())]
    for name, default in declared.items():
        if name in table and default is not None and table[name] != f"`{default}`":
            problems.append(f"config.rs's table: {name} defaults to {table[name]}, `api --help` to {default}")

    readme = {name for name, labels in readme_configuration(project).items() if "API" in labels}
    problems += [f"README's configuration table lacks {name} for the API" for name in sorted(declared.keys() - readme)]
    problems += [f"README's configuration table says the API reads {name}" for name in sorted(readme - declared.keys())]

    example = (project / ".env.example").read_text()
    listed = dict(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$", example, re.M))
    problems += [f".env.example lacks {name}" for name in sorted(declared) if name not in listed and not set_by_fly(name)]
    api_section = example.partition("# --- API")[2].partition("\n# --- ")[0]
    for name, value in re.findall(r"^([A-Z][A-Z0-9_]*)=(\d+)$", api_section, re.M):
        if declared.get(name, value) != value:
            problems.append(f".env.example sets {name}={value}, its default is {declared[name]}")
    assert len(declared) >= 15, declared
    return problems


def test_api_serves_posts_from_postgres_over_http(api_server):
    base = api_server.url
    assert get(base + "/health") == (200, {"status": "ok"})
    assert get(base + "/ready") == (200, {"status": "ready"})

    status, _, posts = request("GET", base + "/api/posts")
    assert status == 200
    assert {post["title"] for post in posts} >= set(SEEDED_TITLES)
    assert all(set(post) == {"id", "title", "body"} for post in posts)

    status, _, post = request("GET", base + "/api/posts/1")
    assert (status, post["title"]) == (200, SEEDED_TITLES[0])

    assert get(base + "/api/posts/999999") == (404, {"error": "post not found"})

    status, headers, created = request("POST", base + "/api/posts", {"title": "Written over HTTP", "body": "Kept"},
                                       AUTHORIZED)
    assert status == 201
    assert headers["location"] == f"/api/posts/{created['id']}"
    assert request("GET", base + headers["location"])[2] == created

    status, _, error = request("POST", base + "/api/posts", {"title": "", "body": "x"}, AUTHORIZED)
    assert status == 400
    assert error["fields"] == {"title": "must not be blank"}

    status, _, error = request("POST", base + "/api/posts", "{broken", AUTHORIZED)
    assert status == 400 and "error" in error


def test_writes_need_the_token_and_a_refused_write_stores_nothing(api_server):
    base = api_server.url
    before = len(request("GET", base + "/api/posts")[2])
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Bearer {WRITE_TOKEN}x"},
                    {"authorization": f"Basic {WRITE_TOKEN}"}, {"authorization": WRITE_TOKEN}):
        status, reply_headers, body = request("POST", base + "/api/posts", {"title": "Forged", "body": "x"}, headers)
        assert (status, reply_headers.get("www-authenticate")) == (401, "Bearer"), headers
        assert body == {"error": "a valid bearer token is required"}
    assert len(request("GET", base + "/api/posts")[2]) == before
    assert "Forged" not in json.dumps(request("GET", base + "/api/posts")[2])


def test_a_client_over_its_rate_gets_429_and_forged_headers_do_not_help(api_binary, migrated_database, tmp_path):
    """The real binary on a socket: the limit counts the peer address, not headers a client writes."""
    server = start_api(api_binary, migrated_database, tmp_path, RATE_LIMIT_PER_SECOND="1", RATE_LIMIT_BURST="3")
    try:
        statuses = [request("GET", f"{server.url}/api/posts")[0] for _ in range(3)]
        limited = request("GET", f"{server.url}/api/posts", headers={"fly-client-ip": "203.0.113.5",
                                                                     "x-forwarded-for": "203.0.113.5"})
        ready = request("GET", f"{server.url}/ready")[0]
        health = request("GET", f"{server.url}/health")[0]
    finally:
        server.stop()
    assert statuses == [200, 200, 200]
    assert limited[0] == 429 and int(limited[1]["retry-after"]) >= 1
    assert ready == 429, "/ready costs a database round trip: it is limited too"
    assert health == 200, "/health answers Fly's checks whatever the load"


def test_healthcheck_subcommand_exits_0_only_while_the_server_answers(api_binary, api_server):
    def healthcheck(port: int) -> subprocess.CompletedProcess:
        env = cargo_env(PORT=str(port), DATABASE_URL="postgres://app@127.0.0.1:1/app")
        return subprocess.run([str(api_binary), "healthcheck"], env=env, text=True, capture_output=True, timeout=30)

    assert healthcheck(api_server.port).returncode == 0
    down = healthcheck(free_port())
    assert down.returncode == 1
    assert down.stderr.startswith("unhealthy: ")


def test_api_cors_allows_the_configured_origin_only(api_server):
    _, headers, _ = request("GET", api_server.url + "/api/posts", headers={"origin": WEB_ORIGIN})
    assert headers["access-control-allow-origin"] == WEB_ORIGIN
    _, headers, _ = request("GET", api_server.url + "/api/posts", headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in headers


def test_api_logs_are_json_lines_with_request_ids(api_server):
    request("GET", api_server.url + "/health", headers={"x-request-id": "trace-me-42"})
    lines = [json.loads(line) for line in api_server.output().splitlines() if line.strip()]
    assert any(line.get("span", {}).get("request_id") == "trace-me-42" for line in lines)


def test_ready_is_503_while_postgres_is_down_and_recovers_without_restarting_the_api(api_server, postgres_server):
    ready = api_server.url + "/ready"
    assert status_of(ready) == 200
    pid = api_server.process.pid

    postgres_server.stop()
    try:
        wait_for(lambda: status_of(ready) == 503, 30, "/ready to answer 503 with PostgreSQL stopped")
        status, _, error = request("GET", api_server.url + "/api/posts")
        assert status == 503 and error == {"error": "service temporarily unavailable"}
        assert status_of(api_server.url + "/health") == 200, "liveness must not depend on the database"
    finally:
        postgres_server.start()

    wait_for(lambda: status_of(ready) == 200, 30, "/ready to answer 200 after PostgreSQL came back")
    assert request("GET", api_server.url + "/api/posts")[0] == 200
    assert api_server.process.poll() is None and api_server.process.pid == pid


def test_web_app_pages_show_the_posts_of_the_api(built_monorepo, api_server, tmp_path):
    _, _, created = request("POST", api_server.url + "/api/posts",
                            {"title": "Rendered by the web app", "body": "Fetched from the Rust API"}, AUTHORIZED)
    # Not production, which would also demand Redis.
    web = start_web(built_monorepo, tmp_path, NODE_ENV="development", COMPOSABLE_RUST_BACKEND_URL=api_server.url)
    try:
        status, _, home = request("GET", web.url + "/")
        assert status == 200
        for title in [*SEEDED_TITLES, created["title"]]:
            assert title in home
        assert "Hello from the fixture" not in home, "the page fell back to the built-in fixture posts"

        status, _, detail = request("GET", f"{web.url}/posts/{created['id']}")
        assert status == 200
        assert "Fetched from the Rust API" in detail
    finally:
        web.stop()


# What the next release might add: an additive migration (a nullable column), as the runbook requires.
NEXT_MIGRATION_SQL = ("-- The next release's migration: additive, so the previous release keeps working.\n"
                      "ALTER TABLE posts ADD COLUMN summary TEXT;\n")


def migration_versions(crate: Path) -> list[int]:
    return sorted(int(path.name.split("_", 1)[0]) for path in (crate / "migrations").glob("*.sql"))


@pytest.fixture(scope="module")
def next_api_binary(api_crate, tmp_path_factory) -> Path:
    """The API as a next release would ship it: this crate plus one additive migration."""
    crate = tmp_path_factory.mktemp("next-release") / "api"
    shutil.copytree(api_crate, crate, ignore=shutil.ignore_patterns("target"))
    version = migration_versions(api_crate)[-1] + 1
    (crate / "migrations" / f"{version:04d}_add_post_summary.sql").write_text(NEXT_MIGRATION_SQL)
    return build_api(crate, tmp_path_factory.mktemp("next-api-bin"))


def migrate_with(binary: Path, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "migrate"], env=cargo_env(DATABASE_URL=database_url, RUST_LOG="info"),
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def test_previous_release_serves_a_database_migrated_by_the_next_one(api_crate, api_binary, next_api_binary,
                                                                     postgres_server, tmp_path):
    """A rollback redeploys the previous image with --skip-release-command: that image must read
    and write the schema the newer release migrated to, and its own `migrate` must be the thing
    that refuses (which is why the rollback skips it)."""
    url = postgres_server.create_database("rollback")
    assert migrate_with(api_binary, url).returncode == 0
    upgraded = migrate_with(next_api_binary, url)
    assert upgraded.returncode == 0, upgraded.stdout
    newest = migration_versions(api_crate)[-1] + 1
    assert postgres_server.query("SELECT max(version) FROM _sqlx_migrations", "rollback") == [[str(newest)]]
    assert postgres_server.query("SELECT count(*) FROM information_schema.columns "
                                 "WHERE table_name = 'posts' AND column_name = 'summary'", "rollback") == [["1"]]

    refused = migrate_with(api_binary, url)
    assert refused.returncode != 0, "the previous release's migrate accepted a newer schema"
    assert f"migration {newest} was previously applied but is missing" in refused.stdout, refused.stdout

    seed_writer(url)
    previous = start_api(api_binary, url, tmp_path, CORS_ALLOWED_ORIGINS=WEB_ORIGIN, RUST_LOG="info")
    try:
        assert get(previous.url + "/ready") == (200, {"status": "ready"})
        status, _, posts = request("GET", previous.url + "/api/posts")
        assert status == 200 and {post["title"] for post in posts} >= set(SEEDED_TITLES)
        status, headers, created = request("POST", previous.url + "/api/posts",
                                           {"title": "Written after a rollback", "body": "by the previous release"},
                                           AUTHORIZED)
        assert status == 201, created
        assert request("GET", previous.url + headers["location"])[2] == created
    finally:
        assert previous.stop() == 0
    row = postgres_server.query(f"SELECT title, summary IS NULL FROM posts WHERE id = {created['id']}", "rollback")
    assert row == [["Written after a rollback", "t"]]


def test_api_shuts_down_cleanly_on_sigterm(api_server):
    # Last in the module: it stops the shared server.
    assert api_server.stop() == 0
    assert "SIGTERM received" in api_server.output()
