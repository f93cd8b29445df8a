"""Performance side by side: the generated apps against peers built beside them, in one run.

    python3 bench/run.py [--quick] [--json PATH] [--skip api,payload]

Bakes the default project and builds it with its own `build` script, builds three peers from the
npm registry and crates.io into the suite's cache (plain Fastify serving the generated page's exact
HTML, a minimal SvelteKit app rendering the same posts, a plain Axum route answering the generated
API's JSON), then measures every server the same way and prints one table: each figure's median,
its spread, its ratio to the peer measured in the same run, the aim from issue 11 and whether it is
met. The JSON holds every sample. A report, never a pass/fail test: load goes to 127.0.0.1 only,
for a fixed time, and stops by itself. bench/README.md says how to read it.
"""

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import toolchain  # noqa: E402  (puts the harness package on sys.path: the bench shares the suite's tooling)
import builds  # noqa: E402
from measure import (Samples, Server, autocannon, client_js_gzip_bytes, cold_start,  # noqa: E402
                     load_server, memory_mib, start_and_wait)
from report import Figure, render_table  # noqa: E402
from harness.servers import http  # noqa: E402
from toolchain import AUTOCANNON, load_tools, stdout_to_stderr  # noqa: E402

@dataclass(frozen=True)
class Settings:
    cold_starts: int
    warmup_s: int
    runs: int
    seconds: int
    web_connections: int = 50
    api_connections: int = 32


FULL = Settings(cold_starts=10, warmup_s=5, runs=3, seconds=10)
QUICK = Settings(cold_starts=3, warmup_s=2, runs=3, seconds=3)


class Progress:
    def __init__(self):
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


def load_rounds(servers: list[Server], running: dict, settings: Settings, connections: int, load_tool: list[str],
                progress: Progress) -> tuple[dict, dict, dict, dict]:
    """Warm every server up, then `runs` rounds of one load each, the order rotated every round.

    Interleaving spreads any slow spell of this shared machine over every server alike.
    """
    for server in servers:
        autocannon(load_tool, running[server.key].url + server.path, connections, settings.warmup_s)
    rps = {s.key: Samples() for s in servers}
    p99 = {s.key: Samples() for s in servers}
    cpu = {s.key: Samples() for s in servers}
    failures = {s.key: 0 for s in servers}
    for round_index in range(settings.runs):
        order = servers[round_index % len(servers):] + servers[:round_index % len(servers)]
        for server in order:
            progress(f"load {round_index + 1}/{settings.runs}: {server.label} -c{connections} -d{settings.seconds}")
            load = load_server(load_tool, running[server.key], server.path, connections, settings.seconds)
            rps[server.key].values.append(load.requests_per_second)
            p99[server.key].values.append(load.p99_ms)
            if load.requests:  # a run in which nothing was answered shows as failures, not as a CPU figure
                cpu[server.key].values.append(load.cpu_us_per_request)
            failures[server.key] += load.failures
    return rps, p99, cpu, failures


def same_body(running: dict, servers: list[Server]) -> None:
    bodies = {s.label: http(running[s.key].url + s.path).body for s in servers}
    if len(set(bodies.values())) != 1:
        raise RuntimeError(f"the servers do not answer the same bytes on {servers[0].path}: {list(bodies)}")


