"""How each figure is taken: the same tool, warm-up and process handling for every server.

Load comes from autocannon (pinned, run on the same Node as the servers) against 127.0.0.1 only,
for a fixed number of seconds, so every load stops by itself. Processes and memory readings go
through the suite's own helpers (tests/servers.py).
"""

import dataclasses
import gzip
import json
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from harness.servers import ServerProcess, cpu_seconds, free_port, http, peak_rss_kib, rss_kib, seconds_to_first_200


@dataclass(frozen=True)
class Server:
    """How to start one server: its command line in `cwd`, and the path its figures are taken on."""

    key: str
    label: str
    args: list[str]
    cwd: Path
    path: str = "/"
    env: dict = field(default_factory=dict)

    def start(self, port: int, log: Path) -> ServerProcess:
        return ServerProcess(self.args, self.cwd, {**self.env, "PORT": str(port), "HOST": "127.0.0.1"}, port, log)


@dataclass
class Samples:
    """Every sample of one figure for one server; the table shows the median and the min-max spread."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def as_json(self) -> dict:
        return {"median": self.median, "min": min(self.values), "max": max(self.values), "samples": self.values}


def cold_start(server: Server, logs: Path) -> tuple[float, float]:
    """Spawn to the first 200 on the server's path: (wall seconds, CPU seconds the process used by then).

    The CPU figure barely moves when other work shares the machine; the wall time does.
    """
    port = free_port()
    started = time.perf_counter()
    process = server.start(port, logs / f"{server.key}-cold.log")
    try:
        wall = seconds_to_first_200(process, started, server.path)
        return wall, cpu_seconds(process.process.pid)
    finally:
        process.stop()


def start_and_wait(server: Server, logs: Path) -> ServerProcess:
    process = server.start(free_port(), logs / f"{server.key}.log")
    process.wait_until_up(server.path, timeout=60)
    return process


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    requests: int
    failures: int  # non-2xx answers, socket errors and timeouts: a run with any is not a clean figure
    server_cpu_s: float = 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """The server's CPU time per answered request: what the server costs, whatever the load generator
        manages to send on cores it shares with the server."""
        return self.server_cpu_s / self.requests * 1e6


def autocannon(tool: list[str], url: str, connections: int, seconds: int) -> Load:
    result = subprocess.run([*tool, "--json", f"-c{connections}", f"-d{seconds}", url], text=True,
                            capture_output=True, timeout=seconds + 60, check=True)
    report = json.loads(result.stdout)
    return Load(report["requests"]["average"], report["latency"]["p99"], report["requests"]["total"],
                report["non2xx"] + report["errors"] + report["timeouts"])


def load_server(tool: list[str], server: ServerProcess, path: str, connections: int, seconds: int) -> Load:
    """One autocannon run against a running server, with the CPU time the server used meanwhile."""
    before = cpu_seconds(server.process.pid)
    load = autocannon(tool, server.url + path, connections, seconds)
    return dataclasses.replace(load, server_cpu_s=cpu_seconds(server.process.pid) - before)


def memory_mib(process: ServerProcess) -> tuple[float, float]:
    """(resident now, resident peak since start) of the server's process, in MiB."""
    pid = process.process.pid
    return rss_kib(pid) / 1024, peak_rss_kib(pid) / 1024


# What a page makes the browser download as JavaScript: its module scripts, its modulepreload
# links, the modules an inline script import()s (SvelteKit's bootstrap), and the static imports
# of all of those, followed to the end. Lazy import() inside the bundles is not counted.
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"")
MODULEPRELOAD = re.compile(r"<link\b(?=[^>]*\brel=\"modulepreload\")[^>]*\bhref=\"([^\"]+)\"")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
DYNAMIC_IMPORT = re.compile(r"\bimport\(\s*[\"']([^\"']+\.js)[\"']\s*\)")
STATIC_IMPORT = re.compile(r"(?:\bfrom|\bimport)\s*[\"']([^\"']+\.js)[\"']")


def page_scripts(page_url: str, html: str) -> list[str]:
    urls = SCRIPT_SRC.findall(html) + MODULEPRELOAD.findall(html)
    for script in INLINE_SCRIPT.findall(html):
        urls += DYNAMIC_IMPORT.findall(script)
    return [urljoin(page_url, url) for url in urls]


def client_js_gzip_bytes(page_url: str) -> tuple[int, list[str]]:
    """gzip -9 size of each JS file the page makes the browser load, summed; and those files."""
    page = http(page_url)
    pending, seen, total = page_scripts(page_url, page.text), [], 0
    while pending:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.append(url)
        reply = http(url)
        if reply.status != 200:
            raise RuntimeError(f"{url} (linked from {page_url}) answered {reply.status}")
        total += len(gzip.compress(reply.body, compresslevel=9, mtime=0))
        pending += [urljoin(url, imported) for imported in STATIC_IMPORT.findall(reply.text)]
    return total, seen
