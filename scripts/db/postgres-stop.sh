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
if [ -f "$POSTGRES_PID_FILE" ]; then
  pid=$(cat "$POSTGRES_PID_FILE")
  if ! [[ "$pid" =~ ^[0-9]+$ ]]; then
    log "pid file $POSTGRES_PID_FILE does not hold a pid: '$pid'"
    rc=1
  elif ! pid_alive "$pid"; then
    log "pid $pid is not running"
  elif ! cmd=$(live_cmdline "$pid"); then
    log "pid $pid has exited"
  elif [[ "$cmd" != *postgres\ * || "$cmd" != *" -D $DATA "* ]]; then
    log "pid $pid is not our postgres (${cmd:0:120}); leaving it alone"
    rc=1
  else
    t0=$(now_ms)
    kill -INT "$pid" 2>/dev/null || true
    deadline=$((t0 + DB_STOP_TIMEOUT_S * 1000))
    while pid_alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
    if pid_alive "$pid"; then
      log "pid $pid still up ${DB_STOP_TIMEOUT_S}s after INT (fast shutdown); sending KILL"
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
  log "no pid file ($POSTGRES_PID_FILE): nothing to stop"
fi

if [ "$rc" -eq 0 ]; then
  rm -f "$POSTGRES_PID_FILE" "$POSTGRES_URL_FILE"
  # A mktemp data dir outside the run folder (see postgres-start.sh).
  if [ "$(dirname "$DATA")" != "$POSTGRES_DIR" ]; then remove_marked_dir "$(dirname "$DATA")"; fi
  remove_marked_dir "$POSTGRES_DIR"
  rmdir "$DB_RUN_DIR" 2>/dev/null || true
fi
exit "$rc"
