"""Accounts on the generated API (auth=password): sign-in latency, Argon2 time, and reads during a
sign-in flood.

A report, not a test: `python3 bench/accounts.py [seconds]` bakes the monorepo with accounts, builds
the API in release mode (the suite's cache), starts it against a private PostgreSQL with mails
printed (MAIL_DEV_LOG), signs one user up, then prints:

- sign-in latency p50/p99, one sign-in at a time (each is one Argon2id verification, 19 MiB, t=2);
- the API's own Argon2 time per hash and per verification (`password_hashing_duration_seconds`);
- `GET /api/posts` p50/p99 idle, then while 40 clients sign in as fast as they can, with the
  share of sign-ins answered 503 (`busy`: the hashing queue is full, by design).
"""

import json
import os
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CACHE_DIR, bake  # noqa: E402
from fixtures.services import PostgresServer, postgres_bin_dir  # noqa: E402
from servers import ServerProcess, free_port, http  # noqa: E402

TOKEN = "bench-write-token-" + "b" * 32
PASSWORD = "a bench passphrase of some length"
FLOOD_CLIENTS = 40


def call(base: str, method: str, path: str, body: dict | None = None, visitor: str = "198.51.100.1"):
    headers = {"authorization": f"Bearer {TOKEN}", "x-visitor-address": visitor, "content-type": "application/json"}
    reply = http(base + path, headers, method, json.dumps(body).encode() if body else None, timeout=30)
    return reply.status, reply


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   (n={len(ordered)})"


def build(work: Path) -> Path:
    project = bake(work, layout="monorepo", backend="rust", database="postgres", auth="password")
    target = CACHE_DIR / "bench" / "cargo-target-accounts"
    print("building the API in release mode (minutes the first time)...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=project / "apps/api", check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    return target / "release" / "api"


def start(binary: Path, database_url: str, work: Path) -> ServerProcess:
    subprocess.run([str(binary), "migrate"], check=True, capture_output=True,
                   env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url,
           "API_WRITE_TOKEN": TOKEN, "RUST_LOG": "warn", "PUBLIC_URL": "http://localhost:3000", "MAIL_DEV_LOG": "1",
           "RATE_LIMIT_PER_SECOND": "100000", "RATE_LIMIT_BURST": "100000"}
    server = ServerProcess([str(binary)], work, env, port, work / "api.log")
    server.wait_until_up(timeout=60)
    return server


def signed_up(server: ServerProcess, email: str) -> None:
    assert call(server.url, "POST", "/api/accounts", {"email": email, "password": PASSWORD})[0] == 202
    deadline = time.monotonic() + 20
    while not (found := re.search(r"verify-email\?token=([A-Za-z0-9_-]{43})", server.output())):
        assert time.monotonic() < deadline, "no verification link printed"
        time.sleep(0.2)
    assert call(server.url, "POST", "/api/accounts/verification", {"token": found[1]})[0] == 201


def hashing_seconds(server: ServerProcess) -> dict[str, float]:
    text = http(server.metrics_url).text
    mean = {}
    for operation in ("hash", "verify"):
        total = re.search(rf'^password_hashing_duration_seconds_sum{{operation="{operation}"}} (\S+)$', text, re.M)
        count = re.search(rf'^password_hashing_duration_seconds_count{{operation="{operation}"}} (\S+)$', text, re.M)
        if total and count and float(count[1]):
            mean[operation] = float(total[1]) / float(count[1])
    return mean


def reads_for(server: ServerProcess, seconds: float) -> list[float]:
    samples, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        assert http(server.url + "/api/posts").status == 200
        samples.append(time.monotonic() - started)
    return samples


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        binary = build(work)
        (work / "pg").mkdir()
        # PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` user.
        user = pwd.getpwnam("postgres").pw_name if os.geteuid() == 0 else None
        if user:
            shutil.chown(work, user=user)
            shutil.chown(work / "pg", user=user)
        database = PostgresServer(postgres_bin_dir(), work / "pg", user)
        database.init()
        server = start(binary, database.url, work)
        try:
            email = "bench@example.com"
            signed_up(server, email)
            sign_ins = []
            for _ in range(50):
                started = time.monotonic()
                assert call(server.url, "POST", "/api/sessions", {"email": email, "password": PASSWORD})[0] == 201
                sign_ins.append(time.monotonic() - started)
            print(f"{'sign-in, one at a time':34} {percentiles(sign_ins)}")
            for operation, mean in hashing_seconds(server).items():
                label = f"Argon2id {operation} (the API's own)"
                print(f"{label:34} mean {mean * 1000:7.1f} ms")
            print(f"{'GET /api/posts, idle':34} {percentiles(reads_for(server, seconds))}")

            stop, statuses = threading.Event(), []

            def flood(n: int) -> None:
                while not stop.is_set():
                    statuses.append(call(server.url, "POST", "/api/sessions", {"email": email, "password": PASSWORD},
                                         visitor=f"192.0.2.{n + 1}")[0])

            with ThreadPoolExecutor(FLOOD_CLIENTS) as pool:
                for n in range(FLOOD_CLIENTS):
                    pool.submit(flood, n)
                time.sleep(0.5)
                during = reads_for(server, seconds)
                stop.set()
            busy = statuses.count(503) / max(1, len(statuses))
            label = f"GET /api/posts, {FLOOD_CLIENTS} signing in"
            print(f"{label:34} {percentiles(during)}")
            print(f"  sign-ins during the flood: {len(statuses)}, {statuses.count(201)} signed in, "
                  f"{busy:.0%} answered 503 busy")
        finally:
            server.stop()
            database.stop()


if __name__ == "__main__":
    main()
