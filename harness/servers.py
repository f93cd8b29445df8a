"""Processes and HTTP for the slow tier: free loopback ports, one HTTP call, a server child process."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port(other_than: int | None = None) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != other_than:
            return port


@dataclass
class Response:
    status: int
    headers: dict  # names lowercased
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def http(url: str, headers: dict | None = None, method: str = "GET", data: bytes | None = None,
         timeout: float = 10) -> Response:
    """One HTTP exchange; an error status is a Response, only a connection failure raises (OSError)."""
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return Response(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def raw_status(port: int, target: str, headers: dict | None = None, timeout: float = 10) -> int:
    """The status of `GET <target> HTTP/1.1` written byte for byte on a socket (targets no client
    library would send, e.g. `//x:99999`); a connection closed without an answer raises."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = sock.recv(4096)
    if not head.startswith(b"HTTP/1.1 "):
        raise ConnectionError(f"no HTTP answer to {target[:60]!r}: {head[:80]!r}")
    return int(head.split(b" ", 2)[1])


def status_of(url: str) -> int | None:
    try:
        return http(url, timeout=2).status
    except OSError:
        return None


class ServerProcess:
    """A child process serving HTTP on 127.0.0.1:`port`, its output kept in `log`; stopped with SIGTERM.

    Both generated servers also listen on METRICS_PORT (Prometheus); unless `env` names one, each
    process gets a free port of its own, so servers started side by side never collide on it.
    """

    def __init__(self, args: list[str], cwd: Path, env: dict, port: int, log: Path, preexec_fn=None):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.metrics_port = int(env.get("METRICS_PORT") or free_port(other_than=port))
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.log = log
        self._log_handle = log.open("w")
        env = {**env, "METRICS_PORT": str(self.metrics_port)}
        self.process = subprocess.Popen(args, cwd=cwd, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT,
                                        preexec_fn=preexec_fn)

    def wait_until_up(self, path: str = "/health", timeout: float = 60) -> None:
        """Until `path` answers 200; fails at once, with the output, if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.output()}")
            if status_of(self.url + path) == 200:
                return
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.url}{path} did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_handle.close()
        return self.process.returncode


def proc_status_kib(pid: int, field: str) -> int:
    """One memory line of /proc/<pid>/status in KiB: VmRSS (resident now), VmHWM (resident peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def rss_kib(pid: int) -> int:
    return proc_status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The highest resident size since the process started (the kernel keeps it; no sampling gaps)."""
    return proc_status_kib(pid, "VmHWM")


def seconds_to_first_200(server: ServerProcess, started: float, path: str = "/", timeout: float = 30,
                         interval: float = 0.002) -> float:
    """Seconds from `started` (time.perf_counter() taken just before the spawn) to the first 200 on `path`.

    Polls every `interval` so the figure is not rounded up to wait_until_up's coarser step.
    """
    while time.perf_counter() - started < timeout:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited with {server.process.returncode}:\n{server.output()}")
        if status_of(server.url + path) == 200:
            return time.perf_counter() - started
        time.sleep(interval)
    server.stop()
    raise AssertionError(f"{server.url}{path} did not answer 200 within {timeout}s:\n{server.output()}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) the process has used so far, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces: skip past it
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")
