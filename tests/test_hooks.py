"""The pre-generation hook's rules, unit by unit, and their effect on a real bake."""

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.answers import default_answers
from harness.hooks import post_gen, pre_gen
from harness.paths import TEMPLATE_DIR

DEFAULTS = default_answers()


def problems_with(**changes):
    """The hook's verdict on the defaults with these answers changed (derived answers kept)."""
    return pre_gen.validate(DEFAULTS | changes)


def test_default_answers_are_valid():
    assert problems_with() == []


@pytest.mark.parametrize("slug", ["a1", "my-app", "x" * 63, "app-2-web"])
def test_valid_slugs_are_accepted(slug):
    assert problems_with(project_slug=slug, fly_app_name=slug) == []


@pytest.mark.parametrize("slug, rule", [
    ("My-App", "lowercase"),
    ("1app", "start with a lowercase letter"),
    ("app-", "not ending in a dash"),
    ("my_app", "lowercase letters, digits and dashes"),
    ("my app", "lowercase letters, digits and dashes"),
    ("a", "start with a lowercase letter"),
    ("", "start with a lowercase letter"),
    ("x" * 64, "at most 63 characters"),
    ('a"b', "lowercase letters, digits and dashes"),
])
def test_invalid_slug_is_rejected_naming_option_rule_and_example(slug, rule):
    problems = problems_with(project_slug=slug)
    assert len(problems) == 1, problems
    assert problems[0].startswith("project_slug: ")
    assert rule in problems[0]
    assert "for example: my-composable-app" in problems[0]


def test_invalid_fly_app_names_are_rejected():
    problems = problems_with(fly_app_name="Web_App")
    assert [p.split(":")[0] for p in problems] == ["fly_app_name"]


def test_api_app_name_is_checked_only_with_the_rust_backend():
    assert problems_with(fly_api_app_name="BAD NAME") == []
    problems = problems_with(layout="monorepo", backend="rust", fly_api_app_name="BAD NAME")
    assert [p.split(":")[0] for p in problems] == ["fly_api_app_name"]


def test_api_app_name_must_differ_from_web_app_name():
    problems = problems_with(layout="monorepo", backend="rust", fly_api_app_name="my-composable-app")
    assert problems == ["fly_api_app_name: must differ from fly_app_name (for example: my-composable-app-api)"]


def test_api_app_name_derived_from_a_63_character_slug_is_too_long():
    slug = "a" * 63
    problems = problems_with(project_slug=slug, fly_app_name=slug, layout="monorepo", backend="rust",
                             fly_api_app_name=slug + "-api")
    assert len(problems) == 1 and problems[0].startswith("fly_api_app_name: must be at most 63")


@pytest.mark.parametrize("email", ["you@example.com", "first.last+tag@mail.example.co.uk"])
def test_valid_emails_are_accepted(email):
    assert problems_with(author_email=email) == []


@pytest.mark.parametrize("email", ["", "you", "you@", "@example.com", "you@example", "a b@example.com", "you@example."])
def test_invalid_emails_are_rejected(email):
    problems = problems_with(author_email=email)
    assert len(problems) == 1 and problems[0].startswith("author_email: must be an email address")


@pytest.mark.parametrize("region", sorted(pre_gen.FLY_REGIONS))
def test_every_fly_region_is_accepted(region):
    assert problems_with(fly_region=region) == []


@pytest.mark.parametrize("region", ["SJC", "xyz", "", "us-east-1", "sea", "mia"])
def test_unknown_or_retired_region_is_rejected_with_the_region_list(region):
    problems = problems_with(fly_region=region)
    assert len(problems) == 1
    assert problems[0].startswith("fly_region: must be a Fly.io region code (ams arn")
    assert problems[0].endswith("(for example: sjc)")


@pytest.mark.parametrize("memory, ok", [("256mb", True), ("1gb", True), ("512", False), ("0mb", False), ("1 gb", False)])
def test_vm_memory_needs_a_unit(memory, ok):
    assert (problems_with(fly_vm_memory=memory) == []) is ok


@pytest.mark.parametrize("machines, ok", [("0", True), ("3", True), ("-1", False), ("two", False), ("1.5", False)])
def test_min_machines_running_is_a_whole_number(machines, ok):
    assert (problems_with(min_machines_running=machines) == []) is ok