def measure_web(generated: Server, fastify: Server, sveltekit: Server, settings: Settings, logs: Path,
                load_tool: list[str], progress: Progress) -> list[Figure]:
    # Every Node server keeps Node's compile cache where the generated image does (NODE_COMPILE_CACHE);
    # the first start finds it empty (a new Machine), the next ones as a restarted Machine does
    # (fly.toml's persist_rootfs = "restart" keeps it across restarts, not across deploys).
    servers = [dataclasses.replace(s, env={**s.env, "NODE_COMPILE_CACHE": str(logs / f"compile-cache-{s.key}")})
               for s in (generated, fastify, sveltekit)]
    generated, fastify, sveltekit = servers
    progress(f"cold starts: {settings.cold_starts + 1} of each, interleaved, the first without a compile cache")
    fresh = {s.key: Samples() for s in servers}
    cold = {s.key: Samples() for s in servers}
    cold_cpu = {s.key: Samples() for s in servers}
    for index in range(settings.cold_starts + 1):
        for server in servers:
            wall, cpu = cold_start(server, logs)
            if index == 0:
                fresh[server.key].values.append(wall * 1000)
                continue
            cold[server.key].values.append(wall * 1000)
            cold_cpu[server.key].values.append(cpu * 1000)

    running = {s.key: start_and_wait(s, logs) for s in servers}
    try:
        same_body(running, [generated, fastify])
        time.sleep(1)
        idle = {key: Samples([memory_mib(process)[0]]) for key, process in running.items()}
        client_js = {key: Samples([client_js_gzip_bytes(running[key].url + "/")[0] / 1000])
                     for key in (generated.key, sveltekit.key)}
        rps, p99, cpu, failures = load_rounds(servers, running, settings, settings.web_connections, load_tool,
                                              progress)
        peak = {key: Samples([memory_mib(process)[1]]) for key, process in running.items()}
    finally:
        for process in running.values():
            process.stop()

    load = f"-c{settings.web_connections} -d{settings.seconds}"
    return [
        Figure("ssr_rps", f"SSR throughput on / ({load})", "req/s", rps, higher_is_better=True,
               peers=("fastify", "sveltekit"), aim=">= 0.5x Fastify and >= 8x SvelteKit",
               check=lambda f: f.ratio("fastify") >= 0.5 and f.ratio("sveltekit") >= 8, failures=failures),
        Figure("ssr_p99", f"p99 latency on / ({load})", "ms", p99, peers=("fastify", "sveltekit"),
               failures=failures),
        Figure("ssr_cpu", "server CPU per request on /", "us", cpu, peers=("fastify", "sveltekit")),
        Figure("cold_start", "cold start to first 200 on / (restart: compile cache kept)", "ms", cold,
               peers=("fastify",), aim="<= 1.3x Fastify", check=lambda f: f.ratio("fastify") <= 1.3),
        Figure("cold_start_cpu", "CPU used by the first 200 on / (restart)", "ms", cold_cpu, peers=("fastify",)),
        Figure("cold_start_fresh", "first start to first 200 on / (new Machine: no compile cache)", "ms", fresh,
               peers=("fastify",)),
        Figure("idle_rss", "idle RSS", "MiB", idle, peers=("fastify", "sveltekit")),
        Figure("peak_rss", f"peak RSS under -c{settings.web_connections}", "MiB", peak,
               peers=("fastify", "sveltekit"), aim="<= 128 MiB", check=lambda f: f.median("generated") <= 128),
        Figure("client_js", "client JS on /, gzip -9", "kB", client_js, peers=("sveltekit",),
               aim="<= 22 kB and below SvelteKit",
               check=lambda f: f.median("generated") <= 22 and f.ratio("sveltekit") < 1),
    ]


def measure_api(api: Server, axum: Server, settings: Settings, logs: Path, load_tool: list[str],
                progress: Progress) -> list[Figure]:
    servers = [api, axum]
    running = {s.key: start_and_wait(s, logs) for s in servers}
    try:
        same_body(running, servers)
        rps, p99, cpu, failures = load_rounds(servers, running, settings, settings.api_connections, load_tool,
                                              progress)
    finally:
        for process in running.values():
            process.stop()
    # The generated API sits in the "generated" column: re-key its samples.
    rename = {"api": "generated", "axum": "axum"}
    rps, p99, cpu, failures = ({rename[k]: v for k, v in d.items()} for d in (rps, p99, cpu, failures))
    load = f"-c{settings.api_connections} -d{settings.seconds}"
    return [
        Figure("api_rps", f"Rust API GET /api/posts throughput ({load})", "req/s", rps, higher_is_better=True,
               peers=("axum",), aim=">= 0.7x plain Axum", check=lambda f: f.ratio("axum") >= 0.7, failures=failures),
        Figure("api_p99", f"Rust API GET /api/posts p99 ({load})", "ms", p99, peers=("axum",), failures=failures),
        Figure("api_cpu", "Rust API server CPU per request", "us", cpu, peers=("axum",)),
    ]


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory_kib / 2**20, 1), "kernel": platform.release(),
            "load_average_at_start": os.getloadavg()}


