#!/usr/bin/env bash
# Stops the broker started by broker-start.sh: only the pid in $KAFKA_PID_FILE, and only if it
# still runs our broker on our address (guards against pid reuse). TERM, then KILL.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

rc=0
stop_server "$KAFKA_PID_FILE" "$BROKER_BIN" "$KAFKA_URL" TERM "$KAFKA_STOP_TIMEOUT_S" || rc=1
[ "$rc" -eq 0 ] && rm -f "$KAFKA_PID_FILE"
exit "$rc"
