"""Regeneration with cruft, command for command as the README's "Updating a generated project" says.

A git copy of the template (template_repo.py); a project made with `cruft create` and committed;
the user's own commits; then a template change, or answers changed later. cruft renders the
template at the project's commit and at the newest one (hooks included) and applies the
difference with `git apply --3way`, or `git apply --reject` when that cannot run. Expected:
untouched files exactly as a fresh bake, edited files keep their edits, the same line changed on
both sides is a conflict git reports, and the post-generation hook prints nothing meanwhile.
"""

import json
import os
import subprocess

import pytest
import yaml

from harness.actionlint import find_actionlint
from harness.generated import parse_errors, project_files, template_leftovers
from harness.paths import TEMPLATE_DIR
from harness.template_repo import GIT_ENV, TemplateRepo, commit_all, cruft, git, replace_once, run

NAME = {"project_name": "Orbit Shop"}
LAYOUTS = {
    "standalone": {},
    "monorepo": {"layout": "monorepo", "backend": "rust", "database": "postgres"},
}
NEXT_STEPS = "Next steps:"

# Template change B: a Dockerfile line, a workflow step, a doc line, and the README line the user edits too.
TEMPLATE_CHANGE = {
    "apps/web/Dockerfile": ("HEALTHCHECK --interval=30s", "HEALTHCHECK --interval=15s"),
    ".github/workflows/ci.yml": ("      - run: {{ run }} build", "      - name: Build\n        run: {{ run }} build"),
    "docs/RUNBOOK.md": ("The Dockerfile `HEALTHCHECK` is for", "The Dockerfile `HEALTHCHECK` only serves"),
    "README.md": ("`docker compose up --build` runs everything", "`docker compose up --build` starts everything"),
}
SAME_LINE_AS_TEMPLATE = ("`docker compose up --build` runs everything",
                         "`docker compose up --build` (with our overrides) runs everything")


def user_edits(web: str) -> list[tuple[str, str, str]]:
    """The team's commits after generation, (path, old, new); `web` is the web app's folder."""
    return [
        (f"{web}src/server/app.ts", "from 'node:crypto';\n", "from 'node:crypto';\n// Audit hook: see ADR 7.\n"),
        (f"{web}Dockerfile", "WORKDIR /app\nCOPY --from=build",
         'WORKDIR /app\nLABEL org.opencontainers.image.vendor="Orbit"\nCOPY --from=build'),
        ("README.md", "\n## Layout\n", "\nOn call: #orbit-shop.\n\n## Layout\n"),
        ("README.md", *SAME_LINE_AS_TEMPLATE),
    ]


def apply_edits(root, edits):
    for relative, old, new in edits:
        replace_once(root / relative, old, new)


def snapshot(root) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in project_files(root)}


def web_folder(answers: dict) -> str:
    return "apps/web/" if answers.get("layout") == "monorepo" else ""


def lint_findings(root) -> list[str]:
    """The fast tier's checks of a generated project: parse, no leftovers, hadolint, actionlint."""
    findings = parse_errors(root) + template_leftovers(root)
    dockerfiles = [p.relative_to(root) for p in project_files(root) if p.name == "Dockerfile"]
    workflows = sorted(p.relative_to(root) for p in (root / ".github" / "workflows").glob("*.yml"))
    actionlint = find_actionlint()
    assert actionlint, "actionlint not found: run scripts/install-linters.sh (or set ACTIONLINT)"
    for command in (["hadolint", "--failure-threshold", "info", *dockerfiles], [actionlint, "-no-color", *workflows]):
        result = run(command, root, check=False)
        if result.returncode:
            findings.append(result.stdout + result.stderr)
    return findings


def assert_applied_cleanly(result):
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "with conflicts" not in output and "Failed to apply" not in output, output
    assert NEXT_STEPS not in output, "the hook must stay silent while cruft regenerates"


