#!/usr/bin/env bash
# The template's test suite. `scripts/test.sh` runs every tier; `scripts/test.sh fast` only the fast one.
#   fast: bakes the option matrix, hooks, escaping, output linters (parallel on 2 cores)
#   slow: installs, builds and starts the default standalone app and the full monorepo
#         against a private PostgreSQL, Redis and headless Chromium on 127.0.0.1
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/go/bin:$PATH"

python3 -m pytest -m "not slow" -n 2 -p no:cacheprovider
if [ "${1:-all}" != "fast" ]; then
  python3 -m pytest -m slow -p no:cacheprovider
fi
