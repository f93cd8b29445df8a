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


# --- metrics -------------------------------------------------------------------------------

HISTOGRAM_SERIES = re.compile(r"_(bucket|sum|count)$")


def dashboard_queries(path: Path) -> list[str]:
    """Every PromQL query of a Grafana dashboard: panel targets and template variables."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    variables = dashboard.get("templating", {}).get("list", [])
    return queries + [v["query"]["query"] for v in variables if isinstance(v.get("query"), dict)]


def dashboard_metric_names(path: Path) -> set[str]:
    """The metrics a dashboard reads; a histogram's `_bucket` series counts as the histogram."""
    names = set()
    for query in dashboard_queries(path):
        for name in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", query) + re.findall(r"label_values\((\w+)", query):
            names.add(HISTOGRAM_SERIES.sub("", name) if name.endswith("_bucket") else name)
    return names


def exported_metric_names(app: Path) -> set[str]:
    """The names an app's metrics module declares: the web app's `METRIC_NAMES` and
    `RUNTIME_METRIC_NAMES` (src/server/metrics.ts), the API's constants (src/metrics.rs)."""
    rust = app / "src" / "metrics.rs"
    if rust.is_file():
        return set(re.findall(r'pub const [A-Z0-9_]+: &str = "([a-z0-9_]+)";', rust.read_text(encoding="utf-8")))
    source = (app / "src" / "server" / "metrics.ts").read_text(encoding="utf-8")
    names = set()
    for block in re.findall(r"export const (?:METRIC_NAMES|RUNTIME_METRIC_NAMES) = [{\[](.*?)[}\]] as const;", source, re.S):
        names |= set(re.findall(r"'([a-z0-9_]+)'", block))
    return names
