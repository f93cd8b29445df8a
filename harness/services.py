"""Real services for the slow tier, run privately on 127.0.0.1: a PostgreSQL cluster (and its
replica) and a Redis, from the machine's Debian packages."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from harness.servers import free_port


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port`, run as a non-root user.

    `stop()` and `start()` are public so a test can take the database away and bring it back.
    """

    def __init__(self, bin_dir: Path, root: Path, user: str | None):
        self.bin_dir = bin_dir
        self.data_dir = root / "data"
        self.log_file = root / "postgres.log"
        self.user = user
        self.port = free_port()
        self.database = "app"
        self.url = f"postgres://app@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str) -> None:
        result = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], user=self.user, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{log}")

    def init(self) -> None:
        # Trust on loopback only: the cluster lives for one test run and listens nowhere else.
        self._run("initdb", "--pgdata", str(self.data_dir), "--username", "app", "--auth", "trust",
                  "--encoding", "UTF8", "--no-sync")
        self.start()
        self.create_database(self.database)

    def create_database(self, name: str) -> str:
        """A new, empty database in this cluster; returns its URL."""
        self._run("createdb", "--host", "127.0.0.1", "--port", str(self.port), "--username", "app", name)
        return f"postgres://app@127.0.0.1:{self.port}/{name}"

    def follow(self, primary: "PostgresServer") -> None:
        """Instead of `init()`: become a streaming replica of `primary` and start, a hot standby that
        serves reads and refuses writes (SQLSTATE 25006), as a read replica in another region does.
        `initdb --auth trust` already lets 127.0.0.1 make replication connections, and `wal_level`
        is `replica` by default, so the primary needs no change."""
        self._run("pg_basebackup", "--host", "127.0.0.1", "--port", str(primary.port), "--username", "app",
                  "--pgdata", str(self.data_dir), "--write-recovery-conf", "--wal-method", "stream",
                  "--checkpoint", "fast", "--no-sync")
        self.start()

    def pause_replay(self) -> None:
        """A replica that lags: it keeps receiving the primary's changes but applies none of them."""
        self.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' -c fsync=off"
        self._run("pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.log_file),
                  "--options", options, "--wait", "--timeout", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back open transactions and disconnects clients; `immediate` is a crash stop."""
        self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "--timeout", "60", "stop")

    def query(self, sql: str, database: str | None = None) -> list[list[str]]:
        """Rows of a query run with psql (in `database`, default the suite's), each a list of column texts."""
        result = subprocess.run([str(self.bin_dir / "psql"), "--host", "127.0.0.1", "--port", str(self.port),
                                 "--username", "app", "--dbname", database or self.database, "--no-align", "--tuples-only",
                                 "--field-separator", "\t", "--command", sql],
                                user=self.user, text=True, capture_output=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def is_running(self) -> bool:
        result = subprocess.run([str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data_dir), "status"],
                                user=self.user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0


@contextmanager
def postgres_cluster(prefix: str, bin_dir: Path, user: str | None):
    """A PostgresServer (not yet initialised) in a new folder owned by `user`; on leaving, stopped
    if it runs and its folder deleted."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if user:
        shutil.chown(root, user=user)
    server = PostgresServer(bin_dir, root, user)
    try:
        yield server
    finally:
        if server.data_dir.exists() and server.is_running():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def postgres_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda path: int(Path(path).parent.parent.name))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install -y postgresql")
    return Path(candidates[-1]).parent


class RedisServer:
    """A throwaway redis-server on 127.0.0.1:`port`, nothing persisted."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.log_file = root / "redis.log"
        self.process: subprocess.Popen | None = None

    def command(self, *words: str) -> bytes:
        """Send one command in Redis' wire protocol and return the first reply line."""
        payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(payload.encode())
            return sock.recv(4096).split(b"\r\n", 1)[0]

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: apt-get install -y redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--logfile", str(self.log_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if self.command("PING") == b"+PONG":
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    @contextmanager
    def paused(self):
        """SIGSTOP for the block, SIGCONT after it, whatever happens: the process keeps its sockets
        open and answers nothing, as a hung Redis or a network partition does (not a refusal)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield self
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
