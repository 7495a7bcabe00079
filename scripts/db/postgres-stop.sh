#!/usr/bin/env bash
# Stop the PostgreSQL server started by postgres-start.sh and remove its data dir.
# Signals only the postmaster PID recorded in $POSTGRES_PID_FILE, and only if
# /proc/PID/cmdline shows that it is postgres with our data dir (guards against PID reuse).
#
# Signals: INT first, not TERM. For the postmaster SIGTERM is "smart shutdown", which waits
# for every client to disconnect (a test that leaks a pool keeps it up forever); SIGINT is
# "fast shutdown": it closes client connections, rolls back open transactions and exits.
# Then KILL after $DB_STOP_TIMEOUT_S seconds (its children exit when the postmaster dies).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

DATA=$(cat "$POSTGRES_DIR/datadir" 2>/dev/null || echo "$POSTGRES_DIR/data")
rc=0
stop_server "$POSTGRES_PID_FILE" postgres "-D $DATA" INT "$DB_STOP_TIMEOUT_S" || rc=1

if [ "$rc" -eq 0 ]; then
  rm -f "$POSTGRES_PID_FILE" "$POSTGRES_URL_FILE"
  # A mktemp data dir outside the run folder (see postgres-start.sh).
  if [ "$(dirname "$DATA")" != "$POSTGRES_DIR" ]; then remove_marked_dir "$(dirname "$DATA")"; fi
  remove_marked_dir "$POSTGRES_DIR"
  rmdir "$DB_RUN_DIR" 2>/dev/null || true
fi
exit "$rc"
