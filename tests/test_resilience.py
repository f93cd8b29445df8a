"""Slow tier: deploys, restarts and faults under load. Zero dropped requests, zero lost writes.

Every test starts its own servers on 127.0.0.1, puts a bounded load on them (tests/load.py) and
stops by itself. Figures (requests, errors, time to exit, RSS) are printed for the record; only
the properties are asserted, never a timing beyond the budgets the apps promise.
"""

import select
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.load import IdempotentWriter, KeepAliveLoad, failures, summary
from harness.rust_api import WRITER, start_api
from harness.servers import ServerProcess, http, rss_kib
from harness.web_build import start_web

pytestmark = pytest.mark.slow

DRAIN_LOAD_SECONDS = 30
SOAK_SECONDS = 60
WARM_UP_SECONDS = 10


def assert_drains_without_an_error(server: ServerProcess, paths: list[str], label: str) -> None:
    """A bounded keep-alive load with a SIGTERM in its middle: the process exits 0, and every request
    sent while the listener was open got a 2xx (a refused new connection came after it closed)."""
    load = KeepAliveLoad(server.port, paths, seconds=DRAIN_LOAD_SECONDS, connections=8).start()
    time.sleep(DRAIN_LOAD_SECONDS / 2)
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=40)
    took = time.monotonic() - signalled
    outcomes = load.join()
    server.stop()
    print(f"\n{label} drain: {summary(outcomes)}, exit {code} after {took:.2f} s")
    assert code == 0, server.output()[-2000:]
    assert failures(outcomes) == [], summary(outcomes)
    assert sum(1 for o in outcomes if o.status == 200) > 100
    assert any(o.refused for o in outcomes), "the listener never closed"


def test_web_drains_open_connections_without_an_error_on_sigterm(built_standalone, tmp_path):
    server = start_web(built_standalone, tmp_path)
    assert_drains_without_an_error(server, ["/", "/posts/1", "/api/posts"], "web")


def test_api_drains_open_connections_without_an_error_on_sigterm(api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path)
    assert_drains_without_an_error(server, ["/api/posts", "/api/posts/1", "/ready"], "api")


RETRYABLE = {503, "URLError", "ConnectionRefusedError", "ConnectionResetError", "RemoteDisconnected",
             "TimeoutError", "timeout", "BadStatusLine", "IncompleteRead"}


def assert_every_acknowledged_write_is_stored_once(creates, postgres_server, prefix):
    unacknowledged = [c.key for c in creates if c.post_id is None]
    assert not unacknowledged, f"never acknowledged: {unacknowledged[:5]}"
    seen = {failure for c in creates for failure in c.failures}
    assert seen <= RETRYABLE, f"failures a client cannot simply retry: {seen - RETRYABLE}"
    rows = postgres_server.query(f"SELECT idempotency_key, id FROM posts WHERE idempotency_key LIKE '{prefix}-%'")
    stored = {key: int(post_id) for key, post_id in rows}
    assert len(rows) == len(stored), "a key was stored twice"
    assert stored == {c.key: c.post_id for c in creates}, "an acknowledged write is missing or differs"


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_no_acknowledged_write_is_lost_when_postgres_restarts(api_binary, migrated_database, postgres_server,
                                                             tmp_path, mode):
    server = start_api(api_binary, migrated_database, tmp_path, DATABASE_ACQUIRE_TIMEOUT_SECS="1")
    prefix = f"pg-{mode}-{time.monotonic_ns()}"
    try:
        writer = IdempotentWriter(server.url, WRITER, prefix, count=120, rate=20).start()
        time.sleep(2)
        postgres_server.stop(mode)
        time.sleep(1.5)
        postgres_server.start()
        creates = writer.join()
    finally:
        if not postgres_server.is_running():
            postgres_server.start()
        server.stop()
    retried = [c for c in creates if c.attempts > 1]
    print(f"\npostgres {mode} restart: {len(creates)} creates, {len(retried)} retried, "
          f"failures seen {sorted(map(str, {f for c in creates for f in c.failures}))}")
    assert retried, "the restart did not hit any write: the test proved nothing"
    assert_every_acknowledged_write_is_stored_once(creates, postgres_server, prefix)


def test_no_acknowledged_write_is_lost_when_the_api_is_replaced(api_binary, migrated_database, postgres_server,
                                                               tmp_path):
    """SIGTERM mid-writes, then a new process on the same port (what a deploy does to a Machine)."""
    server = start_api(api_binary, migrated_database, tmp_path)
    prefix = f"sigterm-{time.monotonic_ns()}"
    writer = IdempotentWriter(server.url, WRITER, prefix, count=120, rate=20).start()
    time.sleep(2)
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=30)
    took = time.monotonic() - signalled
    server.stop()
    time.sleep(1)
    replacement = start_api(api_binary, migrated_database, tmp_path, port=server.port)
    try:
        creates = writer.join()
    finally:
        replacement.stop()
    print(f"\napi replaced under writes: exit {code} after {took:.2f} s, "
          f"{sum(c.attempts > 1 for c in creates)} of {len(creates)} creates retried")
    assert code == 0
    assert_every_acknowledged_write_is_stored_once(creates, postgres_server, prefix)


