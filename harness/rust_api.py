"""The generated Rust API run on this machine (outside Docker): cargo with one shared target
directory (the dependencies compile once per machine), the API server, and JSON calls to it."""

import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

from harness.paths import CACHE_DIR
from harness.servers import ServerProcess, free_port, http
from harness.services import postgres_bin_dir

# The token the suite's API servers are started with (API_WRITE_TOKEN).
WRITE_TOKEN = "e2e-write-token-" + "t" * 32
# With auth=password a post needs a signed-in author: a session seeded into the database as the
# API stores one (only its SHA-256), for the tests that write posts but are not about accounts.
SESSION_TOKEN = "e2e-session-token-" + "s" * 32
# What a post-creating call sends: the service token and the writer's session.
WRITER = {"authorization": f"Bearer {WRITE_TOKEN}", "x-session-token": SESSION_TOKEN}
# Where mail links point; the suite's API servers print mails (MAIL_DEV_LOG) unless a test gives SMTP_URL.
PUBLIC_URL = "http://localhost:3000"


def cargo_env(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["CARGO_TARGET_DIR"] = str(CACHE_DIR / "cargo-target")
    env["CARGO_TERM_COLOR"] = "never"
    env.update(extra)
    return env


def cargo(crate: Path, *args: str, timeout: int = 1800, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(["cargo", *args], cwd=crate, env=cargo_env(**env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    assert result.returncode == 0, f"cargo {' '.join(args)} failed:\n{result.stdout[-6000:]}"
    return result


def request(method: str, url: str, body: dict | str | None = None, headers: dict | None = None):
    """(status, headers, parsed JSON or text); never raises on HTTP error statuses."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        headers.setdefault("content-type", "application/json")
    reply = http(url, headers, method, data)
    is_json = reply.headers.get("content-type", "").startswith("application/json")
    return reply.status, reply.headers, reply.json() if is_json else reply.text


def get(url: str):
    """(status, body) of a GET."""
    status, _, body = request("GET", url)
    return status, body


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_api(binary: Path, database_url: str, tmp_path: Path, port: int | None = None,
              max_open_files: int | None = None, **env: str) -> ServerProcess:
    """The API binary on 127.0.0.1, writes allowed with WRITE_TOKEN, limits out of the way; `env` adds or overrides.

    `max_open_files` lowers the process's file-descriptor limit (RLIMIT_NOFILE), as a small container would.
    """
    port = port or free_port()
    preexec_fn = None
    if max_open_files:
        def preexec_fn():
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, max_open_files))
    server = ServerProcess(
        [str(binary)], binary.parent,
        cargo_env(**{"HOST": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url, "RUST_LOG": "warn",
                     "API_WRITE_TOKEN": WRITE_TOKEN, "RATE_LIMIT_PER_SECOND": "100000", "RATE_LIMIT_BURST": "100000",
                     "PUBLIC_URL": PUBLIC_URL, **({} if "SMTP_URL" in env else {"MAIL_DEV_LOG": "1"}), **env}),
        port, tmp_path / f"api-{port}-{time.monotonic_ns()}.log", preexec_fn=preexec_fn)
    server.wait_until_up(timeout=60)
    return server


def build_api(crate: Path, folder: Path) -> Path:
    """`cargo build` of the crate, its binary copied into `folder`: every bake builds its `api`
    into the shared target dir under the same name."""
    cargo(crate, "build", "--locked")
    binary = folder / "api"
    shutil.copy2(CACHE_DIR / "cargo-target" / "debug" / "api", binary)
    return binary


def seed_writer(database_url: str) -> None:
    """A verified user with the session SESSION_TOKEN, when the schema has accounts (auth=password).
    Its password hash is no PHC string, so nobody can sign in as it."""
    sql = f"""
        DO $$ BEGIN IF to_regclass('sessions') IS NOT NULL THEN
            INSERT INTO users (email, password_hash, verified_at) VALUES ('writer@example.com', '!', now())
                ON CONFLICT DO NOTHING;
            INSERT INTO sessions (token_hash, user_id, expires_at)
                SELECT sha256(convert_to('{SESSION_TOKEN}', 'UTF8')), id, now() + interval '30 days'
                FROM users WHERE email = 'writer@example.com' ON CONFLICT DO NOTHING;
        END IF; END $$;"""
    result = subprocess.run([str(postgres_bin_dir() / "psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                             "--dbname", database_url, "--command", sql], text=True, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"seeding the writer failed: {result.stderr}")
