"""Accounts on the real API (auth=password in the full monorepo): a real PostgreSQL and a real SMTP
server (aiosmtpd) receiving the mails, attacked the ways issue #18 lists, each attack followed by a
check that nothing changed. Every password and token a test uses is kept, and the last test looks
for each of them in a dump of the database and in the API's logs at `info`.

Slow tier: it needs the API built (fixtures/api.py) and PostgreSQL (fixtures/services.py).
"""

import email
import email.policy
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller

from harness.rust_api import PUBLIC_URL, WRITE_TOKEN, cargo_env, request, start_api, wait_for
from harness.servers import free_port, http
from harness.services import postgres_bin_dir

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
# Every secret a test sent or received, searched for in the dump and the logs at the end.
SECRETS: set[str] = set()
TOKEN_IN_LINK = re.compile(r"/(verify-email|reset-password)\?token=([A-Za-z0-9_-]{43})\b")


class Sink:
    """What aiosmtpd received: (recipients, parsed message) in arrival order."""

    def __init__(self):
        self.mails, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append(([r.lower() for r in envelope.rcpt_tos], message))
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [message for recipients, message in self.mails if address.lower() in recipients]


@pytest.fixture(scope="module")
def sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="module")
def api(api_binary, migrated_database, sink, tmp_path_factory):
    controller, _ = sink
    server = start_api(api_binary, migrated_database, tmp_path_factory.mktemp("accounts"), RUST_LOG="info",
                       SMTP_URL=f"smtp://127.0.0.1:{controller.port}", MAIL_FROM="Accounts test <no-reply@example.com>",
                       PASSWORD_HASHING_CONCURRENCY="2")
    yield server
    server.stop()


def call(api, method: str, path: str, body: dict | None = None, session: str | None = None,
         visitor: str = "198.51.100.1"):
    """The web app's call: the service token, the visitor's address, the visitor's session."""
    headers = {"authorization": f"Bearer {WRITE_TOKEN}", "x-visitor-address": visitor}
    if session:
        headers["x-session-token"] = session
        SECRETS.add(session)
    if body and "password" in body:
        SECRETS.add(body["password"])
    status, reply_headers, reply = request(method, api.url + path, body, headers)
    if isinstance(reply, dict) and "session" in reply:
        SECRETS.add(reply["session"]["token"])
    return status, reply_headers, reply


def mails(sink, address: str, count: int) -> list:
    _, handler = sink
    return wait_for(lambda: len(handler.to(address)) >= count and handler.to(address), 20,
                    f"{count} mail(s) to {address}")


def token_in(message, kind: str) -> str:
    found = [token for link_kind, token in TOKEN_IN_LINK.findall(message.get_content()) if link_kind == kind]
    assert len(found) == 1, message.get_content()
    SECRETS.add(found[0])
    return found[0]


def unique(name: str) -> str:
    return f"{name}-{time.monotonic_ns()}@example.com"


def signed_up_and_verified(api, sink, address: str, password: str = PASSWORD) -> dict:
    """A verified account with an open session: the reply of following the verification link."""
    assert call(api, "POST", "/api/accounts", {"email": address, "password": password})[0] == 202
    verify = token_in(mails(sink, address, 1)[-1], "verify-email")
    status, _, signed_in = call(api, "POST", "/api/accounts/verification", {"token": verify})
    assert status == 201, signed_in
    return signed_in


def db(postgres_server, sql: str) -> list[list[str]]:
    return postgres_server.query(sql)


def user_row(postgres_server, address: str) -> list[list[str]]:
    return db(postgres_server, "SELECT id, password_hash, verified_at IS NOT NULL FROM users "
                               f"WHERE lower(email) = lower('{address}')")


def verifications(api) -> float:
    reply = http(api.metrics_url)
    found = re.search(r"^password_verifications_total(?:\{[^}]*\})? (\S+)$", reply.text, re.M)
    return float(found[1]) if found else 0.0


