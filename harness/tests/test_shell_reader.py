"""harness.shell: the simple commands of a shell snippet and the folder each runs in."""

import os
from pathlib import Path

from harness.shell import shell_commands

ROOT = Path("/project")


def commands(script: str) -> list[tuple[str, list[str]]]:
    """(folder relative to ROOT, `..` resolved, argv) of each command."""
    return [(os.path.relpath(os.path.normpath(folder), ROOT), argv) for folder, argv in shell_commands(script, ROOT)]


def test_cd_moves_the_commands_after_it_and_a_subshell_keeps_it_inside():
    assert commands("cd apps/web && pnpm build\n(cd ../api && cargo test)\npnpm lint") == [
        ("apps/web", ["pnpm", "build"]), ("apps/api", ["cargo", "test"]), ("apps/web", ["pnpm", "lint"])]


def test_pipes_lists_and_assignments():
    assert commands("FOO=1 BAR=x npm run dev | tee log; fly deploy --app a || true") == [
        (".", ["npm", "run", "dev"]), (".", ["tee", "log"]), (".", ["fly", "deploy", "--app", "a"]), (".", ["true"])]


def test_a_command_substitution_is_a_command_of_its_own():
    assert commands("npm install --global $(node -p 'x')") == [
        (".", ["npm", "install", "--global", "$"]), (".", ["node", "-p", "x"])]


def test_continued_lines_are_one_command_and_comments_are_dropped():
    assert commands("fly deploy \\\n  --remote-only  # first deploy") == [(".", ["fly", "deploy", "--remote-only"])]


def test_an_unreadable_line_is_an_error_not_a_silent_skip():
    try:
        commands("echo 'unclosed")
    except AssertionError as error:
        assert "cannot read this shell line" in str(error)
    else:
        raise AssertionError("an unclosed quote was read")