@dataclass
class Built:
    """The servers to measure, ready to start, and the figures the builds themselves give."""

    generated: Server
    fastify: Server
    sveltekit: Server
    web_versions: dict
    api: Server | None = None
    axum: Server | None = None
    api_lock: Path | None = None
    payload: tuple[int, bool] | None = None  # bytes, reused from an earlier run with the same inputs


def build_all(work: Path, logs: Path, env: dict, skip: set, quick: bool, progress: Progress) -> Built:
    progress("baking, installing and building the default project")
    generated, web_versions = builds.web_app(work / "web", env)
    process = start_and_wait(generated, logs)
    try:
        page = builds.page_of(process.url)
    finally:
        process.stop()
    progress("building the plain Fastify bundle and the SvelteKit app")
    built = Built(generated, builds.fastify_peer(page, web_versions, env),
                  builds.sveltekit_peer(builds.posts_on_page(page), web_versions, env), web_versions)
    if "api" not in skip:
        progress("building the generated Rust API and plain Axum (release; the first run compiles every crate)")
        built.api, built.api_lock = builds.rust_api(work / "api")
        process = start_and_wait(built.api, logs)
        try:
            posts_json = http(process.url + built.api.path).body
        finally:
            process.stop()
        built.axum = builds.axum_peer(posts_json, built.api_lock)
    if "payload" not in skip:
        progress("web final stage of the full monorepo, built outside Docker")
        built.payload = builds.web_final_stage_payload(work / "payload", env, reuse=quick)
    return built


def measure_all(built: Built, settings: Settings, logs: Path, load_tool: list[str], progress: Progress) -> list[Figure]:
    figures = measure_web(built.generated, built.fastify, built.sveltekit, settings, logs, load_tool, progress)
    if built.payload:
        size, reused = built.payload
        title = "web final-stage payload (full monorepo, Sentry)" + (" [inputs unchanged: reused]" if reused else "")
        figures.append(Figure("payload", title, "MB", {"generated": Samples([size / 1e6])}, aim="<= 3 MB",
                              check=lambda f: f.median("generated") <= 3))
    if built.api:
        progress("Rust API against plain Axum")
        figures += measure_api(built.api, built.axum, settings, logs, load_tool, progress)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 s loads, 3 cold starts, the payload reused when its inputs are unchanged")
    parser.add_argument("--json", type=Path, default=toolchain.BENCH_CACHE / "last-run.json",
                        help="where to write every figure's samples (default: %(default)s)")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: api, payload")
    args = parser.parse_args()
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    if skip - {"api", "payload"}:
        parser.error(f"--skip knows api and payload, not {', '.join(sorted(skip - {'api', 'payload'}))}")
    settings = QUICK if args.quick else FULL
    progress = Progress()
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "settings": settings.__dict__ | {"quick": args.quick}}

    node_major = toolchain.default_node_major()
    progress(f"Node {node_major} from the npm registry, autocannon {AUTOCANNON}")
    node_dir = toolchain.node_bin_dir(node_major)
    env = toolchain.env_with_node(node_dir)
    tools = load_tools(env)
    load_tool = [str(node_dir / "node"), str(tools / "node_modules" / "autocannon" / "autocannon.js")]

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    logs = work / "logs"
    logs.mkdir()
    try:
        with stdout_to_stderr():
            built = build_all(work, logs, env, skip, args.quick, progress)
        info["versions"] = builds.versions(node_dir, built.web_versions, built.api_lock, tools)
        figures = measure_all(built, settings, logs, load_tool, progress)
    finally:
        # rm is several times faster than shutil.rmtree on the installs' many small files.
        subprocess.run(["rm", "-rf", str(work)], check=False)
    info["machine"]["load_average_at_end"] = os.getloadavg()
    progress("done")

    print(render_table(info, figures))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({**info, "figures": {f.key: f.as_json() for f in figures}}, indent=2) + "\n")
    print(f"\nJSON: {args.json}")


if __name__ == "__main__":
    main()
