"""Slow tier: the Dockerfiles' final stages hold everything the apps need to run.

There is no Docker engine here, so these tests do what `docker build` would do, outside Docker:
they send the build context through the project's .dockerignore, run the build stages' COPY and
RUN steps in order in a scratch folder (cache mounts become cache folders), then lay out ONLY
what the final stage COPYs into an empty folder and start the final CMD there with the final
stage's ENV. A wrong COPY path, a runtime file missing from dist/, or a dependency the bundle
still needs from node_modules makes the app fail to start or to answer.

The build and the server run on the Node major of the image's base (node:<major>-alpine), taken
from the npm registry's Linux build; each bake below targets another supported major.

What this cannot prove: the base image itself (that glibc build of Node and the host's glibc stand
in for node:<major>-alpine and distroless), file ownership, and the USER switch.
"""

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from harness import dockerfile_model as df
from harness.answers import FULL_MONOREPO, answers_id
from harness.docker_build import OutsideDockerBuild, build_context, folder_size, install_like_the_user
from harness.node_runtime import node_env, running_node_major
from harness.paths import CACHE_DIR
from harness.servers import ServerProcess, free_port, http

pytestmark = pytest.mark.slow


def assert_fly_checks_pass(fly_toml: Path, url: str) -> None:
    """Every HTTP check Fly runs against the app (fly.toml) answers 200 from the laid-out image."""
    checks = tomllib.loads(fly_toml.read_text(encoding="utf-8"))["http_service"]["checks"]
    assert checks, f"{fly_toml} has no HTTP checks"
    for check in checks:
        reply = http(url + check["path"], method=check.get("method", "GET"))
        assert reply.status == 200, f"{fly_toml}: {check['path']} answered {reply.status}"


# Between them the three supported Node majors: 26 (the default), 22, and 24 (FULL_MONOREPO).
WEB_BAKES = [
    {},
    {"layout": "monorepo", "package_manager": "pnpm", "node_version": "22"},
    FULL_MONOREPO,
]


@pytest.mark.parametrize("answers", WEB_BAKES, ids=[answers_id(answers) for answers in WEB_BAKES])
def test_web_final_stage_payload_boots_outside_docker(bakes, answers, tmp_path, record_property, request):
    baked = bakes.copy(tmp_path / "baked", **answers)  # the install below writes the lockfile into it
    project, monorepo, dockerfile = baked.root, baked.monorepo, baked.web / "Dockerfile"
    major = baked.answers["node_version"]
    assert {s.image for s in df.read_stages(dockerfile)} >= {f"node:{major}-alpine"}
    node = node_env(major)
    install_like_the_user(project, baked.answers["package_manager"], node)

    context = build_context(project, project, tmp_path / "context")
    assert not (context / "node_modules").exists()
    build = OutsideDockerBuild(dockerfile, context, tmp_path / "docker", node)
    copies = [df.parse_copy(i) for i in build.stages[-1].all("COPY")]
    build.build(copies[0].from_stage)
    workdir, image_env, cmd = build.lay_out_final_stage()

    assert not (workdir / "node_modules").exists()
    payload = folder_size(build.final_root)
    record_property("final_stage_payload_bytes", payload)
    print(f"\nweb final-stage payload ({'monorepo' if monorepo else 'standalone'}): {payload} bytes")

    port = free_port()
    env = {"PATH": node["PATH"], **image_env, "PORT": str(port), "HOST": "127.0.0.1",
           "NODE_ENV": "production", "LOG_LEVEL": "warn"}
    if answers.get("use_redis") == "yes":
        env["REDIS_URL"] = request.getfixturevalue("redis_server").url
    if answers.get("auth") == "password":  # in fly.toml's [env] on Fly: the links of account e-mails
        env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    server = ServerProcess(cmd, workdir, env, port, tmp_path / "server.log")
    try:
        server.wait_until_up(timeout=30)
        assert running_node_major(server.process.pid) == major
        assert_fly_checks_pass(dockerfile.parent / "fly.toml", server.url)
        page = http(f"{server.url}/")
        assert page.status == 200 and "<html" in page.text.lower(), page.text[:500]
        # The client bundle the page links is served from the laid-out dist/client.
        scripts = re.findall(r'<script[^>]+src="(/[^"]+)"', page.text)
        assert scripts, "the page links no client bundle"
        for src in scripts:
            status = http(f"{server.url}{src}").status
            assert status == 200, f"{src}: {status}"

        # The image's HEALTHCHECK command, run as Docker would (inside the container's env).
        healthcheck = df.exec_form(build.stages[-1].all("HEALTHCHECK")[-1])
        probe = subprocess.run(healthcheck, cwd=workdir, env=env, capture_output=True, text=True, timeout=15)
        assert probe.returncode == 0, probe.stderr

        # SIGTERM (fly.toml kill_signal) drains and exits cleanly, well within kill_timeout.
        assert server.stop(timeout=15) == 0
    finally:
        server.stop()
    assert "Invalid configuration" not in server.output(), server.output()


