"""End to end for the generated web app (slow tier).

For the default standalone (pnpm) and the full monorepo (npm workspaces, Redis, i18n, Sentry):
install, build, run the project's own `test` and `check`, then start the real server on
127.0.0.1 against a fake backend on loopback whose post titles try to break out of the page,
and check pages, headers, rate limiting, Brotli, hydration and inertness in headless Chromium.
Nothing here uses Docker: the "runtime image" check copies dist/ alone to an empty folder.
"""

import gzip
import json
import re
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.answers import default_answers
from harness.answers import FULL_MONOREPO
from harness.node_runtime import running_node_major, target_major
from harness.servers import http, raw_status
from harness.web_build import start_web

pytestmark = pytest.mark.slow

HOSTILE_POSTS = [
    {"id": 1, "title": "</script><script>window.__pwned = 1</script>", "body": "closes the state element"},
    {"id": 2, "title": "<!-- <script>window.__pwned = 2</script>", "body": "opens a comment"},
    {"id": 3, "title": "line\u2028separator\u2029 & \"quotes\" 'single'", "body": "<img src=x onerror=alert(3)>"},
    {"id": 4, "title": "A calm title", "body": "plain text"},
]
SLOW_POST = {"id": 777, "title": "Slow to load", "body": "served after a delay"}
SECURITY_HEADERS = ("content-security-policy", "strict-transport-security", "x-content-type-options",
                    "referrer-policy")


