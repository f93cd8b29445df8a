"""Bake every meaningful combination of options and check what comes out."""

import hashlib
import json
import random
import re
import subprocess
import sys
import uuid

import arrow
import cookiecutter.extensions
import pytest

import local_extensions
from harness import matrix
from harness.answers import CHOICES, OPTIONS, answers_id, default_answers
from harness.bake import bake
from harness.generated import empty_dirs, parse_errors, relative_files, template_leftovers
from harness.hooks import post_gen, pre_gen
from harness.matrix import MATRIX
from harness.paths import TEMPLATE_DIR


def test_matrix_bakes_at_least_40_combinations():
    assert len(MATRIX) >= 40


def test_matrix_covers_every_value_of_every_choice():
    for option, allowed in CHOICES.items():
        assert {combination[option] for combination in MATRIX} == set(allowed), option


def test_matrix_covers_every_pair_of_values_that_can_occur_together():
    possible = set()
    for base in matrix.interacting_combinations():
        for filling in matrix.independent_fillings(base):
            possible |= matrix.pairs(base | filling)
    covered = set().union(*(matrix.pairs(c) for c in MATRIX))
    assert possible - covered == set()


def test_readme_options_table_lists_every_option_and_each_choice_with_its_values_default_first():
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Options\n(.*?)^## ", readme, re.MULTILINE | re.DOTALL)[1]
    rows = dict(re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+?) \|", section, re.MULTILINE))
    for option, values in CHOICES.items():
        assert rows.get(option) == ", ".join(f"`{value}`" for value in values), option
    named = {name for cell in re.findall(r"^\| ([^|]+) \|", section, re.MULTILINE)
             for name in re.findall(r"`([a-z0-9_]+)`", cell)}
    assert named == {name for name in OPTIONS if not name.startswith("_")}


def test_matrix_holds_only_combinations_the_hook_accepts():
    defaults = default_answers()
    for combination in MATRIX:
        assert pre_gen.validate(defaults | combination) == [], combination


def expected_presence(answers):
    """Paths that must exist (True) or must not (False) for these answers."""
    monorepo = answers["layout"] == "monorepo"
    web = "apps/web/" if monorepo else ""
    rust = answers["backend"] == "rust"
    gha = answers["ci"] == "github-actions"
    return {
        "README.md": True,
        "LICENSE": True,
        ".gitignore": True,
        ".nvmrc": True,
        f"{web}package.json": True,
        "package.json": True,
        "pnpm-workspace.yaml": monorepo and answers["package_manager"] == "pnpm",
        "packages/shared/package.json": monorepo,
        "packages/shared/src/index.ts": monorepo,
        "src/shared/index.ts": not monorepo,
        "apps/api/Cargo.toml": rust,
        "apps/api/migrations": rust,
        ".github/workflows": gha,
        ".github/dependabot.yml": gha,
        "apps": monorepo,
        "packages": monorepo,
    }


@pytest.mark.parametrize("answers", MATRIX, ids=[answers_id(c) for c in MATRIX])
def test_bake_is_clean_and_holds_exactly_the_files_the_answers_call_for(bakes, answers):
    root = bakes(**answers).root  # a bake that fails raises here
    assert template_leftovers(root) == []
    assert parse_errors(root) == []
    assert empty_dirs(root) == []
    for relative, present in expected_presence(answers).items():
        assert (root / relative).exists() is present, relative
    assert relative_files(root) == expected_files(answers)
    root_package = json.loads((root / "package.json").read_text())
    assert root_package["engines"]["node"].endswith(answers["node_version"])
    if answers["layout"] == "monorepo":  # npm would hoist the root's own dependencies first (lint-dev-dependencies.jinja)
        assert "dependencies" not in root_package and "devDependencies" not in root_package
    assert (root / ".nvmrc").read_text().strip() == answers["node_version"]
    drift_job = "Template · up to date"  # the README names the CI job only when the bake has it
    assert (drift_job in (root / "README.md").read_text()) is (answers["template_check"] == "yes")
    if answers["template_check"] == "yes":
        assert f"name: {drift_job}" in (root / ".github/workflows/ci.yml").read_text()


def tree_digest(root):
    digest = hashlib.sha256()
    for relative in sorted(relative_files(root)):
        digest.update(relative.encode() + b"\0" + (root / relative).read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.mark.parametrize("answers", [MATRIX[0], MATRIX[-1]], ids=["standalone", "monorepo"])
def test_bakes_are_deterministic_even_years_later_with_other_random_numbers(tmp_path, answers, monkeypatch):
    """cruft re-renders a project's old commit to compute an update: a date or a random value in
    any file would show up as a change nobody made."""
    first = bake(tmp_path / "a", **answers)
    later = arrow.get("2031-07-01T12:00:00+00:00")
    monkeypatch.setattr(arrow, "now", lambda *args, **kwargs: later)  # cookiecutter's `{% now %}`
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))  # `{{ uuid4() }}`
    monkeypatch.setattr(cookiecutter.extensions, "choice", lambda seq: seq[-1])  # `random_ascii_string`
    monkeypatch.setattr(random, "choice", lambda seq: seq[-1])  # Jinja's `random` filter
    second = bake(tmp_path / "b", **answers)
    assert relative_files(first) == relative_files(second)
    assert tree_digest(first) == tree_digest(second)


