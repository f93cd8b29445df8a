"""Where actionlint is: $ACTIONLINT, the copy scripts/install-linters.sh installs, or PATH."""

import os
import shutil
from pathlib import Path

from harness.paths import TEMPLATE_DIR


def find_actionlint() -> str | None:
    for candidate in (os.environ.get("ACTIONLINT"), TEMPLATE_DIR / ".cache" / "bin" / "actionlint",
                      shutil.which("actionlint")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None
