"""Figures of the generated web app (default standalone): sizes, cold start, memory.

A report, not a test: `python3 bench/web.py [--project DIR] [--runs 5] [--requests 2000]`
bakes the default project (unless --project points at an installed and built one), installs
it with pnpm, builds it, and prints a table:

  client JS gzip      bytes of the gzip files the build writes for the client's JS
  server bundle       bytes of dist/server/index.js
  prod node_modules   bytes `pnpm install --prod` puts on disk (what a runtime image would need)
  cold start          `node dist/server/index.js` spawn to first 200 on / (median of --runs), dist/ alone
  RSS idle / load     resident memory after start, and after --requests page renders (8 at a time)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
SECRET = "bench-" + "x" * 40


def run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=900)


def prepare(project: Path | None, workdir: Path) -> Path:
    if project:
        return project
    subprocess.run([sys.executable, "-m", "cookiecutter", str(TEMPLATE_DIR), "--no-input", "-o", str(workdir)],
                   check=True, capture_output=True)
    project = next(workdir.iterdir())
    if not shutil.which("pnpm"):
        pinned = json.loads((project / "package.json").read_text()).get("packageManager", "pnpm@10")
        run(["npm", "install", "--global", pinned], project)
    run(["pnpm", "install", "--no-frozen-lockfile"], project)
    run(["pnpm", "run", "build"], project)
    return project


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) if path.exists() else 0


def prod_node_modules_bytes(project: Path, workdir: Path) -> int:
    target = workdir / "prod-install"
    target.mkdir()
    for name in ("package.json", "pnpm-lock.yaml"):
        if (project / name).exists():
            shutil.copy(project / name, target / name)
    run(["pnpm", "install", "--prod", "--frozen-lockfile", "--ignore-scripts"], target)
    return tree_bytes(target / "node_modules")


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def start(dist_root: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "NODE_ENV": "production", "HOST": "127.0.0.1", "PORT": str(port),
           "SESSION_SECRET": SECRET, "LOG_LEVEL": "silent", "RATE_LIMIT_MAX": "1000000"}
    started = time.perf_counter()
    process = subprocess.Popen(["node", "dist/server/index.js"], cwd=dist_root, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = started + 30
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url, time.perf_counter() - started
        except OSError:
            time.sleep(0.002)
    process.kill()
    raise RuntimeError("server did not answer 200 within 30 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=15)


def fetch(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="an installed and built standalone project")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        project = prepare(args.project, workdir / "bake")
        assets = project / "dist" / "client" / "assets"
        client_js_gzip = sum(f.stat().st_size for f in assets.glob("*.js.gz"))
        client_js_br = sum(f.stat().st_size for f in assets.glob("*.js.br"))
        server_bundle = (project / "dist" / "server" / "index.js").stat().st_size
        prod_modules = prod_node_modules_bytes(project, workdir)

        # The runtime image holds dist/ only: measure exactly that.
        runtime = workdir / "runtime"
        shutil.copytree(project / "dist", runtime / "dist")
        cold = []
        for _ in range(args.runs):
            process, _, seconds = start(runtime)
            cold.append(seconds)
            stop(process)

        process, url, _ = start(runtime)
        try:
            time.sleep(2)
            idle = rss_bytes(process.pid)
            load_started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(fetch, [url] * args.requests))
            load_seconds = time.perf_counter() - load_started
            loaded = rss_bytes(process.pid)
        finally:
            stop(process)

    rows = [
        ("client JS gzip", f"{client_js_gzip:,} B", f"brotli {client_js_br:,} B"),
        ("server bundle", f"{server_bundle:,} B", "dist/server/index.js, dependencies included"),
        ("prod node_modules", f"{prod_modules:,} B", "pnpm install --prod"),
        ("cold start to first 200", f"{statistics.median(cold) * 1000:.0f} ms",
         f"median of {args.runs}; min {min(cold) * 1000:.0f}, max {max(cold) * 1000:.0f}"),
        ("RSS idle", f"{idle / 2**20:.1f} MiB", "2 s after the first 200"),
        ("RSS after load", f"{loaded / 2**20:.1f} MiB",
         f"after {args.requests} renders of /, 8 concurrent, {args.requests / load_seconds:.0f} req/s"),
    ]
    print(f"{'figure':26} {'value':>14}  notes")
    for name, value, note in rows:
        print(f"{name:26} {value:>14}  {note}")


if __name__ == "__main__":
    main()
