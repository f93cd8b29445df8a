"""Slow tier: more than one process, more than one region, and the metrics that show them.

API processes on loopback play Machines of the API app in two Fly regions (FLY_REGION sjc and
syd, PRIMARY_REGION sjc) against a real PostgreSQL primary and a real streaming replica of it
(pg_basebackup, hot standby). Fly's proxy is not here: the tests check what each Machine answers
(the `fly-replay` header the proxy acts on), then send the request where the proxy would, and
read the database to see what was written. Two web processes share one Redis. Counts and labels
are asserted, never timings.
"""

import json
import re
import time
from types import SimpleNamespace

import pytest

from harness.generated import dashboard_metric_names
from harness.rust_api import SESSION_TOKEN, WRITER, request, start_api, wait_for
from harness.servers import free_port, http
from harness.web_build import start_web

pytestmark = pytest.mark.slow

PRIMARY, ELSEWHERE = "sjc", "syd"
AUTH = WRITER
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(server) -> list[tuple[str, dict, float]]:
    """(name, labels, value) of every sample the server's /metrics shows, read from its metrics port."""
    reply = http(server.metrics_url)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain"), reply
    samples = []
    for line in reply.text.splitlines():
        if line and not line.startswith("#"):
            name, labels, value = SAMPLE.match(line).groups()
            samples.append((name, dict(LABEL.findall(labels or "")), float(value)))
    return samples


