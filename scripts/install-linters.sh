#!/usr/bin/env sh
# Installs the linters the template's suite runs on generated files that PyPI does not ship:
# actionlint (GitHub Actions workflows), built from source with the Go toolchain at a pinned version.
# hadolint, check-jsonschema and docker-compose come from requirements-test.txt.
#
# Usage: scripts/install-linters.sh [BIN_DIR]   (default: .cache/bin inside this repository)
# Tests find the binary through $ACTIONLINT, then BIN_DIR, then PATH.
set -eu

ACTIONLINT_VERSION="v1.7.12"

here="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="${1:-$here/.cache/bin}"
mkdir -p "$bin_dir"

if [ -x "$bin_dir/actionlint" ] && "$bin_dir/actionlint" -version | grep -q "${ACTIONLINT_VERSION#v}"; then
  echo "actionlint ${ACTIONLINT_VERSION} already in $bin_dir"
  exit 0
fi

GOBIN="$bin_dir" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
"$bin_dir/actionlint" -version
