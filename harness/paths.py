"""Where the template is, and where the suite and the bench keep what outlives one run."""

import os
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent

# One cache for every bake in a run (and across runs on the same machine):
# npm/pnpm downloads and a single Cargo target dir, so each heavy build happens once.
CACHE_DIR = Path(os.environ.get("TEMPLATE_TEST_CACHE", Path.home() / ".cache" / "composable-fly-template"))