# With the generated files in git history, `git apply --3way` merges and marks a clash in the file;
# without them (the first commit already held the team's edits) cruft falls back to `git apply
# --reject`, which leaves the clashing hunk in a .rej file. Each layout takes one of the two.
HISTORIES = {"standalone": "generated files committed first", "monorepo": "edited before the first commit"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_template_change_reaches_an_edited_project_and_a_same_line_edit_is_a_reported_conflict(tmp_path, layout):
    answers = NAME | LAYOUTS[layout]
    three_way = HISTORIES[layout] == "generated files committed first"
    template = TemplateRepo(tmp_path / "template")
    project, created = template.create(tmp_path / "project", commit=three_way, **answers)
    assert NEXT_STEPS in created.stdout, "cruft create is a first generation: it shows the next steps"
    edits = user_edits(web_folder(answers))
    apply_edits(project, edits)
    commit_all(project, "Our changes")
    readme_before = (project / "README.md").read_text()

    template.change("Faster health checks, named build step, clearer docs", TEMPLATE_CHANGE)
    check = cruft(project, "check")
    assert check.returncode == 1 and "out of date" in check.stdout, check.stdout
    update = cruft(project, "update", "--skip-apply-ask")
    output = update.stdout + update.stderr
    assert update.returncode == 0, output
    assert NEXT_STEPS not in output, "the hook must stay silent while cruft regenerates"

    fresh, _ = template.create(tmp_path / "fresh", **answers)
    expected = snapshot(fresh)
    updated = snapshot(project)
    clash = {"README.md"} if three_way else {"README.md", "README.md.rej"}
    assert updated.keys() == expected.keys() | clash, "the files of a fresh bake at the new commit, none lost"
    edited = {relative for relative, _, _ in edits}
    assert {p for p in expected if p not in edited and updated[p] != expected[p]} == set()
    assert json.loads(updated[".cruft.json"])["commit"] == template.head
    apply_edits(fresh, edits[:-1])  # the fresh bake plus every edit that does not clash
    for relative in edited - {"README.md"}:
        assert updated[relative] == (fresh / relative).read_bytes(), relative

    template_line = TEMPLATE_CHANGE["README.md"][1]
    theirs = next(line for line in (fresh / "README.md").read_text().splitlines() if template_line in line)
    ours = theirs.replace(template_line, SAME_LINE_AS_TEMPLATE[1])
    if three_way:
        assert "Applied patch to 'README.md' with conflicts." in update.stderr, output
        assert "UU README.md" in git(project, "status", "--porcelain").splitlines()
        conflict = f"<<<<<<< ours\n{ours}\n=======\n{theirs}\n>>>>>>> theirs\n"
        assert updated["README.md"].decode() == (fresh / "README.md").read_text().replace(theirs + "\n", conflict)
    else:
        assert "Project directory may have *.rej files" in output and "Rejected hunk" in update.stderr, output
        assert updated["README.md"].decode() == readme_before
        rejected = updated["README.md.rej"].decode().splitlines()
        assert f"-{ours.replace(SAME_LINE_AS_TEMPLATE[1], SAME_LINE_AS_TEMPLATE[0])}" in rejected
        assert f"+{theirs}" in rejected

    assert lint_findings(project) == []


SWITCHED_ON = {"use_redis": "yes", "use_sentry": "yes", "use_i18n": "yes", "ci": "github-actions", "preview_apps": "yes"}
SWITCHED_OFF = {"use_redis": "no", "use_sentry": "no", "use_i18n": "no", "ci": "none", "preview_apps": "no"}


def test_answers_switched_on_later_give_a_fresh_bakes_files_and_switched_off_the_original_ones(tmp_path):
    template = TemplateRepo(tmp_path / "template")
    project, _ = template.create(tmp_path / "project", **NAME, **SWITCHED_OFF)
    edit = [("src/server/app.ts", "from 'node:crypto';\n", "from 'node:crypto';\n// Audit hook: see ADR 7.\n")]
    apply_edits(project, edit)
    commit_all(project, "Our changes")
    original = snapshot(project)

    update = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", json.dumps(SWITCHED_ON))
    assert_applied_cleanly(update)
    fresh, _ = template.create(tmp_path / "fresh", **NAME, **SWITCHED_ON)
    apply_edits(fresh, edit)
    assert snapshot(project) == snapshot(fresh)
    commit_all(project, "Redis, Sentry, i18n and CI on")

    update = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", json.dumps(SWITCHED_OFF))
    assert_applied_cleanly(update)
    assert snapshot(project) == original, "files the hook prunes are deleted again"
    commit_all(project, "And off again")

    refused = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", '{"template_check": "yes"}')
    assert refused.returncode != 0
    assert "template_check: yes needs ci=github-actions" in refused.stderr
    assert git(project, "status", "--porcelain") == "" and snapshot(project) == original


def test_layout_switched_by_update_moves_generated_files_but_leaves_the_users_own_behind(tmp_path):
    """Why the README says not to change `layout` with cruft: nothing refuses it (the hooks see only
    the new answers), git moves the files the template generated, and a file the team added under
    the old layout stays where it was, with no conflict to point at it."""
    template = TemplateRepo(tmp_path / "template")
    project, _ = template.create(tmp_path / "project", **NAME)
    (project / "src/server/audit.ts").write_text("export const audit = true;\n")
    commit_all(project, "Our module")

    update = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", '{"layout": "monorepo"}')
    assert_applied_cleanly(update)
    assert (project / "apps/web/src/server/app.ts").is_file() and not (project / "src/server/app.ts").exists()
    assert (project / "src/server/audit.ts").is_file()
    assert not (project / "apps/web/src/server/audit.ts").exists()
    assert not [p for p in project_files(project) if p.suffix == ".rej"]


def requirement_pins(*names: str) -> str:
    """`name==version ...` as requirements-test.txt pins them."""
    lines = (TEMPLATE_DIR / "requirements-test.txt").read_text().splitlines()
    pins = dict(line.split("#")[0].strip().split("==") for line in lines if "==" in line)
    return " ".join(f"{name}=={pins[name]}" for name in names)


def run_step(project, script: str):
    """A workflow `run:` step as GitHub runs it on Linux (its default shell)."""
    return run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], project, check=False)


