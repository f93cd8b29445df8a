"""Bounded loopback load for the resilience tests: keep-alive clients that record every request.

Each worker holds one HTTP/1.1 connection and sends requests back to back (or at a fixed rate),
reconnecting when the server answers `Connection: close` or the connection fails. Every request
is recorded with when it was sent and how it ended, so a test can count errors in any window.
The load stops by itself after `seconds`; it only ever targets 127.0.0.1.
"""

import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException

from harness.servers import http


@dataclass
class Outcome:
    status: int | None = None  # None when the request failed without an answer
    error: str | None = None  # the exception's class name
    refused: bool = False  # a new connection was refused: sent after the listener closed


@dataclass
class KeepAliveLoad:
    port: int
    paths: list[str]
    seconds: float
    connections: int = 8
    # Requests per second for the whole load; None sends as fast as the server answers.
    rate: float | None = None
    # Headers per request, chosen by the request's number (e.g. distinct client addresses).
    headers: callable = lambda number: {}
    timeout: float = 10.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.connections)]

    def start(self) -> "KeepAliveLoad":
        self._deadline = time.monotonic() + self.seconds
        for thread in self._threads:
            thread.start()
        return self

    def join(self) -> list[Outcome]:
        for thread in self._threads:
            thread.join(self.seconds + self.timeout + 5)
        return self.outcomes

    def _worker(self) -> None:
        connection = None
        interval = self.connections / self.rate if self.rate else 0.0
        next_send = time.monotonic()
        while time.monotonic() < self._deadline:
            if interval:
                time.sleep(max(0.0, next_send - time.monotonic()))
                next_send += interval
            number = next(self._numbers)
            path = self.paths[number % len(self.paths)]
            fresh = connection is None
            if fresh:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            outcome = Outcome()
            try:
                connection.request("GET", path, headers=self.headers(number))
                reply = connection.getresponse()
                reply.read()
                outcome.status = reply.status
                if reply.will_close:
                    connection.close()
                    connection = None
            except ConnectionRefusedError as error:
                outcome.error, outcome.refused = type(error).__name__, fresh
                connection = None
                time.sleep(0.01)
            except (OSError, HTTPException) as error:
                outcome.error = type(error).__name__
                connection.close()
                connection = None
            with self._lock:
                self.outcomes.append(outcome)
        if connection is not None:
            connection.close()


def summary(outcomes: list[Outcome]) -> Counter:
    """How the requests ended: status codes, exception names, `refused`."""
    return Counter("refused" if o.refused else (o.status if o.status is not None else o.error) for o in outcomes)


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    """Requests that reached a listening server and did not get a 2xx: the ones that must not exist.
    A refused new connection was sent after the listener closed, so it is not one of them."""
    return [o for o in outcomes if not o.refused and not (o.status is not None and 200 <= o.status < 300)]


@dataclass
class Create:
    key: str
    attempts: int = 0
    status: int | None = None  # the last answer
    post_id: int | None = None  # from the 2xx that acknowledged it
    failures: list = field(default_factory=list)  # every non-2xx status or error name on the way


class IdempotentWriter:
    """Creates `count` posts through the API as `writer` (its headers), one `Idempotency-Key` each, retrying a failed create
    with the same key (after a 503, a timeout or a dropped or refused connection) until it is
    acknowledged or `give_up_after` seconds have passed. Paced at `rate` creates per second."""

    def __init__(self, base_url: str, writer: dict, prefix: str, count: int, rate: float, give_up_after: float = 60):
        self.base_url, self.writer, self.prefix = base_url, writer, prefix
        self.creates = [Create(f"{prefix}-{n}") for n in range(count)]
        self.rate, self.give_up_after = rate, give_up_after
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "IdempotentWriter":
        self._thread.start()
        return self

    def join(self) -> list[Create]:
        self._thread.join(self.give_up_after + 30)
        return self.creates

    def _send(self, create: Create) -> None:
        body = json.dumps({"title": f"Durable {create.key}", "body": "written under faults"}).encode()
        headers = {"content-type": "application/json", **self.writer,
                   "idempotency-key": create.key}
        create.attempts += 1
        try:
            reply = http(f"{self.base_url}/api/posts", headers, "POST", body, timeout=5)
        except (OSError, HTTPException) as error:
            create.status = None
            create.failures.append(type(getattr(error, "reason", error)).__name__)
            return
        create.status = reply.status
        if 200 <= reply.status < 300:
            create.post_id = json.loads(reply.body)["id"]
        else:
            create.failures.append(reply.status)

    def _run(self) -> None:
        deadline = time.monotonic() + self.give_up_after
        for create in self.creates:
            started = time.monotonic()
            self._send(create)
            while create.post_id is None and time.monotonic() < deadline:
                time.sleep(0.2)
                self._send(create)
            time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - started)))