def test_sign_up_answers_the_same_for_a_new_and_a_taken_address_and_mails_each_the_right_thing(
        api, sink, postgres_server):
    address = unique("signup")
    new = call(api, "POST", "/api/accounts", {"email": address, "password": PASSWORD})
    (welcome,) = mails(sink, address, 1)
    assert welcome["Subject"] == "Verify your e-mail address"
    verify = token_in(welcome, "verify-email")
    unverified = user_row(postgres_server, address)
    assert unverified and unverified[0][1].startswith("$argon2id$v=19$m=19456,t=2,p=1$") and unverified[0][2] == "f"

    status, _, signed_in = call(api, "POST", "/api/accounts/verification", {"token": verify})
    assert status == 201 and signed_in["user"]["email"] == address.lower()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", signed_in["session"]["expires_at"])
    before = user_row(postgres_server, address)

    taken = call(api, "POST", "/api/accounts", {"email": f"  {address.upper()} ", "password": "another passphrase here"})
    assert (taken[0], taken[2]) == (new[0], new[2]) == (202, {})
    notice = mails(sink, address, 2)[-1]
    assert notice["Subject"] == "Someone tried to sign up with your address"
    body = notice.get_content()
    assert f"{PUBLIC_URL}/signin" in body and f"{PUBLIC_URL}/forgot-password" in body
    assert not TOKEN_IN_LINK.search(body)
    assert user_row(postgres_server, address) == before, "a second sign-up touched the account"
    sessions = db(postgres_server, f"SELECT count(*) FROM sessions WHERE user_id = {signed_in['user']['id']}")
    again = call(api, "POST", "/api/accounts/verification", {"token": verify})
    assert (again[0], again[2]["error"]) == (400, "invalid_token")
    assert db(postgres_server, f"SELECT count(*) FROM sessions WHERE user_id = {signed_in['user']['id']}") == sessions


def test_an_unverified_account_cannot_sign_in_and_a_resend_answers_the_same_for_every_address(api, sink):
    address, nobody = unique("unverified"), unique("nobody")
    call(api, "POST", "/api/accounts", {"email": address, "password": PASSWORD})
    mails(sink, address, 1)
    refused = call(api, "POST", "/api/sessions", {"email": address, "password": PASSWORD})
    unknown = call(api, "POST", "/api/sessions", {"email": nobody, "password": PASSWORD})
    # Signing up and then in with the same password must not tell a new address from a taken one.
    assert (refused[0], refused[2]) == (unknown[0], unknown[2]) and refused[0] == 401
    for who in (address, nobody):
        assert call(api, "POST", "/api/accounts/verification/resend", {"email": who})[:3:2] == (202, {})
    # The new link is one to choose the password: the one set at sign-up may not be the owner's.
    token_in(mails(sink, address, 2)[-1], "reset-password")
    time.sleep(1.5)
    assert sink[1].to(nobody) == [], "a resend mailed an address without an account"


def test_whoever_signs_up_an_address_first_keeps_no_way_into_it(api, sink):
    """An attacker signs up the owner's address first; the owner then signs up, or asks for a new
    link: either way the attacker's password opens nothing once the owner has verified."""
    for owner_asks_again in ("sign-up", "resend"):
        address = unique(f"prehijack-{owner_asks_again}")
        attacker, owner = "the attacker's passphrase", "the owner's own passphrase"
        assert call(api, "POST", "/api/accounts", {"email": address, "password": attacker})[0] == 202
        early_link = token_in(mails(sink, address, 1)[-1], "verify-email")
        if owner_asks_again == "sign-up":
            assert call(api, "POST", "/api/accounts", {"email": address, "password": owner})[0] == 202
            link = token_in(mails(sink, address, 2)[-1], "verify-email")
            assert call(api, "POST", "/api/accounts/verification", {"token": early_link})[0] == 400, \
                "the first sign-up's link still verifies"
            assert call(api, "POST", "/api/accounts/verification", {"token": link})[0] == 201
        else:
            assert call(api, "POST", "/api/accounts/verification/resend", {"email": address})[0] == 202
            link = token_in(mails(sink, address, 2)[-1], "reset-password")
            confirm = {"token": link, "password": owner}
            assert call(api, "POST", "/api/accounts/password-reset/confirm", confirm)[0] == 204
        assert call(api, "POST", "/api/sessions", {"email": address, "password": attacker})[0] == 401
        assert call(api, "POST", "/api/sessions", {"email": address, "password": owner})[0] == 201


