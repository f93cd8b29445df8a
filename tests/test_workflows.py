"""Fast tier: the generated GitHub Actions workflows, proven by reading them.

The workflows are read as GitHub reads them (YAML with `on` kept a string) over a pairwise cover
of the options that shape them. Conditions and concurrency groups are evaluated for concrete
events with GitHub's expression rules (github_expressions.py); which jobs start is derived from
`needs` and `if:` as GitHub does (a job whose needed job did not succeed is skipped unless its
condition calls a status function). The shell of the deploy and rollback steps runs for real
under bash, with git, jq and the workflow's own helper script; only `gh` and `flyctl`, which talk
to GitHub and Fly.io, are stand-ins that answer in those services' JSON shapes.

What reading cannot prove (it needs a real GitHub run) is listed in the template README.
"""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from harness.answers import answers_id
from harness.command_fakes import calls, fake_github, fake_releases, fly_state, install_fakes
from harness.github_actions import (A, B, REPOSITORY, as_list, github_context, load_yaml, ran, run_step, started_jobs,
                                    step_named, workflow_run)
from local_extensions import api_app_name
from harness.github_expressions import evaluate, interpolate, truthy, uses_status_function
from harness.matrix import MATRIX, pairwise_cover
from harness.project import Project
from harness.template_repo import commit_all, git

WORKFLOW_OPTIONS = ["layout", "backend", "database", "package_manager", "deploy_on_push", "template_check",
                    "preview_apps", "use_redis"]
# CI's template-drift job (template_check=yes) runs for pull requests and by hand only: a new
# template commit must not turn main red. It checks no code, so "every job on main" leaves it out.
DRIFT_JOB = "template"
BAKES = pairwise_cover([c for c in MATRIX if c["ci"] == "github-actions"], WORKFLOW_OPTIONS)

FLYCTL_VERSION = "0.4.87"
SHA_PIN = re.compile(r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<sha>[0-9a-f]{40})"
                     r" # (?P<version>v?\d+(?:\.\d+)*)$")
# First-party actions on their current major.
CURRENT_MAJOR = {"actions/checkout": "v7", "actions/setup-node": "v7"}

PREVIEW_BAKES = [c for c in BAKES if c["preview_apps"] == "yes"]


@pytest.fixture(scope="session", params=BAKES, ids=[answers_id(c) for c in BAKES])
def project(request, bakes) -> Project:
    return bakes(**request.param)


@pytest.fixture(scope="session", params=PREVIEW_BAKES, ids=[answers_id(c) for c in PREVIEW_BAKES])
def preview_project(request, bakes) -> Project:
    return bakes(**request.param)


@pytest.fixture
def fakes(tmp_path) -> Path:
    """`gh` and `flyctl` stand-ins (harness/fakes), answering from files written by each test."""
    return install_fakes(tmp_path / "fakes")


# --- CI ------------------------------------------------------------------------------------


def test_ci_runs_for_every_push_to_main_and_every_pull_request(project):
    triggers = project.workflow("ci")["on"]
    assert triggers["push"] == {"branches": ["main"]}, "no paths filter may skip CI for a push to main"
    assert triggers["pull_request"] in ("", None, {}), triggers["pull_request"]


def test_ci_concurrency_never_groups_two_pushes_and_cancels_superseded_pull_request_runs(project):
    concurrency = project.workflow("ci")["concurrency"]

    def group(context):
        return interpolate(concurrency["group"], context), interpolate(concurrency["cancel-in-progress"], context)

    push_a, push_b = github_context("push", sha=A), github_context("push", sha=B)
    assert group(push_a)[0] != group(push_b)[0], "a pending push run would be cancelled by the next push"
    assert group(push_a)[1] == group(push_b)[1] == "false"
    pr_first = github_context("pull_request", ref="refs/pull/7/merge", sha=A)
    pr_again = github_context("pull_request", ref="refs/pull/7/merge", sha=B)
    assert group(pr_first) == group(pr_again) == (group(pr_first)[0], "true")
    assert group(pr_first)[0] not in (group(push_a)[0], group(push_b)[0])


def ci_jobs_started(ci: dict, context: dict, changed: dict) -> set:
    """CI's jobs for an event; `changed` is what the paths filter step reports (when it runs)."""
    outputs = {}
    if "changes" in ci["jobs"]:
        changes = ci["jobs"]["changes"]
        (filter_step,) = [s for s in changes["steps"] if s.get("id") == "filter"]
        filter_ran = truthy(evaluate(filter_step.get("if", "true"), context))
        steps = {"filter": {"outputs": changed if filter_ran else {}}}
        outputs["changes"] = {name: interpolate(value, {**context, "steps": steps})
                              for name, value in changes["outputs"].items()}
    return ran(started_jobs(ci, context, outputs))


def test_every_ci_job_runs_on_a_push_to_main_and_path_filters_only_narrow_pull_requests(project):
    ci = project.workflow("ci")
    drift = {DRIFT_JOB} & set(ci["jobs"])
    assert bool(drift) == (project.answers["template_check"] == "yes")
    jobs = set(ci["jobs"]) - drift
    nothing_changed = {"web": "false", "api": "false"}
    assert ci_jobs_started(ci, github_context("push"), nothing_changed) == jobs
    for job in ci["jobs"].values():
        assert all("if" not in step or "pull_request" in step["if"] for step in job["steps"]), job
    pull_request = github_context("pull_request", ref="refs/pull/7/merge")
    if project.monorepo:
        assert ci_jobs_started(ci, pull_request, nothing_changed) == {"changes"} | drift
        web_only = ci_jobs_started(ci, pull_request, {"web": "true", "api": "false"})
        assert web_only == {"changes", "web", "web-image"} | drift
    else:
        assert ci_jobs_started(ci, pull_request, {}) == jobs | drift


