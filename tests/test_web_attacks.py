"""Slow tier: the outside red team's attacks on the generated web server, run again (issue 22).

Each test starts the real built server on 127.0.0.1 (the full monorepo: Redis, a Rust API to
talk to; the default standalone where the attack does not need them), talks to it over real
sockets, and takes a real Redis away with SIGSTOP (always resumed). The API is a small stub HTTP
server in this module, so it can refuse on demand and show what the web app sent it.
"""

import json
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.servers import free_port, http, raw_status
from harness.web_build import start_web

pytestmark = pytest.mark.slow

SERVICE_TOKEN = "web-service-token-" + "x" * 30  # 48 characters, as the API requires 32+
SECRET = "hunter2-s3cret"


class StubApi(BaseHTTPRequestHandler):
    """The API contract, answering as `mode` says; every request's headers are kept in `seen`."""

    mode = "ok"
    posts = [{"id": 1, "title": "From the stub", "body": "ok"}]
    seen: list = []
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 (http.server's naming)
        cls = type(self)
        with cls.lock:
            cls.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if cls.mode == "429":
            return self._send(429, {"error": "slow down"}, {"retry-after": "7"})
        if cls.mode == "503-retry-after":
            return self._send(503, {"error": "busy"}, {"retry-after": "2"})
        if cls.mode == "replay":
            return self._send(409, None, {"fly-replay": "region=sjc"})
        if cls.mode == "500":
            return self._send(500, {"error": "boom"})
        if self.path == "/api/posts":
            return self._send(200, cls.posts)
        match = re.fullmatch(r"/api/posts/(\d+)", self.path)
        post = match and next((p for p in cls.posts if p["id"] == int(match[1])), None)
        self._send(200, post) if post else self._send(200 if self.path == "/health" else 404, {"status": "ok"})

    def _send(self, status, body, headers=None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def stub_api(mode="ok", posts=None):
    """A fresh StubApi subclass on a free loopback port: (server, its handler class, its URL)."""
    handler = type("Api", (StubApi,), {"mode": mode, "seen": [], "posts": posts or StubApi.posts,
                                        "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def api():
    server, handler, url = stub_api()
    yield handler, url
    server.shutdown()
    server.server_close()


@pytest.fixture
def redis(redis_server):
    redis_server.command("FLUSHALL")
    return redis_server


def as_client(address: str) -> dict:
    """Headers of a request that Fly's proxy forwarded for `address` (the servers run with FLY_APP_NAME)."""
    return {"fly-client-ip": address, "accept": "text/html"}


def log_lines(server, needle: str) -> list[str]:
    return [line for line in server.output().splitlines() if needle in line]


# --- a hung Redis ------------------------------------------------------------------------------

def timed(url: str, headers: dict | None = None) -> tuple[int, float]:
    started = time.monotonic()
    # A short client timeout: a server that waits on the stopped Redis fails here, not in an hour.
    status = http(url, headers, timeout=4).status
    return status, time.monotonic() - started


def test_a_hung_redis_is_treated_as_down_within_a_second_and_recovers(built_monorepo, redis, api, tmp_path):
    _, url = api
    limit = 5
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                    FLY_APP_NAME="web", RATE_LIMIT_MAX=str(limit), LOG_LEVEL="info")
    try:
        assert http(f"{web.url}/", as_client("203.0.113.1")).status == 200
        assert redis.command("EXISTS", "web-rate-limit:203.0.113.1") == b":1"
        with redis.paused():
            timings = {path: timed(web.url + path, as_client("203.0.113.2")) for path in ("/", "/posts/1", "/api/posts")}
            ready = timed(f"{web.url}/ready")
            # Still limited, per Machine: a new client gets `limit` answers, then 429s.
            during = [http(f"{web.url}/posts/1", as_client("203.0.113.3"), timeout=4).status for _ in range(limit + 2)]
        deadline = time.monotonic() + 20
        while http(f"{web.url}/ready").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = http(f"{web.url}/", as_client("203.0.113.4")).status
        shared_again = redis.command("EXISTS", "web-rate-limit:203.0.113.4")
    finally:
        web.stop()
    print(f"\nwith Redis stopped: {', '.join(f'{p} {s} in {t:.3f} s' for p, (s, t) in timings.items())}; "
          f"/ready {ready[0]} in {ready[1]:.3f} s")
    assert all(status == 200 and seconds < 1 for status, seconds in timings.values()), timings
    assert ready[0] == 503 and ready[1] < 1, ready
    assert during == [200] * limit + [429] * 2, during
    assert after == 200 and shared_again == b":1", "the limit did not go back to Redis after SIGCONT"
    assert len(log_lines(web, "counting in this Machine's memory")) == 1, "the fallback is not logged once"
    assert len(log_lines(web, "counting in Redis again")) == 1


def test_a_server_started_while_redis_hangs_serves_at_once(built_monorepo, redis, api, tmp_path):
    _, url = api
    with redis.paused():
        started = time.monotonic()
        web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                        FLY_APP_NAME="web", LOG_LEVEL="info")
        try:
            up = time.monotonic() - started
            statuses = [timed(web.url + path, as_client("203.0.113.5")) for path in ("/", "/posts/1", "/api/posts")]
        finally:
            web.stop()
    print(f"\nstarted in {up:.2f} s with Redis stopped; {statuses}")
    assert all(status == 200 and seconds < 1 for status, seconds in statuses), statuses
    assert len(log_lines(web, "redis unavailable")) == 1


# --- client addresses ----------------------------------------------------------------------------

def test_thirty_addresses_of_one_ipv6_64_share_one_bucket(built_monorepo, redis, api, tmp_path):
    _, url = api
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                    FLY_APP_NAME="web", RATE_LIMIT_MAX="30", LOG_LEVEL="info")
    try:
        spread = [http(f"{web.url}/api/posts", as_client(f"2001:db8:7:9:{i:x}::{i + 1:x}")).status for i in range(30)]
        next_in_network = http(f"{web.url}/api/posts", as_client("2001:DB8:7:9:ffff:ffff:ffff:ffff")).status
        other_network = http(f"{web.url}/api/posts", as_client("2001:db8:7:a::1")).status
        buckets = redis.command("KEYS", "web-rate-limit:2001:db8:7:9*")
    finally:
        web.stop()
    assert spread == [200] * 30 and next_in_network == 429 and other_network == 200
    assert buckets == b"*1", "the /64 is more than one Redis key"
    assert log_lines(web, '"ip":"2001:db8:7:9:1d::1e"'), "the logs lost the full address"


@pytest.mark.parametrize("project_name", ["standalone", "monorepo"])
def test_an_ipv4_mapped_address_is_the_ipv4_client(project_name, request, tmp_path):
    """Through Fly-Client-IP, and over a real dual-stack socket: `::ffff:a.b.c.d` is `a.b.c.d`."""
    project = request.getfixturevalue(f"built_{project_name}")
    env = {"FLY_APP_NAME": "web", "RATE_LIMIT_MAX": "4", "LOG_LEVEL": "info"}
    if project_name == "monorepo":
        env["REDIS_URL"] = request.getfixturevalue("redis").url
    web = start_web(project, tmp_path, **env)
    try:
        mapped = [http(f"{web.url}/api/posts", as_client(address)).status
                  for address in ("::ffff:198.51.100.7", "198.51.100.7", "::ffff:c633:6407", "::FFFF:198.51.100.7")]
        fifth = http(f"{web.url}/api/posts", as_client("198.51.100.7")).status
    finally:
        web.stop()
    assert (mapped, fifth) == ([200] * 4, 429)
    assert not log_lines(web, "::ffff"), log_lines(web, "::ffff")[:2]
    # Off Fly, on a socket listening on both families: an IPv4 peer arrives as ::ffff:127.0.0.1.
    web = start_web(project, tmp_path, **{**env, "FLY_APP_NAME": "", "HOST": "::"})
    try:
        http(f"{web.url}/api/posts")
    finally:
        web.stop()
    assert log_lines(web, '"ip":"127.0.0.1"') and not log_lines(web, "::ffff"), web.output()[-1500:]


# --- the API's refusals, and what the web app tells the API ------------------------------------

@pytest.mark.parametrize("mode, api_status, retry_after", [("429", 429, "7"), ("503-retry-after", 503, "2"),
                                                           ("replay", 503, "1")])
def test_api_refusals_never_open_the_circuit_for_other_visitors(built_monorepo, redis, api, tmp_path,
                                                                mode, api_status, retry_after):
    handler, url = api
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                    FLY_APP_NAME="web", API_WRITE_TOKEN=SERVICE_TOKEN, LOG_LEVEL="info")
    try:
        handler.mode = mode
        refused = [http(f"{web.url}/api/posts", as_client(f"203.0.113.{i}")) for i in range(12)]
        pages = [http(f"{web.url}{path}", as_client("203.0.113.50")).status for path in ("/", "/posts/1")]
        calls_while_refusing = len(handler.seen)
        handler.mode = "ok"
        # Another visitor, right after: the API is asked (the circuit is closed) and answers.
        other = http(f"{web.url}/posts/1", as_client("203.0.113.99"))
    finally:
        web.stop()
    assert [(r.status, r.headers.get("retry-after")) for r in refused] == [(api_status, retry_after)] * 12
    assert pages == [200, 503], pages  # the degraded list, and a post that could not be loaded
    assert calls_while_refusing == 14, f"the web app stopped calling the API: {calls_while_refusing} of 14"
    assert other.status == 200 and "From the stub" in other.text
    assert "circuit open" not in web.output() and SERVICE_TOKEN not in web.output()
    assert {call.get("authorization") for call in handler.seen} == {f"Bearer {SERVICE_TOKEN}"}
    replay_warnings = [line for line in log_lines(web, "fly-replay") if '"level":40' in line]
    assert len(replay_warnings) == (1 if mode == "replay" else 0), replay_warnings