@pytest.mark.parametrize("changes, options", [
    ({"backend": "rust"}, ("backend", "layout=monorepo")),
    ({"database": "postgres"}, ("database", "backend=rust")),
    ({"layout": "monorepo", "database": "postgres"}, ("database", "backend=rust")),
    ({"ci": "none", "deploy_on_push": "yes"}, ("deploy_on_push", "ci=github-actions")),
    ({"ci": "none", "template_check": "yes"}, ("template_check", "ci=github-actions")),
    ({"ci": "none", "preview_apps": "yes"}, ("preview_apps", "ci=github-actions")),
    ({"multi_region": "yes"}, ("multi_region", "backend=rust database=postgres")),
    ({"layout": "monorepo", "backend": "rust", "multi_region": "yes"}, ("multi_region", "database=postgres")),
    ({"auth": "password"}, ("auth", "backend=rust database=postgres")),
    ({"layout": "monorepo", "auth": "password"}, ("auth", "backend=rust database=postgres")),
    ({"layout": "monorepo", "backend": "rust", "auth": "password"}, ("auth", "database=postgres")),
])
def test_forbidden_combination_names_both_options_and_the_fix(changes, options):
    option, fix = options
    problems = problems_with(**changes)
    assert any(p.startswith(f"{option}: ") and fix in p for p in problems), problems


@pytest.mark.parametrize("changes", [
    {"layout": "monorepo"},
    {"layout": "monorepo", "backend": "rust"},
    {"layout": "monorepo", "backend": "rust", "database": "postgres"},
    {"ci": "none"},
    {"deploy_on_push": "yes"},
    {"template_check": "yes"},
    {"preview_apps": "yes"},
    {"layout": "monorepo", "backend": "rust", "database": "postgres", "preview_apps": "yes"},
    {"layout": "monorepo", "backend": "rust", "database": "postgres", "multi_region": "yes"},
    {"layout": "monorepo", "backend": "rust", "database": "postgres", "auth": "password"},
    {"layout": "monorepo", "backend": "rust", "database": "postgres", "auth": "password", "multi_region": "yes",
     "use_redis": "yes", "preview_apps": "yes"},
])
def test_allowed_combinations_pass(changes):
    assert problems_with(**changes) == []


@pytest.mark.parametrize("name", ["", "   ", "line\nbreak", "bell\x07", "x" * 201])
def test_bad_project_names_are_rejected(name):
    problems = problems_with(project_name=name)
    assert problems and all(p.startswith("project_name: ") for p in problems)


def test_all_problems_are_reported_at_once():
    problems = problems_with(project_slug="Bad Slug", author_email="nope", fly_region="xyz", ci="none",
                             deploy_on_push="yes", preview_apps="yes")
    assert [p.split(":")[0] for p in problems] == [
        "project_slug", "author_email", "fly_region", "deploy_on_push", "preview_apps"]


def test_preview_apps_without_ci_names_both_options_and_both_fixes():
    (message,) = problems_with(ci="none", preview_apps="yes")
    assert message.startswith("preview_apps: yes needs ci=github-actions")
    assert "set ci=github-actions or preview_apps=no" in message


def run_cookiecutter(output_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(TEMPLATE_DIR), "--no-input", "-o", str(output_dir), *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("args, message", [
    (["project_slug=Bad Slug"], "project_slug: must start with a lowercase letter"),
    (["fly_region=xyz"], "fly_region: must be a Fly.io region code"),
    (["author_email=nope"], "author_email: must be an email address"),
    (["node_version=18"], None),  # refused by cookiecutter itself: not one of the choices
    (["layout=flat"], None),
    (["backend=rust"], "backend: rust needs layout=monorepo"),
    (["layout=monorepo", "database=postgres"], "database: postgres needs backend=rust"),
    (["ci=none", "deploy_on_push=yes"], "deploy_on_push: yes needs ci=github-actions"),
    (["ci=none", "template_check=yes"], "template_check: yes needs ci=github-actions"),
    (["ci=none", "preview_apps=yes"], "preview_apps: yes needs ci=github-actions"),
    (["layout=monorepo", "backend=rust", "multi_region=yes"], "multi_region: yes needs backend=rust and database=postgres"),
    (["auth=password"], "auth: password needs backend=rust and database=postgres"),
])
def test_invalid_answer_is_rejected_before_anything_is_written(tmp_path, args, message):
    result = run_cookiecutter(tmp_path, *args)
    assert result.returncode != 0
    if message:
        assert message in result.stdout + result.stderr
        assert "for example: " in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, problems", [
    (["fly_region=xyz"], 1),
    (["backend=rust", "author_email=nope"], 2),
    (["ci=none", "deploy_on_push=yes", "template_check=yes"], 2),
    (["auth=password", "multi_region=yes"], 2),
])
def test_refused_answers_print_their_reasons_and_no_traceback(tmp_path, args, problems):
    """cookiecutter logs a traceback for a failing hook; the answers are refused before any hook runs."""
    result = run_cookiecutter(tmp_path, *args)
    reasons, advice = result.stderr.strip().splitlines(), result.stdout.strip().splitlines()
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr and "Hook script failed" not in result.stderr
    assert reasons[0] == f"Invalid answers ({problems}); nothing was generated:"
    assert len(reasons) == 1 + problems and all(line.startswith("  - ") for line in reasons[1:])
    assert len(advice) == 1 and "cookiecutter --replay" in advice[0]


