#!/usr/bin/env bash
# Runs a command with a throwaway Kafka-compatible broker (tansu) on 127.0.0.1.
#
# Usage: scripts/with-kafka.sh CMD [ARG...]        (from anywhere; CMD runs in the current folder)
#   scripts/with-kafka.sh cargo test --features kafka --test kafka
#   scripts/with-kafka.sh cargo bench --features kafka --bench kafka
#   scripts/with-kafka.sh cargo run --features kafka --example kafka_word_count -- 127.0.0.1:19092 g words
#
# Installs the broker if missing (scripts/kafka/broker-install.sh), starts it
# (scripts/kafka/broker-start.sh), exports KAFKA_BOOTSTRAP=127.0.0.1:19092 and KAFKA_BROKER_PID
# (tests pause it with SIGSTOP), runs CMD, and stops the broker on exit, also when CMD fails or
# on INT/TERM/HUP. Exit status: CMD's; 1 if the broker could not be started, or if stopping it
# failed after CMD succeeded. Port and paths: see scripts/kafka/env.sh.
set -euo pipefail
KAFKA_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka"
# shellcheck source=kafka/env.sh
source "$KAFKA_SCRIPTS/env.sh"

if [ $# -eq 0 ]; then
  sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
fi

started=0
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ "$started" = 1 ] && ! bash "$KAFKA_SCRIPTS/broker-stop.sh"; then
    log "stopping the broker failed; check with: ps -ef | grep kafka-broker"
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bash "$KAFKA_SCRIPTS/broker-install.sh"
started=1
KAFKA_BOOTSTRAP=$(bash "$KAFKA_SCRIPTS/broker-start.sh")
KAFKA_BROKER_PID=$(cat "$KAFKA_PID_FILE")
export KAFKA_BOOTSTRAP KAFKA_BROKER_PID

set +e
"$@"
rc=$?
set -e
exit "$rc"
