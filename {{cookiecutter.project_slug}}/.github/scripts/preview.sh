{%- set monorepo = cookiecutter.layout == "monorepo" -%}
{%- set rust = cookiecutter.backend == "rust" -%}
{%- set postgres = cookiecutter.database == "postgres" -%}
{%- set redis = cookiecutter.use_redis == "yes" -%}
{%- set auth = cookiecutter.auth == "password" -%}
#!/usr/bin/env bash
# Preview apps of pull requests (.github/workflows/preview.yml), in the Fly organization
# $FLY_PREVIEW_ORG, which holds previews only: its token cannot reach production.
#
# Usage: preview.sh name APP NUMBER   the preview app of APP for pull request NUMBER
#        preview.sh deploy NUMBER     create (first time) and deploy the previews of pull request NUMBER
#        preview.sh destroy NUMBER    destroy them{% if postgres %} and drop their database{% endif %}
#        preview.sh sweep             destroy the previews of every closed or deleted pull request
# Needs flyctl (FLY_API_TOKEN: the preview organization's token), jq{% if postgres %}, psql (for `fly mpg connect`){% endif %},
# and for sweep gh (GH_TOKEN) and GITHUB_REPOSITORY.
set -euo pipefail
shopt -s inherit_errexit  # a failing listing inside $( ) stops the script too

WEB_APP={{ cookiecutter.fly_app_name }}
{%- if rust %}
API_APP={{ cookiecutter.fly_api_app_name }}
{%- endif %}
NAME_LIMIT=63  # Fly app names are DNS labels: <name>.fly.dev
# The smallest Machine; stopped when idle, none kept running.
PREVIEW_MEMORY=256mb

fail() {
  echo "::error::$*" >&2
  exit 1
}

pr_number() {
  [[ $1 =~ ^[1-9][0-9]{0,8}$ ]] || fail "not a pull request number: '$1'"
  echo "$1"
}

# <app>-pr-<number>; when that is longer than Fly allows, the app part is cut and an
# abbreviated hash of the whole app name keeps it unique (the web app and the API share a prefix).
preview_name() {
  local app=$1 suffix="-pr-$2" name base hash
  name="$app$suffix"
  if [ "$(printf %s "$name" | wc -c)" -gt "$NAME_LIMIT" ]; then
    hash=$(printf %s "$app" | sha256sum | cut -c 1-6)
    base=$(printf %s "$app" | cut -c "1-$((NAME_LIMIT - 7 - $(printf %s "$suffix" | wc -c)))")
    while [[ $base == *- ]]; do base=${base%-}; done
    name="$base-$hash$suffix"
  fi
  echo "$name"
}

previews_of() {
  preview_name "$WEB_APP" "$1"
{%- if rust %}
  preview_name "$API_APP" "$1"
{%- endif %}
}
{%- if postgres %}

# A database per pull request on the preview cluster, named after the API's preview app.
database_of() {
  preview_name "$API_APP" "$1" | tr - _
}

database_names() {
  local listed
  [ -n "${PREVIEW_PG_CLUSTER:-}" ] || fail "PREVIEW_PG_CLUSTER is not set: the preview cluster's id (docs/DEPLOYMENT-GUIDE.md)"
  listed=$(flyctl mpg databases list "$PREVIEW_PG_CLUSTER" --json)
  # flyctl prints "No databases found ..." instead of an empty JSON list.
  [[ $listed == "No databases found"* ]] || jq -r '.[].name' <<<"$listed"
}
{%- endif %}

org_apps() {
  [ -n "${FLY_PREVIEW_ORG:-}" ] || fail "FLY_PREVIEW_ORG is not set: the preview environment's variable (docs/DEPLOYMENT-GUIDE.md)"
  # `fly apps list --json` prints flyctl's app records (Go field names).
  flyctl apps list --org "$FLY_PREVIEW_ORG" --json | jq -r '.[].Name'
}

has_secret() {
  flyctl secrets list --app "$1" --json | jq -e --arg name "$2" 'any(.[]; .name == $name)' >/dev/null
}