def test_refused_answers_are_not_saved_for_replay(tmp_path):
    """`--replay` after a refusal repeats the last accepted answers instead of failing again."""
    replay_dir = tmp_path / "replay"
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {replay_dir}\ncookiecutters_dir: {tmp_path / 'cookiecutters'}\n")
    accepted = run_cookiecutter(tmp_path / "first", "--config-file", str(config), "fly_region=fra")
    assert accepted.returncode == 0, accepted.stderr
    (replay_file,) = replay_dir.iterdir()
    saved = replay_file.read_text()
    refused = run_cookiecutter(tmp_path / "second", "--config-file", str(config), "fly_region=xyz")
    assert refused.returncode == 1 and replay_file.read_text() == saved
    replayed = subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(TEMPLATE_DIR), "--replay", "--config-file", str(config),
         "-o", str(tmp_path / "third")], capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert 'primary_region = "fra"' in (tmp_path / "third" / "my-composable-app" / "fly.toml").read_text()


def test_refusal_through_the_api_raises_after_printing_the_reasons_and_writes_nothing(tmp_path, capfd):
    from cookiecutter.exceptions import FailedHookException
    from harness.bake import bake
    with pytest.raises(FailedHookException, match="not saved"):
        bake(tmp_path, fly_region="xyz")
    assert "fly_region: must be a Fly.io region code" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_hook_still_refuses_answers_that_skipped_the_prompt(tmp_path):
    """cruft update hands stored answers (with `__answers_checked` already rendered) to the hooks."""
    from cookiecutter.exceptions import FailedHookException
    from harness.bake import bake
    with pytest.raises(FailedHookException, match="Hook script failed"):
        bake(tmp_path, fly_region="xyz", __answers_checked="")
    assert list(tmp_path.iterdir()) == []


def test_rejected_answers_leave_an_existing_project_untouched(tmp_path):
    project = tmp_path / "my-composable-app"
    project.mkdir()
    (project / "notes.txt").write_text("keep me")
    result = run_cookiecutter(tmp_path, "--overwrite-if-exists", "fly_region=nowhere")
    assert result.returncode != 0 and "fly_region:" in result.stdout + result.stderr
    assert [p.name for p in project.iterdir()] == ["notes.txt"]
    assert (project / "notes.txt").read_text() == "keep me"


def test_post_hook_next_steps_name_the_chosen_tools():
    answers = DEFAULTS | {"layout": "monorepo", "backend": "rust", "database": "postgres",
                          "use_redis": "yes", "package_manager": "npm"}
    steps = post_gen.next_steps(answers)
    assert "npm install" in steps and "pnpm" not in steps
    assert "npm run services:up" in steps
    assert "-- migrate" in steps
    assert "fly apps create my-composable-app && fly apps create my-composable-app-api" in steps
    standalone = post_gen.next_steps(DEFAULTS)
    assert "pnpm install" in standalone and "cargo" not in standalone and "services:up" not in standalone


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


@pytest.mark.parametrize("hook", ["pre_gen_project.py", "post_gen_project.py"])
def test_hooks_read_no_clock_randomness_or_network(hook):
    """Same answers, same tree, on every machine and every day: cruft's updates depend on it."""
    allowed = {"json", "os", "re", "shutil", "sys", "tempfile", "pathlib"}
    assert imported_modules(TEMPLATE_DIR / "hooks" / hook) <= allowed


def test_next_steps_are_only_skipped_for_the_copies_cruft_renders_internally(tmp_path):
    cruft_answers = DEFAULTS | {"_commit": "0" * 40}
    with tempfile.TemporaryDirectory() as internal:  # as cruft's update and diff render
        assert post_gen.is_cruft_regeneration(cruft_answers, Path(internal) / "my-composable-app")
        assert not post_gen.is_cruft_regeneration(DEFAULTS, Path(internal) / "my-composable-app")
    assert not post_gen.is_cruft_regeneration(cruft_answers, tmp_path / "my-composable-app")  # cruft create


def test_next_steps_to_a_closed_stdout_do_not_fail_the_generation():
    read_end, write_end = os.pipe()
    os.close(read_end)  # `cruft create ... | head -1` after head exited
    script = "from harness.hooks import post_gen; post_gen.show('Next steps: ' * 10000)"
    result = subprocess.run([sys.executable, "-c", script], cwd=TEMPLATE_DIR, stdout=write_end,
                            stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")
