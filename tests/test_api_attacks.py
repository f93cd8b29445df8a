"""The generated API against the attacks an outside red team found: each test replays one class of
attack on the real binary, over real sockets, against a real PostgreSQL, and checks that it is
refused with a 4xx (or a closed connection), never a 5xx, an ERROR log line or a stack trace.

Slow tier (the API build and PostgreSQL come from tests/fixtures).
"""

import json
import select
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from harness.rust_api import SESSION_TOKEN, WRITE_TOKEN, WRITER, request, start_api, wait_for
from harness.servers import http, status_of

pytestmark = pytest.mark.slow

AUTHORIZED = WRITER
HEADER_READ_TIMEOUT_SECS = 2


def assert_log_is_clean(server) -> None:
    """Bad input is the client's problem: no ERROR line, no panic, nothing at 5xx."""
    output = server.output()
    errors = [line for line in output.splitlines() if '"level":"ERROR"' in line]
    assert not errors, "\n".join(errors[:5])
    assert "panicked" not in output, output[-3000:]


def raw_status(port: int, payload: bytes, timeout: float = 10) -> int | str:
    """The status answering `payload` written on a fresh connection, or "closed" when the server
    hung up without one (it may stop reading a head over its limit and reset the connection)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
        except OSError:
            pass
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
    reply = b"".join(chunks)
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else "closed"


def refused_or_status(method: str, url: str, headers: dict) -> tuple[int | str, dict]:
    """(status, headers), or ("closed", {}) when the server hung up on a request too large to read."""
    try:
        status, reply_headers, _ = request(method, url, headers=headers)
        return status, reply_headers
    except OSError:
        return "closed", {}


def closed_by_server(sock: socket.socket) -> bool:
    """True once the peer closed `sock` (EOF or reset); never blocks."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(4096) == b""
    except (ConnectionResetError, BlockingIOError):
        return True


