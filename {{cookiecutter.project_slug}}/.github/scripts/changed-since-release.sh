#!/usr/bin/env bash
# Does Fly app APP need a deploy of commit SHA? Yes when any of PATHS differs between SHA and the
# commit of the app's newest complete release, or when that commit is unknown; no otherwise.
#
# deploy.yml labels every image it builds git-<commit> (`fly deploy --image-label`), so a
# release's image names its commit. Comparing with what runs, not with the previous push, stays
# right after skipped, cancelled or failed deploys and after rollbacks.
#
# Usage: changed-since-release.sh APP SHA PATH...
# Needs flyctl (with FLY_API_TOKEN), jq, and the git history back to the running commit.
# Writes deploy=true or deploy=false to $GITHUB_OUTPUT.
set -euo pipefail

app=$1 sha=$2
shift 2

# `fly releases --json` prints flyctl's release records (Go field names); "complete" is the
# status of a deploy that finished.
image=$(flyctl releases --app "$app" --json |
  jq -r '[.[] | select(.Status == "complete")] | max_by(.Version) | .ImageRef // ""')
running=$(grep -oE 'git-[0-9a-f]{40}' <<<"$image" | head -n 1 | cut -c 5-) || true

if [ -z "$running" ]; then
  deploy=true reason="its running image '${image}' names no commit"
elif ! git cat-file -e "$running^{commit}" 2>/dev/null; then
  deploy=true reason="its running commit $running is not in this history"
elif git diff --quiet "$running" "$sha" -- "$@"; then
  deploy=false reason="none of $* changed since its running commit $running"
else
  changed=$(git diff --name-only "$running" "$sha" -- "$@")
  deploy=true reason="changed since its running commit $running: ${changed//$'\n'/ }"
fi

echo "$app: deploy=$deploy ($reason)"
echo "deploy=$deploy" >> "$GITHUB_OUTPUT"
