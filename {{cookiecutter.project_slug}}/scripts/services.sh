{%- set postgres = cookiecutter.database == "postgres" -%}
{%- set redis = cookiecutter.use_redis == "yes" -%}
{%- set services = ("postgres " if postgres else "") ~ ("redis" if redis else "") -%}
{%- set options = ("[--postgres-port N]" if postgres else "") ~ (" " if postgres and redis else "") ~ ("[--redis-port N]" if redis else "") -%}
#!/bin/sh
# Starts (`up`) and stops (`down`) what the dev servers need: {{ services|trim }}.
# With a running Docker: the services of docker-compose.yml. Without: the binaries installed on
# this machine (PATH{% if postgres %}, or Debian's /usr/lib/postgresql/<version>/bin{% endif %}),
# with their data in .services/ (git-ignored; delete it to start empty), on 127.0.0.1 only.
#   sh scripts/services.sh up {{ options }}   (ports: without Docker only)
#   sh scripts/services.sh down
set -eu
cd "$(dirname "$0")/.."

SERVICES="{{ services|trim }}"
STATE="$PWD/.services"
{%- if postgres %}
postgres_port=5432
{%- endif %}
{%- if redis %}
redis_port=6379
{%- endif %}

fail() { echo "services: $*" >&2; exit 1; }

docker_running() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
{%- if postgres %}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user
# (the Debian package creates it), which must be able to reach this folder.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"  # the folder of the real binaries: psql, createdb
    return
  fi
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1)
  [ -n "$newest" ] && [ -x "$newest/initdb" ] || fail "PostgreSQL not found: install it (Debian: apt-get install postgresql) or start Docker"
  echo "$newest"
}

postgres_up() {
  bin=$(postgres_bin)
  data="$STATE/postgres"
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "PostgreSQL refuses to run as root and there is no postgres user: run this as a normal user"
    chown postgres "$data"
    runuser -u postgres -- test -w "$data" || fail "the postgres user cannot reach $data: run this as a normal user, or from a folder it can enter"
  fi
  chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    # Trust on 127.0.0.1 only: the compose service's well-known password would protect no more.
    as_owner "$bin/initdb" --pgdata "$data" --username app --auth trust --encoding UTF8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" --pgdata "$data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" --pgdata "$data" --log "$data/server.log" --wait --timeout 60 \
      --options "-c listen_addresses=127.0.0.1 -c port=$postgres_port -c unix_socket_directories=''" start >/dev/null \
      || fail "PostgreSQL did not start; see $data/server.log"
  fi
  if ! as_owner "$bin/psql" --host 127.0.0.1 --port "$postgres_port" --username app --dbname postgres \
      --tuples-only --no-align --command "SELECT 1 FROM pg_database WHERE datname = 'app'" | grep -q 1; then
    as_owner "$bin/createdb" --host 127.0.0.1 --port "$postgres_port" --username app app
  fi
}

postgres_down() {
  data="$STATE/postgres"
  [ -f "$data/postmaster.pid" ] || return 0
  as_owner "$(postgres_bin)/pg_ctl" --pgdata "$data" --mode fast --wait --timeout 60 stop >/dev/null
}
{%- endif %}
{%- if redis %}

redis_up() {
  command -v redis-server >/dev/null 2>&1 || fail "redis-server not found: install it (Debian: apt-get install redis-server) or start Docker"
  mkdir -p "$STATE/redis"
  pidfile="$STATE/redis/redis.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    return
  fi
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$STATE/redis" --appendonly yes \
    --daemonize yes --pidfile "$pidfile" --logfile "$STATE/redis/redis.log"
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -s "$pidfile" ] && return
    sleep 0.5
  done
  fail "Redis did not start; see $STATE/redis/redis.log"
}

redis_down() {
  pidfile="$STATE/redis/redis.pid"
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return; }
    sleep 0.5
  done
  fail "Redis (pid $pid) did not stop"
}
{%- endif %}

usage() { fail "usage: sh scripts/services.sh up|down {{ options }}"; }

command=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift ;;  # some package managers pass the `--` of `run services:up -- ...` on
{%- if postgres %}
    --postgres-port) postgres_port=${2:?}; shift 2 ;;
{%- endif %}
{%- if redis %}
    --redis-port) redis_port=${2:?}; shift 2 ;;
{%- endif %}
    *) usage ;;
  esac
done

case "$command" in
  up)
    if docker_running; then
      # shellcheck disable=SC2086 # one word per service
      docker compose up --detach --wait $SERVICES
      mkdir -p "$STATE" && touch "$STATE/docker"
{%- if postgres %}
      postgres_port=5432  # fixed by docker-compose.yml
{%- endif %}
{%- if redis %}
      redis_port=6379  # fixed by docker-compose.yml
{%- endif %}
    else
{%- if postgres %}
      postgres_up
{%- endif %}
{%- if redis %}
      redis_up
{%- endif %}
    fi
    echo "Services are up. In .env:"
{%- if postgres %}
    echo "DATABASE_URL=postgres://app:app@127.0.0.1:$postgres_port/app"
{%- endif %}
{%- if redis %}
    echo "REDIS_URL=redis://127.0.0.1:$redis_port"
{%- endif %}
    ;;
  down)
    if [ -f "$STATE/docker" ]; then
      # shellcheck disable=SC2086 # one word per service
      docker compose stop $SERVICES
      rm -f "$STATE/docker"
    fi
{%- if postgres %}
    postgres_down
{%- endif %}
{%- if redis %}
    redis_down
{%- endif %}
    echo "Services are stopped; their data is kept for the next \`up\`."
    ;;
  *) usage ;;
esac