def test_ci_template_job_passes_when_up_to_date_and_fails_naming_the_update_command_when_behind(tmp_path):
    template = TemplateRepo(tmp_path / "template")
    project, _ = template.create(tmp_path / "project", **NAME, template_check="yes")
    ci = yaml.load((project / ".github/workflows/ci.yml").read_text(), Loader=yaml.BaseLoader)
    job = ci["jobs"]["template"]
    assert job["if"] == "github.event_name != 'push'", "a template release never turns main red"
    actions = [step["uses"] for step in job["steps"] if "uses" in step]
    # First-party actions only (their SHA pins are checked with every other in test_workflows.py).
    assert [action.split("@")[0] for action in actions] == ["actions/checkout", "actions/setup-python"]
    pins = requirement_pins("cruft", "cookiecutter")
    assert [step["run"] for step in job["steps"] if step.get("run", "").startswith("pip ")] == [f"pip install {pins}"]
    check = next(step["run"] for step in job["steps"] if step.get("name") == "cruft check")
    passed = run_step(project, check)
    assert passed.returncode == 0 and "up to date" in passed.stdout, passed.stdout

    template.change("Clearer runbook", {"docs/RUNBOOK.md": TEMPLATE_CHANGE["docs/RUNBOOK.md"]})
    behind = run_step(project, check)
    assert behind.returncode == 1
    # The command test_template_change_reaches_an_edited_project... runs, with the suite's pins.
    assert (f"::error title=Behind the template::Run in a clean checkout: pip install {pins} && "
            "cruft update --skip-apply-ask, then resolve any conflicts (git status) and commit") in behind.stdout

    state = json.loads((project / ".cruft.json").read_text())
    (project / ".cruft.json").write_text(json.dumps(state | {"template": str(tmp_path / "moved")}))
    unreachable = run_step(project, check)
    assert unreachable.returncode == 1 and "::error title=Template check failed::" in unreachable.stdout
    (project / ".cruft.json").unlink()
    unlinked = run_step(project, check)
    assert unlinked.returncode == 1 and "cruft link <template URL>" in unlinked.stdout


# --- the weekly update as a pull request (template-update.yml) ------------------------------

FAKE_GH = """#!/usr/bin/env bash
# gh as template-update.sh calls it: `pr list` answers from open-pr (a number, or nothing);
# `pr create` and `pr edit` are logged with the body they were given.
set -eu
here=$(dirname "$0")
echo "gh $*" >> "$here/calls.log"
case "$1 $2" in
  "pr list") cat "$here/open-pr" 2>/dev/null || true ;;
  "pr create" | "pr edit")
    while [ $# -gt 0 ]; do
      if [ "$1" = --body-file ]; then cp "$2" "$here/body.md"; fi
      shift
    done ;;
  *) echo "unexpected: gh $*" >&2; exit 2 ;;
esac
"""


def update_project(tmp_path, template, edits=(), three_way=True):
    """A project as the workflow sees it: created, committed (the generated files first, when
    `three_way`, or together with the team's `edits`), pushed to its own `origin`."""
    project, _ = template.create(tmp_path / "project", commit=three_way, **NAME, template_check="yes")
    apply_edits(project, edits)
    if edits or not three_way:
        commit_all(project, "Our edits")
    origin = tmp_path / "origin.git"
    run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", origin], tmp_path)
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "--set-upstream", "origin", "main")
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    (fakes / "gh").write_text(FAKE_GH)
    (fakes / "gh").chmod(0o755)
    return project, origin, fakes


