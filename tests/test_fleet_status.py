"""scripts/fleet-status.py on projects generated at three different commits of a template copy."""

import json
import sys

from harness.paths import TEMPLATE_DIR
from harness.template_repo import TemplateRepo, run

SCRIPT = TEMPLATE_DIR / "scripts" / "fleet-status.py"


def fleet_status(cwd, *args):
    return run([sys.executable, SCRIPT, *args], cwd).stdout


def test_report_gives_each_projects_template_commit_answers_and_how_far_behind_it_is(tmp_path):
    template = TemplateRepo(tmp_path / "template")
    template.create(tmp_path / "a", project_name="Alpha")
    template.change("Clearer runbook", {"docs/RUNBOOK.md": ("The Dockerfile `HEALTHCHECK` is for",
                                                           "The Dockerfile `HEALTHCHECK` only serves")})
    template.create(tmp_path / "b", project_name="Beta", layout="monorepo", use_redis="yes")
    template.change("Faster health checks", {"apps/web/Dockerfile": ("--interval=30s", "--interval=15s")})
    template.create(tmp_path / "c", project_name="Gamma", ci="none")
    (tmp_path / "d" / "delta").mkdir(parents=True)  # a repository that was never linked to the template
    projects = ["a/alpha", "b/beta", "c/gamma", "d/delta"]
    first, second, third = template.commits

    rows = json.loads(fleet_status(tmp_path, "--template", "template", "--json", *projects))
    assert [(r["project"], r["commit"], r["status"], r["behind"], r["commits_behind"]) for r in rows] == [
        ("a/alpha", first, "behind", True, 2),
        ("b/beta", second, "behind", True, 1),
        ("c/gamma", third, "up to date", False, 0),
        ("d/delta", None, "not linked", None, None),
    ]
    recorded = json.loads((tmp_path / "b/beta/.cruft.json").read_text())["context"]["cookiecutter"]
    assert rows[1]["answers"] == {name: value for name, value in recorded.items() if not name.startswith("_")}
    assert {rows[1]["answers"]["layout"], rows[1]["answers"]["use_redis"]} == {"monorepo", "yes"}

    # The table, comparing with the template each .cruft.json names, at an older commit (--checkout);
    # one more project names a template that has gone.
    (tmp_path / "e" / "echo").mkdir(parents=True)
    moved = json.loads((tmp_path / "a/alpha/.cruft.json").read_text()) | {"template": str(tmp_path / "gone")}
    (tmp_path / "e/echo/.cruft.json").write_text(json.dumps(moved))
    lines = fleet_status(tmp_path, "--checkout", second, *projects, "e/echo").splitlines()
    assert [line.split() for line in lines[:-1]] == [
        ["PROJECT", "COMMIT", "STATUS", "ANSWERS"],
        ["a/alpha", first[:12], "behind", "by", "1", "commit", "layout=standalone"],
        ["b/beta", second[:12], "up", "to", "date", "layout=monorepo", "use_redis=yes"],
        ["c/gamma", third[:12], "diverged", "layout=standalone", "ci=none"],
        ["d/delta", "-", "not", "linked"],
    ]
    assert lines[-1].split()[:4] == ["e/echo", first[:12], "template", "unreachable:"]
