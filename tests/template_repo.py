"""A git copy of this template and the cruft CLI, for the regeneration tests.

cruft clones its template with git and records the commit a project came from, so the tests
work on a copy of this checkout's working tree (tracked files and new, unignored ones: what is
being tested, committed or not), committed as the copy's first commit. `change()` lands a
template change the way a maintainer would. Every git and cruft call gets the same identity
and no signing, whatever the machine's git configuration, and finds this Python's `cruft`.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import TEMPLATE_DIR

SKELETON = "{{cookiecutter.project_slug}}"
GIT_ENV = os.environ | {
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "GIT_AUTHOR_NAME": "Template Tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests", "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "commit.gpgsign", "GIT_CONFIG_VALUE_0": "false",
}


def run(command, cwd: Path, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=GIT_ENV, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} -> {result.returncode}\n{result.stdout}{result.stderr}")
    return result


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout.strip()


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """The cruft command line, as a user runs it; the caller checks the exit status."""
    return run([sys.executable, "-m", "cruft", *args], cwd, check=False)


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