def test_unknown_address_and_wrong_password_answer_alike_and_cost_one_verification_each(api, sink):
    address = unique("guess")
    signed_up_and_verified(api, sink, address)
    counted = verifications(api)
    wrong = call(api, "POST", "/api/sessions", {"email": address, "password": "not the right passphrase"})
    assert verifications(api) == counted + 1
    unknown = call(api, "POST", "/api/sessions", {"email": unique("unknown"), "password": PASSWORD})
    assert verifications(api) == counted + 2, "an unknown address skipped the Argon2 verification"
    assert (wrong[0], wrong[2]) == (unknown[0], unknown[2])
    assert wrong[0] == 401 and wrong[2]["error"] == "invalid_credentials"


def test_a_session_is_gone_after_sign_out(api, sink):
    signed_in = signed_up_and_verified(api, sink, unique("signout"))
    token = signed_in["session"]["token"]
    assert call(api, "GET", "/api/sessions/current", session=token)[2] == {"user": signed_in["user"]}
    assert call(api, "DELETE", "/api/sessions/current", session=token)[0] == 204
    gone = call(api, "GET", "/api/sessions/current", session=token)
    assert (gone[0], gone[2]["error"]) == (401, "no_session")
    assert call(api, "DELETE", "/api/sessions/current", session=token)[0] == 204
    refused = call(api, "POST", "/api/posts", {"title": "After sign-out", "body": "x"}, session=token)
    assert (refused[0], refused[2]["error"]) == (401, "no_session")


def test_a_reset_changes_the_password_ends_every_session_and_its_link_works_once(api, sink, postgres_server):
    address = unique("reset")
    signed_in = signed_up_and_verified(api, sink, address)
    old_session = signed_in["session"]["token"]
    assert call(api, "POST", "/api/accounts/password-reset", {"email": address})[:3:2] == (202, {})
    reset = token_in(mails(sink, address, 2)[-1], "reset-password")
    weak = call(api, "POST", "/api/accounts/password-reset/confirm", {"token": reset, "password": "short"})
    assert (weak[0], weak[2]["error"], set(weak[2]["fields"])) == (422, "invalid", {"password"})
    new_password = "an entirely new passphrase"
    assert call(api, "POST", "/api/accounts/password-reset/confirm",
                {"token": reset, "password": new_password})[0] == 204
    assert call(api, "GET", "/api/sessions/current", session=old_session)[0] == 401
    assert call(api, "POST", "/api/sessions", {"email": address, "password": PASSWORD})[0] == 401
    assert call(api, "POST", "/api/sessions", {"email": address, "password": new_password})[0] == 201
    changed = user_row(postgres_server, address)
    reused = call(api, "POST", "/api/accounts/password-reset/confirm", {"token": reset, "password": "yet another passphrase"})
    assert (reused[0], reused[2]["error"]) == (400, "invalid_token")
    assert user_row(postgres_server, address) == changed


def test_an_expired_reset_link_changes_nothing(api, sink, postgres_server):
    address = unique("expired")
    signed_up_and_verified(api, sink, address)
    call(api, "POST", "/api/accounts/password-reset", {"email": address})
    reset = token_in(mails(sink, address, 2)[-1], "reset-password")
    db(postgres_server, "UPDATE account_tokens SET expires_at = now() - interval '1 second' "
                        f"WHERE token_hash = sha256(convert_to('{reset}', 'UTF8'))")
    before = user_row(postgres_server, address)
    expired = call(api, "POST", "/api/accounts/password-reset/confirm", {"token": reset, "password": "too late passphrase"})
    assert (expired[0], expired[2]["error"]) == (400, "invalid_token")
    assert user_row(postgres_server, address) == before


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(api, sink):
    nobody = unique("no-account")
    assert call(api, "POST", "/api/accounts/password-reset", {"email": nobody})[:3:2] == (202, {})
    time.sleep(1.5)
    assert sink[1].to(nobody) == []