def hold_sockets(port: int, count: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """`count` connections: half never send a byte, half stop in the middle of a request head."""
    silent, slow = [], []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if index % 2:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(sock)
        else:
            silent.append(sock)
    return silent, slow


def until_all_closed(silent: list[socket.socket], slow: list[socket.socket], timeout: float) -> float:
    """Seconds until the server closed every socket, trickling a byte a second into the slow ones
    (a slowloris keeps its head "in progress"); fails if some are still open after `timeout`."""
    started = last_trickle = time.monotonic()
    open_ones = silent + slow
    while open_ones and time.monotonic() - started < timeout:
        if time.monotonic() - last_trickle >= 1:
            last_trickle = time.monotonic()
            for sock in slow:
                try:
                    sock.send(b"x")
                except OSError:
                    pass
        open_ones = [sock for sock in open_ones if not closed_by_server(sock)]
        time.sleep(0.1)
    assert not open_ones, f"{len(open_ones)} of {len(silent) + len(slow)} idle connections still open after {timeout}s"
    return time.monotonic() - started


def test_idle_and_slow_connections_are_closed_and_health_answers_with_few_file_descriptors(
        api_binary, migrated_database, tmp_path):
    """300 idle or slowloris sockets against an API allowed 200 file descriptors: the server keeps
    its connections under the limit (no `Too many open files` storm), closes each idle socket after
    the header-read timeout, and /health answers while they are still being held."""
    server = start_api(api_binary, migrated_database, tmp_path, max_open_files=200,
                       HEADER_READ_TIMEOUT_SECS=str(HEADER_READ_TIMEOUT_SECS), RUST_LOG="info")
    try:
        silent, slow = hold_sockets(server.port, 300)
        started = time.monotonic()
        # Held sockets wait their turn in the accept queue; each batch is closed after the timeout.
        assert http(server.url + "/health", timeout=20).status == 200
        health_after = time.monotonic() - started
        took = until_all_closed(silent, slow, timeout=30)
        for sock in silent + slow:
            sock.close()
        print(f"\n/health answered after {health_after:.1f} s; 300 idle sockets closed within {took:.1f} s")
        assert status_of(server.url + "/health") == 200
        output = server.output()
        assert output.count("accept failed") <= 3, output[-3000:]
        assert_log_is_clean(server)
    finally:
        server.stop()


def test_an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout(
        api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path,
                       HEADER_READ_TIMEOUT_SECS=str(HEADER_READ_TIMEOUT_SECS))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert sock.recv(4096) == b"", "the server closes the idle keep-alive connection"
            assert time.monotonic() - started < HEADER_READ_TIMEOUT_SECS + 2
    finally:
        server.stop()


def test_a_body_sent_a_byte_at_a_time_is_cut_off_by_the_request_timeout(api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path, REQUEST_TIMEOUT_SECS="2")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(f"POST /api/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         f"Authorization: Bearer {WRITE_TOKEN}\r\nX-Session-Token: {SESSION_TOKEN}\r\n"
                         f"Content-Length: 1000\r\n\r\n{{".encode())
            started = time.monotonic()
            reply = b""
            while not reply and time.monotonic() - started < 8:
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
                if select.select([sock], [], [], 0.5)[0]:
                    reply = sock.recv(4096)
            assert reply.startswith(b"HTTP/1.1 408"), reply[:100]
            assert time.monotonic() - started < 4
        assert_log_is_clean(server)
    finally:
        server.stop()


def test_a_client_that_stops_reading_its_responses_is_cut_off_by_the_idle_timeout(
        api_binary, migrated_database, tmp_path):
    """Pipelined list requests whose answers (megabytes) the client never reads: once the socket
    buffers are full nothing moves, and the connection is closed after IDLE_TIMEOUT_SECS instead of
    holding its task and buffers for as long as the client likes."""
    server = start_api(api_binary, migrated_database, tmp_path, REQUEST_TIMEOUT_SECS="2", IDLE_TIMEOUT_SECS="3")
    try:
        for n in range(20):
            assert post(server, {"title": f"big {n}", "body": "x" * 9_000}).status == 201
        one_list = len(http(server.url + "/api/posts").body)
        pipelined = 100
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(b"GET /api/posts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * pipelined)
            time.sleep(3 + 3)  # the idle timeout, and slack
            sock.settimeout(10)
            received = 0
            try:
                while chunk := sock.recv(65536):
                    received += len(chunk)
            except OSError:
                pass
        print(f"\nreceived {received} of {pipelined * one_list} bytes before the idle connection was closed")
        assert received < pipelined * one_list / 2
        assert status_of(server.url + "/health") == 200
        assert_log_is_clean(server)
    finally:
        server.stop()


def test_the_metrics_port_closes_idle_connections_too(api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path,
                       HEADER_READ_TIMEOUT_SECS=str(HEADER_READ_TIMEOUT_SECS))
    try:
        silent, slow = hold_sockets(server.metrics_port, 30)
        assert http(server.metrics_url, timeout=20).status == 200
        until_all_closed(silent, slow, timeout=20)
        for sock in silent + slow:
            sock.close()
    finally:
        server.stop()


@pytest.fixture
def limited_api(api_binary, migrated_database, tmp_path):
    """An API on Fly (keyed by Fly-Client-IP) allowing a burst of 5 per client, one more each second."""
    server = start_api(api_binary, migrated_database, tmp_path, FLY_APP_NAME="attacks",
                       RATE_LIMIT_PER_SECOND="1", RATE_LIMIT_BURST="5", CORS_ALLOWED_ORIGINS="http://localhost:3000")
    yield server
    server.stop()


def statuses(server, headers_list: list[dict], path: str = "/api/posts", method: str = "GET") -> list[int]:
    return [request(method, server.url + path, headers=headers)[0] for headers in headers_list]


def test_thirty_addresses_of_one_ipv6_64_share_one_budget(limited_api):
    one_network = [{"fly-client-ip": f"2001:db8:1:2:{n:x}:{n:x}::{n:x}"} for n in range(1, 31)]
    answered = statuses(limited_api, one_network)
    assert answered.count(200) <= 6, answered  # the burst, and at most one refill
    assert set(answered) <= {200, 429}, answered
    assert statuses(limited_api, [{"fly-client-ip": "2001:db8:1:3::1"}]) == [200], "another /64 is another client"


def test_an_ipv4_mapped_address_is_its_ipv4_address(limited_api):
    forms = [{"fly-client-ip": "198.51.100.7"}, {"fly-client-ip": "::ffff:198.51.100.7"}] * 5
    answered = statuses(limited_api, forms)
    assert answered.count(429) >= 4, answered


def test_the_web_apps_visitors_each_have_their_own_budget_only_with_the_token(limited_api):
    """The web app calls from one address for many visitors and names each in X-Visitor-Address."""
    web_app = {"fly-client-ip": "fdaa:0:1:a7b::2", **AUTHORIZED}
    visitors = [{**web_app, "x-visitor-address": f"203.0.113.{n}"} for n in range(1, 21)]
    assert statuses(limited_api, visitors * 2) == [200] * 40, "20 visitors x 2 requests, each within its burst"

    one_visitor = [{**web_app, "x-visitor-address": "2001:db8:9:9::1"}] * 8
    assert statuses(limited_api, one_visitor).count(429) >= 2, "a visitor is limited like any client"

    forged = [{"fly-client-ip": "192.0.2.50", "x-visitor-address": f"203.0.113.{n}"} for n in range(100, 110)]
    assert statuses(limited_api, forged).count(429) >= 4, "without the token the header is ignored"

    wrong_token = [{"fly-client-ip": "192.0.2.51", "authorization": "Bearer " + "w" * 40,
                    "x-visitor-address": f"203.0.113.{n}"} for n in range(120, 130)]
    assert statuses(limited_api, wrong_token).count(429) >= 4, "nor with a wrong token"

    unparsable = [{"fly-client-ip": "192.0.2.52", **AUTHORIZED, "x-visitor-address": value}
                  for value in ["not an ip", "203.0.113.1, 10.0.0.1", "", "999.1.1.1", "[::1]", "x"] * 2]
    assert statuses(limited_api, unparsable).count(429) >= 4, "an unparsable value counts against the connection"
    assert_log_is_clean(limited_api)


def test_preflight_options_requests_count_against_the_rate_limit(limited_api):
    preflight = {"fly-client-ip": "192.0.2.60", "origin": "http://localhost:3000",
                 "access-control-request-method": "POST"}
    answered = statuses(limited_api, [preflight] * 8, method="OPTIONS")
    assert answered[:5] == [200] * 5, answered
    assert 429 in answered[5:], answered
    assert statuses(limited_api, [{"fly-client-ip": "192.0.2.60"}]) == [429], "the same budget as GETs"


@contextmanager
def posts_table_locked(postgres_server):
    """Every query on `posts` waits while this holds an exclusive lock on it (as a migration might)."""
    psql = subprocess.Popen(
        [str(postgres_server.bin_dir / "psql"), "--host", "127.0.0.1", "--port", str(postgres_server.port),
         "--username", "app", "--dbname", postgres_server.database, "--quiet"],
        user=postgres_server.user, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    psql.stdin.write("BEGIN; LOCK TABLE posts IN ACCESS EXCLUSIVE MODE;\n")
    psql.stdin.flush()
    wait_for(lambda: postgres_server.query(
        "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'posts' AND l.mode = 'AccessExclusiveLock' AND l.granted"), 10, "the lock")
    try:
        yield
    finally:
        psql.stdin.write("ROLLBACK;\n\\q\n")
        psql.stdin.close()
        psql.wait(timeout=10)


def test_the_in_flight_cap_is_one_for_the_whole_process(api_binary, migrated_database, postgres_server, tmp_path):
    """Cap 2: six slow requests over three routes (list, detail, create) must leave four refused."""
    server = start_api(api_binary, migrated_database, tmp_path, MAX_CONCURRENT_REQUESTS="2",
                       REQUEST_TIMEOUT_SECS="5", DATABASE_MAX_CONNECTIONS="8")
    calls = [("GET", "/api/posts", None), ("GET", "/api/posts/1", None),
             ("POST", "/api/posts", {"title": "slow", "body": "create"})] * 2
    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            with posts_table_locked(postgres_server):
                futures = [pool.submit(request, method, server.url + path, body, AUTHORIZED)
                           for method, path, body in calls]
                time.sleep(2)  # the admitted ones are waiting on the lock by now
                refused = [future.result() for future in futures if future.done()]
            answered = [future.result()[0] for future in futures]
        print(f"\nstatuses with cap 2: {answered}")
        assert answered.count(503) == 4, answered
        assert sorted(set(answered) - {503}) in ([200], [201], [200, 201]), "the admitted two finish"
        assert_log_is_clean(server)  # a refusal for load is a warning, not an ERROR per request
        assert len(refused) == 4 and all(status == 503 and "retry-after" in headers
                                         for status, headers, _ in refused), refused
    finally:
        server.stop()


@pytest.fixture
def logging_api(api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path, RUST_LOG="info")
    yield server
    server.stop()


def test_a_huge_or_odd_request_id_is_neither_echoed_nor_logged(logging_api):
    huge = "r" * 300_000
    log_before = logging_api.log.stat().st_size
    for _ in range(10):
        status, headers = refused_or_status("GET", logging_api.url + "/health", {"x-request-id": huge})
        assert status in (200, 431, "closed"), status
        assert headers.get("x-request-id", "") != huge
    assert logging_api.log.stat().st_size - log_before < 50_000, "the log grew by the ids"

    for odd in ["has spaces", "a" * 129, 'quote"and\\backslash', "tab\there", "semi;colon"]:
        status, headers, _ = request("GET", logging_api.url + "/api/posts", headers={"x-request-id": odd})
        assert status == 200
        generated = headers["x-request-id"]
        assert generated != odd and uuid.UUID(generated)
    kept = "web-3f1c.render_2"
    assert request("GET", logging_api.url + "/health", headers={"x-request-id": kept})[1]["x-request-id"] == kept
    time.sleep(0.2)
    output = logging_api.output()
    assert huge[:1000] not in output and "has spaces" not in output and "a" * 129 not in output
    assert kept in output
    assert_log_is_clean(logging_api)


def post(server, body, key: str | None = None, content_type: str = "application/json"):
    headers = {**AUTHORIZED, "content-type": content_type}
    if key:
        headers["idempotency-key"] = key
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    reply = http(server.url + "/api/posts", headers, "POST", data if isinstance(data, bytes) else data.encode())
    return reply


def rows_titled(postgres_server, title: str) -> int:
    escaped = title.replace("'", "''")
    return int(postgres_server.query(f"SELECT count(*) FROM posts WHERE title = '{escaped}'")[0][0])


def test_an_idempotency_key_reused_for_another_post_is_422(logging_api, postgres_server):
    key = f"attack-{uuid.uuid4()}"
    title = f"first {key}"
    first = post(logging_api, {"title": title, "body": "b"}, key)
    retry = post(logging_api, {"title": title, "body": "b"}, key)
    other = post(logging_api, {"title": f"other {key}", "body": "b"}, key)
    assert (first.status, retry.status) == (201, 201) and retry.json() == first.json()
    assert other.status == 422, (other.status, other.text)
    assert rows_titled(postgres_server, f"other {key}") == 0
    assert_log_is_clean(logging_api)


@contextmanager
def slow_inserts_of(postgres_server, title_prefix: str):
    """Inserts of posts titled `title_prefix...` take half a second (a trigger sleeps), so creates
    sent together overlap in the database as they do under load."""
    postgres_server.query(
        "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.title LIKE '{title_prefix}%' THEN PERFORM pg_sleep(0.5); END IF; RETURN NEW; END $$; "
        "CREATE TRIGGER slow_insert BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION slow_insert();")
    try:
        yield
    finally:
        postgres_server.query("DROP TRIGGER slow_insert ON posts; DROP FUNCTION slow_insert();")


def test_concurrent_creates_with_one_fresh_key_store_one_post(logging_api, postgres_server):
    with slow_inserts_of(postgres_server, "race-"), ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            key = f"race-{uuid.uuid4()}"
            replies = list(pool.map(lambda _: post(logging_api, {"title": key, "body": "raced"}, key), range(4)))
            codes = [reply.status for reply in replies]
            assert all(code == 201 or (code == 409 and "retry-after" in reply.headers)
                       for code, reply in zip(codes, replies)), codes
            assert len({reply.json()["id"] for reply in replies if reply.status == 201}) == 1
            assert rows_titled(postgres_server, key) == 1
    assert_log_is_clean(logging_api)


def test_an_idempotency_key_expires(api_binary, migrated_database, tmp_path):
    server = start_api(api_binary, migrated_database, tmp_path, IDEMPOTENCY_KEY_TTL_SECS="1")
    try:
        key = f"expiring-{uuid.uuid4()}"
        first = post(server, {"title": key, "body": "b"}, key)
        assert post(server, {"title": key, "body": "b"}, key).json()["id"] == first.json()["id"]
        time.sleep(2.5)
        later = post(server, {"title": key, "body": "b"}, key)
        assert later.status == 201 and later.json()["id"] != first.json()["id"]
    finally:
        server.stop()


@pytest.mark.parametrize("character", ["\u0000", "\u001b", "\u0007", "\u007f", "\u0085", "\u0008"])
def test_control_characters_in_a_post_are_400_and_store_nothing(logging_api, postgres_server, character):
    title = f"ctl-{uuid.uuid4()}"
    for body in [{"title": f"{title}{character}x", "body": "b"}, {"title": title, "body": f"a{character}b"}]:
        reply = post(logging_api, body)
        assert reply.status == 400, (reply.status, reply.text)
        assert reply.json()["error"] == "validation failed"
    assert rows_titled(postgres_server, title) == 0
    assert int(postgres_server.query(f"SELECT count(*) FROM posts WHERE title LIKE '{title}%'")[0][0]) == 0
    assert post(logging_api, {"title": title, "body": "tab\tand\r\nlines"}).status == 201
    assert_log_is_clean(logging_api)


def test_malformed_requests_are_4xx_without_an_error_log(logging_api):
    cases = {
        "invalid UTF-8 in JSON": (post(logging_api, b'{"title":"\xff\xfe","body":"b"}').status, 400),
        "JSON with a raw NUL": (post(logging_api, b'{"title":"a\x00b","body":"b"}').status, 400),
        "escaped NUL": (post(logging_api, '{"title":"a\\u0000b","body":"b"}').status, 400),
        "lone surrogate": (post(logging_api, '{"title":"a\\ud800b","body":"b"}').status, 400),
        "odd content type": (post(logging_api, {"title": "t", "body": "b"}, content_type="text/plain").status, 415),
        "no content type": (post(logging_api, {"title": "t", "body": "b"}, content_type="").status, 415),
        "oversized body": (post(logging_api, {"title": "t", "body": "b" * 200_000}).status, 413),
        "deep nesting": (post(logging_api, "[" * 10_000 + "]" * 10_000).status, 400),
    }
    head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    many_headers = head + "".join(f"X-H{n}: v\r\n" for n in range(200)) + "\r\n"
    cases["200 headers"] = (raw_status(logging_api.port, many_headers.encode()), 431)
    huge_header = head + "X-Big: " + "b" * 100_000 + "\r\n\r\n"
    cases["a 100 KB header"] = (raw_status(logging_api.port, huge_header.encode()), 431)
    cases["not HTTP"] = (raw_status(logging_api.port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n"), 400)
    create = (f"POST /api/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
              f"Content-Type: application/json\r\nAuthorization: Bearer {WRITE_TOKEN}\r\n"
              f"X-Session-Token: {SESSION_TOKEN}\r\n")
    cases["bad chunk framing"] = (raw_status(logging_api.port, (
        create + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").encode()), 400)
    cases["both Content-Length and chunked"] = (raw_status(logging_api.port, (
        create + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode()), 400)
    cases["a NUL in the request target"] = (raw_status(logging_api.port, (
        "GET /api/posts/1\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()), 400)
    # A head over the limit may also be cut off without an answer: refused either way.
    refused_too = {"200 headers", "a 100 KB header"}
    wrong = {what: got for what, (got, expected) in cases.items()
             if got != expected and not (what in refused_too and got == "closed")}
    assert not wrong, f"{wrong} (all: {cases})"
    assert status_of(logging_api.url + "/health") == 200
    assert_log_is_clean(logging_api)
