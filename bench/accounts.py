"""Accounts (auth=password), measured on the generated apps in one run (issue 18).

    python3 bench/accounts.py [--quick] [--json PATH]

Bakes the monorepo with accounts (backend=rust, database=postgres, auth=password, npm), builds the
API in release mode and the web app with its own `build`, starts a private PostgreSQL, the API
(mails printed to its terminal, MAIL_DEV_LOG=1) and the web app in production mode, signs a person
up through the API as the web app does, and reports:

- sign-in latency (p50/p99 of sequential sign-ins with the right password) and the Argon2id time per
  hash, from the API's own `password_hashing_duration_seconds` histogram;
- pages per second on `/` for a signed-in visitor against an anonymous one, interleaved rounds, and
  what one session lookup costs the API (`GET /api/sessions/current` against `GET /api/posts`);
- reads' p99 (`GET /api/posts`) while sign-ins flood the API, against the same reads idle.

A report, never a pass/fail test: every load goes to 127.0.0.1 only, lasts a fixed time and stops
by itself. The load generator shares the cores with the servers: read the ratios of one run.
"""

import argparse
import json
import os
import pwd
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import toolchain  # noqa: E402,F401  (puts the harness package on sys.path)
from builds import API_ENV, WEB_ENV, cargo_release, copy_binary  # noqa: E402
from measure import Samples  # noqa: E402
from toolchain import load_tools  # noqa: E402
from harness.answers import default_answers  # noqa: E402
from harness.bake import bake  # noqa: E402
from harness.project import Project  # noqa: E402
from harness.servers import ServerProcess, free_port, http  # noqa: E402
from harness.services import postgres_bin_dir, postgres_cluster  # noqa: E402
from harness.web_build import install_and_build  # noqa: E402

ANSWERS = {"layout": "monorepo", "backend": "rust", "database": "postgres", "auth": "password",
           "package_manager": "npm"}
SERVICE_TOKEN = "bench-service-token-" + "b" * 32
PUBLIC_URL = "http://127.0.0.1:3000"
PASSWORD = "correct horse battery staple"
VERIFY_LINK = re.compile(r"/verify-email\?token=([A-Za-z0-9_-]+)")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def api_call(api: ServerProcess, method: str, path: str, body: dict | None = None, session: str | None = None,
             visitor: str = "192.0.2.1"):
    headers = {"authorization": f"Bearer {SERVICE_TOKEN}", "x-visitor-address": visitor,
               "content-type": "application/json"}
    if session:
        headers["x-session-token"] = session
    data = None if body is None else json.dumps(body).encode()
    return http(api.url + path, headers, method=method, data=data, timeout=30)


def signed_up_session(api: ServerProcess, email: str) -> str:
    """Sign-up, the verification link from the API's terminal, verification: a session token."""
    answer = api_call(api, "POST", "/api/accounts", {"email": email, "password": PASSWORD})
    assert answer.status == 202, (answer.status, answer.text)
    deadline = time.monotonic() + 10
    while not (tokens := VERIFY_LINK.findall(api.output())) and time.monotonic() < deadline:
        time.sleep(0.05)
    answer = api_call(api, "POST", "/api/accounts/verification", {"token": tokens[-1]})
    assert answer.status == 201, (answer.status, answer.text)
    return answer.json()["session"]["token"]


def histogram_mean_ms(metrics_text: str, name: str) -> tuple[float, int]:
    """(mean in ms, count) of a Prometheus histogram, summed over its label sets."""
    total = sum(float(v) for v in re.findall(rf"^{name}_sum(?:{{[^}}]*}})? (\S+)$", metrics_text, re.M))
    count = sum(int(float(v)) for v in re.findall(rf"^{name}_count(?:{{[^}}]*}})? (\S+)$", metrics_text, re.M))
    return (total / count * 1000 if count else float("nan")), count


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def sign_in_latency(api: ServerProcess, email: str, count: int) -> list[float]:
    """Sequential sign-ins with the right password, each from another visitor: milliseconds each."""
    times = []
    for n in range(count):
        started = time.perf_counter()
        answer = api_call(api, "POST", "/api/sessions", {"email": email, "password": PASSWORD},
                          visitor=f"198.51.100.{n % 250 + 1}")
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status == 201, (answer.status, answer.text)
    return times


