"""Checks that read a generated project: template leftovers, parsing, file listing."""

import json
import re
import tomllib
from pathlib import Path

import yaml

SKIP_DIRS = {"node_modules", "target", ".git", "dist"}

# Jinja markers that must not survive rendering, and the files where the same
# characters are legitimate syntax of their own language.
LEFTOVERS = {
    "{{": re.compile(r"(?<!\$)\{\{"),  # GitHub Actions expressions are `${{ }}`
    "{%": re.compile(r"\{%|%\}"),
    "{#": re.compile(r"\{#(?![a-z/:])"),  # Svelte blocks `{#if}`, `{#each}` stay
    "cookiecutter.": re.compile(r"cookiecutter\."),
}
MARKERS_ALLOWED_IN = {
    "{{": (".rs",),  # format!("{{}}") escapes
    "{#": (".rs",),
}


def project_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(root).parts):
            yield path


def relative_files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in project_files(root)}


def template_leftovers(root: Path) -> list[str]:
    found = []
    for path in project_files(root):
        text = path.read_text(encoding="utf-8")
        for marker, pattern in LEFTOVERS.items():
            if path.suffix in MARKERS_ALLOWED_IN.get(marker, ()):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {marker} in {line.strip()[:120]!r}")
    return found


def parse(path: Path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix in (".yml", ".yaml"):
        return list(yaml.safe_load_all(text))
    raise ValueError(path)


def structured_files(root: Path):
    return [p for p in project_files(root) if p.suffix in (".json", ".toml", ".yml", ".yaml")]


def parse_errors(root: Path) -> list[str]:
    errors = []
    for path in structured_files(root):
        try:
            parse(path)
        except Exception as error:  # noqa: BLE001 - every parser's error is a finding
            errors.append(f"{path.relative_to(root)}: {type(error).__name__}: {error}")
    return errors


def empty_dirs(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]
