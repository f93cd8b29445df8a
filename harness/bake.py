"""Baking: `cookiecutter --no-input` through cookiecutter's API, and the run's cache of bakes."""

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

from cookiecutter.main import cookiecutter

from harness.answers import default_answers
from harness.paths import TEMPLATE_DIR
from harness.project import Project


def bake(output_dir: Path, **answers) -> Path:
    """Generate a project with cookiecutter's API exactly as `cookiecutter --no-input` would."""
    return Path(cookiecutter(
        str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir),
    ))


class BakeCache:
    """Every bake of a test run, one per set of answers, below `folder`.

    Test processes (xdist workers) share the folder: the first to ask for a set of answers bakes
    it under a file lock, the others wait and read the same files. Bakes are read, never changed:
    `copy` gives a project of one's own to install into or edit.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._projects: dict[str, Project] = {}

    def __call__(self, **changes) -> Project:
        """The project `cookiecutter --no-input` makes of these answers (the others at their default)."""
        answers = default_answers(**changes)
        key = hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()[:16]
        if key not in self._projects:
            self._projects[key] = Project(self._baked(key, changes), answers)
        return self._projects[key]

    def _baked(self, key: str, changes: dict) -> Path:
        folder = self.folder / key
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / ".baked").exists():
                bake(folder / "out", **changes)
                (folder / ".baked").touch()
        (root,) = (folder / "out").iterdir()
        return root

    def copy(self, destination: Path, **changes) -> Project:
        """A copy of the bake in `destination` (under the same folder name, the slug)."""
        project = self(**changes)
        root = destination / project.root.name
        shutil.copytree(project.root, root, symlinks=True)
        return project.moved_to(root)
