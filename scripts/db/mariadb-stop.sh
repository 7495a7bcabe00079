#!/usr/bin/env bash
# Stop the MariaDB server started by mariadb-start.sh and remove its data dir.
# Signals only the PID recorded in $MARIADB_PID_FILE, and only if /proc/PID/cmdline shows
# that it is mariadbd with our data dir (guards against PID reuse): TERM, then KILL after
# $DB_STOP_TIMEOUT_S seconds. Safe to run when nothing is running.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

rc=0
stop_server "$MARIADB_PID_FILE" mariadbd "--datadir=$MARIADB_DIR/data" TERM "$DB_STOP_TIMEOUT_S" || rc=1

if [ "$rc" -eq 0 ]; then
  rm -f "$MARIADB_PID_FILE" "$MARIADB_URL_FILE"
  remove_marked_dir "$MARIADB_DIR"
  rmdir "$DB_RUN_DIR" 2>/dev/null || true
fi
exit "$rc"
