"""What the bench installs for itself into the suite's cache: a Node binary, pinned npm tools, commands.

Nothing here is committed output: every download lands under BENCH_CACHE and is reused by later runs.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # the harness package, shared with the suite

from harness.answers import CHOICES  # noqa: E402
from harness.paths import CACHE_DIR  # noqa: E402
from harness.node_runtime import node_bin_dir  # noqa: E402,F401  (the suite's: one Node install per major)

BENCH_CACHE = CACHE_DIR / "bench"
COMMAND_TIMEOUT_S = 1800
AUTOCANNON = "9.0.0"


def default_node_major() -> str:
    """The Node major a default bake targets: the first node_version choice in cookiecutter.json."""
    return CHOICES["node_version"][0]


def env_with_node(bin_dir: Path, **variables: str) -> dict:
    """The caller's environment with this Node first on PATH (pnpm, vite and cargo children inherit it)."""
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **variables}


def run(command: list[str], cwd: Path, env: dict | None = None) -> str:
    """Run a build step; on failure raise with the tail of its output (the output is kept quiet otherwise)."""
    result = subprocess.run(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT_S)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed in {cwd} ({result.returncode}):\n{result.stdout[-6000:]}")
    return result.stdout


def npm_project(folder: Path, dependencies: dict[str, str], env: dict) -> Path:
    """A private npm project with exactly these pinned dependencies, installed once and reused."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": folder.name, "private": True, "type": "module", "dependencies": dependencies}
    wanted = json.dumps(manifest, indent=2) + "\n"
    package_json = folder / "package.json"
    if not package_json.exists() or package_json.read_text() != wanted or not (folder / "node_modules").is_dir():
        package_json.write_text(wanted)
        run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"], cwd=folder, env=env)
    return folder


def load_tools(env: dict) -> Path:
    """The load generator (autocannon, pinned), installed once into the bench's cache."""
    return npm_project(BENCH_CACHE / "tools", {"autocannon": AUTOCANNON}, env)


def installed_version(project: Path, package: str) -> str:
    return json.loads((project / "node_modules" / package / "package.json").read_text())["version"]


def sync_tree(source: Path, target: Path, keep: tuple[str, ...] = ()) -> Path:
    """Make `target` hold exactly `source`'s files, rewriting only those whose bytes changed.

    Unchanged files keep their modification time, so Cargo sees an unchanged crate and rebuilds
    nothing (a bake into a new temporary folder would recompile the crate on every run). Files
    under a folder named in `keep` (installs, build output) are left alone.
    """
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for relative in sorted(wanted):
        origin, copy = source / relative, target / relative
        if not copy.is_file() or copy.read_bytes() != origin.read_bytes():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy)
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if path.is_file() and relative not in wanted and not set(keep).intersection(relative.parts):
            path.unlink()
    return target


@contextlib.contextmanager
def stdout_to_stderr():
    """Build chatter (the bake's next-steps note, child processes) to stderr: stdout carries the table."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
