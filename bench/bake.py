"""How long one bake takes: median of N runs of `cookiecutter --no-input`, per layout.

A report, not a test: `python3 bench/bake.py [runs]` prints a table of wall times.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.answers import FULL_MONOREPO  # noqa: E402
from harness.paths import TEMPLATE_DIR  # noqa: E402

CASES = {
    "standalone (defaults)": [],
    "monorepo (every option on)": [f"{option}={value}" for option, value in FULL_MONOREPO.items()],
}


def bake_seconds(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cookiecutter", str(TEMPLATE_DIR), "--no-input", "-o", output, *args],
                       check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"{'case':32} {'median s':>9} {'min s':>7} {'max s':>7}  (runs={runs}, includes Python start-up)")
    for name, args in CASES.items():
        times = [bake_seconds(args) for _ in range(runs)]
        print(f"{name:32} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f}")


if __name__ == "__main__":
    main()