def test_pnpm_setup_finds_the_pinned_pnpm_version(project):
    """pnpm/action-setup without a `version` input reads "packageManager" from ./package.json."""
    if project.answers["package_manager"] != "pnpm":
        return
    ci = project.workflow("ci")
    steps = [s for job in ci["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("pnpm/")]
    assert steps
    for step in steps:
        manifest = project.root / step.get("with", {}).get("package_json_file", "package.json")
        declared = json.loads(manifest.read_text(encoding="utf-8")).get("packageManager", "")
        assert "version" not in step.get("with", {}) and declared.startswith("pnpm@"), manifest
    web = project.root / "apps" / "web" if project.monorepo else project.root
    dockerfile = (web / "Dockerfile").read_text(encoding="utf-8")
    assert f"PNPM_VERSION={declared.removeprefix('pnpm@')}" in dockerfile, "Dockerfile and packageManager disagree"


# --- deploy: when it runs ------------------------------------------------------------------


def deploy_jobs(workflow: dict) -> dict:
    """The jobs that hold a Fly token."""
    return {name: job for name, job in workflow["jobs"].items() if "secrets." in json.dumps(job)}


def test_deploy_triggers(project):
    triggers = project.workflow("deploy")["on"]
    assert "workflow_dispatch" in triggers
    if project.answers["deploy_on_push"] == "yes":
        assert triggers["workflow_run"] == {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
        assert set(triggers) == {"workflow_run", "workflow_dispatch"}
    else:
        assert set(triggers) == {"workflow_dispatch"}


DEPLOY_SCENARIOS = {
    # name: (context, whether the head-of-main check may start)
    "green CI of a push to main": (workflow_run(), True),
    "failed CI": (workflow_run(conclusion="failure"), False),
    "cancelled CI": (workflow_run(conclusion="cancelled"), False),
    "CI of a pull request from a fork's branch named main": (workflow_run(event="pull_request",
                                                                          repository="mallory/shop"), False),
    "CI of a fork's push that reports branch main": (workflow_run(repository="mallory/shop"), False),
    "CI of a pull request within the repository": (workflow_run(event="pull_request"), False),
    "CI of a push to another branch": (workflow_run(head_branch="feature"), False),
    "manual run on main": (github_context("workflow_dispatch"), True),
    "manual run on another branch": (github_context("workflow_dispatch", ref="refs/heads/feature"), False),
    "manual run on a tag": (github_context("workflow_dispatch", ref="refs/tags/v1"), False),
}


@pytest.mark.parametrize("scenario", DEPLOY_SCENARIOS)
def test_deploy_jobs_run_only_for_a_green_push_to_this_repositorys_main_still_at_its_head(project, scenario):
    deploy = project.workflow("deploy")
    context, allowed = DEPLOY_SCENARIOS[scenario]
    if context["github"]["event_name"] == "workflow_run" and project.answers["deploy_on_push"] == "no":
        return  # no such trigger
    tokens = set(deploy_jobs(deploy))
    assert tokens == set(project.apps)
    current = ran(started_jobs(deploy, context, {"head": {"deploy": "true", "sha": A}}))
    assert current == ({"head"} | tokens if allowed else set()), scenario
    moved_on = ran(started_jobs(deploy, context, {"head": {"deploy": "false", "sha": A}}))
    assert moved_on == ({"head"} if allowed else set()), "a deploy ran although main has moved on"


def test_every_job_with_a_token_waits_for_the_head_of_main_check_without_overriding_it(project):
    for workflow_name in ("deploy", "rollback"):
        workflow = project.workflow(workflow_name)
        for name, job in deploy_jobs(workflow).items():
            assert job["environment"] == "production", f"{workflow_name}.{name}"
            assert not uses_status_function(job.get("if", "")), f"{workflow_name}.{name} can outlive a skipped check"
    deploy = project.workflow("deploy")
    for name, job in deploy_jobs(deploy).items():
        assert "head" in as_list(job["needs"]) and "needs.head.outputs.deploy == 'true'" in job["if"], name
        assert job["steps"][0]["with"]["ref"] == "${{ needs.head.outputs.sha }}", "deploys another commit"
    assert "concurrency" not in deploy and "concurrency" not in deploy["jobs"]["head"], \
        "the check must not queue: a stale run joining a group cancels the newer run waiting there"


@pytest.mark.parametrize("event", ["workflow_run", "workflow_dispatch"])
def test_head_of_main_check_skips_a_commit_that_main_has_moved_past(project, event, fakes, tmp_path):
    if event == "workflow_run" and project.answers["deploy_on_push"] == "no":
        return
    context = workflow_run(head_sha=A) if event == "workflow_run" else github_context("workflow_dispatch", sha=A)
    step = step_named(project.workflow("deploy")["jobs"]["head"], "head")

    fake_github(fakes, main_head=A)
    result, outputs = run_step(step, context, tmp_path, fakes=fakes)
    assert result.returncode == 0, result.stderr
    assert outputs == {"sha": A, "deploy": "true"}

    fake_github(fakes, main_head=B)
    result, outputs = run_step(step, context, tmp_path, fakes=fakes)
    assert result.returncode == 0, result.stderr
    assert outputs == {"sha": A, "deploy": "false"}
    assert f"main has moved on to {B}" in result.stdout


def test_a_manual_deploy_refuses_a_commit_without_a_green_ci_run_of_its_push(project, fakes, tmp_path):
    step = step_named(project.workflow("deploy")["jobs"]["head"], "head")
    fake_github(fakes, main_head=A, successful_ci_runs=0)
    result, outputs = run_step(step, github_context("workflow_dispatch", sha=A), tmp_path, fakes=fakes)
    assert result.returncode != 0 and outputs.get("deploy") != "true"
    asked = (fakes / "calls.log").read_text()
    assert f"actions/workflows/ci.yml/runs?head_sha={A}&event=push&status=success" in asked
    assert project.workflow("deploy")["jobs"]["head"]["permissions"]["actions"] == "read"


# --- deploy: what it runs ------------------------------------------------------------------


def deploy_commands(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "flyctl deploy" in step.get("run", "")]


def test_deploys_go_api_first_one_at_a_time_per_app(project):
    deploy = project.workflow("deploy")
    jobs = deploy["jobs"]
    if project.rust:
        assert "api" in as_list(jobs["web"]["needs"]), "the web app must wait for the API (and its migrations)"
        assert "web" not in as_list(jobs["api"].get("needs"))
    for name, app in project.apps.items():
        assert jobs[name]["concurrency"] == {"group": f"deploy-{app}", "cancel-in-progress": "false"}
    rollback = project.workflow("rollback")
    for name, app in project.apps.items():
        assert rollback["jobs"][name]["concurrency"] == jobs[name]["concurrency"], "rollback may race a deploy"


def test_each_job_holds_only_its_own_apps_token_from_the_production_environment(project):
    for workflow_name in ("deploy", "rollback"):
        workflow = project.workflow(workflow_name)
        assert "secrets." not in json.dumps({k: v for k, v in workflow.items() if k != "jobs"})
        for name, job in workflow["jobs"].items():
            secrets = set(re.findall(r"secrets\.(\w+)", json.dumps(job)))
            expected = {f"FLY_API_TOKEN_{name.upper()}"} if name in project.apps else set()
            assert secrets == expected, f"{workflow_name}.{name}: {secrets}"
            if secrets:
                assert job["environment"] == "production"


def test_every_deploy_is_remote_built_labelled_with_its_commit_and_flyctl_is_pinned(project):
    for workflow_name in ("deploy", "rollback"):
        workflow = project.workflow(workflow_name)
        assert workflow["env"]["FLYCTL_VERSION"] == FLYCTL_VERSION
        for job in deploy_jobs(workflow).values():
            (setup,) = [s for s in job["steps"] if "setup-flyctl" in s.get("uses", "")]
            assert setup["with"]["version"] == "${{ env.FLYCTL_VERSION }}"
    jobs = project.workflow("deploy")["jobs"]
    for name in project.apps:
        (command,) = deploy_commands(jobs[name])
        assert "--remote-only" in command and '--image-label "git-$SHA"' in command, command
        (step,) = [s for s in jobs[name]["steps"] if s.get("run") == command]
        assert step["env"]["SHA"] == "${{ needs.head.outputs.sha }}"
        assert ("--flycast" in command) == (name == "api"), command
    assert "0.4.111" not in project.workflow_text("deploy") + project.workflow_text("rollback")


def test_every_action_is_pinned_to_a_commit_sha_with_its_release_in_a_comment(project):
    pins = {}
    for workflow in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        for line in workflow.read_text(encoding="utf-8").splitlines():
            if "uses:" not in line:
                continue
            match = SHA_PIN.match(line)
            assert match, f"{workflow.name}: not pinned to a commit SHA with its release: {line.strip()}"
            action = match["action"] + (match["path"] or "")
            assert pins.setdefault(action, (match["sha"], match["version"])) == (match["sha"], match["version"]), \
                f"{action} is pinned to two different commits"
            major = CURRENT_MAJOR.get(match["action"])
            assert major is None or match["version"].split(".")[0] == major, line
    assert "dtolnay/rust-toolchain" not in pins, "rustup on the runner installs the toolchain"
    assert {"actions/checkout", "superfly/flyctl-actions/setup-flyctl"} <= set(pins)


# --- monorepo: only the apps whose files changed ---------------------------------------------


def commit_change(repo: Path, relative: str) -> str:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    return commit_all(repo, f"change {relative}")


def compare(project: Project, job: str, sha: str, fakes: Path, tmp_path: Path) -> str:
    """The deploy job's own comparison step, run in the project's git history."""
    step = step_named(project.workflow("deploy")["jobs"][job], "changed")
    context = {**workflow_run(head_sha=sha), "needs": {"head": {"outputs": {"sha": sha}}}}
    assert truthy(evaluate(step["if"], context)), "the comparison must run for a push"
    result, outputs = run_step(step, context, tmp_path, fakes=fakes, cwd=project.root)
    assert result.returncode == 0, result.stderr
    return outputs["deploy"]


@pytest.fixture
def history(project, tmp_path):
    """The baked project as a git repository with one commit (a copy: the bake is shared)."""
    if not project.monorepo:
        pytest.skip("one app: every deploy deploys it")
    repo = tmp_path / "history" / project.root.name  # the folder name is the slug the apps derive from
    repo.parent.mkdir()
    subprocess.run(["cp", "-a", str(project.root), str(repo)], check=True)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return project.moved_to(repo)


def test_only_apps_whose_files_changed_since_their_running_release_are_deployed(history, fakes, tmp_path):
    project = history
    web = project.apps["web"]
    image = {name: f"registry.fly.io/{app}:git-{{}}" for name, app in project.apps.items()}
    first = git(project.root, "rev-parse", "HEAD")
    for name, app in project.apps.items():
        fake_releases(fakes, app, (1, "complete", image[name].format(first)))

    readme = commit_change(project.root, "README.md")
    assert {job: compare(project, job, readme, fakes, tmp_path) for job in project.apps} == \
        dict.fromkeys(project.apps, "false")
    shared = commit_change(project.root, "packages/shared/src/index.ts")
    assert compare(project, "web", shared, fakes, tmp_path) == "true"
    if project.rust:
        assert compare(project, "api", shared, fakes, tmp_path) == "false"

    # Compared with what runs, not with the previous push: the deploy of `shared` failed, the
    # running release is still `first`, so the next (docs-only) commit still ships the change.
    fake_releases(fakes, web, (1, "complete", image["web"].format(first)), (2, "failed", image["web"].format(shared)))
    docs = commit_change(project.root, "docs/RUNBOOK.md")
    assert compare(project, "web", docs, fakes, tmp_path) == "true"

    # Deployed, then rolled back to `first`: the change must ship again.
    fake_releases(fakes, web, (1, "complete", image["web"].format(first)), (2, "complete", image["web"].format(docs)),
                  (3, "complete", image["web"].format(first)))
    more_docs = commit_change(project.root, "docs/SECURITY.md")
    assert compare(project, "web", more_docs, fakes, tmp_path) == "true"
    fake_releases(fakes, web, (3, "complete", image["web"].format(docs)))
    assert compare(project, "web", more_docs, fakes, tmp_path) == "false"

    if project.rust:
        api_change = commit_change(project.root, "apps/api/src/main.rs")
        assert compare(project, "api", api_change, fakes, tmp_path) == "true"
        assert compare(project, "web", api_change, fakes, tmp_path) == "false"
    workflow_change = commit_change(project.root, ".github/workflows/deploy.yml")
    assert all(compare(project, job, workflow_change, fakes, tmp_path) == "true" for job in project.apps)

    # An unknown commit, an image without a commit label, or no release at all: deploy.
    for releases in ([(1, "complete", image["web"].format("c" * 40))],
                     [(1, "complete", f"registry.fly.io/{web}:deployment-01J8ZQ5Y6Q")],
                     []):
        fake_releases(fakes, web, *releases)
        assert compare(project, "web", workflow_change, fakes, tmp_path) == "true", releases


def test_a_manual_deploy_can_skip_the_comparison_for_every_app(project):
    if not project.monorepo:
        assert "inputs" not in (project.workflow("deploy")["on"]["workflow_dispatch"] or {})
        return
    deploy = project.workflow("deploy")
    assert deploy["on"]["workflow_dispatch"]["inputs"]["every_app"]["type"] == "boolean"
    for name in project.apps:
        job = deploy["jobs"][name]
        compare_step = step_named(job, "changed")
        (deploy_step,) = [s for s in job["steps"] if "flyctl deploy" in s.get("run", "")]
        manual = github_context("workflow_dispatch", inputs={"every_app": True})
        assert not truthy(evaluate(compare_step["if"], manual))
        skipped = {**manual, "steps": {"changed": {"outputs": {}}}}
        assert truthy(evaluate(deploy_step["if"], skipped)), "a skipped comparison must not skip the deploy"
        unchanged = {**manual, "steps": {"changed": {"outputs": {"deploy": "false"}}}}
        assert not truthy(evaluate(deploy_step["if"], unchanged))


# --- rollback ------------------------------------------------------------------------------


def test_rollback_runs_only_from_main_and_only_the_chosen_apps_job(project):
    rollback = project.workflow("rollback")
    assert set(rollback["on"]) == {"workflow_dispatch"}
    assert rollback["on"]["workflow_dispatch"]["inputs"]["app"]["options"] == list(project.apps.values())
    for name, app in project.apps.items():
        inputs = {"app": app, "image": f"registry.fly.io/{app}:git-{A}"}
        on_main = github_context("workflow_dispatch", inputs=inputs)
        assert ran(started_jobs(rollback, on_main)) == {name}
        elsewhere = github_context("workflow_dispatch", ref="refs/heads/feature", inputs=inputs)
        assert ran(started_jobs(rollback, elsewhere)) == set()


def test_rollback_accepts_only_images_of_the_apps_own_registry(project, tmp_path, fakes):
    rollback = project.workflow("rollback")
    digest = "sha256:" + "0123456789abcdef" * 4
    for name, app in project.apps.items():
        other = "someone-else" if name == "web" else project.apps["web"]
        job = rollback["jobs"][name]
        check = step_named(job, "Check the image")
        names = [s.get("name") for s in job["steps"]]
        assert names.index("Check the image") < names.index("Deploy the earlier image")
        good = [f"registry.fly.io/{app}:git-{A}", f"registry.fly.io/{app}:deployment-01J8ZQ5Y6Q",
                f"registry.fly.io/{app}@{digest}", f"registry.fly.io/{app}:v1@{digest}"]
        bad = [f"registry.fly.io/{other}:git-{A}", f"registry.fly.io/{app}", f"docker.io/{app}:latest",
               f"registry.fly.io/{app}:x; curl evil.example", f"registry.fly.io/{app}:x\nregistry.fly.io/{app}:y",
               f"registry.fly.io/{app}@sha256:short", f"ghcr.io/registry.fly.io/{app}:x", ""]
        for image in good + bad:
            context = github_context("workflow_dispatch", inputs={"app": app, "image": image})
            result, _ = run_step(check, context, tmp_path, fakes=fakes)
            assert (result.returncode == 0) == (image in good), f"{image!r}: {result.stdout}{result.stderr}"


def test_rollback_skips_the_release_command_and_keeps_the_rolling_strategy(project):
    rollback = project.workflow("rollback")
    for name, app in project.apps.items():
        (command,) = deploy_commands(rollback["jobs"][name])
        assert "--skip-release-command" in command and "--strategy" not in command, command
        assert f"--app {app}" in command and '--image "$IMAGE"' in command
    web = project.root / "apps" / "web" if project.monorepo else project.root
    for folder in [web] + ([project.root / "apps" / "api"] if project.rust else []):
        assert 'strategy = "rolling"' in (folder / "fly.toml").read_text(encoding="utf-8")
    text = project.workflow_text("rollback")
    assert "immediate" not in text and "runs no migrations" not in text


# --- preview apps (preview_apps=yes) -------------------------------------------------------

PREVIEW_ORG = "acme-previews"
PREVIEW_CLUSTER = "preview-cluster-id"
STAGING = "https://staging-api.example.com"
PREVIEW_VARS = {"FLY_PREVIEW_ORG": PREVIEW_ORG, "PREVIEW_PG_CLUSTER": PREVIEW_CLUSTER, "PREVIEW_BACKEND_URL": STAGING,
                "PREVIEW_MAIL_FROM": "Previews <previews@example.com>"}
PREVIEW_SECRETS = {"FLY_API_TOKEN_PREVIEW": "preview-org-token",
                   "PREVIEW_REDIS_URL": "redis://default:redis-pw@fly-previews-redis.upstash.io:6379",
                   "PREVIEW_SMTP_URL": "smtp://previews:inbox-pw@sandbox.mail.example.com:2525"}
PRODUCTION_SECRETS = {"FLY_API_TOKEN_WEB", "FLY_API_TOKEN_API"}
DNS_LABEL = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")


def pull_request(action: str, number: int = 12, fork: bool = False, head_repository="from-context",
                 actor: str = "octocat") -> dict:
    head = {"full_name": "someone/shop" if fork else REPOSITORY} if head_repository == "from-context" else head_repository
    context = github_context("pull_request", ref=f"refs/pull/{number}/merge", action=action,
                             number=number, pull_request={"number": number, "head": {"repo": head},
                                                          "title": "x", "body": "y"})
    context["github"]["actor"] = actor
    return context | {"vars": PREVIEW_VARS, "secrets": PREVIEW_SECRETS}


PREVIEW_SCENARIOS = {
    "opened": (pull_request("opened"), {"deploy"}),
    "synchronize": (pull_request("synchronize"), {"deploy"}),
    "reopened": (pull_request("reopened"), {"deploy"}),
    "closed": (pull_request("closed"), {"destroy"}),
    "fork opened": (pull_request("opened", fork=True), {"fork"}),
    "fork synchronize": (pull_request("synchronize", fork=True), {"fork"}),
    "fork closed": (pull_request("closed", fork=True), {"fork"}),
    "deleted fork": (pull_request("synchronize", head_repository=None), {"fork"}),
    "Dependabot opened": (pull_request("opened", actor="dependabot[bot]"), {"fork"}),
    "Dependabot closed": (pull_request("closed", actor="dependabot[bot]"), {"fork"}),
    "a push to Dependabot's branch": (pull_request("synchronize", actor="octocat"), {"deploy"}),
    "schedule": (github_context("schedule"), {"sweep"}),
    "by hand on main": (github_context("workflow_dispatch"), {"sweep"}),
    "by hand elsewhere": (github_context("workflow_dispatch", ref="refs/heads/feature"), set()),
}


def secrets_of(job: dict) -> set:
    return set(re.findall(r"secrets\.(\w+)", json.dumps(job)))


def test_preview_files_come_only_with_preview_apps(project):
    assert (project.root / ".github/workflows/preview.yml").exists() is (project.answers["preview_apps"] == "yes")
    assert (project.root / ".github/scripts/preview.sh").exists() is (project.answers["preview_apps"] == "yes")


def test_preview_jobs_that_start_for_each_event(preview_project):
    preview = preview_project.workflow("preview")
    assert set(preview["on"]) == {"pull_request", "schedule", "workflow_dispatch"}, "never pull_request_target"
    assert preview["on"]["pull_request"]["types"] == ["opened", "reopened", "synchronize", "closed"]
    started = {scenario: ran(started_jobs(preview, context)) for scenario, (context, _) in PREVIEW_SCENARIOS.items()}
    assert started == {scenario: expected for scenario, (_, expected) in PREVIEW_SCENARIOS.items()}


def test_no_preview_job_holding_a_secret_or_the_environment_can_run_for_a_fork(preview_project):
    project = preview_project
    preview = project.workflow("preview")
    holders = {name for name, job in preview["jobs"].items() if secrets_of(job) or "environment" in job}
    assert holders == {"deploy", "destroy", "sweep"}
    for action in ("opened", "synchronize", "reopened", "closed", "edited", "labeled"):
        for context in (pull_request(action, fork=True), pull_request(action, head_repository=None),
                        pull_request(action, actor="dependabot[bot]")):
            assert not ran(started_jobs(preview, context)) & holders, action
    fork_job = preview["jobs"]["fork"]
    assert preview["permissions"] == {} and "permissions" not in fork_job and not secrets_of(fork_job)
    assert "::notice" in fork_job["steps"][0]["run"] and "exit 1" not in fork_job["steps"][0]["run"]


def test_previews_hold_only_the_preview_organizations_token_and_narrow_permissions(preview_project):
    project = preview_project
    preview = project.workflow("preview")
    text = project.workflow_text("preview")
    assert "pull_request_target" not in text.replace("never `pull_request_target`", "")
    assert "secrets." not in json.dumps({k: v for k, v in preview.items() if k != "jobs"})
    redis = {"PREVIEW_REDIS_URL"} if project.answers["use_redis"] == "yes" else set()
    smtp = {"PREVIEW_SMTP_URL"} if project.answers["auth"] == "password" else set()
    expected = {"deploy": {"FLY_API_TOKEN_PREVIEW"} | redis | smtp, "destroy": {"FLY_API_TOKEN_PREVIEW"},
                "sweep": {"FLY_API_TOKEN_PREVIEW"}, "fork": set()}
    assert {name: secrets_of(job) for name, job in preview["jobs"].items()} == expected
    assert not PRODUCTION_SECRETS & set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", text)), "a production token"
    assert "production" not in json.dumps(preview["jobs"])
    deploy = preview["jobs"]["deploy"]
    assert deploy["environment"] == {"name": "preview", "url": "${{ steps.deploy.outputs.url }}"}
    assert preview["jobs"]["destroy"]["environment"] == preview["jobs"]["sweep"]["environment"] == "preview"
    assert deploy["permissions"] == preview["jobs"]["destroy"]["permissions"] == {"contents": "read"}
    assert preview["jobs"]["sweep"]["permissions"] == {"contents": "read", "pull-requests": "read"}
    for name, job in preview["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: an expression expanded inside a shell script"
            assert "persist-credentials" not in step.get("with", {}) or step["with"]["persist-credentials"] == "false"


def test_one_concurrency_group_per_pull_request_shared_by_deploy_and_destroy(preview_project):
    project = preview_project
    jobs = project.workflow("preview")["jobs"]
    groups = {number: {interpolate(jobs[job]["concurrency"]["group"], pull_request("opened", number))
                       for job in ("deploy", "destroy")} for number in (12, 13)}
    assert groups == {12: {"preview-12"}, 13: {"preview-13"}}
    assert jobs["deploy"]["concurrency"]["cancel-in-progress"] == "true", "a newer push replaces an older deploy"
    (checkout,) = [s for s in jobs["destroy"]["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"


def preview_name(project: Project, app: str, number) -> subprocess.CompletedProcess:
    script = project.root / ".github/scripts/preview.sh"
    return subprocess.run(["bash", script, "name", app, str(number)], capture_output=True, text=True, timeout=30)


def test_preview_app_names_fit_fly_and_stay_apart_for_a_63_character_slug_and_pr_99999(preview_project):
    project = preview_project
    assert preview_name(project, "shop", 12).stdout.strip() == "shop-pr-12"
    slug = "a" + "b" * 61 + "c"
    apps = [slug, api_app_name(slug)]  # the web app and the API cookiecutter.json derives from it
    for number in (1, 99999, 999999999):
        names = [preview_name(project, app, number).stdout.strip() for app in apps]
        assert all(DNS_LABEL.match(name) and len(name) <= 63 and name.endswith(f"-pr-{number}") for name in names), names
        assert names[0] != names[1], "web and API previews collide"
        assert names == [preview_name(project, app, number).stdout.strip() for app in apps], "not deterministic"
    assert len(preview_name(project, slug, 99999).stdout.strip()) == 63
    dashed = "-".join("abcdefghijklmnopqrstuvwxyzabcdef")  # 63 characters, cut right after a dash
    assert "--" not in preview_name(project, dashed, 99999).stdout
    edge = "x" * 55  # 55 + len("-pr-1234") == 63: kept whole
    assert preview_name(project, edge, 1234).stdout.strip() == f"{edge}-pr-1234"
    for bad in ("0", "12; rm -rf /", "1e3", "", "-1", "1234567890"):
        result = preview_name(project, "shop", bad)
        assert result.returncode != 0 and "not a pull request number" in result.stderr, bad


def expected_previews(project: Project, number: int) -> dict:
    return {name: preview_name(project, app, number).stdout.strip() for name, app in project.apps.items()}


def set_fly_state(fakes: Path, apps=(), databases=(), failing=()) -> None:
    """The preview organization's apps, the preview cluster's databases, and commands that fail."""
    (fakes / "fly-state.json").write_text(json.dumps({
        "apps": {name: {"org": org, "secrets": {}, "deploys": []} for name, org in apps},
        "databases": {PREVIEW_CLUSTER: list(databases)}, "failing": list(failing)}))


@pytest.fixture
def checkout(preview_project, tmp_path) -> Project:
    """A copy of the bake to run a preview job in (deploy writes fly.preview.toml beside fly.toml)."""
    copy = tmp_path / "checkout" / preview_project.root.name
    copy.parent.mkdir()
    subprocess.run(["cp", "-a", str(preview_project.root), str(copy)], check=True)
    return preview_project.moved_to(copy)


def run_preview_job(project: Project, job: str, context: dict, fakes: Path, tmp_path: Path):
    (step,) = [s for s in project.workflow("preview")["jobs"][job]["steps"] if "run" in s]
    result, outputs = run_step(step, context, tmp_path, fakes=fakes, cwd=project.root)
    return result, outputs


def test_preview_deploy_creates_once_scales_to_zero_and_gets_only_preview_values(checkout, fakes, tmp_path):
    project = checkout
    postgres, redis = project.answers["database"] == "postgres", project.answers["use_redis"] == "yes"
    auth = project.answers["auth"] == "password"
    names = expected_previews(project, 12)
    committed = {path: path.read_text() for path in project.root.rglob("fly.toml")}
    set_fly_state(fakes, apps=[(project.root.name, "production-org")])  # production, elsewhere: untouched

    result, outputs = run_preview_job(project, "deploy", pull_request("opened"), fakes, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    state = fly_state(fakes)
    assert outputs == {"url": f"https://{names['web']}.fly.dev"}
    assert {name for name, app in state["apps"].items() if app["org"] == PREVIEW_ORG} == set(names.values())
    assert not calls(fakes, "flyctl launch") and {path: path.read_text() for path in committed} == committed
    for job, name in names.items():
        (deploy,) = state["apps"][name]["deploys"]
        assert deploy["config"].endswith("fly.preview.toml") and "--ha=false" in deploy["flags"]
        config = tomllib.loads(deploy["fly_toml"])
        service = config["http_service"]
        assert service["min_machines_running"] == 0 and service["auto_stop_machines"] == "stop"
        assert config["vm"][0]["memory"] == "256mb"
        assert ("--flycast" in deploy["flags"]) == (job == "api")
    web_deploy = state["apps"][names["web"]]["deploys"][0]
    backend = [flag for flag in web_deploy["flags"] if flag.startswith("COMPOSABLE_RUST_BACKEND_URL=")]
    own_api = f"http://{names.get('api')}.flycast"
    assert backend == [f"COMPOSABLE_RUST_BACKEND_URL={own_api if project.rust else STAGING}"]
    public = f"PUBLIC_URL=https://{names['web']}.fly.dev"
    for name in names.values():
        flags = state["apps"][name]["deploys"][0]["flags"]
        assert [f for f in flags if f.startswith("PUBLIC_URL=")] == ([public] if auth else []), name
    if project.rust:
        assert web_deploy["cwd"] == str(project.root) and state["apps"][names["api"]]["deploys"][0]["cwd"].endswith("apps/api")
        api_secrets = state["apps"][names["api"]]["secrets"]
        assert re.fullmatch(r"[0-9a-f]{64}", api_secrets["API_WRITE_TOKEN"])
        assert f"::add-mask::{api_secrets['API_WRITE_TOKEN']}" in result.stdout
        database = names["api"].replace("-", "_")
        mail = {"SMTP_URL": PREVIEW_SECRETS["PREVIEW_SMTP_URL"], "MAIL_FROM": PREVIEW_VARS["PREVIEW_MAIL_FROM"]}
        assert set(api_secrets) == {"API_WRITE_TOKEN"} | ({"DATABASE_URL"} if postgres else set()) | (set(mail) if auth else set())
        assert {k: api_secrets[k] for k in mail if k in api_secrets} == (mail if auth else {})
        assert "inbox-pw" not in result.stdout + result.stderr, "the SMTP password reached the log"
        if postgres:
            assert state["databases"][PREVIEW_CLUSTER] == [database]
            assert api_secrets["DATABASE_URL"].endswith(f"/{database}")
            assert "s3cret-attach-password" not in result.stdout + result.stderr, "attach's URL reached the log"
    web_secrets = state["apps"][names["web"]]["secrets"]
    # The web app holds the API's service token, the same value: it presents it on every call.
    token = {"API_WRITE_TOKEN": state["apps"][names["api"]]["secrets"]["API_WRITE_TOKEN"]} if project.rust else {}
    if redis:
        assert web_secrets == {"REDIS_URL": f"{PREVIEW_SECRETS['PREVIEW_REDIS_URL']}?keyPrefix={names['web']}:"} | token
    else:
        assert web_secrets == token

    # The next push: the same apps, database and token; only a new deploy.
    creations = re.compile(r"flyctl (apps create|mpg databases create|mpg attach) ")
    created = [line for line in calls(fakes, "flyctl") if creations.match(line)]
    assert len(created) == len(names) + 2 * postgres
    before = fly_state(fakes)
    without_staging = {name: value for name, value in PREVIEW_VARS.items() if name != "PREVIEW_BACKEND_URL"}
    result, _ = run_preview_job(project, "deploy", pull_request("synchronize") | {"vars": without_staging},
                                fakes, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    after = fly_state(fakes)
    if not project.rust:  # no staging backend named: empty, the fixture posts; never production's
        assert "COMPOSABLE_RUST_BACKEND_URL=" in after["apps"][names["web"]]["deploys"][1]["flags"]
    assert [line for line in calls(fakes, "flyctl") if creations.match(line)] == created
    assert after["databases"] == before["databases"]
    assert after["apps"][project.root.name] == {"org": "production-org", "secrets": {}, "deploys": []}
    for name in names.values():
        assert len(after["apps"][name]["deploys"]) == 2
        assert after["apps"][name]["secrets"] == before["apps"][name]["secrets"], "a preview's secret changed"


def test_a_preview_with_accounts_needs_its_own_mail_server(checkout, fakes, tmp_path):
    project = checkout
    if project.answers["auth"] != "password":
        pytest.skip("no accounts: previews send no mail")
    for missing in ("PREVIEW_SMTP_URL", "PREVIEW_MAIL_FROM"):
        context = pull_request("opened") | {"vars": {k: v for k, v in PREVIEW_VARS.items() if k != missing},
                                            "secrets": {k: v for k, v in PREVIEW_SECRETS.items() if k != missing}}
        result, _ = run_preview_job(project, "deploy", context, fakes, tmp_path)
        assert result.returncode != 0 and f"{missing} is not set" in result.stderr, result.stderr
    assert not [line for line in calls(fakes, "flyctl deploy")], "nothing deployed without a mail server"


def test_preview_close_destroys_the_pull_requests_apps_and_drops_its_database(checkout, fakes, tmp_path):
    project = checkout
    names = expected_previews(project, 12)
    others = expected_previews(project, 13)
    result, _ = run_preview_job(project, "deploy", pull_request("opened", 12), fakes, tmp_path)
    assert result.returncode == 0, result.stderr
    result, _ = run_preview_job(project, "deploy", pull_request("opened", 13), fakes, tmp_path)
    assert result.returncode == 0, result.stderr

    result, _ = run_preview_job(project, "destroy", pull_request("closed", 12), fakes, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    state = fly_state(fakes)
    assert set(state["apps"]) == set(others.values())
    assert sorted(calls(fakes, "flyctl apps destroy")) == sorted(f"flyctl apps destroy {n} --yes" for n in names.values())
    if project.answers["database"] == "postgres":
        assert state["databases"][PREVIEW_CLUSTER] == [others["api"].replace("-", "_")]
        (sql,) = state["sql"]
        assert sql.startswith("\\set ON_ERROR_STOP on\n"), "a failed DROP must fail the job"
    else:
        assert "sql" not in state and not calls(fakes, "flyctl mpg")

    result, _ = run_preview_job(project, "destroy", pull_request("closed", 12), fakes, tmp_path)
    assert result.returncode == 0, "closing again (a re-run) must not fail on what is gone"


def test_preview_sweep_destroys_exactly_the_previews_of_closed_and_deleted_pull_requests(checkout, fakes, tmp_path):
    project = checkout
    postgres = project.answers["database"] == "postgres"
    previews = {number: expected_previews(project, number) for number in (1, 2, 3)}
    strangers = [("other-shop-pr-2", PREVIEW_ORG), (f"{project.root.name}-pr-2x", PREVIEW_ORG),
                 (project.root.name, "production-org")]
    databases = [p["api"].replace("-", "_") for p in previews.values() if "api" in p] if postgres else []
    set_fly_state(fakes, apps=[(name, PREVIEW_ORG) for p in previews.values() for name in p.values()] + strangers,
                  databases=databases + (["other_shop_api_pr_2"] if postgres else []))
    (fakes / "pull-1.json").write_text(json.dumps({"number": 1, "state": "open"}))
    (fakes / "pull-2.json").write_text(json.dumps({"number": 2, "state": "closed"}))
    # pull request 3 was deleted: the API answers 404

    result, _ = run_preview_job(project, "sweep", github_context("schedule") | {"vars": PREVIEW_VARS,
                                                                                "secrets": PREVIEW_SECRETS},
                                fakes, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    destroyed = {line.split()[3] for line in calls(fakes, "flyctl apps destroy")}
    assert destroyed == set(previews[2].values()) | set(previews[3].values())
    state = fly_state(fakes)
    assert set(state["apps"]) == set(previews[1].values()) | {name for name, _ in strangers}
    if postgres:
        assert sorted(state["databases"][PREVIEW_CLUSTER]) == sorted([previews[1]["api"].replace("-", "_"),
                                                                       "other_shop_api_pr_2"])


def test_preview_sweep_destroys_nothing_when_github_cannot_say_whether_a_pull_request_is_closed(
        checkout, fakes, tmp_path):
    project = checkout
    names = expected_previews(project, 2)
    set_fly_state(fakes, apps=[(name, PREVIEW_ORG) for name in names.values()])
    (fakes / "pull-2.json").write_text("502")
    context = github_context("schedule") | {"vars": PREVIEW_VARS, "secrets": PREVIEW_SECRETS}
    result, _ = run_preview_job(project, "sweep", context, fakes, tmp_path)
    assert result.returncode != 0 and "cannot read pull request 2" in result.stderr
    assert not calls(fakes, "flyctl apps destroy") and set(fly_state(fakes)["apps"]) == set(names.values())


# --- template updates as pull requests (template_check=yes) ---------------------------------


def test_template_update_runs_weekly_from_main_with_an_app_token_and_a_read_only_github_token(project):
    path = project.root / ".github/workflows/template-update.yml"
    assert path.exists() is (project.answers["template_check"] == "yes")
    if not path.exists():
        return
    workflow = project.workflow("template-update")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"} and len(workflow["on"]["schedule"]) == 1
    assert workflow["permissions"] == {}
    (name,) = workflow["jobs"]
    job = workflow["jobs"][name]
    assert ran(started_jobs(workflow, github_context("schedule"))) == {name}
    assert ran(started_jobs(workflow, github_context("workflow_dispatch", ref="refs/heads/feature"))) == set()
    assert job["permissions"] == {"contents": "read"} and job["environment"] == "template-update"
    token_step = job["steps"][0]
    assert token_step["uses"].startswith("actions/create-github-app-token@") and token_step["id"] == "token"
    assert token_step["with"] == {"client-id": "${{ vars.TEMPLATE_UPDATE_CLIENT_ID }}",
                                  "private-key": "${{ secrets.TEMPLATE_UPDATE_PRIVATE_KEY }}",
                                  "permission-contents": "write", "permission-pull-requests": "write",
                                  "permission-workflows": "write"}
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["token"] == "${{ steps.token.outputs.token }}" and checkout["with"]["fetch-depth"] == "0"
    assert secrets_of(job) == {"TEMPLATE_UPDATE_PRIVATE_KEY"}
    assert "github.token" not in json.dumps(job) and "GITHUB_TOKEN" not in json.dumps(job)
    assert all("${{" not in step.get("run", "") for step in job["steps"])


def test_no_workflow_gives_the_github_token_a_write_permission(project):
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        workflow = load_yaml(path)
        blocks = [workflow.get("permissions")] + [job.get("permissions") for job in workflow["jobs"].values()]
        assert workflow.get("permissions") is not None, f"{path.name}: no top-level permissions"
        for block in blocks:
            assert block in (None, {}) or "write" not in block.values(), f"{path.name}: {block}"


@pytest.mark.parametrize("failing", ["apps list", "mpg databases list"])
def test_preview_sweep_stops_before_destroying_anything_when_a_listing_fails(checkout, fakes, tmp_path, failing):
    project = checkout
    if failing.startswith("mpg") and project.answers["database"] != "postgres":
        return
    closed = expected_previews(project, 2)
    set_fly_state(fakes, apps=[(name, PREVIEW_ORG) for name in closed.values()], failing=[failing])
    (fakes / "pull-2.json").write_text(json.dumps({"number": 2, "state": "closed"}))
    context = github_context("schedule") | {"vars": PREVIEW_VARS, "secrets": PREVIEW_SECRETS}
    result, _ = run_preview_job(project, "sweep", context, fakes, tmp_path)
    assert result.returncode != 0, "a sweep that could not list must not pass as clean"
    assert not calls(fakes, "flyctl apps destroy") and not calls(fakes, "gh ")


def test_no_expression_is_expanded_inside_any_shell_step(project):
    """Values reach shell steps through `env:` only, so no pull-request text (title, branch name,
    body) or input can become shell code, whatever a workflow reads in the future."""
    for path in sorted((project.root / ".github" / "workflows").glob("*.yml")):
        for name, job in load_yaml(path)["jobs"].items():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), f"{path.name} job {name}: {step['run'][:80]}"
