#!/usr/bin/env bash
# The template's test suite. `scripts/test.sh` runs every tier; `scripts/test.sh fast` or
# `scripts/test.sh slow` only that one (the template's CI runs them as two jobs).
#   fast: bakes the option matrix, hooks, escaping, output linters (parallel on 2 cores)
#   slow: installs, builds and starts the default standalone app and the full monorepo
#         against a private PostgreSQL, Redis and headless Chromium on 127.0.0.1
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-all}"
case "$tier" in
  all | fast | slow) ;;
  *) echo "usage: scripts/test.sh [fast|slow]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
export PATH="$HOME/go/bin:$PATH"

if [ "$tier" != slow ]; then
  python3 -m pytest -m "not slow" -n 2 -p no:cacheprovider
fi
if [ "$tier" != fast ]; then
  python3 -m pytest -m slow -p no:cacheprovider
fi
