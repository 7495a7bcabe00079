#!/usr/bin/env bash
# Starts the test broker in the background on $KAFKA_HOST:$KAFKA_PORT (default 127.0.0.1:19092)
# with in-memory storage (a restart loses every topic), records its pid in $KAFKA_PID_FILE, and
# waits (bounded by $KAFKA_READY_TIMEOUT_S) until it answers Kafka requests. Prints the bootstrap
# address on stdout; exit non-zero (and the broker stopped) if it is not ready.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

[ -x "$BROKER_BIN" ] || die "no broker at $BROKER_BIN; run scripts/kafka/broker-install.sh"
mkdir -p "$KAFKA_RUN_DIR"
if [ -f "$KAFKA_PID_FILE" ] && pid_alive "$(cat "$KAFKA_PID_FILE")"; then
  die "already running, pid $(cat "$KAFKA_PID_FILE"); stop it with scripts/kafka/broker-stop.sh"
fi
port_in_use "$KAFKA_HOST" "$KAFKA_PORT" && die "$KAFKA_BOOTSTRAP is already in use by another process (set KAFKA_PORT)"

t0=$(now_ms)
# Bind loopback explicitly (the default is 0.0.0.0) and advertise the same IPv4 literal.
# setsid: a session of its own, so a Ctrl-C meant for the command run beside it (a pipeline
# stopping gracefully still needs its broker) does not reach the broker.
setsid nohup "$BROKER_BIN" broker \
  --listener-url "$KAFKA_URL" \
  --advertised-listener-url "$KAFKA_URL" \
  --storage-engine "memory://kafka/" \
  >"$KAFKA_LOG_FILE" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$KAFKA_PID_FILE"

fail() {
  log "$1; broker log:"
  cat "$KAFKA_LOG_FILE" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$KAFKA_PID_FILE"
  exit 1
}
deadline=$((t0 + KAFKA_READY_TIMEOUT_S * 1000))
# Ready means it answers ApiVersions + Metadata, not only that the port is open.
until port_in_use "$KAFKA_HOST" "$KAFKA_PORT" &&
  timeout 5 "$BROKER_BIN" topic list --broker "$KAFKA_URL" >/dev/null 2>&1; do
  pid_alive "$pid" || fail "broker exited during startup"
  [ "$(now_ms)" -lt "$deadline" ] || fail "not ready after ${KAFKA_READY_TIMEOUT_S}s"
  sleep 0.2
done
log "ready on $KAFKA_BOOTSTRAP (pid $pid) in $(($(now_ms) - t0)) ms"
echo "$KAFKA_BOOTSTRAP"
