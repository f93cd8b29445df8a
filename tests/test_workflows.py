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

import functools
import json
import os
import re
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import bake
from github_expressions import evaluate, interpolate, truthy, uses_status_function
from matrix import MATRIX, combination_id, pairwise_cover
from template_repo import commit_all, git

WORKFLOW_OPTIONS = ["layout", "backend", "database", "package_manager", "deploy_on_push", "template_check"]
# CI's template-drift job (template_check=yes) runs for pull requests and by hand only: a new
# template commit must not turn main red. It checks no code, so "every job on main" leaves it out.
DRIFT_JOB = "template"
BAKES = pairwise_cover([c for c in MATRIX if c["ci"] == "github-actions"], WORKFLOW_OPTIONS)

FLYCTL_VERSION = "0.4.87"
SHA_PIN = re.compile(r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<sha>[0-9a-f]{40})"
                     r" # (?P<version>v?\d+(?:\.\d+)*)$")
# First-party actions on their current major.
CURRENT_MAJOR = {"actions/checkout": "v7", "actions/setup-node": "v7"}

A = "a" * 40  # commit ids of the scenarios
B = "b" * 40
REPOSITORY = "acme/shop"


@functools.cache
def parsed(path: Path, modified_ns: int):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # keeps `on` a string


def load_yaml(path: Path):
    """The workflow as GitHub reads it; parsed once per file version (tests only read it)."""
    return parsed(path, path.stat().st_mtime_ns)


@dataclass
class Project:
    answers: dict
    root: Path

    @property
    def monorepo(self) -> bool:
        return self.answers["layout"] == "monorepo"

    @property
    def rust(self) -> bool:
        return self.answers["backend"] == "rust"

    @property
    def on_push(self) -> bool:
        return self.answers["deploy_on_push"] == "yes"

    @property
    def apps(self) -> dict:
        """Deploy/rollback job name -> Fly app name."""
        slug = self.root.name
        return {"web": slug, **({"api": f"{slug}-api"} if self.rust else {})}

    def workflow(self, name: str) -> dict:
        return load_yaml(self.root / ".github" / "workflows" / f"{name}.yml")

    def workflow_text(self, name: str) -> str:
        return (self.root / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="session", params=BAKES, ids=[combination_id(c) for c in BAKES])
def project(request, tmp_path_factory) -> Project:
    return Project(request.param, bake(tmp_path_factory.mktemp("workflows"), **request.param))


# --- simulating GitHub ---------------------------------------------------------------------


def as_list(value) -> list:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def github_context(event: str, ref: str = "refs/heads/main", sha: str = A, inputs: dict | None = None,
                   **event_payload) -> dict:
    return {"github": {"event_name": event, "ref": ref, "sha": sha, "repository": REPOSITORY,
                       "workflow": "any", "token": "token", "event": event_payload},
            "inputs": inputs or {}, "env": {}, "secrets": {}}


def workflow_run(conclusion="success", event="push", head_branch="main", repository=REPOSITORY, head_sha=A):
    return github_context("workflow_run", workflow_run={
        "conclusion": conclusion, "event": event, "head_branch": head_branch, "head_sha": head_sha,
        "head_repository": {"full_name": repository}})


def started_jobs(workflow: dict, context: dict, outputs: dict | None = None) -> dict:
    """Job -> "success" or "skipped", in the order `needs` imposes. `outputs[job]` is what a job
    that ran reports (every job that starts is taken to succeed)."""
    outputs, results, jobs = outputs or {}, {}, dict(workflow["jobs"])
    while jobs:
        ready = [name for name, job in jobs.items() if set(as_list(job.get("needs"))) <= set(results)]
        assert ready, f"cycle in needs: {sorted(jobs)}"
        for name in ready:
            job = jobs.pop(name)
            needs = as_list(job.get("needs"))
            needs_context = {n: {"result": results[n], "outputs": outputs.get(n, {}) if results[n] == "success" else {}}
                             for n in needs}
            succeeded = all(results[n] == "success" for n in needs)
            condition = job.get("if")
            status = {"success": succeeded, "always": True, "failure": False, "cancelled": False}
            job_context = {**context, "needs": needs_context}
            if condition and uses_status_function(condition):
                runs = truthy(evaluate(condition, job_context, status))
            else:
                runs = succeeded and (condition is None or truthy(evaluate(condition, job_context, status)))
            results[name] = "success" if runs else "skipped"
    return results


def ran(results: dict) -> set:
    return {name for name, result in results.items() if result == "success"}


def step_named(job: dict, name: str) -> dict:
    return next(step for step in job["steps"] if step.get("name") == name or step.get("id") == name)


