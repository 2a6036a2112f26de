#!/usr/bin/env bash
# Make sure a local PostgreSQL server is ready for Overgang's PostgreSQL tests,
# then print its SQLAlchemy URL -- and nothing else -- on stdout:
#
#   postgresql+psycopg://overgang:overgang@127.0.0.1:<port>/overgang_test
#
# Idempotent; run as root on Debian 12 (no systemd needed). Each step is done
# only when missing:
#   1. install Debian's `postgresql` package (apt-get, non-interactive);
#   2. create a cluster `main` if the machine has none (pg_createcluster);
#   3. start the cluster (pg_ctlcluster <ver> main start);
#   4. wait (at most PG_WAIT_SECONDS, default 30) until pg_isready says yes;
#   5. create role `overgang` (password `overgang`, LOGIN CREATEDB) and
#      database `overgang_test` owned by it.
# All progress messages go to stderr.
#
# Usage:
#   URL="$(bash scripts/test-postgres.sh)"      # ensure running, print URL
#   bash scripts/test-postgres.sh restart       # restart the cluster, wait, print URL
#   bash scripts/test-postgres.sh stop          # stop the cluster, print nothing
#
# Stopping/starting the server by hand (e.g. from fault tests, as root); find
# <ver> and the port with `pg_lsclusters` (here: 15, main, 5432):
#   pg_ctlcluster <ver> main stop -m fast       # or -m immediate to simulate a crash
#   pg_ctlcluster <ver> main start
#   pg_ctlcluster <ver> main restart -m fast
#   pg_isready -h 127.0.0.1 -p <port>           # exit 0 once it accepts connections
set -euo pipefail

ACTION="${1:-start}"
PG_ROLE="overgang"
PG_PASSWORD="overgang"
PG_DB="overgang_test"
PG_WAIT_SECONDS="${PG_WAIT_SECONDS:-30}"
export DEBIAN_FRONTEND=noninteractive
# Perl tools (pg_lsclusters, pg_createcluster) complain loudly about unset locales.
export LC_ALL=C.UTF-8 LANG=C.UTF-8

log() { printf 'test-postgres: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$ACTION" in
  start|restart|stop) ;;
  *) die "unknown action '$ACTION' (use: start | restart | stop)" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and runs pg_ctlcluster)"

server_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 \
    && command -v pg_lsclusters >/dev/null 2>&1 \
    && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# 1. Install ----------------------------------------------------------------
if ! server_installed; then
  log "PostgreSQL server not found; installing Debian's postgresql package"
  # Wait for a concurrent apt/dpkg (e.g. a background install) instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends postgresql >&2
  server_installed || die "postgresql installed but pg_ctlcluster/postgres still missing"
fi

# 2. Cluster -----------------------------------------------------------------
# pg_lsclusters -h: "<ver> <name> <port> <status> <owner> <datadir> <logfile>"
find_cluster() {
  # Prefer a cluster named main, then the newest version.
  pg_lsclusters -h 2>/dev/null | awk '{ print ($2 == "main" ? 1 : 0), $0 }' \
    | sort -k1,1nr -k2,2Vr | head -n 1 | cut -d' ' -f2-
}

CLUSTER_LINE="$(find_cluster)"
if [ -z "$CLUSTER_LINE" ]; then
  PG_VERSION="$(basename "$(dirname "$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)")")")"
  log "no PostgreSQL cluster; creating ${PG_VERSION}/main"
  pg_createcluster --locale=C.UTF-8 --encoding=UTF8 "$PG_VERSION" main >&2
  CLUSTER_LINE="$(find_cluster)"
  [ -n "$CLUSTER_LINE" ] || die "pg_createcluster did not create a cluster"
fi
read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS _ <<<"$CLUSTER_LINE"
log "cluster ${PG_VERSION}/${PG_CLUSTER} on port ${PG_PORT} is ${PG_STATUS}"

# Without systemd nothing recreates the socket directory after a reboot (/run is tmpfs).
install -d -o postgres -g postgres -m 2775 /var/run/postgresql

# pg_ctlcluster would hand over to systemctl where systemd runs; never here.
PGCTL=(pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER")

is_online() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" \
  '$1 == v && $2 == c && $4 ~ /^online/ { found = 1 } END { exit !found }'; }

# 3. Stop / start --------------------------------------------------------------
case "$ACTION" in
  stop)
    if is_online; then
      log "stopping ${PG_VERSION}/${PG_CLUSTER}"
      "${PGCTL[@]}" stop -m fast >&2
    else
      log "already stopped"
    fi
    exit 0
    ;;
  restart)
    if is_online; then
      log "restarting ${PG_VERSION}/${PG_CLUSTER}"
      "${PGCTL[@]}" restart -m fast >&2
    else
      log "starting ${PG_VERSION}/${PG_CLUSTER}"
      "${PGCTL[@]}" start >&2
    fi
    ;;
  start)
    if is_online; then
      log "already running"
    else
      log "starting ${PG_VERSION}/${PG_CLUSTER}"
      "${PGCTL[@]}" start >&2 || {
        log "start failed; last lines of the server log:"
        tail -n 20 "/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log" >&2 || true
        exit 1
      }
    fi
    ;;
esac

# 4. Wait --------------------------------------------------------------------------
deadline=$((SECONDS + PG_WAIT_SECONDS))
until pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    pg_isready -h 127.0.0.1 -p "$PG_PORT" >&2 || true
    die "PostgreSQL on 127.0.0.1:${PG_PORT} not ready after ${PG_WAIT_SECONDS}s"
  fi
  sleep 0.5
done
log "accepting connections on 127.0.0.1:${PG_PORT}"

# 5. Role and database -------------------------------------------------------------
# As the postgres OS user over the Unix socket (peer auth); cd / so psql does
# not complain about a working directory it cannot read.
pg_psql() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@")
}

if [ "$(pg_psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '${PG_ROLE}'")" != "1" ]; then
  log "creating role ${PG_ROLE}"
  pg_psql -c "CREATE ROLE ${PG_ROLE} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'" >&2
else
  # Keep the password known even if someone changed it.
  pg_psql -c "ALTER ROLE ${PG_ROLE} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'" >&2
fi

if [ "$(pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != "1" ]; then
  log "creating database ${PG_DB}"
  pg_psql -c "CREATE DATABASE ${PG_DB} OWNER ${PG_ROLE} ENCODING 'UTF8' TEMPLATE template0" >&2
fi

printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' "$PG_ROLE" "$PG_PASSWORD" "$PG_PORT" "$PG_DB"
