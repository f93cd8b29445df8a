"""A generated project as the suite reads it: where it is, where its apps are, what it was asked for."""

from dataclasses import dataclass
from pathlib import Path

from harness.github_actions import load_yaml


@dataclass(frozen=True)
class Project:
    root: Path
    answers: dict  # every answer, the defaults filled in (harness.answers.default_answers)

    @property
    def monorepo(self) -> bool:
        return self.answers["layout"] == "monorepo"

    @property
    def rust(self) -> bool:
        return self.answers["backend"] == "rust"

    @property
    def web(self) -> Path:
        """The web app's folder (its package.json, Dockerfile, fly.toml): the root in standalone."""
        return self.root / "apps" / "web" if self.monorepo else self.root

    @property
    def api(self) -> Path | None:
        return self.root / "apps" / "api" if self.rust else None

    @property
    def apps(self) -> dict:
        """Deploy/rollback job name -> Fly app name."""
        return {"web": self.answers["fly_app_name"], **({"api": self.answers["fly_api_app_name"]} if self.rust else {})}

    def dockerfiles(self) -> list[Path]:
        return [app / "Dockerfile" for app in (self.web, self.api) if app]

    def workflows(self) -> list[Path]:
        return sorted((self.root / ".github" / "workflows").glob("*.yml"))

    def workflow(self, name: str) -> dict:
        """`.github/workflows/<name>.yml` as GitHub reads it."""
        return load_yaml(self.root / ".github" / "workflows" / f"{name}.yml")

    def workflow_text(self, name: str) -> str:
        return (self.root / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8")

    def nearest(self, folder: Path, name: str) -> Path | None:
        """The file `name` in `folder` or the closest folder above it, within the project."""
        for candidate in (folder, *folder.parents):
            if (candidate / name).is_file():
                return candidate / name
            if candidate == self.root:
                return None
        return None

    def moved_to(self, root: Path) -> "Project":
        """The same project copied to `root` (a checkout to change without touching the shared bake)."""
        return Project(root, self.answers)
