"""Stand-ins for `gh` and `flyctl`, the two commands of the workflows that talk to GitHub and Fly.io.

Both answer in those services' JSON shapes from files in their folder and log each call to
calls.log there: `gh api PATH --jq FILTER` (the filter runs in real jq) and the flyctl commands the
workflows run (fakes/flyctl keeps its apps, secrets and databases in fly-state.json)."""

import json
import shutil
from pathlib import Path

FAKES = Path(__file__).parent / "fakes"


def install_fakes(folder: Path) -> Path:
    """`gh` and `flyctl` in `folder` (put it first on PATH), with no answers yet."""
    folder.mkdir()
    for name in ("gh", "flyctl"):
        shutil.copy2(FAKES / name, folder / name)
    return folder


def fly_state(fakes: Path) -> dict:
    return json.loads((fakes / "fly-state.json").read_text())


def calls(fakes: Path, prefix: str) -> list[str]:
    """The logged calls that start with `prefix` ("flyctl apps destroy", "gh ")."""
    log = fakes / "calls.log"
    return [line for line in log.read_text().splitlines() if line.startswith(prefix)] if log.exists() else []


def fake_github(fakes: Path, main_head: str, successful_ci_runs: int = 1) -> None:
    (fakes / "branch-main.json").write_text(json.dumps({"name": "main", "commit": {"sha": main_head}}))
    (fakes / "ci-runs.json").write_text(json.dumps({"total_count": successful_ci_runs, "workflow_runs": []}))


def fake_releases(fakes: Path, app: str, *releases: tuple[int, str, str]) -> None:
    """`fly releases --json` of `app`: (version, status, image ref), with flyctl's Go field names."""
    (fakes / f"releases-{app}.json").write_text(json.dumps([
        {"ID": f"r{version}", "Version": version, "Stable": False, "InProgress": False, "Reason": "",
         "Description": "", "Status": status, "DeploymentStrategy": "", "Metadata": None,
         "User": {"ID": "", "Name": "", "Email": "ci@example.com"}, "EvaluationID": "",
         "CreatedAt": "2026-11-01T00:00:00Z", "ImageRef": image}
        for version, status, image in sorted(releases, reverse=True)], indent=4))
