"""Shared plumbing for the template's suite: baking, caches and fixture plugins."""

import os
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR))  # local_extensions, as cookiecutter loads it

# One cache for every bake in a run (and across runs on the same machine):
# npm/pnpm downloads and a single Cargo target dir, so each heavy build happens once.
CACHE_DIR = Path(os.environ.get("TEMPLATE_TEST_CACHE", Path.home() / ".cache" / "composable-fly-template"))

# The "full" monorepo: every optional part switched on, npm as its package manager and
# Node 24 (the default standalone covers pnpm and Node 26; a final-stage bake covers Node 22).
FULL_MONOREPO = {
    "layout": "monorepo",
    "backend": "rust",
    "database": "postgres",
    "use_redis": "yes",
    "use_i18n": "yes",
    "use_sentry": "yes",
    "package_manager": "npm",
    "ci": "github-actions",
    "deploy_on_push": "yes",
    "node_version": "24",
    "multi_region": "yes",
    "auth": "password",
}

pytest_plugins = ["fixtures.services", "fixtures.api", "fixtures.projects"]  # services first: fixtures.api imports it


def bake(output_dir: Path, **answers) -> Path:
    """Generate a project with cookiecutter's API exactly as `cookiecutter --no-input` would."""
    return Path(cookiecutter(
        str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir),
    ))


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return CACHE_DIR
