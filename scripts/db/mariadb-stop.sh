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
if [ -f "$MARIADB_PID_FILE" ]; then
  pid=$(cat "$MARIADB_PID_FILE")
  if ! [[ "$pid" =~ ^[0-9]+$ ]]; then
    log "pid file $MARIADB_PID_FILE does not hold a pid: '$pid'"
    rc=1
  elif ! pid_alive "$pid"; then
    log "pid $pid is not running"
  elif ! cmd=$(live_cmdline "$pid"); then
    log "pid $pid has exited"
  elif [[ "$cmd" != *mariadbd\ * || "$cmd" != *" --datadir=$MARIADB_DIR/data "* ]]; then
    log "pid $pid is not our mariadbd (${cmd:0:120}); leaving it alone"
    rc=1
  else
    t0=$(now_ms)
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((t0 + DB_STOP_TIMEOUT_S * 1000))
    while pid_alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
    if pid_alive "$pid"; then
      log "pid $pid ignored TERM for ${DB_STOP_TIMEOUT_S}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    fi
    if pid_alive "$pid"; then
      log "pid $pid still alive after KILL"
      rc=1
    else
      log "stopped pid $pid in $(($(now_ms) - t0)) ms"
    fi
  fi
else
  log "no pid file ($MARIADB_PID_FILE): nothing to stop"
fi

if [ "$rc" -eq 0 ]; then
  rm -f "$MARIADB_PID_FILE" "$MARIADB_URL_FILE"
  remove_marked_dir "$MARIADB_DIR"
  rmdir "$DB_RUN_DIR" 2>/dev/null || true
fi
exit "$rc"
