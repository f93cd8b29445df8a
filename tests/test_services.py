"""Slow tier: the generated `services:up` / `services:down` without Docker.

A newcomer without Docker gets PostgreSQL and Redis from the binaries installed on the machine
(here Debian's), in the project's `.services/`, with one command; the API's `migrate` reaches the
database it started, and `services:down` leaves nothing running. The suite runs as root in CI,
where PostgreSQL refuses to run: the script then runs it as the `postgres` system user.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.answers import FULL_MONOREPO
from harness.bake import bake
from harness.rust_api import cargo_env
from harness.servers import free_port
from harness.services import postgres_bin_dir

pytestmark = pytest.mark.slow


def path_without_docker() -> str:
    return os.pathsep.join(folder for folder in os.environ["PATH"].split(os.pathsep)
                           if folder and not (Path(folder) / "docker").exists())


@pytest.fixture
def project():
    """The full monorepo (PostgreSQL and Redis, npm) in a folder every user may enter: pytest's
    own temporary folders are private to root, and the postgres user must reach `.services/`."""
    folder = Path(tempfile.mkdtemp(prefix="template-services-"))
    folder.chmod(0o755)
    root = bake(folder, **FULL_MONOREPO)
    yield root
    subprocess.run(["sh", "scripts/services.sh", "down"], cwd=root, capture_output=True, timeout=120,
                   env={**os.environ, "PATH": path_without_docker()})
    shutil.rmtree(folder, ignore_errors=True)


def services(root: Path, command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["npm", "run", f"services:{command}", "--", *args], cwd=root, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                          env={**os.environ, "PATH": path_without_docker()})


def printed_settings(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if line.startswith(("DATABASE_URL=", "REDIS_URL=")))


def psql(url: str, sql: str) -> str:
    result = subprocess.run([str(postgres_bin_dir() / "psql"), url, "--tuples-only", "--no-align", "--command", sql],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def redis_ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(*words: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(word in command for word in words):
                found.append(f"{entry.name}: {command}")
    return found


def test_services_up_without_docker_serves_the_api_and_down_leaves_nothing_running(project, api_binary):
    assert shutil.which("docker", path=path_without_docker()) is None
    postgres_port, redis_port = free_port(), free_port()
    ports = ("--postgres-port", str(postgres_port), "--redis-port", str(redis_port))

    up = services(project, "up", *ports)
    assert up.returncode == 0, up.stdout
    settings = printed_settings(up.stdout)
    assert settings == {"DATABASE_URL": f"postgres://app:app@127.0.0.1:{postgres_port}/app",
                        "REDIS_URL": f"redis://127.0.0.1:{redis_port}"}, up.stdout
    assert psql(settings["DATABASE_URL"], "SELECT current_database()") == "app"
    assert redis_ping(redis_port) == b"+PONG\r\n"
    data = project / ".services" / "postgres"
    if os.geteuid() == 0:
        assert data.stat().st_uid != 0, "PostgreSQL refuses root: the cluster belongs to the postgres user"

    # The API's own migrate, as the README runs it after services:up, reaches that database.
    migrate = subprocess.run([str(api_binary), "migrate"], env=cargo_env(DATABASE_URL=settings["DATABASE_URL"]),
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert migrate.returncode == 0, migrate.stdout
    applied = "SELECT count(*) FROM _sqlx_migrations WHERE success"
    migrations = str(len(list((project / "apps" / "api" / "migrations").glob("*.sql"))))
    assert psql(settings["DATABASE_URL"], applied) == migrations

    again = services(project, "up", *ports)  # already running: a no-op, same answer
    assert again.returncode == 0 and printed_settings(again.stdout) == settings, again.stdout

    down = services(project, "down")
    assert down.returncode == 0, down.stdout
    assert not listening(postgres_port) and not listening(redis_port)
    assert processes_mentioning(str(project), f"127.0.0.1:{redis_port}") == []
    assert not (data / "postmaster.pid").exists()

    # The data stays: the next `up` serves the migrated database again.
    assert services(project, "up", *ports).returncode == 0
    assert psql(settings["DATABASE_URL"], applied) == migrations
    assert services(project, "down").returncode == 0
    assert processes_mentioning(str(project), f"127.0.0.1:{redis_port}") == []


def test_services_script_exists_only_for_bakes_that_need_a_service(tmp_path):
    plain = bake(tmp_path / "plain")
    assert not (plain / "scripts").exists()
    assert "services:up" not in (plain / "package.json").read_text()
    redis = bake(tmp_path / "redis", use_redis="yes")
    assert (redis / "scripts" / "services.sh").is_file()
    assert 'SERVICES="redis"' in (redis / "scripts" / "services.sh").read_text()


def test_services_up_through_pnpm_passes_its_options_and_down_stops_redis(tmp_path):
    """pnpm hands the script the `--` separator too; a Redis-only bake starts and stops just Redis."""
    root = bake(tmp_path, use_redis="yes")
    port = free_port()
    env = {**os.environ, "PATH": path_without_docker()}
    try:
        up = subprocess.run(["pnpm", "services:up", "--", "--redis-port", str(port)], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        assert up.returncode == 0, up.stdout
        assert printed_settings(up.stdout) == {"REDIS_URL": f"redis://127.0.0.1:{port}"}, up.stdout
        assert redis_ping(port) == b"+PONG\r\n"
        assert not (root / ".services" / "postgres").exists()
    finally:
        down = subprocess.run(["pnpm", "services:down"], cwd=root, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert down.returncode == 0, down.stdout
    assert not listening(port) and processes_mentioning(f"127.0.0.1:{port}") == []
