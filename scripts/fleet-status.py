#!/usr/bin/env python3
"""Which projects generated from this template have fallen behind it.

For each project folder, reads the .cruft.json that `cruft create` wrote there (the template, the
template commit the project was generated or last updated from, the answers) and compares that
commit with the template's newest one, as `cruft check` does. Prints a table, or JSON with --json.
Needs git and Python 3.10+, not cruft.

    python3 scripts/fleet-status.py [--template PATH_OR_URL] [--checkout REF] [--json] PROJECT...

--template  compare every project with this template (default: the one its .cruft.json names)
--checkout  a branch, tag or commit of the template (default: its default branch), like `cruft check -c`

Status: "up to date"; "behind" (N template commits to take with `cruft update`); "diverged" (the
project's commit is not in the history of the compared branch); "unknown commit" (not in the
template at all); "not linked" (no .cruft.json); "template unreachable". The table's ANSWERS column
shows the layout and every other choice that differs from the template's default; --json gives
all answers. Exit status: 0 when the report is printed, 2 on bad usage.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def git(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True)


class Template:
    """A bare clone without file contents (fetched on demand): enough to compare commits."""

    def __init__(self, source: str, checkout: str | None, clone: Path):
        self.clone, self.latest, self.defaults, self.error = clone, None, {}, None
        if Path(source).exists():  # a local path, relative to where the script was started
            source = str(Path(source).resolve())
        resolved = git(clone.parent, "clone", "--quiet", "--bare", "--filter=blob:none", source, str(clone))
        if not resolved.returncode:
            resolved = git(clone, "rev-parse", "--verify", f"{checkout or 'HEAD'}^{{commit}}")
        if resolved.returncode:
            self.error = (resolved.stderr.strip().splitlines() or ["git failed"])[-1]
            return
        self.latest = resolved.stdout.strip()
        options = json.loads(git(clone, "show", f"{self.latest}:cookiecutter.json").stdout or "{}")
        self.defaults = {name: values[0] for name, values in options.items() if isinstance(values, list)}

    def compare(self, commit: str) -> tuple[str, int | None]:
        """(status, template commits the project has not taken)."""
        if commit == self.latest:
            return "up to date", 0
        if git(self.clone, "cat-file", "-e", f"{commit}^{{commit}}").returncode:
            return "unknown commit", None
        if git(self.clone, "merge-base", "--is-ancestor", commit, self.latest).returncode:
            return "diverged", None
        return "behind", int(git(self.clone, "rev-list", "--count", f"{commit}..{self.latest}").stdout)


def report(project: Path, template_for) -> tuple[dict, dict]:
    """One project's row, and the defaults of the template it was compared with."""
    row = {"project": str(project), "template": None, "commit": None, "latest": None, "status": "not linked",
           "behind": None, "commits_behind": None, "answers": {}}
    cruft_file = project / ".cruft.json"
    if not cruft_file.is_file():
        return row, {}
    state = json.loads(cruft_file.read_text(encoding="utf-8"))
    answers = state.get("context", {}).get("cookiecutter", {})
    row.update(template=state.get("template"), commit=state.get("commit"),
               answers={name: value for name, value in answers.items() if not name.startswith("_")})
    template = template_for(row["template"])
    if template.error:
        row["status"] = f"template unreachable: {template.error}"
        return row, {}
    row["latest"] = template.latest
    row["status"], row["commits_behind"] = template.compare(row["commit"])
    row["behind"] = row["status"] != "up to date"
    return row, template.defaults


def table(rows: list[tuple[dict, dict]]) -> str:
    def status(row):
        count = row["commits_behind"]
        return f"behind by {count} commit{'s' if count != 1 else ''}" if row["status"] == "behind" else row["status"]

    def answers(row, defaults):
        return " ".join(f"{name}={value}" for name, value in row["answers"].items()
                        if name in defaults and (name == "layout" or value != defaults[name]))

    lines = [("PROJECT", "COMMIT", "STATUS", "ANSWERS")]
    lines += [(row["project"], (row["commit"] or "-")[:12], status(row), answers(row, defaults))
              for row, defaults in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[3]
                     for line in lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="+", type=Path, metavar="PROJECT")
    parser.add_argument("--template", help="path or URL of the template (default: each project's .cruft.json)")
    parser.add_argument("--checkout", help="branch, tag or commit of the template to compare with")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        templates = {}  # one clone per template, however many projects name it

        def template_for(recorded: str) -> Template:
            source = args.template or recorded
            if source not in templates:
                templates[source] = Template(source, args.checkout, Path(workdir) / f"template-{len(templates)}")
            return templates[source]

        rows = [report(project, template_for) for project in args.projects]
    print(json.dumps([row for row, _ in rows], indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
