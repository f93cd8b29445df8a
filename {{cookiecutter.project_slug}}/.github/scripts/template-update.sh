#!/usr/bin/env bash
# Takes the template's newest commit (`cruft update`) on the branch template-update and opens, or
# updates, one pull request with it. Up to date: nothing is pushed or opened. Conflicts (files
# with markers, `.rej` files of changes that did not apply) are committed as they are, so they can
# be resolved on the branch, and listed in the pull request, which is then a draft.
#
# Usage: template-update.sh, from a clean checkout of main with its history.
# Needs cruft, git, gh (GH_TOKEN: a token that may push workflow files, see docs/DEPLOYMENT-GUIDE.md)
# and GITHUB_REPOSITORY.
set -euo pipefail

BRANCH=template-update
BASE=main

if status=$(cruft check 2>&1); then
  echo "Up to date with the template: nothing to do."
  exit 0
elif [[ $status != *"out of date"* ]]; then
  echo "$status" >&2
  echo "::error::cruft could not read the template named in .cruft.json (see above)" >&2
  exit 1
fi

git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git switch --force-create "$BRANCH" "origin/$BASE"
cruft update --skip-apply-ask
template_commit=$(jq -r .commit .cruft.json)

conflicts=$( (git diff --name-only --diff-filter=U; git ls-files --others --exclude-standard -- '*.rej') | sort -u)
git add --all
# Files that hold conflict markers once everything is staged (a 3-way merge leaves them in place).
conflicts=$( (echo "$conflicts"; git diff --cached --name-only -G '^<<<<<<< ' ) | sed '/^$/d' | sort -u)

body=$(mktemp)
{
  echo "The template's changes up to \`$template_commit\`, applied by \`cruft update\`."
  echo
  if [ -n "$conflicts" ]; then
    echo "**Conflicts to resolve on this branch before merging** (markers \`<<<<<<<\`, or \`.rej\` files of changes that did not apply):"
    echo
    while read -r file; do echo "- \`$file\`"; done <<<"$conflicts"
  else
    echo "Applied without conflicts."
  fi
} >"$body"
cat "$body"

git commit --quiet --message "Template update to $template_commit"
git push --force origin "$BRANCH"

title="Template update to ${template_commit:0:12}"
open=$(gh pr list --repo "$GITHUB_REPOSITORY" --head "$BRANCH" --base "$BASE" --state open --json number --jq '.[0].number // ""')
if [ -n "$open" ]; then
  gh pr edit "$open" --repo "$GITHUB_REPOSITORY" --title "$title" --body-file "$body"
else
  draft=()
  [ -n "$conflicts" ] && draft=(--draft)
  gh pr create --repo "$GITHUB_REPOSITORY" --base "$BASE" --head "$BRANCH" --title "$title" --body-file "$body" "${draft[@]}"
fi
