#!/usr/bin/env python3
"""Screenshots of the default project, for the README: what a bake gives before anyone bakes.

    python3 scripts/screenshots.py [--out docs/screenshots]

Bakes the default project (`cookiecutter . --no-input`), installs and builds it with its own
scripts on the Node it targets, starts the built server as in production (no backend: the built-in
fixture posts), and has headless Chromium (scripts/screenshots.mjs) save PNGs of `/` and a post
page in the light theme, the dark theme and at phone width (390 x 844). Commit the PNGs it writes.
Needs what the slow tests need: pnpm and a system Chromium (`bash scripts/setup.sh`).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS_DIR.parent))

from harness.answers import default_answers  # noqa: E402  (the suite's harness: one way to bake, build and start)
from harness.bake import bake  # noqa: E402
from harness.project import Project  # noqa: E402
from harness.web_build import install_and_build, start_web  # noqa: E402

BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable")


def find_browser() -> str:
    browser = next((path for path in BROWSERS if Path(path).exists()), None)
    if browser is None:
        sys.exit(f"no Chromium at {', '.join(BROWSERS)}: run scripts/setup.sh")
    return browser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SCRIPTS_DIR.parent / "docs" / "screenshots")
    args = parser.parse_args()
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
        work = Path(work)
        project = install_and_build(Project(bake(work / "bake"), default_answers()))
        server = start_web(project, work)
        try:
            # Run from inside the project, where playwright-core is installed.
            shutil.copy(SCRIPTS_DIR / "screenshots.mjs", project.root / "screenshots.mjs")
            subprocess.run(["node", "screenshots.mjs", server.url, str(args.out.resolve()), browser],
                           cwd=project.root, env=project.env, check=True, timeout=300)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