def test_api_final_stage_binary_boots_outside_docker(bakes, tmp_path, record_property):
    """The API's builder stage, outside Docker: `cargo build --release --locked --bin <bin>` in the
    build context (cargo-chef's cook step only pre-builds the same dependencies for layer caching,
    so it is skipped here), with the suite's shared target folder standing in for /app/target."""
    project = bakes(**FULL_MONOREPO).root
    api = project / "apps" / "api"
    context = build_context(project, api, tmp_path / "context")
    stages = df.read_stages(api / "Dockerfile")
    builder = next(s for s in stages if s.name == "builder")
    build_command = next(df.run_command(i) for i in builder.all("RUN") if "cargo build" in i.args)
    target_dir = CACHE_DIR / "cargo-target"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir), **builder.env())
    result = subprocess.run(shlex.split(build_command), cwd=context, env=env, capture_output=True, text=True,
                            timeout=3600)
    assert result.returncode == 0, result.stderr[-4000:]

    final = stages[-1]
    workdir = Path(tmp_path / "final" / final.workdir().lstrip("/"))
    workdir.mkdir(parents=True)
    for copy in map(df.parse_copy, final.all("COPY")):
        assert copy.from_stage == "builder"
        (source,) = copy.sources
        assert source.startswith("/app/target/"), source
        origin = target_dir / source[len("/app/target/"):]
        shutil.copy2(origin, tmp_path / "final" / copy.destination.lstrip("/"))
    payload = folder_size(tmp_path / "final")
    record_property("final_stage_payload_bytes", payload)
    print(f"\napi final-stage payload: {payload} bytes")

    cmd = df.exec_form(final.all("CMD")[-1])
    executable = tmp_path / "final" / cmd[0].lstrip("/")
    port = free_port()
    env = {**final.env(), "PORT": str(port), "HOST": "127.0.0.1",
           # connect_lazy: /health answers without reaching the database
           "DATABASE_URL": "postgres://app:app@127.0.0.1:1/app", "RUST_LOG": "warn"}
    if FULL_MONOREPO.get("auth") == "password":  # PUBLIC_URL from fly.toml's [env], the mail secrets as on Fly
        env |= {"PUBLIC_URL": tomllib.loads((api / "fly.toml").read_text())["env"]["PUBLIC_URL"],
                "SMTP_URL": "smtp://127.0.0.1:1", "MAIL_FROM": "App <no-reply@example.com>"}
    server = ServerProcess([str(executable), *cmd[1:]], workdir, env, port, tmp_path / "api.log")
    try:
        server.wait_until_up(timeout=30)
        assert_fly_checks_pass(api / "fly.toml", server.url)
        healthcheck = df.exec_form(final.all("HEALTHCHECK")[-1])
        probe = subprocess.run([str(tmp_path / "final" / healthcheck[0].lstrip("/")), *healthcheck[1:]],
                               env=env, capture_output=True, text=True, timeout=15)
        assert probe.returncode == 0, f"HEALTHCHECK {healthcheck}: {probe.stderr}"
        assert server.stop(timeout=15) == 0
    finally:
        server.stop()
