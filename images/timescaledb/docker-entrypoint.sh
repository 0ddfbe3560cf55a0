#!/usr/bin/env bash
# The TimescaleDB image's entrypoint: the contract of the official PostgreSQL/TimescaleDB images'
# entrypoint, written for this image (the parts the platform's manifests use).
#
#   docker-entrypoint.sh postgres [server options]   (options alone imply `postgres`)
#
# On the first start (no $PGDATA/PG_VERSION):
#   - initdb with POSTGRES_USER (default postgres) as superuser, password POSTGRES_PASSWORD
#     (required unless POSTGRES_HOST_AUTH_METHOD=trust), extra POSTGRES_INITDB_ARGS;
#   - the server listens on all addresses; connections from other hosts authenticate with
#     POSTGRES_HOST_AUTH_METHOD (default scram-sha-256); local and loopback ones are trusted,
#     as initdb sets them (a pod's probes and sidecars connect there);
#   - a temporary server on the Unix socket only creates POSTGRES_DB (default: the user's name)
#     and runs /docker-entrypoint-initdb.d/* in name order: *.sh executed when executable, else
#     sourced (they see PGDATA and the POSTGRES_* variables); *.sql and *.sql.gz through psql;
#     anything else is named and skipped; then it stops.
# Then, and on every later start, it execs the command (the server runs as PID 1's replacement).
# Any other command (bash, psql, ...) is exec'd as it is.
set -Eeuo pipefail

log() { echo "docker-entrypoint: $*" >&2; }

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || true

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    log "POSTGRES_PASSWORD is empty: set it (or POSTGRES_HOST_AUTH_METHOD=trust to allow any connection without one)"
    exit 1
  fi
  if [ -n "$(ls -A "$PGDATA")" ]; then
    log "$PGDATA is not empty and holds no cluster (no PG_VERSION): point PGDATA at an empty directory below the volume's mount point"
    exit 1
  fi
  log "initialising a cluster in $PGDATA (superuser $user, database $db)"
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of options
  initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") ${POSTGRES_INITDB_ARGS:-} >&2
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  port="${PGPORT:-5432}"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $port" -w start >&2
  psql_init=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$user" --no-password --port "$port")
  if [ "$db" != postgres ]; then
    "${psql_init[@]}" --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";' >&2
  fi
  export POSTGRES_USER="$user" POSTGRES_DB="$db"
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          log "running $f"
          "$f"
        else
          log "sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql)
        log "running $f"
        "${psql_init[@]}" --dbname "$db" -f "$f" >&2
        ;;
      *.sql.gz)
        log "running $f"
        gunzip -c "$f" | "${psql_init[@]}" --dbname "$db" >&2
        ;;
      *) log "ignoring $f (neither .sh, .sql nor .sql.gz)" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  log "cluster initialised; starting the server"
fi

exec "$@"