class FakeBackend(BaseHTTPRequestHandler):
    """The backend contract (GET /health, /api/posts, /api/posts/:id) serving hostile titles."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        match = re.fullmatch(r"/api/posts/(\d+)", self.path)
        if self.path == f"/api/posts/{SLOW_POST['id']}":
            time.sleep(1.5)  # a request still in flight when the server is told to stop
            self._send(200, SLOW_POST)
        elif self.path == "/health":
            self._send(200, {"status": "ok"})
        elif self.path == "/api/posts":
            self._send(200, HOSTILE_POSTS)
        elif match and any(p["id"] == int(match[1]) for p in HOSTILE_POSTS):
            self._send(200, next(p for p in HOSTILE_POSTS if p["id"] == int(match[1])))
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake_backend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBackend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=["standalone", "monorepo"])
def project(request):
    return request.getfixturevalue(f"built_{request.param}")


def uses_redis(project) -> bool:
    return (project.web / "src" / "server" / "plugins" / "redis").is_dir()


@pytest.fixture(scope="module")
def server_env(project, fake_backend, request):
    env = {"COMPOSABLE_RUST_BACKEND_URL": fake_backend, "RATE_LIMIT_MAX": "100000"}
    if uses_redis(project):
        redis = request.getfixturevalue("redis_server")
        redis.command("FLUSHALL")
        env["REDIS_URL"] = redis.url
    return env


@pytest.fixture(scope="module")
def server(project, server_env, tmp_path_factory):
    web = start_web(project, tmp_path_factory.mktemp("web"), **server_env)
    yield web
    web.stop()


def entry_script(html: str) -> str:
    match = re.search(r'<script type="module" src="(/assets/[^"]+\.js)"></script>', html)
    assert match, "the page references no hashed entry script"
    return match[1]


def embedded_state(html: str) -> dict:
    match = re.search(r'<script id="app-state" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page has no state element"
    return json.loads(match[1])


def test_generated_project_unit_tests_and_type_check_pass(project):
    for script in ("test", "check"):
        result = project.run(script, env={"CI": "true"})
        assert result.returncode == 0, f"`{script}` failed:\n{result.stdout[-6000:]}"


def test_server_runs_on_the_node_major_its_bake_asked_for(project, server):
    """The binary executing the server (read from /proc), not whatever `node` the machine has:
    26 (the default) for the standalone bake, 24 for the full monorepo."""
    monorepo = project.web != project.root
    asked = FULL_MONOREPO["node_version"] if monorepo else default_answers()["node_version"]
    assert asked == ("24" if monorepo else "26")
    assert target_major(project.root) == asked
    assert running_node_major(server.process.pid) == asked


def test_server_starts_without_node_warnings(server):
    """A deprecation or experimental warning (a dependency calling `url.parse()`, say) would reach
    stderr at every start of every Machine: none on the Node major the bake targets."""
    warnings = [line for line in server.output().splitlines() if re.match(r"\(node:\d+\) .*Warning", line)]
    assert not warnings, warnings


def test_pages_are_server_rendered_with_the_backend_posts(server):
    page = http(f"{server.url}/", {"accept": "text/html"})
    assert page.status == 200
    assert "A calm title" in page.text
    assert '<h1>A calm title</h1>' in http(f"{server.url}/posts/4", {"accept": "text/html"}).text
    assert http(f"{server.url}/posts/999", {"accept": "text/html"}).status == 404


def test_hostile_titles_are_escaped_in_markup_and_state(server):
    html = http(f"{server.url}/", {"accept": "text/html"}).text
    assert html.count("<script") == 2, "a title added a script element"
    state_json = html.split('id="app-state"', 1)[1]
    assert "<!--" not in state_json, "a title opened a comment in the state"
    assert "\u2028" not in state_json and "\u2029" not in state_json, "raw line separators in the state"
    assert [p["title"] for p in embedded_state(html)["posts"]] == [p["title"] for p in HOSTILE_POSTS]


def test_security_headers_on_pages_assets_404s_and_errors(server):
    page = http(f"{server.url}/", {"accept": "text/html"})
    responses = {
        "page": page,
        "asset": http(server.url + entry_script(page.text)),
        "404 page": http(f"{server.url}/no/such/page", {"accept": "text/html"}),
        "404 json": http(f"{server.url}/no/such/thing"),
        "400 error": http(f"{server.url}/", {"content-type": "application/json"}, "POST", b"{broken"),
    }
    assert responses["400 error"].status == 400
    for name, response in responses.items():
        for header in SECURITY_HEADERS:
            assert header in response.headers, f"{header} missing on the {name}"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_hashed_assets_are_served_brotli_precompressed_and_immutable(server):
    asset = entry_script(http(f"{server.url}/", {"accept": "text/html"}).text)
    response = http(server.url + asset, {"accept-encoding": "br, gzip"})
    assert response.status == 200
    assert response.headers.get("content-encoding") == "br"
    assert "immutable" in response.headers.get("cache-control", "")
    assert "accept-encoding" in response.headers.get("vary", "").lower()


def test_rate_limit_returns_429_with_retry_after(project, server_env, redis_server_if_used, tmp_path):
    limit = 5
    web = start_web(project, tmp_path, **{**server_env, "RATE_LIMIT_MAX": str(limit), "RATE_LIMIT_WINDOW_MS": "60000"})
    try:
        statuses = [http(f"{web.url}/api/posts").status for _ in range(limit)]
        limited = http(f"{web.url}/api/posts")
        not_found = http(f"{web.url}/unknown")
        # Off Fly, headers a client writes cannot make it someone else.
        forged = [http(f"{web.url}/api/posts", {"fly-client-ip": f"198.51.100.{i}", "x-forwarded-for": f"198.51.100.{i}"}).status
                  for i in range(3)]
    finally:
        web.stop()
    assert statuses == [200] * limit
    assert limited.status == 429
    assert int(limited.headers["retry-after"]) > 0
    assert not_found.status == 429, "the not-found handler is not rate limited"
    assert forged == [429] * len(forged), "a forged client header moved the bucket"


@pytest.fixture
def redis_server_if_used(project, request):
    """Counters live in Redis for the monorepo: start each rate-limit test from zero."""
    if uses_redis(project):
        request.getfixturevalue("redis_server").command("FLUSHALL")


@pytest.fixture(scope="module")
def browser_e2e(project, server_env):
    """One run of the project's own `test:e2e` (playwright-core + system Chromium) against the
    fake backend; each test below reads the checks it is about from its output."""
    env = {**server_env, "NODE_ENV": "production",
           "E2E_BACKEND_URL": server_env["COMPOSABLE_RUST_BACKEND_URL"], "E2E_REQUIRE_BROWSER": "1"}
    if "REDIS_URL" in server_env:  # production needs one; the e2e server takes only the one named for it
        env["E2E_REDIS_URL"] = server_env["REDIS_URL"]
    return project.run("test:e2e", cwd=project.web, timeout=300, env=env)


def test_hydration_and_client_interaction_work_and_hostile_titles_stay_inert_in_chromium(browser_e2e):
    result = browser_e2e
    assert result.returncode == 0, result.stdout[-6000:]
    for line in ("ok - the page hydrates", "ok - no injected script ran",
                 "ok - typing in the filter narrows the list through the reducer",
                 "ok - no page errors, dialogs or console errors"):
        assert line in result.stdout, result.stdout[-6000:]


def test_web_vitals_of_a_real_page_load_reach_the_metrics_port_and_junk_adds_no_series(browser_e2e):
    """The same run (e2e/vitals.js), on a server of its own: a page load in Chromium, then hidden
    by closing it, shows FCP, TTFB, LCP and CLS samples on the metrics port, labelled by page kind;
    200 junk beacons (garbage, huge, unknown metrics and ratings, paths as routes, forms) and 1000
    distinct route values all get a 4xx and leave every Web Vitals line as it was."""
    result = browser_e2e
    assert result.returncode == 0, result.stdout[-6000:]
    for metric in ("FCP", "TTFB", "LCP", "CLS"):
        assert f"ok - a page load reports {metric} to the metrics port" in result.stdout, result.stdout[-6000:]
    for line in ("ok - the samples are labelled with the page kind, not the path",
                 "ok - 200 junk beacons and 1000 distinct route values all get a 4xx",
                 "ok - junk beacons leave the Web Vitals series and their values unchanged",
                 "ok - without JavaScript the list renders in full and sends no beacon"):
        assert line in result.stdout, result.stdout[-6000:]


CLIENT_JS_BUDGET_BYTES = 22_000
# auth=password: the account forms' reducer checks fields as one types, so it ships with the entry.
ACCOUNTS_JS_BYTES = 4_000
CHUNK_REFERENCE = re.compile(r"""["'`](\./[\w.-]+\.js)["'`]""")


def test_client_js_on_home_stays_within_22_kb_gzip(project, server):
    """Every script `/` makes the browser load (the entry and any chunk it names), gzip -9; the
    account pages' forms, menu and texts (auth=password, in the full monorepo) have their own allowance."""
    budget = CLIENT_JS_BUDGET_BYTES + (ACCOUNTS_JS_BYTES if (project.web / "src/app/account").is_dir() else 0)
    pending, seen, total = [entry_script(http(f"{server.url}/").text)], set(), 0
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        reply = http(server.url + path)
        assert reply.status == 200, path
        total += len(gzip.compress(reply.body, compresslevel=9, mtime=0))
        pending += ["/assets/" + chunk[2:] for chunk in CHUNK_REFERENCE.findall(reply.text)]
    assert total <= budget, f"{total} bytes of gzip JS on / ({sorted(seen)})"


DESIGNED_PAGES = ("/", "/posts/1", "/no/such/page", "/?lang=fr")
ACCOUNT_PAGES = ("/signin", "/signup", "/forgot-password", "/reset-password?token=t", "/verify-email")


def test_every_page_is_accessible_in_both_themes_and_fits_a_phone_in_chromium(project, browser_e2e):
    """The design checks of the same run (e2e/design.js): axe-core finds no serious or critical
    violation in the light and dark theme, the themes differ, nothing scrolls sideways at
    390 px, controls are at least 36 px tall, and the page is styled without JavaScript; the
    empty filter result and the backend-down notice pass axe-core in both themes too."""
    result = browser_e2e
    assert result.returncode == 0, result.stdout[-6000:]
    accounts = (project.web / "src/app/account").is_dir()
    for path in DESIGNED_PAGES + (ACCOUNT_PAGES if accounts else ()):
        for line in (f"ok - axe-core finds no serious or critical violation on {path} (light)",
                     f"ok - axe-core finds no serious or critical violation on {path} (dark)",
                     f"ok - light and dark themes differ on {path}",
                     f"ok - nothing scrolls sideways at 390 px on {path}",
                     f"ok - every control is at least 36 px tall at phone width on {path}"):
            assert line in result.stdout, result.stdout[-6000:]
    assert "ok - the page is styled without JavaScript" in result.stdout, result.stdout[-6000:]
    assert "ok - the favicon loads under the CSP" in result.stdout, result.stdout[-6000:]
    states = ("the list filtered to nothing", "/ with the backend down", "/posts/1 with the backend down")
    for state in states + (("the sign-up form with its messages",) if accounts else ()):
        for theme in ("light", "dark"):
            line = f"ok - axe-core finds no serious or critical violation on {state} ({theme})"
            assert line in result.stdout, result.stdout[-6000:]


def test_styles_are_one_hashed_immutable_stylesheet_and_nothing_inline(server):
    """Component and theme CSS reach the page as a file under the strict CSP (style-src 'self'):
    no <style> element or style attribute a production browser would refuse."""
    page = http(f"{server.url}/", {"accept": "text/html"})
    assert "<style" not in page.text and " style=" not in page.text
    stylesheets = re.findall(r'<link rel="stylesheet" href="(/assets/[^"]+\.css)">', page.text)
    assert len(stylesheets) == 1, "the page links no single hashed stylesheet"
    css = http(server.url + stylesheets[0], {"accept-encoding": "br"})
    assert css.status == 200 and "immutable" in css.headers.get("cache-control", "")
    assert "style-src 'self'" in page.headers["content-security-policy"]


def test_server_bundle_runs_from_dist_alone_without_node_modules(project, server_env, tmp_path):
    shutil.copytree(project.web / "dist", tmp_path / "dist")
    assert not (tmp_path / "node_modules").exists()
    web = start_web(project, tmp_path, cwd=tmp_path, **server_env)
    try:
        page = http(f"{web.url}/", {"accept": "text/html"})
        asset = http(web.url + entry_script(page.text), {"accept-encoding": "br"})
        ready = http(f"{web.url}/ready")
    finally:
        assert web.stop() == 0, "the server did not shut down cleanly on SIGTERM"
    assert page.status == 200 and "A calm title" in page.text
    assert asset.status == 200
    assert ready.status == 200, ready.text


def test_bad_configuration_exits_1_with_one_line(project, server_env):
    for variable, value in (("PORT", "not-a-port"), ("TRUSTED_PROXIES", "true")):
        result = subprocess.run(["node", "dist/server/index.cjs"], cwd=project.web, text=True, timeout=30,
                                env={**project.env, **server_env, "NODE_ENV": "production", variable: value},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert result.returncode == 1, variable
        assert result.stderr.strip().count("\n") == 0 and variable in result.stderr, result.stderr


def test_locale_comes_from_query_then_accept_language_when_i18n_is_on(project, server):
    if not (project.web / "src" / "app" / "i18n").exists():
        html = http(f"{server.url}/?lang=fr", {"accept": "text/html"}).text
        assert '<html lang="en">' in html
        return
    by_query = http(f"{server.url}/?lang=fr", {"accept": "text/html", "accept-language": "en"}).text
    by_header = http(f"{server.url}/", {"accept": "text/html", "accept-language": "fr-FR,fr;q=0.9"}).text
    fallback = http(f"{server.url}/", {"accept": "text/html", "accept-language": "de"}).text
    assert '<html lang="fr">' in by_query and "Articles" in by_query
    assert '<html lang="fr">' in by_header
    assert '<html lang="en">' in fallback


def test_ready_checks_redis_and_pages_share_backend_answers_through_it(project, server, request):
    body = json.loads(http(f"{server.url}/ready").text)
    assert body["checks"]["backend"] is True
    if not uses_redis(project):
        assert "redis" not in body["checks"]
        return
    assert body["checks"]["redis"] is True
    redis = request.getfixturevalue("redis_server")
    assert http(f"{server.url}/", {"accept": "text/html"}).status == 200
    deadline = time.monotonic() + 5
    # One entry, under the prefix of this server's backend (web-cache:<hash of its URL>:posts).
    while redis.command("KEYS", "web-cache:*:posts") != b"*1" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert redis.command("KEYS", "web-cache:*:posts") == b"*1", "the posts were not cached in Redis"


def test_bundles_leave_out_dompurify_and_jsdom(project):
    """The library's root entry re-exports a sanitizer built on jsdom; the app imports around it."""
    bundles = [project.web / "dist" / "server" / "index.cjs", *(project.web / "dist" / "client" / "assets").glob("*.js")]
    for bundle in bundles:
        text = bundle.read_text(errors="replace")
        for marker in ("isomorphic-dompurify", "DOMPurify", "jsdom"):
            assert marker not in text, f"{marker} found in {bundle.name}"


def test_sigterm_lets_in_flight_requests_finish_then_exits_0(project, server_env, tmp_path):
    web = start_web(project, tmp_path, **server_env)
    result = {}

    def slow_request():
        result["response"] = http(f"{web.url}/posts/{SLOW_POST['id']}", {"accept": "text/html"})

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(0.5)
    web.process.send_signal(signal.SIGTERM)
    thread.join(timeout=15)
    assert web.process.wait(timeout=15) == 0
    assert result["response"].status == 200
    assert "Slow to load" in result["response"].text


HOSTILE_TARGETS = ["//x:99999", "//x:99999?lang=fr", "//[", "%", "/%", "/?lang=%", "/posts/%E0%A4%A",
                   "/" + "a" * 8000, "/posts/" + "9" * 400, "http://evil.example/", "*", "/..%2f..%2fetc/passwd",
                   "/?" + "lang=fr&" * 500, "/%00", "/posts/1%0d%0aSet-Cookie:x=1"]


def test_no_request_target_gets_a_5xx_or_an_error_log(project, server):
    """Targets a browser never sends, written on a raw socket: 4xx or a page, never 500 or a crash."""
    statuses = {target[:40]: raw_status(server.port, target, {"accept": "text/html"}) for target in HOSTILE_TARGETS}
    assert all(status < 500 for status in statuses.values()), statuses
    assert http(f"{server.url}/health").status == 200
    errors = [line for line in server.output().splitlines() if '"level":50' in line or '"level":60' in line]
    assert not errors, errors[:3]


CREDENTIALS = {name: f"s3cret-{i}-do-not-log" for i, name in enumerate([
    "authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token", "x-access-token",
    "x-csrf-token", "x-amz-security-token", "x-goog-api-key", "x-hub-signature-256", "api-key", "x-session-id"])}


def test_credential_headers_never_reach_the_logs(project, server_env, tmp_path):
    web = start_web(project, tmp_path, **{**server_env, "LOG_LEVEL": "info"})
    try:
        for path in ("/", "/api/posts", "/no/such/page"):
            assert http(web.url + path, {**CREDENTIALS, "accept": "text/html"}).status in (200, 404)
    finally:
        web.stop()
    log = web.output()
    assert '"incoming request"' in log and "user-agent" in log
    assert "s3cret" not in log, [line for line in log.splitlines() if "s3cret" in line][:2]


def test_rate_limit_falls_back_to_memory_when_redis_stops_and_shares_again_after(project, server_env, request, tmp_path):
    if not uses_redis(project):
        assert "redis" not in (project.web / "package.json").read_text(), "Redis code in a project without Redis"
        return
    redis = request.getfixturevalue("redis_server")
    redis.command("FLUSHALL")
    limit = 4
    web = start_web(project, tmp_path, **{**server_env, "RATE_LIMIT_MAX": str(limit), "LOG_LEVEL": "info"})
    try:
        assert http(f"{web.url}/api/posts").status == 200
        assert redis.command("KEYS", "web-rate-limit:*").startswith(b"*1"), "counts are not in Redis"
        redis.stop()
        # /ready reports Redis down (its request is the first one counted in this Machine's memory).
        assert http(f"{web.url}/ready").status == 503, "/ready must report Redis down"
        # Under traffic with Redis gone: still limited, per Machine (this process's memory).
        during = [http(f"{web.url}/api/posts").status for _ in range(limit + 1)]
        assert during == [200] * (limit - 1) + [429, 429], during
        redis.start()
        deadline = time.monotonic() + 15
        while http(f"{web.url}/ready").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        redis.command("FLUSHALL")
        after = [http(f"{web.url}/api/posts").status for _ in range(2)]
    finally:
        web.stop()
        if redis.process is None or redis.process.poll() is not None:
            redis.start()
    assert after == [200, 200]
    log = web.output()
    assert log.count("counting in this Machine's memory") == 1, "the fallback is not logged exactly once"
    assert log.count("counting in Redis again") == 1