@pytest.mark.parametrize("answers", [MATRIX[0], MATRIX[-1]], ids=["standalone", "monorepo"])
def test_post_hook_run_twice_changes_nothing(tmp_path, answers, monkeypatch):
    root = bake(tmp_path, **answers)
    before = tree_digest(root)
    monkeypatch.chdir(root)
    post_gen.main(default_answers(**answers))
    assert tree_digest(root) == before


def cookiecutter_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cookiecutter", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_no_input_generates_the_default_standalone_app(tmp_path):
    result = cookiecutter_cli(str(TEMPLATE_DIR), "--no-input", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    root = tmp_path / "my-composable-app"
    assert (root / "package.json").is_file() and not (root / "apps").exists()
    assert "Next steps:" in result.stdout and "pnpm install" in result.stdout


def test_extra_context_on_the_command_line_reaches_every_file(tmp_path):
    result = cookiecutter_cli(str(TEMPLATE_DIR), "--no-input", "-o", str(tmp_path), "project_name=Orbit Shop",
                              "layout=monorepo", "backend=rust", "fly_region=fra")
    assert result.returncode == 0, result.stderr
    root = tmp_path / "orbit-shop"
    assert (root / "apps/api").is_dir()
    assert json.loads((root / "package.json").read_text())["name"].startswith("orbit-shop")


def test_replay_regenerates_the_same_project(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cc'}\n")
    first = cookiecutter_cli("--config-file", str(config), str(TEMPLATE_DIR), "--no-input", "-o",
                             str(tmp_path / "first"), "layout=monorepo", "use_redis=yes", "license=Apache-2.0")
    assert first.returncode == 0, first.stderr
    again = cookiecutter_cli("--config-file", str(config), str(TEMPLATE_DIR), "--replay", "-o",
                             str(tmp_path / "second"))
    assert again.returncode == 0, again.stderr
    one, two = tmp_path / "first/my-composable-app", tmp_path / "second/my-composable-app"
    assert (two / "packages/shared").is_dir()
    assert tree_digest(one) == tree_digest(two)


@pytest.mark.parametrize("name, slug", [
    ("3D Printer Shop", "app-3d-printer-shop"),
    ("🚀", "app"),
    ("Émoji Café 中文", "emoji-cafe-zhong-wen"),
    ("W" * 200, "w" * 63),
    ("--Weird--", "weird"),
])
def test_derived_names_are_valid_for_awkward_project_names(tmp_path, name, slug):
    assert local_extensions.project_slug(name) == slug
    assert pre_gen.check_names(default_answers(project_name=name, layout="monorepo", backend="rust")) == []
    root = bake(tmp_path, project_name=name, layout="monorepo", backend="rust")
    assert root.name == slug
    fly_api = (root / "apps/api/fly.toml")
    if fly_api.exists():  # the API's app name, derived from the slug, still fits in 63 characters
        import tomllib
        assert len(tomllib.loads(fly_api.read_text())["app"]) <= 63


SKELETON = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"

# The spec of which template files a project gets: paths (a trailing / means everything below)
# kept only when a condition on the answers holds. Independent of the hook's table, which this checks.
KEPT_ONLY_WHEN = [
    (lambda a: a["layout"] == "monorepo",
     ["package.json", "packages/shared/package.json", "packages/shared/tsconfig.json",
      "packages/shared/eslint.config.js", "packages/shared/.prettierrc.json"]),
    (lambda a: a["layout"] == "monorepo" and a["package_manager"] == "pnpm", ["pnpm-workspace.yaml"]),
    (lambda a: a["backend"] == "rust", ["apps/api/", "docs/grafana/api.json"]),
    (lambda a: a["use_redis"] == "yes", ["apps/web/src/server/plugins/redis/"]),
    (lambda a: a["use_sentry"] == "yes", ["apps/web/src/server/plugins/sentry.ts", "apps/web/src/server/plugins/sentry.test.ts"]),
    (lambda a: a["use_i18n"] == "yes", ["apps/web/src/app/i18n/"]),
    (lambda a: a["ci"] == "github-actions", [".github/"]),
    (lambda a: a["ci"] == "github-actions" and a["layout"] == "monorepo", [".github/scripts/changed-since-release.sh"]),
    (lambda a: a["template_check"] == "yes",
     [".github/workflows/template-update.yml", ".github/scripts/template-update.sh"]),
    (lambda a: a["preview_apps"] == "yes", [".github/workflows/preview.yml", ".github/scripts/preview.sh"]),
    (lambda a: a["database"] == "postgres" or a["use_redis"] == "yes", ["scripts/services.sh"]),
    (lambda a: a["auth"] == "password",
     ["apps/api/migrations/0004_accounts.sql", "apps/web/src/app/account/", "apps/web/src/server/accounts/",
      "apps/web/src/client/accounts-api.ts", "packages/shared/src/accounts.ts"]),
]


def kept(path, answers):
    return all(condition(answers) for condition, paths in KEPT_ONLY_WHEN for spec in paths
               if path == spec or spec.endswith("/") and path.startswith(spec))


def standalone_path(path):
    """Where a template file lands in the standalone layout."""
    for source, target in (("apps/web/", ""), ("packages/shared/src/", "src/shared/")):
        if path.startswith(source):
            return target + path[len(source):]
    return path


def expected_files(answers):
    monorepo = answers["layout"] == "monorepo"
    return {path if monorepo else standalone_path(path)
            for path in relative_files(SKELETON) if kept(path, answers)}