# A copy of APP_DIR/fly.toml beside it (the Dockerfile is found relative to the config): the same
# app, scaled to zero on the smallest Machine. The committed fly.toml is never changed.
preview_config() {
  local dir=$1
  sed -e 's/^\( *min_machines_running = \).*/\10/' \
    -e "s/^\( *memory = \).*/\1\"$PREVIEW_MEMORY\"/" "$dir/fly.toml" >"$dir/fly.preview.toml"
  grep -q '^ *min_machines_running = 0$' "$dir/fly.preview.toml" || fail "$dir/fly.toml: no min_machines_running to set"
  grep -q '^ *auto_stop_machines = "stop"$' "$dir/fly.preview.toml" || fail "$dir/fly.toml: auto_stop_machines is not \"stop\""
  echo "$dir/fly.preview.toml"
}

deploy() {
  local number web existing
  number=$(pr_number "$1")
  web=$(preview_name "$WEB_APP" "$number")
  existing=$(org_apps)
  # `fly apps create`, never `fly launch`: nothing in the checkout is rewritten.
  for app in $(previews_of "$number"); do
    grep -qx "$app" <<<"$existing" || flyctl apps create "$app" --org "$FLY_PREVIEW_ORG"
  done
{%- if rust %}
  local api
  api=$(preview_name "$API_APP" "$number")
{%- if postgres %}
  local database databases
  database=$(database_of "$number")
  databases=$(database_names)
  grep -qx "$database" <<<"$databases" || flyctl mpg databases create "$PREVIEW_PG_CLUSTER" --name "$database"
  if ! has_secret "$api" DATABASE_URL; then
    # attach prints the URL with its password: kept out of the log.
    flyctl mpg attach "$PREVIEW_PG_CLUSTER" --app "$api" --database "$database" >/dev/null
  fi
{%- endif %}
  # One service token for the pair: the web app presents it with every call (and the visitor's
  # address with it). A secret cannot be read back, so a new one whenever either app lacks it.
  if ! has_secret "$api" API_WRITE_TOKEN || ! has_secret "$web" API_WRITE_TOKEN; then
    local token
    token=$(openssl rand -hex 32)
    echo "::add-mask::$token"
    echo "API_WRITE_TOKEN=$token" | flyctl secrets import --app "$api" --stage
    echo "API_WRITE_TOKEN=$token" | flyctl secrets import --app "$web" --stage
  fi
{%- if auth %}
  # Account mails of previews go to the preview environment's own SMTP server (a test inbox),
  # their links to the preview web app.
  [ -n "${PREVIEW_SMTP_URL:-}" ] || fail "PREVIEW_SMTP_URL is not set: the SMTP server for the previews' account mails (docs/DEPLOYMENT-GUIDE.md)"
  [ -n "${PREVIEW_MAIL_FROM:-}" ] || fail "PREVIEW_MAIL_FROM is not set: the sender of the previews' account mails (docs/DEPLOYMENT-GUIDE.md)"
  printf 'SMTP_URL=%s\nMAIL_FROM=%s\n' "$PREVIEW_SMTP_URL" "$PREVIEW_MAIL_FROM" | flyctl secrets import --app "$api" --stage
{%- endif %}
  (cd apps/api && flyctl deploy --config "$(preview_config .)" --app "$api" --remote-only --ha=false --flycast{% if auth %} \
    --env "PUBLIC_URL=https://$web.fly.dev"{% endif %})
{%- endif %}
{%- if redis %}
  [ -n "${PREVIEW_REDIS_URL:-}" ] || fail "PREVIEW_REDIS_URL is not set: the preview organization's Redis (docs/DEPLOYMENT-GUIDE.md)"
  # One Redis for every preview; ioredis reads keyPrefix from the URL, so each preview's rate-limit
  # counters and cache keys are its own.
  local separator="?"
  [[ $PREVIEW_REDIS_URL == *\?* ]] && separator="&"
  echo "REDIS_URL=$PREVIEW_REDIS_URL${separator}keyPrefix=$web:" | flyctl secrets import --app "$web" --stage
{%- endif %}
{%- if not rust %}
  # Never production's backend: a staging one named by the preview environment's variable
  # PREVIEW_BACKEND_URL, or none (empty: the built-in fixture posts).
{%- endif %}
  flyctl deploy --config "$(preview_config {{ "apps/web" if monorepo else "." }})" --app "$web" --remote-only --ha=false \
{%- if rust %}
    --env "COMPOSABLE_RUST_BACKEND_URL=http://$api.flycast"{% if auth %} --env "PUBLIC_URL=https://$web.fly.dev"{% endif %}
{%- else %}
    --env "COMPOSABLE_RUST_BACKEND_URL=${PREVIEW_BACKEND_URL:-}"
{%- endif %}
  echo "url=https://$web.fly.dev" >>"$GITHUB_OUTPUT"
}