def test_fifteen_guesses_from_fifteen_visitors_are_throttled_per_address(api, sink, postgres_server):
    address = unique("throttled")
    signed_up_and_verified(api, sink, address)
    sessions = db(postgres_server, "SELECT count(*) FROM sessions")
    replies = [call(api, "POST", "/api/sessions", {"email": address, "password": f"wrong guess number {n:02d}"},
                    visitor=f"203.0.113.{n + 1}") for n in range(15)]
    statuses = [status for status, _, _ in replies]
    assert statuses[0] == 401 and 429 in statuses, statuses
    first_refusal = replies[statuses.index(429)]
    assert int(first_refusal[1]["retry-after"]) >= 1
    # Each visitor sent one request: the per-client limit refused none of them.
    assert 'rate_limit_rejections_total{limit="per_client"}' not in http(api.metrics_url).text
    # The right password does not get through the wait either, and opens no session.
    right = call(api, "POST", "/api/sessions", {"email": address, "password": PASSWORD}, visitor="203.0.113.99")
    assert right[0] == 429
    assert db(postgres_server, "SELECT count(*) FROM sessions") == sessions


def test_guesses_sent_at_once_pass_the_throttle_one_at_a_time(api, sink):
    """Past the free failures, ten wrong guesses sent together: one is checked, nine wait (429)."""
    address = unique("race")
    signed_up_and_verified(api, sink, address)
    for n in range(5):
        assert call(api, "POST", "/api/sessions", {"email": address, "password": f"free guess {n}"})[0] == 401
    counted = verifications(api)
    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda n: call(api, "POST", "/api/sessions", {"email": address, "password": f"guess {n}"},
                                               visitor=f"198.51.100.{n + 10}"), range(10)))
    statuses = sorted(status for status, _, _ in replies)
    assert statuses == [401] + [429] * 9, statuses
    assert verifications(api) == counted + 1, "more than one guess reached Argon2"


def test_forty_concurrent_sign_ins_leave_reads_answering(api, sink):
    address = unique("flood")
    signed_up_and_verified(api, sink, address)
    stop, reads = threading.Event(), []

    def read():
        while not stop.is_set():
            started = time.monotonic()
            status = request("GET", api.url + "/api/posts")[0]
            reads.append((status, time.monotonic() - started))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        # One account and 39 unknown addresses: every sign-in costs one Argon2 verification, and
        # no address is throttled (one attempt each).
        addresses = [address] + [unique(f"flood-{n}") for n in range(39)]
        with ThreadPoolExecutor(40) as pool:
            replies = list(pool.map(lambda n: call(api, "POST", "/api/sessions",
                                                   {"email": addresses[n], "password": PASSWORD},
                                                   visitor=f"192.0.2.{n + 1}"), range(40)))
    finally:
        stop.set()
        reader.join()
    statuses = [status for status, _, _ in replies]
    assert statuses[0] in {201, 503} and set(statuses[1:]) <= {401, 503}, statuses
    assert all(headers.get("retry-after") for status, headers, _ in replies if status == 503)
    assert reads and all(status == 200 for status, _ in reads), reads
    assert max(seconds for _, seconds in reads) < 2, sorted(seconds for _, seconds in reads)[-5:]


@pytest.mark.parametrize("missing, env", [
    ("SMTP_URL", {"PUBLIC_URL": PUBLIC_URL}),
    ("PUBLIC_URL", {"MAIL_DEV_LOG": "1"}),
])
def test_the_api_refuses_to_start_without_its_mail_settings_naming_the_variable(api_binary, missing, env):
    result = subprocess.run([str(api_binary)], env=cargo_env(DATABASE_URL="postgres://app@127.0.0.1:1/app", **env),
                            text=True, capture_output=True, timeout=30)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"configuration error: invalid {missing}: expected "), line


def test_no_password_or_token_is_in_the_database_or_the_logs_in_clear(api, postgres_server):
    """Last in the module: every secret the tests above used is known by now."""
    assert len(SECRETS) > 20, SECRETS
    dump = subprocess.run([str(postgres_bin_dir() / "pg_dump"), "--dbname", postgres_server.url, "--data-only"],
                          text=True, capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    assert "$argon2id$v=19$m=19456,t=2,p=1$" in dump.stdout
    logs = api.output()
    assert "account mail sent" in logs
    for secret in SECRETS:
        assert secret not in dump.stdout, "a secret is in the database dump"
        assert secret not in logs, "a secret is in the API's logs"