def run_update(project, fakes):
    workflow = yaml.load((project / ".github/workflows/template-update.yml").read_text(), Loader=yaml.BaseLoader)
    step = next(step for step in workflow["jobs"]["update"]["steps"] if step.get("name") == "cruft update")
    assert "${{" not in step["run"] and step["env"] == {"GH_TOKEN": "${{ steps.token.outputs.token }}"}
    env = GIT_ENV | {"PATH": f"{fakes}{os.pathsep}{GIT_ENV['PATH']}", "GH_TOKEN": "app-installation-token",
                     "GITHUB_REPOSITORY": "acme/shop"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=project,
                          env=env, capture_output=True, text=True, timeout=180)


def gh_calls(fakes) -> list[str]:
    log = fakes / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_update_workflow_opens_nothing_while_up_to_date_and_a_pull_request_for_a_new_template_commit(tmp_path):
    template = TemplateRepo(tmp_path / "template")
    project, origin, fakes = update_project(tmp_path, template)
    result = run_update(project, fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Up to date" in result.stdout and gh_calls(fakes) == []
    assert git(origin, "branch", "--list", "template-update") == ""

    template.change("Faster health checks", {"apps/web/Dockerfile": TEMPLATE_CHANGE["apps/web/Dockerfile"],
                                             ".github/workflows/ci.yml": TEMPLATE_CHANGE[".github/workflows/ci.yml"]})
    result = run_update(project, fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    (listed, created) = gh_calls(fakes)
    assert listed.startswith("gh pr list --repo acme/shop --head template-update --base main --state open")
    assert created.startswith("gh pr create --repo acme/shop --base main --head template-update") and "--draft" not in created
    body = (fakes / "body.md").read_text()
    assert template.head in body and "Applied without conflicts." in body and "<<<<<<<" not in body.split("\n", 2)[2]
    pushed = git(origin, "show", "template-update:Dockerfile")
    assert "HEALTHCHECK --interval=15s" in pushed, "the branch holds the template's change"
    assert json.loads(git(origin, "show", "template-update:.cruft.json"))["commit"] == template.head
    assert "name: Build" in git(origin, "show", "template-update:.github/workflows/ci.yml"), "a workflow change"
    assert git(origin, "rev-parse", "main") == git(project, "rev-parse", "origin/main"), "main untouched"

    # The next week, still unmerged and the template moved again: the same pull request is updated.
    (fakes / "open-pr").write_text("7\n")
    template.change("Clearer runbook", {"docs/RUNBOOK.md": TEMPLATE_CHANGE["docs/RUNBOOK.md"]})
    git(project, "switch", "--quiet", "main")
    result = run_update(project, fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert gh_calls(fakes)[-1].startswith("gh pr edit 7 --repo acme/shop --title Template update to ")
    assert template.head in (fakes / "body.md").read_text()

    # A template cruft cannot read fails the run; nothing is pushed or opened.
    git(project, "switch", "--quiet", "main")
    state = json.loads((project / ".cruft.json").read_text())
    (project / ".cruft.json").write_text(json.dumps(state | {"template": str(tmp_path / "moved")}))
    calls_before, branch_before = gh_calls(fakes), git(origin, "rev-parse", "template-update")
    result = run_update(project, fakes)
    assert result.returncode == 1 and "cruft could not read the template" in result.stderr
    assert gh_calls(fakes) == calls_before and git(origin, "rev-parse", "template-update") == branch_before


@pytest.mark.parametrize("three_way", [True, False], ids=["markers", "rej-files"])
def test_update_workflow_lists_a_conflict_in_the_pull_request_and_opens_it_as_a_draft(tmp_path, three_way):
    """With the generated files in history git merges and leaves markers; without, cruft leaves the
    change that did not apply in README.md.rej. Either is committed and listed, never passed as clean."""
    template = TemplateRepo(tmp_path / "template")
    project, origin, fakes = update_project(tmp_path, template, [("README.md", *SAME_LINE_AS_TEMPLATE)], three_way)
    template.change("README wording", {"README.md": TEMPLATE_CHANGE["README.md"]})

    result = run_update(project, fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    created = gh_calls(fakes)[-1]
    assert created.startswith("gh pr create") and created.endswith("--draft")
    body = (fakes / "body.md").read_text()
    conflicted = "README.md" if three_way else "README.md.rej"
    assert "Conflicts to resolve" in body and f"- `{conflicted}`" in body, body
    on_branch = git(origin, "show", f"template-update:{conflicted}")
    assert ("<<<<<<< " in on_branch) if three_way else (TEMPLATE_CHANGE["README.md"][1] in on_branch)
