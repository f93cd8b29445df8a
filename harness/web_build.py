"""A generated web app installed and built as its CI does, and its server started as in production."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.node_runtime import node_env, target_major
from harness.project import Project
from harness.servers import ServerProcess, free_port

INSTALL_TIMEOUT_S = 900


@dataclass(frozen=True)
class BuiltProject(Project):
    """A generated project after `<pm> install` and `<pm> run build`, on the Node it targets."""

    env: dict  # this process's environment with the project's Node first on PATH

    @property
    def package_manager(self) -> str:
        return self.answers["package_manager"]

    def run(self, script: str, *, env: dict | None = None, timeout: int = INSTALL_TIMEOUT_S,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        """`<pm> run <script>`; the caller checks the return code (output is in the result)."""
        return subprocess.run([self.package_manager, "run", script], cwd=cwd or self.root, text=True,
                              env={**self.env, **(env or {})}, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def start_web(project: BuiltProject, log_dir: Path, cwd: Path | None = None, port: int | None = None,
              **env: str) -> ServerProcess:
    """The built server (of `cwd`, default the project's web app) as in production on 127.0.0.1,
    on the Node the project targets, rate limit out of the way; `env` adds or overrides. PUBLIC_URL
    (required in production with auth=password, read by no other bake) is the server's own origin."""
    port = port or free_port()
    server = ServerProcess(
        ["node", "dist/server/index.cjs"], cwd or project.web,
        {**project.env, "NODE_ENV": "production", "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "warn",
         "RATE_LIMIT_MAX": "1000000", "PUBLIC_URL": f"http://127.0.0.1:{port}", **env},
        port, log_dir / f"web-{port}.log")
    server.wait_until_up(timeout=30)
    return server


def ensure_package_manager(project: Path, name: str) -> None:
    """npm comes with Node; pnpm is installed globally at the version the project pins."""
    if name != "pnpm" or shutil.which("pnpm"):
        return
    pinned = json.loads((project / "package.json").read_text()).get("packageManager", "pnpm@10")
    run_checked(["npm", "install", "--global", pinned], cwd=project, env=os.environ)


def run_checked(command: list[str], cwd: Path, env: dict) -> None:
    result = subprocess.run(command, cwd=cwd, text=True, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_S)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed in {cwd} ({result.returncode}):\n{result.stdout[-6000:]}")


def install_and_build(project: Project) -> BuiltProject:
    """Install and build on the Node the project targets (.nvmrc), as its CI and Dockerfile do."""
    root, web, package_manager = project.root, project.web, project.answers["package_manager"]
    ensure_package_manager(web, package_manager)
    env = node_env(target_major(root))
    # No lockfile exists yet in a fresh bake; pnpm would refuse to write one under CI=true.
    install = ["pnpm", "install", "--no-frozen-lockfile"] if package_manager == "pnpm" else \
              ["npm", "install", "--no-audit", "--no-fund"]
    run_checked(install, cwd=root, env=env)
    run_checked([package_manager, "run", "build"], cwd=root, env=env)
    if not (web / "dist" / "server" / "index.cjs").is_file():
        raise RuntimeError(f"the build left no {web / 'dist/server/index.cjs'}")
    return BuiltProject(root, project.answers, env)
