#!/usr/bin/env bash
# Runs a command with throwaway MariaDB and PostgreSQL servers on 127.0.0.1.
#
# Usage: scripts/with-databases.sh CMD [ARG...]       (from anywhere; CMD runs in the current folder)
#   scripts/with-databases.sh cargo test --workspace
#   scripts/with-databases.sh cargo bench --bench database
#   scripts/with-databases.sh cargo run --example NAME
#
# Starts both servers (scripts/db/mariadb-start.sh, scripts/db/postgres-start.sh; they install
# mariadb-server / postgresql with apt-get if missing), exports
#   MYSQL_URL=mysql://streamdsl:streamdsl@127.0.0.1:13306/streamdsl_test
#   POSTGRES_URL=postgres://streamdsl:streamdsl@127.0.0.1:15432/streamdsl_test
# runs CMD, and stops both servers on exit, also when CMD fails or on INT/TERM/HUP (their data
# dirs under <repo>/.db-run/ are removed). Exit status: CMD's; 1 if a server could not be
# started, or if stopping one failed after CMD succeeded; 130/143/129 on INT/TERM/HUP.
# Ports, names, timeouts etc.: see scripts/db/env.sh (same environment variables).
set -euo pipefail
DB_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/db"
# shellcheck source=db/env.sh
source "$DB_SCRIPTS/env.sh"

if [ $# -eq 0 ]; then
  sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
fi

# A server recorded in this run folder and still up belongs to someone else (a manual start or
# another with-databases.sh): refuse rather than stop it on exit.
running_pid() { # running_pid PID_FILE PATTERN: print the recorded pid if its cmdline matches
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" && [[ "$(pid_cmdline "$pid")" == *"$2"* ]] && echo "$pid"
}
pg_data=$(cat "$POSTGRES_DIR/datadir" 2>/dev/null || echo "$POSTGRES_DIR/data")
if pid=$(running_pid "$MARIADB_PID_FILE" " --datadir=$MARIADB_DIR/data "); then
  die "MariaDB from $DB_RUN_DIR is already running (pid $pid); stop it with: bash scripts/db/mariadb-stop.sh"
fi
if pid=$(running_pid "$POSTGRES_PID_FILE" " -D $pg_data "); then
  die "PostgreSQL from $DB_RUN_DIR is already running (pid $pid); stop it with: bash scripts/db/postgres-stop.sh"
fi

started_mariadb=0
started_postgres=0
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local rc=$? stop_rc=0
  trap - EXIT INT TERM HUP
  if [ "$started_postgres" = 1 ]; then bash "$DB_SCRIPTS/postgres-stop.sh" || stop_rc=1; fi
  if [ "$started_mariadb" = 1 ]; then bash "$DB_SCRIPTS/mariadb-stop.sh" || stop_rc=1; fi
  if [ "$stop_rc" -ne 0 ]; then
    log "stopping a database server failed; check with: ps -ef | grep -E 'mariadbd|postgres'"
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
# Set before the first start, so that a failed start (or a second one failing) cleans up.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

t0=$(now_ms)
started_mariadb=1
# Plain assignments: `export X=$(cmd)` would hide a failing cmd from `set -e`.
MYSQL_URL=$(bash "$DB_SCRIPTS/mariadb-start.sh")
started_postgres=1
POSTGRES_URL=$(bash "$DB_SCRIPTS/postgres-start.sh")
export MYSQL_URL POSTGRES_URL
log "databases up in $(($(now_ms) - t0)) ms: MYSQL_URL=$MYSQL_URL POSTGRES_URL=$POSTGRES_URL"

# CMD runs in the foreground (keeps its stdin and signal dispositions); its status is ours.
set +e
"$@"
rc=$?
set -e
exit "$rc"
