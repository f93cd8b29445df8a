"""Which environment variables a project's apps read (their config modules, build and e2e scripts,
docker-compose.yml) and which its docs say they read (.env.example, the README's table)."""

import json
import re
import subprocess
from pathlib import Path

from harness.project import Project
from harness.shell import ENV_NAME


def set_by_fly(name: str) -> bool:
    """Fly sets these on every Machine (FLY_APP_NAME, FLY_REGION...; PRIMARY_REGION from fly.toml):
    the README documents them, `.env.example` does not fake them."""
    return name.startswith("FLY_") or name == "PRIMARY_REGION"


def web_reads(project: Project) -> set[str]:
    config = (project.web / "src" / "server" / "config.ts").read_text(encoding="utf-8")
    return set(re.findall(rf"env, '({ENV_NAME})'", config)) | set(re.findall(rf"env\.({ENV_NAME})", config))


def api_reads(project: Project) -> set[str]:
    """What the README's table says the API reads. The slow tier (test_api_e2e.py) checks that
    list, config.rs's table and .env.example against what the built `api --help` declares."""
    if project.api is None:
        return set()
    return {name for name, labels in readme_configuration(project.root).items() if "API" in labels}


def process_env_reads(paths) -> set[str]:
    return {name for path in paths for name in re.findall(rf"process\.env\.({ENV_NAME})", path.read_text(encoding="utf-8"))}


def compose_reads(project: Project) -> set[str]:
    return set(re.findall(rf"\$\{{({ENV_NAME})", (project.root / "docker-compose.yml").read_text(encoding="utf-8")))


def reads_by_label(project: Project) -> dict[str, set[str]]:
    """The README's configuration table names who reads a variable: these labels."""
    return {
        "web": web_reads(project) | process_env_reads((project.web / "build").glob("*.js")),
        "API": api_reads(project),
        "e2e": process_env_reads((project.web / "e2e").glob("*.js")),
        "compose": compose_reads(project),
    }


def env_example(project: Project) -> tuple[set[str], set[str]]:
    """(variables set, variables listed commented out with their default) in .env.example."""
    text = (project.root / ".env.example").read_text(encoding="utf-8")
    return (set(re.findall(rf"^({ENV_NAME})=", text, re.M)), set(re.findall(rf"^# ({ENV_NAME})=", text, re.M)))


def readme_configuration(root: Path) -> dict[str, set[str]]:
    """variable -> labels of the apps that read it, from the README's configuration table."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "README.md has no Configuration section"
    table = {}
    for row in re.findall(r"^\|(.+)\|$", section[1], re.M):
        cells = [cell.strip() for cell in row.split("|")]
        for name in re.findall(rf"`({ENV_NAME})`", cells[0]):
            table.setdefault(name, set()).update(label.strip() for label in cells[1].split(","))
    return table


def compose_environments(project: Project) -> dict[str, set[str]]:
    """service -> the variables docker compose hands its container, as `docker compose config`
    resolves them (env_file entries included) with .env.example as the .env."""
    result = subprocess.run(["docker-compose", "--env-file", ".env.example", "config", "--format", "json"],
                            cwd=project.root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    return {name: set(service.get("environment") or {}) for name, service in services.items()}