def test_a_failing_api_still_opens_the_circuit(built_monorepo, redis, api, tmp_path):
    """The control of the test above: 500s are failures, so the same count of calls opens it."""
    handler, url = api
    handler.mode = "500"
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                    FLY_APP_NAME="web", LOG_LEVEL="info")
    try:
        statuses = [http(f"{web.url}/api/posts", as_client(f"203.0.113.{i}")).status for i in range(12)]
    finally:
        web.stop()
    assert statuses == [502] * 12 and len(handler.seen) < 12 and "circuit open" in web.output()


def test_every_api_call_carries_the_service_token_and_the_visitor_address(built_monorepo, redis, api, tmp_path):
    handler, url = api
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=url,
                    FLY_APP_NAME="web", API_WRITE_TOKEN=SERVICE_TOKEN, LOG_LEVEL="debug")
    visitors = {"/api/posts": "2001:db8:5:6::42", "/posts/1": "::ffff:198.51.100.4", "/": "192.0.2.8"}
    try:
        for path, visitor in visitors.items():
            assert http(web.url + path, as_client(visitor)).status == 200
        assert http(f"{web.url}/ready").status == 200
    finally:
        web.stop()
    calls = {call["path"]: call for call in handler.seen}
    assert set(calls) == {"/api/posts", "/api/posts/1", "/health"}, calls.keys()
    assert {call.get("authorization") for call in handler.seen} == {f"Bearer {SERVICE_TOKEN}"}
    assert calls["/api/posts"]["x-visitor-address"] == "2001:db8:5:6::42"
    assert calls["/api/posts/1"]["x-visitor-address"] == "198.51.100.4"
    assert SERVICE_TOKEN not in web.output() and "web-service-token" not in web.output()


