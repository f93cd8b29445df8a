"""Slow tier: accounts through the web app, on the full monorepo (auth=password).

The built web app in front of the real API, on a real PostgreSQL (and a streaming replica for a
second region), mailing through a real SMTP server (aiosmtpd on loopback). The whole journey runs
in headless Chromium with JavaScript and without it (tests/browser/accounts_journey.mjs); the
attacks are plain HTTP, each asserting in the database and on the next page that nothing changed.
"""

import email
import http.client
import re
import shutil
import subprocess
import threading
import time
import uuid
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller

from harness.rust_api import WRITE_TOKEN, start_api, wait_for
from harness.servers import free_port
from harness.web_build import start_web

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).parent / "browser" / "accounts_journey.mjs"
PRIMARY, ELSEWHERE = "sjc", "syd"
PASSWORD = "correct horse battery staple"
EVIL = "http://evil.example"


class Mailbox:
    """Every mail the API sent, as (recipients, text)."""

    def __init__(self):
        self.mails: list[tuple[list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain", "html"))
        with self.lock:
            self.mails.append(([r.lower() for r in envelope.rcpt_tos], body.get_content() if body else ""))
        return "250 OK"

    def count(self, to: str) -> int:
        with self.lock:
            return sum(1 for recipients, _ in self.mails if to.lower() in recipients)

    def link(self, to: str, path: str) -> str | None:
        with self.lock:
            texts = [text for recipients, text in self.mails if to.lower() in recipients]
        for text in reversed(texts):
            found = re.findall(rf"https?://[^\s\"'<>]+{re.escape(path)}\?token=[A-Za-z0-9_\-%]+", text)
            if found:
                return found[-1]
        return None

    def wait_link(self, to: str, path: str, other_than: str | None = None) -> str:
        return wait_for(lambda: (link := self.link(to, path)) and link != other_than and link, 20,
                        f"a mail to {to} with a link to {path}")


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture(scope="module")
def mailbox_url(mailbox):
    """The mailbox over HTTP for the browser script: the newest link to a path mailed to an address."""
    box, _ = mailbox

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            query = parse_qs(urlsplit(self.path).query)
            link = box.link(query["to"][0], query["path"][0])
            self.send_response(200 if link else 404)
            self.end_headers()
            self.wfile.write((link or "").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def mail_env(mailbox, web_origin: str) -> dict:
    return {"PUBLIC_URL": web_origin, "SMTP_URL": mailbox[1], "MAIL_FROM": "Accounts test <no-reply@example.com>",
            "PRIMARY_REGION": PRIMARY}


@pytest.fixture(scope="module")
def site(built_monorepo, api_binary, migrated_database, mailbox, redis_server, tmp_path_factory):
    """The web app (on a port chosen first: the API's mail links name it) and the API, primary region."""
    tmp = tmp_path_factory.mktemp("accounts")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    api = start_api(api_binary, migrated_database, tmp, FLY_REGION=PRIMARY, **mail_env(mailbox, origin))
    try:
        web = start_web(built_monorepo, tmp, port=port, COMPOSABLE_RUST_BACKEND_URL=api.url,
                        API_WRITE_TOKEN=WRITE_TOKEN, REDIS_URL=redis_server.url)
        try:
            yield web
        finally:
            web.stop()
    finally:
        api.stop()


# --- HTTP as a browser would send it, redirects not followed ------------------------------------

class Visitor:
    """One browser's cookies against the site; `forms` sends what a page of the site would."""

    def __init__(self, site):
        self.origin = site.url
        self.port = int(site.url.rsplit(":", 1)[1])
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             cookies: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        jar = self.cookies if cookies is None else cookies
        sent = {"accept": "text/html", **(headers or {})}
        if jar:
            sent["cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        if cookies is None:
            for line in response.headers.get_all("set-cookie") or []:
                name, _, rest = line.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in line.lower() and "expires=thu, 01 jan 1970" not in line.lower():
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        connection.close()
        return response.status, response.headers, text

    def get(self, path: str, **kwargs):
        return self.send("GET", path, **kwargs)

    def token(self, path: str) -> str:
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        found = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert found, f"{path} has no form token"
        return found[1]

    def post(self, path: str, fields: dict, *, token: str | None = "page", same_origin: bool = True,
             headers: dict | None = None, cookies: dict | None = None):
        """POST a form; `token="page"` takes the form token of the page at `path` (GET first)."""
        if token == "page":
            token = self.token(path if path not in ("/signout",) else "/")
        body = dict(fields, **({"_csrf": token} if token else {}))
        sent = {"content-type": "application/x-www-form-urlencoded",
                **({"origin": self.origin, "sec-fetch-site": "same-origin"} if same_origin else {}), **(headers or {})}
        return self.send("POST", path, urlencode(body).encode(), sent, cookies)


def signed_up(site, mailbox, address: str | None = None) -> tuple[Visitor, str]:
    """A verified, signed-in visitor of a new account: (visitor, address)."""
    box, _ = mailbox
    address = address or f"user-{uuid.uuid4().hex[:12]}@example.com"
    visitor = Visitor(site)
    status, headers, _ = visitor.post("/signup", {"email": address, "password": PASSWORD})
    assert (status, headers["location"]) == (303, "/signin?notice=check-inbox")
    link = box.wait_link(address, "/verify-email")
    status, headers, _ = visitor.get(link[len(site.url):])
    assert (status, headers["location"]) == (303, "/"), status
    assert "__Host-session" in visitor.cookies
    return visitor, address


def page_of(visitor: Visitor, path: str = "/", **kwargs) -> str:
    status, headers, page = visitor.get(path, **kwargs)
    assert status == 200, (path, status)
    return page


def posts_titled(postgres_server, title: str) -> int:
    return int(postgres_server.query(f"SELECT count(*) FROM posts WHERE title = '{title}'")[0][0])


# --- the journey in Chromium ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["js", "nojs"])
def test_the_whole_journey_works_in_chromium_with_and_without_javascript(mode, built_monorepo, site, mailbox_url):
    address = f"journey-{mode}-{uuid.uuid4().hex[:8]}@example.com"
    result = subprocess.run(["node", str(DRIVER), site.url, str(built_monorepo.web), mailbox_url, mode, address],
                            cwd=built_monorepo.web, env={**built_monorepo.env,
                                                         "CHROMIUM_PATH": shutil.which("chromium") or ""},
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n--- web:\n{site.output()[-3000:]}"
    assert "ok - the new password signs in" in result.stdout


# --- attacks, each asserting that nothing changed -----------------------------------------------

def test_a_cross_site_post_with_a_valid_cookie_and_token_is_refused_and_changes_nothing(site, mailbox,
                                                                                        postgres_server):
    visitor, address = signed_up(site, mailbox)
    title = f"Forged {uuid.uuid4().hex}"
    token = visitor.token("/posts/new")
    for headers in ({"origin": EVIL, "sec-fetch-site": "cross-site"}, {"origin": EVIL}, {"sec-fetch-site": "same-site"}):
        status, _, _ = visitor.post("/posts/new", {"title": title, "body": "x"}, token=token, same_origin=False,
                                    headers=headers)
        assert status == 403, headers
        status, _, _ = visitor.post("/signout", {}, token=token, same_origin=False, headers=headers)
        assert status == 403, headers
    assert posts_titled(postgres_server, title) == 0
    assert address in page_of(visitor), "the session survived the forged sign-outs"


def test_a_post_with_the_cookie_but_neither_origin_nor_form_token_is_refused(site, mailbox, postgres_server):
    visitor, _ = signed_up(site, mailbox)
    title = f"Tokenless {uuid.uuid4().hex}"
    status, _, _ = visitor.post("/posts/new", {"title": title, "body": "x"}, token=None, same_origin=False)
    assert status == 403
    status, _, _ = visitor.post("/posts/new", {"title": title, "body": "x"}, token="forged", same_origin=False)
    assert status == 403
    assert posts_titled(postgres_server, title) == 0
    # The same request with the page's form token (and still no Origin) is accepted: the token decides.
    status, headers, _ = visitor.post("/posts/new", {"title": title, "body": "x"}, same_origin=False)
    assert status == 303 and re.fullmatch(r"/posts/\d+", headers["location"]), (status, headers)
    assert posts_titled(postgres_server, title) == 1


def test_an_old_cookie_is_worthless_after_sign_out(site, mailbox, postgres_server):
    visitor, address = signed_up(site, mailbox)
    old = dict(visitor.cookies)
    token = visitor.token("/posts/new")
    status, headers, _ = visitor.post("/signout", {}, token=token)
    assert (status, headers["location"]) == (303, "/signin?notice=signed-out")
    assert "__Host-session" not in visitor.cookies
    assert address not in page_of(visitor, cookies=old)
    title = f"After sign-out {uuid.uuid4().hex}"
    status, headers, _ = visitor.post("/posts/new", {"title": title, "body": "x"}, token=token, cookies=old)
    assert (status, headers["location"]) == (303, "/signin?notice=sign-in-first")
    assert posts_titled(postgres_server, title) == 0


def test_a_password_reset_signs_out_every_old_cookie(site, mailbox):
    box, _ = mailbox
    first, address = signed_up(site, mailbox)
    second = Visitor(site)
    status, _, _ = second.post("/signin", {"email": address, "password": PASSWORD})
    assert status == 303 and "__Host-session" in second.cookies
    before = box.link(address, "/reset-password")
    status, headers, _ = Visitor(site).post("/forgot-password", {"email": address})
    assert (status, headers["location"]) == (303, "/forgot-password?notice=reset-sent")
    link = box.wait_link(address, "/reset-password", other_than=before)
    resetting = Visitor(site)
    reset_token = parse_qs(urlsplit(link).query)["token"][0]
    status, headers, _ = resetting.post("/reset-password", {"token": reset_token, "password": "an entirely new passphrase"},
                                        token=resetting.token(link[len(site.url):]))
    assert (status, headers["location"]) == (303, "/signin?notice=password-reset")
    for visitor in (first, second):
        assert address not in page_of(visitor)
    status, _, page = Visitor(site).post("/signin", {"email": address, "password": PASSWORD})
    assert status == 401 and PASSWORD not in page


def test_two_users_and_a_visitor_interleaved_never_see_each_others_pages(site, mailbox):
    ada, ada_address = signed_up(site, mailbox)
    bob, bob_address = signed_up(site, mailbox)
    anonymous = Visitor(site)
    for _ in range(5):
        for path in ("/", "/posts/1", "/no/such/page"):
            for visitor, mine, theirs in ((ada, ada_address, bob_address), (bob, bob_address, ada_address)):
                status, headers, page = visitor.get(path)
                assert mine in page and theirs not in page, path
                assert headers["cache-control"] == "private, no-store", path
            status, headers, page = anonymous.get(path)
            assert ada_address not in page and bob_address not in page and "_csrf" not in page, path
            assert "private" not in headers["cache-control"], path


def test_a_signed_in_page_is_served_by_the_replica_regions_api(built_monorepo, site, mailbox, api_binary,
                                                               migrated_database, postgres_replica, redis_server,
                                                               tmp_path):
    """The web app of another region, whose API reads the replica: it resolves the session there
    (GET /api/sessions/current, no write) and shows the page of the signed-in person."""
    visitor, address = signed_up(site, mailbox)
    port = free_port()
    api = start_api(api_binary, migrated_database, tmp_path, FLY_REGION=ELSEWHERE,
                    DATABASE_READ_URL=postgres_replica.url, **mail_env(mailbox, f"http://127.0.0.1:{port}"))
    try:
        web = start_web(built_monorepo, tmp_path, port=port, COMPOSABLE_RUST_BACKEND_URL=api.url,
                        API_WRITE_TOKEN=WRITE_TOKEN, REDIS_URL=redis_server.url)
        try:
            elsewhere = Visitor(web)
            elsewhere.cookies = {"__Host-session": visitor.cookies["__Host-session"]}
            wait_for(lambda: address in elsewhere.get("/")[2], 20, "the replica to know the session")
            status, headers, page = elsewhere.get("/")
            assert status == 200 and headers["cache-control"] == "private, no-store"
            assert "__Host-session" in elsewhere.cookies, "the replica region's answer dropped the session"
        finally:
            web.stop()
    finally:
        api.stop()


def without_tokens(page: str) -> str:
    """A page less what differs on every render: its form token."""
    return re.sub(r'name="_csrf" value="[^"]+"', "", re.sub(r'"csrfToken":"[^"]*"', "", page))


def test_a_taken_address_and_an_unknown_one_get_the_same_answers_as_the_others(site, mailbox):
    box, _ = mailbox
    _, taken = signed_up(site, mailbox)
    fresh = f"fresh-{uuid.uuid4().hex[:12]}@example.com"
    answers = [Visitor(site).post("/signup", {"email": address, "password": PASSWORD})[:2] for address in (taken, fresh)]
    assert [(status, headers["location"]) for status, headers in answers] == [(303, "/signin?notice=check-inbox")] * 2
    wait_for(lambda: box.count(taken) == 2, 20, "the mail telling the owner someone tried to sign up")
    # Sign-in: an unknown address and a wrong password, the same status and page.
    unknown = Visitor(site).post("/signin", {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD})
    wrong = Visitor(site).post("/signin", {"email": taken, "password": "not the password of this account"})
    assert unknown[0] == wrong[0] == 401
    # The pages differ only by the address typed in (kept in the form) and the form token.
    assert re.sub(r"[\w.-]+@example\.com", "", without_tokens(unknown[2])) == \
        re.sub(r"[\w.-]+@example\.com", "", without_tokens(wrong[2]))


def test_a_reset_for_an_unknown_address_sends_nothing_and_a_used_link_is_refused(site, mailbox):
    box, _ = mailbox
    nobody = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
    status, headers, _ = Visitor(site).post("/forgot-password", {"email": nobody})
    assert (status, headers["location"]) == (303, "/forgot-password?notice=reset-sent")
    # A new account's verification link: the first use signs in, the second is refused.
    address = f"reuse-{uuid.uuid4().hex[:12]}@example.com"
    assert Visitor(site).post("/signup", {"email": address, "password": PASSWORD})[0] == 303
    link = box.wait_link(address, "/verify-email")[len(site.url):]
    assert Visitor(site).get(link)[0] == 303
    again = Visitor(site)
    status, _, page = again.get(link)
    assert status == 400 and 'role="alert"' in page and "__Host-session" not in again.cookies
    time.sleep(1)  # any mail the reset request might (wrongly) have sent has arrived by now
    assert box.count(nobody) == 0