class FlakyBackend(BaseHTTPRequestHandler):
    """The backend contract, misbehaving on demand: ok, slow, garbage, or 500."""

    mode = "ok"
    in_flight = 0
    max_in_flight = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 (http.server's naming)
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.max_in_flight = max(cls.max_in_flight, cls.in_flight)
        try:
            if cls.mode == "slow" and self._client_left_within(10):
                return  # gave up: 10 s is far past BACKEND_TIMEOUT_MS
            if cls.mode == "garbage":
                return self._send(200, b"<html>not json", "text/html")
            if cls.mode == "error":
                return self._send(500, b'{"error":"boom"}')
            post = b'{"id":1,"title":"Steady","body":"ok"}'
            self._send(200, {"/api/posts": b"[" + post + b"]", "/api/posts/1": post}.get(self.path, b'{"status":"ok"}'))
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _client_left_within(self, seconds: float) -> bool:
        """Wait; True as soon as the caller closes the connection (it gave up), so only calls
        still waiting count as in flight."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                return True
        return False

    def _send(self, status, payload, content_type="application/json"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_pages_degrade_within_the_timeout_and_recover_when_the_backend_fails(built_standalone, tmp_path):
    backend = ThreadingHTTPServer(("127.0.0.1", 0), FlakyBackend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    backend_url = f"http://127.0.0.1:{backend.server_address[1]}"
    web = start_web(built_standalone, tmp_path, COMPOSABLE_RUST_BACKEND_URL=backend_url, BACKEND_TIMEOUT_MS="500",
                    BACKEND_MAX_CONCURRENT="4", LOG_LEVEL="info")
    pid = web.process.pid
    timings = {}
    try:
        for mode in ("slow", "garbage", "error", "refused"):
            FlakyBackend.mode = mode
            if mode == "refused":
                backend.shutdown()
                backend.server_close()
            started = time.monotonic()
            home = http(f"{web.url}/", {"accept": "text/html"})
            detail = http(f"{web.url}/posts/1", {"accept": "text/html"})
            timings[mode] = (time.monotonic() - started) / 2
            assert (home.status, detail.status) == (200, 503), mode
            assert 'role="alert"' in home.text and 'role="alert"' in detail.text, mode
            assert http(f"{web.url}/ready").status == 503, mode
            if mode == "slow":
                # A burst against a slow backend: at most BACKEND_MAX_CONCURRENT calls wait on it.
                FlakyBackend.max_in_flight = 0
                burst = [threading.Thread(target=http, args=(f"{web.url}/",)) for _ in range(20)]
                for thread in burst:
                    thread.start()
                for thread in burst:
                    thread.join(15)
                assert FlakyBackend.max_in_flight <= 4, FlakyBackend.max_in_flight
        backend = ThreadingHTTPServer(("127.0.0.1", int(backend_url.rsplit(":", 1)[1])), FlakyBackend)
        FlakyBackend.mode = "ok"
        threading.Thread(target=backend.serve_forever, daemon=True).start()
        deadline = time.monotonic() + 20
        while http(f"{web.url}/ready").status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        recovered = http(f"{web.url}/", {"accept": "text/html"})
    finally:
        web.stop()
        backend.shutdown()
        backend.server_close()
    print(f"\ndegraded pages answered in {', '.join(f'{m} {t:.2f} s' for m, t in timings.items())} (mean of 2)")
    assert recovered.status == 200 and "Steady" in recovered.text and 'role="alert"' not in recovered.text
    # Bounded by BACKEND_TIMEOUT_MS (0.5 s), far below the 10 s the slow backend takes.
    assert all(seconds < 2.5 for seconds in timings.values()), timings
    assert web.process.pid == pid and "circuit open" in web.output()


def soak(server: ServerProcess, page_paths: list[str], rate: float) -> dict:
    """Half pages, half unknown URLs from a new client address each: RSS after warm-up and at the end."""
    def headers(number):
        # Odd requests come from ever new addresses: each one a new rate-limit key.
        return {"fly-client-ip": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"} if number % 2 else {}

    paths = [path for page in page_paths for path in (page, "/no/such/page")]
    warm = KeepAliveLoad(server.port, paths, seconds=WARM_UP_SECONDS, rate=rate, headers=headers).start()
    outcomes = warm.join()
    after_warm_up = rss_kib(server.process.pid)
    load = KeepAliveLoad(server.port, paths, seconds=SOAK_SECONDS, rate=rate, headers=headers).start()
    outcomes += load.join()
    at_end = rss_kib(server.process.pid)
    statuses = summary(outcomes)
    return {"requests": len(outcomes), "statuses": statuses, "rss_after_warm_up_kib": after_warm_up,
            "rss_at_end_kib": at_end, "server_errors": sum(n for s, n in statuses.items()
                                                           if isinstance(s, int) and s >= 500)}


def test_web_memory_stays_bounded_under_a_long_mixed_and_hostile_load(built_standalone, tmp_path):
    # FLY_APP_NAME: the server reads Fly-Client-IP, so every hostile request is a new client.
    assert_soak_stays_bounded("web", start_web(built_standalone, tmp_path, FLY_APP_NAME="soak"),
                              ["/", "/posts/1"])


def test_api_memory_stays_bounded_under_a_long_mixed_and_hostile_load(api_binary, migrated_database, tmp_path):
    assert_soak_stays_bounded("api", start_api(api_binary, migrated_database, tmp_path, FLY_APP_NAME="soak"),
                              ["/api/posts", "/api/posts/1"])


def assert_soak_stays_bounded(name: str, server, paths: list[str]) -> None:
    try:
        figures = soak(server, paths, rate=200)
    finally:
        server.stop()
    print(f"\n{name} soak: {figures}")
    assert figures["server_errors"] == 0 and not failures_other_than_4xx(figures)
    assert figures["rss_at_end_kib"] <= figures["rss_after_warm_up_kib"] * 1.2, figures


def failures_other_than_4xx(figures: dict) -> dict:
    return {status: n for status, n in figures["statuses"].items() if not isinstance(status, int)}