# --- secrets in configuration errors -------------------------------------------------------------

def start_output(project, env: dict, seconds: float = 20) -> tuple[int | None, str]:
    """Run the built server with `env` until it exits or `seconds` pass (then it is stopped):
    its exit code (None when it had to be stopped) and everything it printed."""
    port = free_port()
    process = subprocess.Popen(["node", "dist/server/index.cjs"], cwd=project.web, text=True,
                               env={**project.env, "NODE_ENV": "production", "HOST": "127.0.0.1", "PORT": str(port),
                                    "METRICS_PORT": str(free_port(other_than=port)), "LOG_LEVEL": "debug", **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=seconds)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        return None, output


def malformed_urls(project_name: str) -> list[tuple[str, str]]:
    cases = [("COMPOSABLE_RUST_BACKEND_URL", f"http://user:{SECRET}@[api:8080"),
             ("COMPOSABLE_RUST_BACKEND_URL", f"user:{SECRET}@api.internal:8080"),
             ("PUBLIC_API_URL", f"ftp://user:{SECRET}@cdn.example")]
    if project_name == "monorepo":
        cases += [("REDIS_URL", f"redis://default:{SECRET}@[redis:6379"), ("REDIS_URL", f"{SECRET}:6379"),
                  ("REDIS_URL", f"https://default:{SECRET}@redis:6379"),
                  ("SENTRY_DSN", f"https://{SECRET}@o1.ingest.sentry.io:port/1"), ("SENTRY_DSN", f"{SECRET}@sentry/1")]
    return cases


@pytest.mark.parametrize("project_name", ["standalone", "monorepo"])
def test_no_configuration_error_echoes_a_password(project_name, request):
    project = request.getfixturevalue(f"built_{project_name}")
    base = {"REDIS_URL": "redis://127.0.0.1:1"} if project_name == "monorepo" else {}
    for name, value in malformed_urls(project_name):
        code, output = start_output(project, {**base, name: value})
        assert code == 1 and name in output, (name, output[-500:])
        assert SECRET not in output and "user:" not in output, (name, output[-500:])


@pytest.mark.parametrize("project_name", ["standalone", "monorepo"])
@pytest.mark.parametrize("name", ["COMPOSABLE_RUST_BACKEND_URL", "PUBLIC_API_URL"])
def test_a_url_with_credentials_is_refused_before_it_can_be_sent_or_logged(project_name, name, request, api):
    """A well-formed URL with `user:pass@`: refused at start with one line, the password in no output."""
    project = request.getfixturevalue(f"built_{project_name}")
    _, url = api
    base = {"REDIS_URL": "redis://127.0.0.1:1"} if project_name == "monorepo" else {}
    with_credentials = url.replace("http://", f"http://user:{SECRET}@")
    code, output = start_output(project, {**base, name: with_credentials}, seconds=10)
    assert code == 1 and name in output and "user name or password" in output, output[-800:]
    assert SECRET not in output


def test_a_short_service_token_is_refused_in_production_without_echo(built_monorepo):
    code, output = start_output(built_monorepo, {"REDIS_URL": "redis://127.0.0.1:1", "API_WRITE_TOKEN": SECRET})
    assert code == 1 and "API_WRITE_TOKEN" in output and "32" in output, output[-500:]
    assert SECRET not in output


# --- query strings and Referer in the logs ------------------------------------------------------

@pytest.mark.parametrize("project_name", ["standalone", "monorepo"])
@pytest.mark.parametrize("level", ["info", "debug"])
def test_no_query_value_or_referer_reaches_the_logs(project_name, level, request, api, tmp_path):
    project = request.getfixturevalue(f"built_{project_name}")
    _, url = api
    env = {"COMPOSABLE_RUST_BACKEND_URL": url, "LOG_LEVEL": level}
    if project_name == "monorepo":
        env["REDIS_URL"] = request.getfixturevalue("redis").url
    web = start_web(project, tmp_path, **env)
    referer = {"referer": f"https://mail.example/reset?token={SECRET}-referer", "accept": "text/html"}
    try:
        for path in ("/", "/posts/1", "/api/posts", "/no/such/page", "/posts/abc", "/ready"):
            assert http(f"{web.url}{path}?access_token={SECRET}&lang=fr#x", referer).status in (200, 404)
        for target in (f"/%?access_token={SECRET}", f"/?lang=%&access_token={SECRET}",
                       f"/posts/%E0%A4%A?access_token={SECRET}"):
            assert raw_status(web.port, target, referer) < 500
    finally:
        web.stop()
    log = web.output()
    assert SECRET not in log, [line for line in log.splitlines() if SECRET in line][:2]
    assert '"url":"/posts/1"' in log and '"route":"/posts/:id"' in log


# --- the shared cache --------------------------------------------------------------------------

def test_servers_of_different_backends_never_share_cached_answers(built_monorepo, redis, tmp_path):
    first, first_handler, first_url = stub_api(posts=[{"id": 1, "title": "Answer of backend A", "body": "a"}])
    second, _, second_url = stub_api(posts=[{"id": 1, "title": "Answer of backend B", "body": "b"}])
    webs = [start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=backend)
            for backend in (first_url, second_url)]
    try:
        pages = [http(f"{web.url}{path}", {"accept": "text/html"}).text for path in ("/", "/posts/1") for web in webs]
        again = http(f"{webs[0].url}/", {"accept": "text/html"}).text
    finally:
        for web in webs:
            web.stop()
        for server in (first, second):
            server.shutdown()
            server.server_close()
    assert ["backend A" in page for page in pages] == [True, False, True, False]
    assert ["backend B" in page for page in pages] == [False, True, False, True]
    assert "backend A" in again and len(first_handler.seen) == 2, "the first server's answers were not cached"