def run_step(step: dict, context: dict, tmp_path: Path, *, fakes: Path, cwd: Path | None = None,
             env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """A `run:` step under bash as GitHub runs it (-eo pipefail, `${{ }}` substituted, the step's
    env evaluated, outputs collected from $GITHUB_OUTPUT), with `fakes` first on PATH."""
    output_file = tmp_path / "github-output"
    output_file.write_text("")
    step_env = {name: interpolate(value, context) for name, value in step.get("env", {}).items()}
    full_env = {"PATH": f"{fakes}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
                "GITHUB_OUTPUT": str(output_file), "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_EVENT_NAME": context["github"]["event_name"], **(env or {}), **step_env}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             interpolate(step["run"], context)],
                            cwd=cwd or tmp_path, env=full_env, capture_output=True, text=True, timeout=60)
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return result, outputs


def write_executable(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(0o755)


@pytest.fixture
def fakes(tmp_path) -> Path:
    """`gh api PATH --jq FILTER` and `flyctl releases --app APP --json`, answering from files
    (GitHub's and flyctl's JSON shapes) and logging each call; the filter runs in real jq."""
    folder = tmp_path / "fakes"
    folder.mkdir()
    write_executable(folder / "gh", """
        #!/usr/bin/env bash
        set -eu
        echo "gh $*" >> "$(dirname "$0")/calls.log"
        [ "$1" = api ] && [ "$3" = --jq ] || { echo "unexpected: gh $*" >&2; exit 2; }
        case "$2" in
          repos/*/branches/main) answer=branch-main.json ;;
          repos/*/actions/workflows/ci.yml/runs\\?*) answer=ci-runs.json ;;
          *) echo "unexpected: gh $*" >&2; exit 2 ;;
        esac
        jq -r "$4" "$(dirname "$0")/$answer"
        """)
    write_executable(folder / "flyctl", """
        #!/usr/bin/env bash
        set -eu
        echo "flyctl $*" >> "$(dirname "$0")/calls.log"
        [ "$1" = releases ] && [ "$2" = --app ] && [ "$4" = --json ] || { echo "unexpected: flyctl $*" >&2; exit 2; }
        cat "$(dirname "$0")/releases-$3.json"
        """)
    return folder


def fake_github(fakes: Path, main_head: str, successful_ci_runs: int = 1) -> None:
    (fakes / "branch-main.json").write_text(json.dumps({"name": "main", "commit": {"sha": main_head}}))
    (fakes / "ci-runs.json").write_text(json.dumps({"total_count": successful_ci_runs, "workflow_runs": []}))


def fake_releases(fakes: Path, app: str, *releases: tuple[int, str, str]) -> None:
    """`fly releases --json` of `app`: (version, status, image ref), with flyctl's Go field names."""
    (fakes / f"releases-{app}.json").write_text(json.dumps([
        {"ID": f"r{version}", "Version": version, "Stable": False, "InProgress": False, "Reason": "",
         "Description": "", "Status": status, "DeploymentStrategy": "", "Metadata": None,
         "User": {"ID": "", "Name": "", "Email": "ci@example.com"}, "EvaluationID": "",
         "CreatedAt": "2026-11-01T00:00:00Z", "ImageRef": image}
        for version, status, image in sorted(releases, reverse=True)], indent=4))


# --- the expression rules the tests rely on (GitHub's documented examples) -------------------


def test_expressions_follow_githubs_documented_rules():
    context = {"github": {"ref": "refs/heads/main", "event": {}}, "inputs": {"flag": True}}
    assert evaluate("github.ref == 'REFS/HEADS/MAIN'", context) is True  # strings ignore case
    assert evaluate("github.event.workflow_run.conclusion", context) is None  # missing -> null
    assert evaluate("github.event.workflow_run.conclusion == 'success'", context) is False
    assert evaluate("github.ref != 'refs/heads/main' && 'yes' || 'no'", context) == "no"  # operands, not booleans
    assert evaluate("null == 0 && '' == 0 && false == 0 && '1' == 1", context) is True  # numeric coercion
    assert evaluate("${{ !inputs.flag }}", context) is False and evaluate("!inputs.missing", context) is True
    assert interpolate("ci-${{ github.ref }}-${{ inputs.flag }}", context) == "ci-refs/heads/main-true"
    assert evaluate("always() || false", context, {"success": False, "always": True, "failure": False,
                                                     "cancelled": False}) is True
    with pytest.raises(ValueError):
        evaluate("contains(github.ref, 'main')", context)  # not modelled: must not be misread


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
    if project.on_push:
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
    if context["github"]["event_name"] == "workflow_run" and not project.on_push:
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
    if event == "workflow_run" and not project.on_push:
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
    return Project(project.answers, repo)


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
