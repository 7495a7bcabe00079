# shellcheck shell=bash
# Settings for the Kafka broker scripts (a throwaway Kafka-compatible broker on 127.0.0.1 for
# the Kafka tests, examples and bench). Sourced, not run. Every setting can be overridden from
# the environment; start and stop must see the same values. Relative paths are taken relative
# to the repo root, whatever the current folder is.

KAFKA_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_REPO_ROOT="$(cd "$KAFKA_SCRIPTS_DIR/../.." && pwd)"   # this file is <repo>/scripts/kafka/env.sh

: "${KAFKA_TOOLS_DIR:=.kafka-tools}"       # the broker binary (kept between runs)
: "${KAFKA_RUN_DIR:=.kafka-run}"           # pid file and broker log
: "${KAFKA_HOST:=127.0.0.1}"               # an IPv4 literal: librdkafka may resolve localhost to ::1,
                                           # and the broker listens on IPv4 only
: "${KAFKA_PORT:=19092}"                   # not 9092: leave a developer's own broker alone
: "${KAFKA_READY_TIMEOUT_S:=30}"           # bound on start-to-ready
: "${KAFKA_STOP_TIMEOUT_S:=5}"             # bound on TERM before KILL
: "${BROKER_BIN:=$KAFKA_TOOLS_DIR/bin/kafka-broker}"

for _v in KAFKA_TOOLS_DIR KAFKA_RUN_DIR BROKER_BIN; do
  case "${!_v}" in /*) ;; *) printf -v "$_v" '%s' "$KAFKA_REPO_ROOT/${!_v}" ;; esac
done
unset _v

KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
KAFKA_URL="tcp://$KAFKA_HOST:$KAFKA_PORT"
KAFKA_PID_FILE="$KAFKA_RUN_DIR/broker.pid"
KAFKA_LOG_FILE="$KAFKA_RUN_DIR/broker.log"
export KAFKA_TOOLS_DIR KAFKA_RUN_DIR KAFKA_HOST KAFKA_PORT BROKER_BIN KAFKA_BOOTSTRAP KAFKA_URL KAFKA_PID_FILE KAFKA_LOG_FILE

# shellcheck source=../lib/helpers.sh
source "$KAFKA_SCRIPTS_DIR/../lib/helpers.sh"
