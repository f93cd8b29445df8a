"""Slow tier: a CDN in front of the generated web app (issue 21), against the built default project.

Assets from another origin (ASSET_BASE_URL): a second server of the same build plays the CDN on
`localhost`, the page is loaded from `127.0.0.1`, so headless Chromium fetches the hashed files
cross-origin and enforces the page's CSP, CORS and resource policy on them. A CDN's client-address
header is read only from the CDN's ranges: sent from anywhere else, it moves no rate-limit bucket.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.servers import http
from harness.web_build import start_web

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).parent / "browser" / "cdn.mjs"
CDN = {"CDN_CLIENT_IP_HEADER": "CF-Connecting-IP"}


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def test_assets_from_another_origin_load_and_hydrate_under_the_csp(built_standalone, servers, tmp_path):
    cdn = start_web(built_standalone, tmp_path)
    servers.append(cdn)
    asset_origin = f"http://localhost:{cdn.port}"
    app = start_web(built_standalone, tmp_path, ASSET_BASE_URL=asset_origin)
    servers.append(app)

    page = http(app.url + "/", {"accept": "text/html"})
    assert re.search(rf'<script type="module" src="{asset_origin}/assets/[^"]+\.js">', page.text), page.text[:2000]
    policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    for directive in ("script-src", "style-src", "img-src", "font-src"):
        assert asset_origin in policy[directive].split(), policy
    origins = set(re.findall(r"https?://[^\s;]+", page.headers["content-security-policy"]))
    assert origins == {asset_origin}, "the CSP allows the asset origin and no other"

    result = subprocess.run(["node", str(DRIVER), app.url + "/", asset_origin, str(built_standalone.web)],
                            cwd=built_standalone.web, text=True, timeout=120,
                            env={**built_standalone.env, "CHROMIUM_PATH": shutil.which("chromium") or ""},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("ok - ") == 5, result.stdout


def logged_addresses(server) -> list[str]:
    """The `ip` of each logged request to /api/posts (the readiness probes come from 127.0.0.1)."""
    lines = (json.loads(line) for line in server.output().splitlines() if line.startswith("{"))
    return [line["req"]["ip"] for line in lines if line.get("req", {}).get("url") == "/api/posts"]


def test_a_cdn_header_from_outside_its_ranges_moves_no_bucket(built_standalone, servers, tmp_path):
    untrusted = start_web(built_standalone, tmp_path, RATE_LIMIT_MAX="3", LOG_LEVEL="info",
                          CDN_TRUSTED_RANGES="192.0.2.0/24, 2001:db8::/32", **CDN)
    servers.append(untrusted)
    statuses = [http(untrusted.url + "/api/posts", {"cf-connecting-ip": f"203.0.113.{n}"}).status for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429], "forged addresses share the connection's bucket"
    assert set(logged_addresses(untrusted)) == {"127.0.0.1"}, "the logs show the real peer, not the forgery"


def test_the_cdn_header_is_the_visitor_when_the_cdn_connects(built_standalone, servers, tmp_path):
    trusted = start_web(built_standalone, tmp_path, RATE_LIMIT_MAX="1", LOG_LEVEL="info",
                        CDN_TRUSTED_RANGES="127.0.0.0/8", **CDN)
    servers.append(trusted)
    statuses = [http(trusted.url + "/api/posts", {"cf-connecting-ip": address}).status
                for address in ("203.0.113.1", "203.0.113.2", "::ffff:203.0.113.3", "203.0.113.1")]
    assert statuses == [200, 200, 200, 429], "one bucket per visitor behind the CDN"
    assert logged_addresses(trusted) == ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"]
