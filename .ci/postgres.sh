#!/usr/bin/env bash
# .ci/postgres.sh starts a local PostgreSQL server for the state store tests
# and prints the URL to use, so a caller can run:
#
#   eval "$(.ci/postgres.sh)"
#
# It is idempotent: it installs PostgreSQL with apt-get only when it is
# missing, creates the cluster only when it does not exist, starts it only
# when it is down, and creates the role and database only once. Progress goes
# to stderr; stdout carries only the export line.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_TEST_USER:-pipeline}"
PG_PASSWORD="${PG_TEST_PASSWORD:-pipeline}"
PG_DB="${PG_TEST_DB:-pipeline_test}"

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -n -u postgres -- "$@"
	fi
}

psql_admin() {
	as_postgres psql --no-psqlrc -v ON_ERROR_STOP=1 -q -At -p "$PG_PORT" "$@"
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
	[ "$(id -u)" = 0 ] || die "PostgreSQL $PG_VERSION is not installed; run as root so apt-get can install it"
	log "installing postgresql-$PG_VERSION with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "postgresql-$PG_VERSION" >&2
fi

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
	log "creating cluster $PG_VERSION/$PG_CLUSTER on port $PG_PORT"
	pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >&2
fi

status="$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}')"
if [ "$status" != online ]; then
	log "starting cluster $PG_VERSION/$PG_CLUSTER"
	pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
fi

log "waiting for the server on port $PG_PORT"
for _ in $(seq 1 60); do
	if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
		break
	fi
	sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "server on 127.0.0.1:$PG_PORT is not ready after 30s; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"

if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]; then
	log "creating role $PG_USER"
	psql_admin -d postgres -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
else
	psql_admin -d postgres -c "ALTER ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
fi

if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
	log "creating database $PG_DB owned by $PG_USER"
	psql_admin -d postgres -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\""
fi

log "ready"
echo "export PIPELINE_TEST_POSTGRES='postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable'"