def autocannon_args(tool: Path, url: str, connections: int, seconds: int, headers: dict) -> list[str]:
    flags = [item for name, value in headers.items() for item in ("-H", f"{name}={value}")]
    return ["node", str(tool / "node_modules" / "autocannon" / "autocannon.js"), "--json",
            f"-c{connections}", f"-d{seconds}", *flags, url]


def load(tool: Path, url: str, connections: int, seconds: int, headers: dict | None = None) -> dict:
    result = subprocess.run(autocannon_args(tool, url, connections, seconds, headers or {}), text=True,
                            capture_output=True, timeout=seconds + 60, check=True)
    report = json.loads(result.stdout)
    return {"rps": report["requests"]["average"], "p99_ms": report["latency"]["p99"],
            "failures": report["non2xx"] + report["errors"] + report["timeouts"]}


class SignInFlood:
    """`threads` loops of sign-ins, each for a new unknown address from a new visitor, until stopped:
    every one costs the API one Argon2 verification (against its dummy hash)."""

    def __init__(self, api: ServerProcess, threads: int):
        self.api, self.stop_at, self.answers = api, None, []
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _run(self, thread: int) -> None:
        n = 0
        while time.monotonic() < self.stop_at:
            n += 1
            answer = api_call(self.api, "POST", "/api/sessions",
                              {"email": f"nobody-{thread}-{n}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 20},
                              visitor=f"203.0.{thread}.{n % 250 + 1}")
            self.answers.append(answer.status)

    def run_for(self, seconds: float) -> None:
        self.stop_at = time.monotonic() + seconds
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s loads and 15 sign-ins instead of 10 s and 60")
    parser.add_argument("--json", type=Path, help="write every figure here")
    options = parser.parse_args()
    seconds, sign_ins, rounds = (3, 15, 2) if options.quick else (10, 60, 3)

    work = Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    progress("baking the monorepo with accounts")
    project = Project(bake(work, **ANSWERS), default_answers(**ANSWERS))
    progress("building the API (release) and the web app")
    cargo_release(project.api, "--locked")
    binary = copy_binary("api")
    built = install_and_build(project)
    tool = load_tools(built.env)
    user = pwd.getpwnam("postgres").pw_name if os.geteuid() == 0 else None
    figures = {}
    with postgres_cluster("bench-accounts-postgres-", postgres_bin_dir(), user) as postgres:
        postgres.init()
        api_env = {**os.environ, **API_ENV, "HOST": "127.0.0.1", "DATABASE_URL": postgres.url,
                   "API_WRITE_TOKEN": SERVICE_TOKEN, "PUBLIC_URL": PUBLIC_URL, "MAIL_DEV_LOG": "1"}
        migrated = subprocess.run([str(binary), "migrate"], env=api_env, capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        api_port = free_port()
        api = ServerProcess([str(binary)], binary.parent, {**api_env, "PORT": str(api_port)}, api_port,
                            work / "api.log")
        api.wait_until_up(timeout=60)
        web_port = free_port()
        web = ServerProcess(["node", "dist/server/index.cjs"], built.web,
                            {**built.env, **WEB_ENV, "HOST": "127.0.0.1", "PORT": str(web_port),
                             "COMPOSABLE_RUST_BACKEND_URL": api.url, "API_WRITE_TOKEN": SERVICE_TOKEN,
                             "PUBLIC_URL": f"http://127.0.0.1:{web_port}"}, web_port, work / "web.log")
        try:
            web.wait_until_up(timeout=60)
            session = signed_up_session(api, "bench@example.com")

            progress(f"{sign_ins} sequential sign-ins")
            sign_in_latency(api, "bench@example.com", 3)  # warm-up
            times = sign_in_latency(api, "bench@example.com", sign_ins)
            hashing_ms, hashes = histogram_mean_ms(http(api.metrics_url).text, "password_hashing_duration_seconds")
            figures["sign_in_ms"] = {"p50": statistics.median(times), "p99": percentile(times, 0.99), "n": len(times)}
            figures["hashing_ms"] = {"mean": hashing_ms, "n": hashes}

            progress(f"pages on / signed in and anonymous: {rounds} interleaved rounds of {seconds} s")
            cookie = {"cookie": f"__Host-session={session}", "accept": "text/html"}
            signed_in_page = http(web.url + "/", cookie)
            assert "bench@example.com" in signed_in_page.text, "the signed-in page does not show the user"
            pages = {"anonymous": Samples(), "signed_in": Samples()}
            load(tool, web.url + "/", 50, 2)
            load(tool, web.url + "/", 50, 2, cookie)
            for _ in range(rounds):
                for key, headers in (("anonymous", {"accept": "text/html"}), ("signed_in", cookie)):
                    result = load(tool, web.url + "/", 50, seconds, headers)
                    assert result["failures"] == 0, (key, result)
                    pages[key].values.append(result["rps"])
            figures["pages_rps"] = {key: samples.as_json() for key, samples in pages.items()}

            progress("session lookups and post lists on the API")
            api_headers = {"authorization": f"Bearer {SERVICE_TOKEN}"}
            lookups = load(tool, api.url + "/api/sessions/current", 32, seconds, {**api_headers, "x-session-token": session})
            posts = load(tool, api.url + "/api/posts", 32, seconds)
            figures["api_rps"] = {"session_lookup": lookups, "posts": posts}

            progress("reads while sign-ins flood the API")
            idle = load(tool, api.url + "/api/posts", 8, seconds)
            flood = SignInFlood(api, threads=16)
            flood.run_for(seconds + 2)
            time.sleep(1)
            flooded = load(tool, api.url + "/api/posts", 8, seconds)
            flood.join()
            answered = {status: flood.answers.count(status) for status in sorted(set(flood.answers))}
            figures["reads_under_flood"] = {"idle": idle, "flooded": flooded, "sign_in_answers": answered}
        finally:
            web.stop()
            api.stop()

    print(report(figures))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))


