"""Figures of the generated Rust API (monorepo, backend=rust).

A report, not a test: `python3 bench/api.py [--database postgres|none] [--runs 5] [--seconds 10]
[--connections 32]` bakes the project, builds the API with `cargo build --release --locked` (in the
suite's shared Cargo target dir), for postgres starts a private PostgreSQL (as the slow tier does)
and runs `api migrate`, then prints:

  binary size    bytes of target/release/api (stripped, thin LTO: the release profile in Cargo.toml)
  cold start     spawn of `api` to the first 200 on /health, polled every 2 ms (median of --runs)
  RSS idle       resident memory (VmRSS) 1 s after the first 200, before any other request
  GET /api/posts requests/s from `wrk -t1 -c<connections> -d<seconds>s` on 127.0.0.1, after a 2 s
                 warm-up; the server, PostgreSQL and wrk share this machine's cores
  RSS after load resident memory once the load has finished

The load is bounded (one wrk run of --seconds, loopback only) and stops by itself.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "tests"))

from conftest import CACHE_DIR, bake  # noqa: E402
from fixtures.services import PostgresServer, free_port, postgres_bin_dir  # noqa: E402

TARGET_DIR = CACHE_DIR / "cargo-target"


def build_release(crate: Path) -> Path:
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET_DIR)}
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=crate, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600)
    return TARGET_DIR / "release" / "api"


def status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status
    except OSError:
        return None


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Api:
    def __init__(self, binary: Path, database_url: str | None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"HOST": "127.0.0.1", "PORT": str(self.port), "RUST_LOG": "warn"}
        if database_url:
            env["DATABASE_URL"] = database_url
        self.started = time.perf_counter()
        self.process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

    def wait_first_200(self, timeout: float = 10) -> float:
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if status(self.url + "/health") == 200:
                return time.perf_counter() - self.started
            time.sleep(0.002)
        raise RuntimeError("the API did not answer /health")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def wrk(url: str, seconds: int, connections: int) -> float:
    output = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], check=True,
                            capture_output=True, text=True, timeout=seconds + 30).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "none"], default="postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        project = bake(Path(work), layout="monorepo", backend="rust", database=args.database)
        print("building the release binary (first run compiles every dependency)...", file=sys.stderr)
        binary = build_release(project / "apps" / "api")

    database = None
    if args.database == "postgres":
        root = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
        user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
        if user:
            shutil.chown(root, user=user)
        database = PostgresServer(postgres_bin_dir(), root, user)
        database.init()
    database_url = database.url if database else None
    try:
        if database_url:
            subprocess.run([str(binary), "migrate"], env={"DATABASE_URL": database_url, "RUST_LOG": "warn"},
                           check=True, capture_output=True, timeout=60)
        cold_starts = []
        for _ in range(args.runs):
            api = Api(binary, database_url)
            cold_starts.append(api.wait_first_200())
            api.stop()

        api = Api(binary, database_url)
        api.wait_first_200()
        time.sleep(1)
        idle = rss_kib(api.process.pid)
        if shutil.which("wrk"):
            wrk(api.url + "/api/posts", 2, args.connections)  # warm-up: pool filled, caches hot
            rps = f"{wrk(api.url + '/api/posts', args.seconds, args.connections):,.0f}"
        else:
            rps = "n/a (apt-get install wrk)"
        loaded = rss_kib(api.process.pid)
        api.stop()
    finally:
        if database:
            database.stop()
            shutil.rmtree(database.data_dir.parent, ignore_errors=True)

    print(f"\nRust API, database={args.database}, release build")
    rows = [
        ("binary size", f"{binary.stat().st_size / 1024 / 1024:.1f} MiB ({binary.stat().st_size:,} bytes)"),
        ("cold start to first 200", f"{statistics.median(cold_starts) * 1000:.1f} ms median of {args.runs}"
                                    f" (min {min(cold_starts) * 1000:.1f}, max {max(cold_starts) * 1000:.1f})"),
        ("RSS idle", f"{idle / 1024:.1f} MiB"),
        ("GET /api/posts", f"{rps} requests/s (wrk -t1 -c{args.connections} -d{args.seconds}s, loopback)"),
        ("RSS after load", f"{loaded / 1024:.1f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:{width}}  {value}")


if __name__ == "__main__":
    main()
