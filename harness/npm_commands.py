"""Whether an npm or pnpm command line names what exists where it runs: a script of the nearest
package.json, or of the workspace package it selects."""

import json
from pathlib import Path

import yaml

from harness.project import Project


PNPM_BUILTINS = {"add", "audit", "config", "create", "dlx", "exec", "i", "install", "init", "link", "list", "ls",
                 "outdated", "prune", "rebuild", "remove", "rm", "store", "up", "update", "why"}
NPM_BUILTINS = {"audit", "ci", "config", "exec", "i", "init", "install", "link", "list", "ls", "outdated",
                "prune", "rebuild", "uninstall", "update"}
SCRIPT_COMMANDS = {"start", "test", "t", "stop", "restart"}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def workspace_packages(root: Path) -> dict[str, Path]:
    """name -> folder of each workspace package (pnpm-workspace.yaml or package.json workspaces)."""
    if (root / "pnpm-workspace.yaml").is_file():
        patterns = yaml.safe_load((root / "pnpm-workspace.yaml").read_text())["packages"]
    else:
        patterns = read_json(root / "package.json").get("workspaces", [])
    folders = {folder for pattern in patterns for folder in root.glob(pattern) if (folder / "package.json").is_file()}
    return {read_json(folder / "package.json")["name"]: folder for folder in folders}


def scripts_of(folder: Path) -> dict:
    return read_json(folder / "package.json").get("scripts", {})


def package_manager_problems(project: Project, cwd: Path, argv: list[str]) -> list[str]:
    tool, args = argv[0], argv[1:]
    selected, every_package, words = None, False, []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--filter", "-F", "--workspace", "-w"):
            selected, i = args[i + 1], i + 2
            continue
        if arg.startswith(("--filter=", "--workspace=")):
            selected = arg.split("=", 1)[1]
        elif arg in ("-r", "--recursive", "--workspaces", "-ws"):
            every_package = True
        elif arg in ("-g", "--global"):
            return []  # a tool installed for the whole machine
        elif not arg.startswith("-"):
            words.append(arg)
        i += 1
    manifest = project.nearest(cwd, "package.json")
    if manifest is None:
        return [f"no package.json in {cwd} or above"]
    command = words[0] if words else "install"
    builtins = PNPM_BUILTINS if tool == "pnpm" else NPM_BUILTINS
    if command in builtins:
        return []
    if command in ("run", "run-script"):
        if len(words) < 2:
            return []
        script = words[1]
    elif command in SCRIPT_COMMANDS or tool == "pnpm":
        script = command  # pnpm runs a script by its bare name
    else:
        return [f"`{tool} {command}` is neither a {tool} command this test knows nor a script"]
    if selected is not None:
        packages = workspace_packages(manifest.parent)
        folder = packages.get(selected) or next((f for f in packages.values()
                                                 if f == (manifest.parent / selected).resolve()), None)
        if folder is None:
            return [f"no workspace package {selected!r} (there are {sorted(packages)})"]
        folders = [folder]
    elif every_package:
        folders = list(workspace_packages(manifest.parent).values())
        return [] if any(script in scripts_of(f) for f in folders) else [f"no workspace package has a {script!r} script"]
    else:
        folders = [manifest.parent]
    return [f"{f.relative_to(project.root.parent)}/package.json has no {script!r} script"
            for f in folders if script not in scripts_of(f)]