def report(figures: dict) -> str:
    pages = figures["pages_rps"]
    signed_in, anonymous = pages["signed_in"]["median"], pages["anonymous"]["median"]
    api = figures["api_rps"]
    reads = figures["reads_under_flood"]
    rows = [
        ("sign-in latency, sequential (ms)", f"p50 {figures['sign_in_ms']['p50']:.1f}, p99 {figures['sign_in_ms']['p99']:.1f}"
                                             f" (n={figures['sign_in_ms']['n']})"),
        ("Argon2id per hash or verification (ms)", f"{figures['hashing_ms']['mean']:.1f} (mean of {figures['hashing_ms']['n']})"),
        ("pages/s on /, anonymous", f"{anonymous:.0f} ({pages['anonymous']['min']:.0f}-{pages['anonymous']['max']:.0f})"),
        ("pages/s on /, signed in", f"{signed_in:.0f} ({pages['signed_in']['min']:.0f}-{pages['signed_in']['max']:.0f})"
                                    f" = {signed_in / anonymous:.2f}x anonymous"),
        ("API req/s: session lookup vs post list", f"{api['session_lookup']['rps']:.0f} vs {api['posts']['rps']:.0f}"
                                                   f" = {api['session_lookup']['rps'] / api['posts']['rps']:.2f}x"),
        ("reads' p99 on /api/posts (ms): idle vs sign-in flood", f"{reads['idle']['p99_ms']} vs {reads['flooded']['p99_ms']}"),
        ("sign-in answers during the flood", ", ".join(f"{k}: {v}" for k, v in reads["sign_in_answers"].items())),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


if __name__ == "__main__":
    main()