destroy() {
  local number existing
  number=$(pr_number "$1")
  existing=$(org_apps)
  for app in $(previews_of "$number"); do
    if grep -qx "$app" <<<"$existing"; then
      flyctl apps destroy "$app" --yes
    else
      echo "$app: already gone"
    fi
  done
{%- if postgres %}
  # flyctl has no command that deletes a database: SQL through the cluster's own connection.
  # WITH (FORCE) ends sessions still open on it.
  [ -n "${PREVIEW_PG_CLUSTER:-}" ] || fail "PREVIEW_PG_CLUSTER is not set: the preview cluster's id (docs/DEPLOYMENT-GUIDE.md)"
  printf '\\set ON_ERROR_STOP on\nDROP DATABASE IF EXISTS "%s" WITH (FORCE);\n' "$(database_of "$number")" |
    flyctl mpg connect "$PREVIEW_PG_CLUSTER"
{%- endif %}
}

# Everything a preview can leave behind in the organization, by name{% if postgres %} (databases with the
# dashes of the app name they were named after){% endif %}.
preview_resources() {
  local apps
  apps=$(org_apps)
  echo "$apps"
{%- if postgres %}
  local databases
  databases=$(database_names)
  tr _ - <<<"$databases"
{%- endif %}
}

# The pull request numbers of this repository's previews: names that are exactly what preview_name
# gives for their number, so other projects' previews in the organization are left alone.
preview_numbers() {
  local name number
  preview_resources | while read -r name; do
    [[ $name =~ -pr-([1-9][0-9]{0,8})$ ]] || continue
    number=${BASH_REMATCH[1]}
    if previews_of "$number" | grep -qx "$name"; then
      echo "$number"
    fi
  done | sort -un
}

sweep() {
  local number state numbers errors
  [ -n "${FLY_PREVIEW_ORG:-}" ] || fail "FLY_PREVIEW_ORG is not set: the preview environment's variable (docs/DEPLOYMENT-GUIDE.md)"
{%- if postgres %}
  [ -n "${PREVIEW_PG_CLUSTER:-}" ] || fail "PREVIEW_PG_CLUSTER is not set: the preview cluster's id (docs/DEPLOYMENT-GUIDE.md)"
{%- endif %}
  numbers=$(preview_numbers)  # before any destroy; fails when a listing fails
  errors=$(mktemp)
  for number in $numbers; do
    # A deleted pull request (404) is as closed as a closed one; any other error stops the sweep.
    if state=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$number" --jq .state 2>"$errors"); then
      :
    elif grep -q "HTTP 404" "$errors"; then
      state=gone
    else
      cat "$errors" >&2
      fail "cannot read pull request $number"
    fi
    if [ "$state" = open ]; then
      echo "#$number is open: kept"
    else
      echo "#$number is $state: destroying its previews"
      destroy "$number"
    fi
  done
}

case "${1:-}" in
  name)
    number=$(pr_number "$3")
    preview_name "$2" "$number"
    ;;
  deploy | destroy) "$1" "$2" ;;
  sweep) sweep ;;
  *) fail "usage: preview.sh name APP NUMBER | deploy NUMBER | destroy NUMBER | sweep" ;;
esac
