"""Shape the generated tree for the chosen options, then print the next steps.

The template holds ONE copy of every file, laid out as the monorepo:
`apps/web`, `apps/api`, `packages/shared`. This hook drops what the answers
exclude (the table below) and, for the standalone layout, lifts `apps/web` to
the project root and the shared package into `src/shared`. It never touches the
network, reads no clock or randomness and is idempotent: running it twice leaves the
same tree (cruft re-runs hooks on every update). It prints nothing for the copies cruft
renders internally to compute an update or a diff.
"""

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

# (option, value) -> paths to remove, written in monorepo terms before any move.
REMOVE_WHEN = {
    ("layout", "standalone"): [".github/scripts/changed-since-release.sh"],  # per-app change detection of the monorepo deploy
    ("package_manager", "npm"): ["pnpm-workspace.yaml"],
    ("backend", "none"): ["apps/api", "docs/grafana/api.json"],
    ("auth", "none"): [
        "apps/api/migrations/0004_accounts.sql",  # users and sessions; the API's `accounts` feature's code stays, off
        "apps/web/src/app/account", "apps/web/src/server/accounts", "apps/web/src/client/accounts-api.ts",
        "packages/shared/src/accounts.ts",  # the web side of accounts
    ],
    ("use_redis", "no"): ["apps/web/src/server/plugins/redis"],
    ("use_i18n", "no"): ["apps/web/src/app/i18n"],
    ("use_sentry", "no"): ["apps/web/src/server/plugins/sentry.ts", "apps/web/src/server/plugins/sentry.test.ts"],
    ("template_check", "no"): [".github/workflows/template-update.yml", ".github/scripts/template-update.sh"],
    ("preview_apps", "no"): [".github/workflows/preview.yml", ".github/scripts/preview.sh"],
    ("ci", "none"): [".github"],  # workflows, their scripts and Dependabot
}

# Starts PostgreSQL and Redis for `dev`: kept when the answers need either.
SERVICES_SCRIPT = "scripts/services.sh"


def needs_services(answers: dict) -> bool:
    return answers["database"] == "postgres" or answers["use_redis"] == "yes"


# Standalone: the web app replaces the workspace root; the shared package becomes a folder of it.
WORKSPACE_ROOT_FILES = ["package.json", "pnpm-workspace.yaml"]
STANDALONE_MOVES = [("apps/web", "."), ("packages/shared/src", "src/shared")]
STANDALONE_DROPS = ["apps", "packages"]


def remove(root: Path, relative: str) -> None:
    path = root / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def remove_excluded(root: Path, answers: dict) -> None:
    for (option, value), paths in REMOVE_WHEN.items():
        if answers.get(option) == value:
            for relative in paths:
                remove(root, relative)


def move_contents(source: Path, target: Path) -> None:
    """Move every entry of `source` into `target`; refuse to overwrite anything."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        destination = target / entry.name
        if destination.exists():
            raise SystemExit(f"post-generation: {destination} exists in the template twice")
        shutil.move(str(entry), str(destination))


def lift_web_app_to_root(root: Path) -> None:
    if not (root / "apps/web").is_dir():
        return  # already lifted
    for relative in WORKSPACE_ROOT_FILES:
        remove(root, relative)
    for source, target in STANDALONE_MOVES:
        move_contents(root / source, root / target)
    for relative in STANDALONE_DROPS:
        remove(root, relative)


def remove_empty_dirs(root: Path) -> None:
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()


def next_steps(answers: dict) -> str:
    pm = answers["package_manager"]
    run = "npm run" if pm == "npm" else "pnpm"
    rust = answers["backend"] == "rust"
    installs = "Docker and CI install" if answers["ci"] == "github-actions" else "Docker installs"
    lines = [
        f"cd {answers['project_slug']}",
        "git init",
        f"{pm} install                # writes the lockfile: commit it, {installs} from it",
        "cp .env.example .env",
        "set -a; . ./.env; set +a     # the dev servers read their settings from the environment",
    ]
    if needs_services(answers):
        lines.append(f"{run} services:up           # Docker compose if it runs, else the local binaries; services:down stops them")
    if rust:
        if answers["database"] == "postgres":
            lines.append("cargo run --manifest-path apps/api/Cargo.toml -- migrate   # the first build takes minutes (README)")
        dev_mail = "MAIL_DEV_LOG=1 " if answers.get("auth") == "password" else ""  # account mails printed, not sent
        lines.append(f"set -a; . ./.env; set +a; {dev_mail}cargo run --manifest-path apps/api/Cargo.toml   # in a second"
                     " terminal (here): the API on :8080")
    lines += [f"{run} dev", f"{run} test"]
    apps = [answers["fly_app_name"]] + ([answers["fly_api_app_name"]] if rust else [])
    lines.append(f"fly apps create {' && fly apps create '.join(apps)}   # then docs/DEPLOYMENT-GUIDE.md: secrets, deploy")
    return "\n".join(f"  {line}" for line in lines)


def is_cruft_regeneration(answers: dict, root: Path) -> bool:
    """True for the copies `cruft update` and `cruft diff` render to compare with the project.

    Only cruft puts `_commit` in the context. It renders those copies into a fresh
    `tempfile.TemporaryDirectory()`, while `cruft create` writes where its user asked.
    """
    if "_commit" not in answers:
        return False
    output_dir = root.resolve().parent
    return (output_dir.parent == Path(tempfile.gettempdir()).resolve()
            and re.fullmatch(r"tmp[a-z0-9_]{8}", output_dir.name) is not None)


def show(text: str) -> None:
    """Print advice; a reader that went away (`cruft create ... | head`) must not fail the generation."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as Python's signal docs advise


def main(answers: dict) -> int:
    root = Path.cwd()
    remove_excluded(root, answers)
    if not needs_services(answers):
        remove(root, SERVICES_SCRIPT)
    if answers["layout"] == "standalone":
        lift_web_app_to_root(root)
    remove_empty_dirs(root)
    if not is_cruft_regeneration(answers, root):  # those copies are compared, never read
        show(f"\nGenerated {answers['project_slug']} ({answers['layout']}). Next steps:\n{next_steps(answers)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads({{ cookiecutter | jsonify | tojson }})))