def total(samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(value for sample, have, value in samples
               if sample == name and labels.items() <= have.items())


def title(what: str) -> str:
    return f"{what} {time.monotonic_ns()}"


def stored(postgres_server, post_title: str) -> int:
    return int(postgres_server.query(f"SELECT count(*) FROM posts WHERE title = '{post_title}'")[0][0])


def create(server, post_title: str, headers: dict | None = None):
    return request("POST", f"{server.url}/api/posts", {"title": post_title, "body": "b"}, {**AUTH, **(headers or {})})


@pytest.fixture(scope="module")
def regions(api_binary, migrated_database, postgres_replica, tmp_path_factory):
    """The API on Machines in the primary region and in another one, which reads from the replica,
    and one whose DATABASE_URL leads to the standby (a leader that stepped down), tightly limited."""
    wait_for(lambda: postgres_replica.query("SELECT to_regclass('posts') IS NOT NULL") == [["t"]], 30,
             "the replica to have the migrated schema")
    tmp = tmp_path_factory.mktemp("regions")
    machines = {
        "primary": (migrated_database, {"FLY_REGION": PRIMARY}),
        "elsewhere": (migrated_database, {"FLY_REGION": ELSEWHERE, "DATABASE_READ_URL": postgres_replica.url}),
        "standby": (postgres_replica.url, {"FLY_REGION": PRIMARY, "RATE_LIMIT_PER_SECOND": "1",
                                           "RATE_LIMIT_BURST": "5"}),
    }
    servers = SimpleNamespace()
    try:  # stops what started even when a later start fails
        for name, (database_url, env) in machines.items():
            setattr(servers, name, start_api(api_binary, database_url, tmp, PRIMARY_REGION=PRIMARY, **env))
        yield servers
    finally:
        for server in vars(servers).values():
            server.stop()


def test_a_write_outside_the_primary_region_is_only_a_replay_header_and_stores_nothing(regions, postgres_server):
    post_title = title("Replayed")
    status, headers, body = create(regions.elsewhere, post_title)
    assert (status, headers.get("fly-replay"), body) == (409, f"region={PRIMARY}", "")
    assert "set-cookie" not in headers
    assert stored(postgres_server, post_title) == 0
    # What Fly's proxy does next: the same request, to a Machine in the primary region.
    status, headers, body = create(regions.primary, post_title)
    assert status == 201 and body["title"] == post_title and "fly-replay" not in headers
    assert stored(postgres_server, post_title) == 1
    # Reads are served where they land.
    assert request("GET", f"{regions.elsewhere.url}/api/posts")[0] == 200


def test_a_write_the_database_refuses_as_read_only_is_replayed_once(regions, postgres_server):
    post_title = title("Refused")
    status, headers, body = create(regions.standby, post_title)
    assert (status, headers.get("fly-replay"), body) == (409, f"region={PRIMARY}", "")
    # Fly's proxy marks a replayed request (fly-replay-src): failing again, it is not replayed again.
    status, headers, _ = create(regions.standby, post_title, {"fly-replay-src": f"instance=1;region={PRIMARY};t=1"})
    assert status == 503 and headers["retry-after"] == "1" and "fly-replay" not in headers
    assert stored(postgres_server, post_title) == 0
    samples = scrape(regions.standby)
    assert total(samples, "db_query_errors_total", operation="insert", kind="read_only") == 2
    assert total(samples, "fly_replays_total", reason="read_only") == 1


def test_a_client_reads_its_own_write_from_the_primary_while_the_replica_lags(regions, postgres_replica):
    assert postgres_replica.query("SELECT pg_is_in_recovery()") == [["t"]]
    post_title = title("Mine")
    postgres_replica.pause_replay()
    try:
        status, headers, body = create(regions.primary, post_title)
        assert status == 201
        cookie = headers["set-cookie"].split(";")[0]
        assert cookie.startswith("read_primary_until=")
        detail = f"{regions.elsewhere.url}/api/posts/{body['id']}"
        # Another client, or this one without the cookie: the lagging replica has not got it yet.
        assert request("GET", detail)[0] == 404
        status, _, seen = request("GET", detail, headers={"cookie": cookie})
        assert status == 200 and seen["title"] == post_title
        listed = request("GET", f"{regions.elsewhere.url}/api/posts", headers={"cookie": cookie})[2]
        assert listed[0]["title"] == post_title
    finally:
        postgres_replica.resume_replay()
    # The replica catches up: without the cookie the read now finds the post there too.
    wait_for(lambda: request("GET", detail)[0] == 200, 30, "the replica to replay the write")


def test_two_web_processes_sharing_one_redis_share_one_rate_limit(built_monorepo, redis_server, tmp_path):
    redis_server.command("FLUSHALL")
    limit = 10
    env = {"REDIS_URL": redis_server.url, "RATE_LIMIT_MAX": str(limit), "RATE_LIMIT_WINDOW_MS": "60000"}
    machines = [start_web(built_monorepo, tmp_path, **env), start_web(built_monorepo, tmp_path, **env)]
    try:
        answers = [http(f"{machines[n % 2].url}/no/such/page").status for n in range(limit)]
        over = [http(f"{machine.url}/no/such/page") for machine in machines]
        rejected = [total(scrape(machine), "rate_limit_rejections_total") for machine in machines]
    finally:
        for machine in machines:
            machine.stop()
    assert answers == [404] * limit, "within the limit, across both processes"
    assert [reply.status for reply in over] == [429, 429], "the request after the limit, on either process"
    assert all(int(reply.headers["retry-after"]) > 0 for reply in over)
    assert rejected == [1, 1]


def assert_bounded_labels(samples, routes: set[str]):
    """Every `route` is a pattern from `routes`; no label anywhere holds a path with an id in it."""
    assert {labels["route"] for _, labels, _ in samples if "route" in labels} <= routes
    for name, labels, _ in samples:
        for key, value in labels.items():
            assert not re.search(r"/\d|no/such", value), f"{name}{{{key}={value!r}}}"
    assert len([1 for name, _, _ in samples if name == "http_requests_total"]) <= 3 * len(routes)


def test_web_metrics_are_on_their_own_port_count_a_known_load_and_keep_labels_bounded(
        built_monorepo, regions, redis_server, tmp_path):
    redis_server.command("FLUSHALL")
    web = start_web(built_monorepo, tmp_path, COMPOSABLE_RUST_BACKEND_URL=regions.primary.url,
                    REDIS_URL=redis_server.url, RATE_LIMIT_MAX="110")
    # A second Machine whose backend is gone, so the backend error series exist too.
    stranded = start_web(built_monorepo, tmp_path, COMPOSABLE_RUST_BACKEND_URL=f"http://127.0.0.1:{free_port()}",
                         REDIS_URL=redis_server.url)
    try:
        assert http(f"{stranded.url}/", {"accept": "text/html"}).status == 200, "a degraded page, not an error"
        # A browser's Web Vitals beacon (as sendBeacon sends a string), so those series exist too.
        vitals = {"route": "list", "metrics": [{"name": "LCP", "value": 1800, "rating": "good"},
                                               {"name": "CLS", "value": 0.01, "rating": "good"}]}
        beacon = http(f"{stranded.url}/vitals", {"content-type": "text/plain;charset=UTF-8"}, "POST",
                      json.dumps(vitals).encode())
        assert beacon.status == 204, beacon.text
        assert http(f"{web.url}/metrics").status == 404, "never on the public port"
        assert http(web.metrics_url.replace("/metrics", "/")).status == 404, "the metrics port serves /metrics only"
        before = scrape(web)
        for _ in range(25):
            assert http(f"{web.url}/posts/1", {"accept": "text/html"}).status == 200
        after = scrape(web)
        for n in range(1, 51):
            http(f"{web.url}/posts/{n}", {"accept": "text/html"})
        for n in range(1, 21):
            http(f"{web.url}/no/such/page/{n}")
        statuses = [http(f"{web.url}/").status for _ in range(20)]  # 115 requests: past the limit of 110
        samples = scrape(web)
        shown = {name for machine in (web, stranded) for name, _, _ in scrape(machine)}
    finally:
        web.stop()
        stranded.stop()
    page = {"route": "/posts/:id", "status": "200", "method": "GET"}
    assert total(after, "http_requests_total", **page) - total(before, "http_requests_total", **page) == 25
    assert 429 in statuses and total(samples, "rate_limit_rejections_total") == statuses.count(429)
    # The 20 unknown paths and the /metrics asked on the public port.
    assert total(samples, "http_requests_total", route="unmatched", status="404") == 21
    assert_bounded_labels(samples, {"/", "/posts/:id", "/api/posts", "/health", "/ready", "/assets/*", "unmatched"})
    wanted = dashboard_metric_names(built_monorepo.root / "docs" / "grafana" / "web.json")
    assert {name for name in wanted if not ({name, f"{name}_bucket"} & shown)} == set()


def test_api_metrics_are_on_their_own_port_count_a_known_load_and_keep_labels_bounded(regions, baked_monorepo):
    api = regions.primary
    assert http(f"{api.url}/metrics").status == 404, "never on the public port"
    assert http(api.metrics_url.replace("/metrics", "/")).status == 404
    before = scrape(api)
    for _ in range(25):
        assert http(f"{api.url}/api/posts/1").status == 200
    after = scrape(api)
    for n in range(1, 51):
        http(f"{api.url}/api/posts/{n}")
    for n in range(1, 21):
        http(f"{api.url}/no/such/page/{n}")
    found = {"route": "/api/posts/{id}", "status": "200", "method": "GET"}
    assert total(after, "http_requests_total", **found) - total(before, "http_requests_total", **found) == 25
    samples = scrape(api)
    assert total(samples, "http_requests_total", route="unmatched", status="404") == 21
    assert_bounded_labels(samples, {"/api/posts", "/api/posts/{id}", "/health", "/ready", "unmatched"})

    # Every series the dashboard reads is shown by some Machine once its event happened: a replay
    # (elsewhere), a refused write and a rate-limited client (the standby).
    create(regions.elsewhere, title("Replay for the dashboard"))
    create(regions.standby, title("Refused for the dashboard"))
    wait_for(lambda: any(http(f"{regions.standby.url}/api/posts").status == 429 for _ in range(10)), 10,
             "the standby's tight rate limit")
    shown = {name for server in vars(regions).values() for name, _, _ in scrape(server)}
    wanted = dashboard_metric_names(baked_monorepo / "docs" / "grafana" / "api.json")
    assert {name for name in wanted if not ({name, f"{name}_bucket"} & shown)} == set()


def test_a_session_is_resolved_in_the_replica_region_and_its_last_use_written_only_in_the_primary(
        regions, postgres_server, postgres_replica):
    """auth=password: a signed-in page in another region needs no write; the primary notes the use,
    at most every 5 minutes."""
    writer = f"token_hash = sha256(convert_to('{SESSION_TOKEN}', 'UTF8'))"
    last_used = f"SELECT last_used_at FROM sessions WHERE {writer}"
    postgres_server.query(f"UPDATE sessions SET last_used_at = now() - interval '1 hour' WHERE {writer}")
    before = postgres_server.query(last_used)
    wait_for(lambda: postgres_replica.query(last_used) == before, 30, "the replica to replay the old last use")

    status, _, current = request("GET", f"{regions.elsewhere.url}/api/sessions/current", headers=AUTH)
    assert (status, current["user"]["email"]) == (200, "writer@example.com")
    assert postgres_server.query(last_used) == before, "the replica region wrote the session's last use"

    assert request("GET", f"{regions.primary.url}/api/sessions/current", headers=AUTH)[0] == 200
    touched = postgres_server.query(last_used)
    assert touched != before
    assert request("GET", f"{regions.primary.url}/api/sessions/current", headers=AUTH)[0] == 200
    assert postgres_server.query(last_used) == touched, "written again within 5 minutes"