def test_the_projects_e2e_does_not_read_the_developers_redis(built_monorepo, redis, tmp_path):
    """The README loads .env (REDIS_URL included) into the shell that runs `test:e2e`, while a dev
    server on that Redis keeps caching other posts and counting 127.0.0.1's requests there."""
    dev, _, dev_url = stub_api(posts=[{"id": 1, "title": "A post of the dev server", "body": "dev"}])
    web = start_web(built_monorepo, tmp_path, REDIS_URL=redis.url, COMPOSABLE_RUST_BACKEND_URL=dev_url,
                    RATE_LIMIT_WINDOW_MS="3600000")
    browsing = threading.Event()
    dev_requests = []

    def browse():  # the developer's tab, refreshing: the cache entry never gets older than 5 s
        while not browsing.is_set():
            dev_requests.append(http(f"{web.url}/", {"accept": "text/html"}).status)
            time.sleep(0.3)

    browser = threading.Thread(target=browse)
    browser.start()
    try:
        result = built_monorepo.run("test:e2e", cwd=built_monorepo.web, timeout=300,
                                    env={"REDIS_URL": redis.url, "E2E_REQUIRE_BROWSER": "1"})
    finally:
        browsing.set()
        browser.join(10)
        web.stop()
        dev.shutdown()
        dev.server_close()
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(dev_requests) == {200}
    # 127.0.0.1's counter in the shared Redis holds the dev server's requests alone.
    assert redis.command("INCRBY", "web-rate-limit:127.0.0.1", "0") == f":{len(dev_requests)}".encode()
