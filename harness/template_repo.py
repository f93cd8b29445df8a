"""A git copy of this template and cruft's command line, for the regeneration tests.

cruft clones its template with git and records the commit a project came from, so the tests
work on a copy of this checkout's working tree (tracked files and new, unignored ones: what is
being tested, committed or not), committed as the copy's first commit. `change()` lands a
template change the way a maintainer would. Every git and cruft call gets the same identity,
no signing, no git hooks and git's default conflict markers, whatever the machine's git
configuration, and finds this Python's `cruft`.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import typer.main
from click.testing import CliRunner
from cruft._cli import app as cruft_app

from harness.paths import TEMPLATE_DIR

SKELETON = "{{cookiecutter.project_slug}}"
GIT_ENV = os.environ | {
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "GIT_AUTHOR_NAME": "Template Tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests", "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_COUNT": "3", "GIT_CONFIG_KEY_0": "commit.gpgsign", "GIT_CONFIG_VALUE_0": "false",
    "GIT_CONFIG_KEY_1": "core.hooksPath", "GIT_CONFIG_VALUE_1": os.devnull,
    "GIT_CONFIG_KEY_2": "merge.conflictStyle", "GIT_CONFIG_VALUE_2": "merge",
}


def run(command, cwd: Path, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=GIT_ENV, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} -> {result.returncode}\n{result.stdout}{result.stderr}")
    return result


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout.strip()


@contextlib.contextmanager
def file_descriptors_captured():
    """What subprocesses (git, the template's hooks) write to this process's stdout and stderr."""
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield out, err
        finally:
            for fd, original in zip((1, 2), saved):
                os.dup2(original, fd)
                os.close(original)


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """A cruft command line, parsed and run by cruft's own CLI; the caller checks the status.

    In this process, to spare the fast tier two dozen interpreter start-ups. So the template's
    local_extensions.py is this checkout's, already imported: template changes made by tests
    leave that file alone.
    """
    with contextlib.chdir(cwd), mock.patch.dict(os.environ, GIT_ENV), file_descriptors_captured() as (out, err):
        result = CliRunner().invoke(typer.main.get_command(cruft_app), [str(arg) for arg in args])
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(["cruft", *args], result.exit_code, result.stdout + out.read(),
                                           result.stderr + err.read())


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected {old!r} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return git(repo, "rev-parse", "HEAD")


class TemplateRepo:
    def __init__(self, path: Path):
        self.path = path
        listed = git(TEMPLATE_DIR, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        for relative in filter(None, listed):
            source = TEMPLATE_DIR / relative
            if source.is_file():  # a tracked file deleted in the working tree is not listed as a file
                (path / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path / relative)
        git(path, "init", "--quiet", "--initial-branch", "main")
        self.commits = [commit_all(path, "Template at the version under test")]

    @property
    def head(self) -> str:
        return self.commits[-1]

    def change(self, message: str, edits: dict) -> str:
        """Commit edits to the skeleton: {path in the skeleton: (old text, new text)}."""
        for relative, (old, new) in edits.items():
            replace_once(self.path / SKELETON / relative, old, new)
        self.commits.append(commit_all(self.path, message))
        return self.head

    def create(self, output_dir: Path, commit=True, **answers) -> tuple[Path, subprocess.CompletedProcess]:
        """`cruft create` a project into an empty output_dir, in a git repository: committed as
        generated (commit=True, as a team should) or left for the caller to commit."""
        output_dir.mkdir(parents=True)
        result = cruft(output_dir, "create", "--no-input", self.path, "--output-dir", output_dir,
                       "--extra-context", json.dumps(answers))
        assert result.returncode == 0, result.stdout + result.stderr
        (project,) = output_dir.iterdir()
        git(project, "init", "--quiet", "--initial-branch", "main")
        if commit:
            commit_all(project, "Generated from the template")
        return project, result
