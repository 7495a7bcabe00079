#!/usr/bin/env bash
# Start a throwaway MariaDB server on $DB_HOST:$MARIADB_PORT (default 127.0.0.1:13306).
#
#  - installs Debian's mariadb-server if mariadbd is missing (no service is started for it here)
#  - new data dir $MARIADB_DIR/data (default <repo>/.db-run/mariadb/data), made by mariadb-install-db
#  - mariadbd --no-defaults: the system my.cnf (socket in /run/mysqld, etc.) is not read
#  - utf8mb4 with collation $MARIADB_COLLATION (default utf8mb4_nopad_bin, see env.sh): tables
#    created without a COLLATE clause compare keys byte by byte, as PostgreSQL does here
#  - database $DB_NAME and user '$DB_USER'@'%' with a mysql_native_password password,
#    created by an --init-file at server start; root stays unix-socket-only
#  - waits (bounded by $DB_READY_TIMEOUT_S) for `mariadb-admin ping` over TCP, then for a real
#    password login over TCP as $DB_USER
#  - PID in $MARIADB_PID_FILE, URL in $MARIADB_URL_FILE
#
# stdout: only the URL (mysql://user:pass@127.0.0.1:PORT/db), so MYSQL_URL=$(bash scripts/db/mariadb-start.sh)
# stderr: progress and errors. On failure: non-zero exit, no server left running, logs kept in the
# run folder (the stop script removes it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

ensure_packages "mariadbd mariadb-install-db mariadb-admin mariadb" mariadb-server
MARIADBD=$(find_cmd mariadbd)
INSTALL_DB=$(find_cmd mariadb-install-db)
ADMIN=$(find_cmd mariadb-admin)
CLIENT=$(find_cmd mariadb)

# Already running?
if [ -f "$MARIADB_PID_FILE" ]; then
  old=$(cat "$MARIADB_PID_FILE")
  if [[ "$old" =~ ^[0-9]+$ ]] && pid_alive "$old" && [[ "$(pid_cmdline "$old")" == *" --datadir=$MARIADB_DIR/data "* ]]; then
    die "already running (pid $old, $(cat "$MARIADB_URL_FILE" 2>/dev/null)); run scripts/db/mariadb-stop.sh first"
  fi
  log "removing stale pid file (pid $old is not our running server)"
  rm -f "$MARIADB_PID_FILE" "$MARIADB_URL_FILE"
fi
if port_in_use "$DB_HOST" "$MARIADB_PORT"; then
  die "port $DB_HOST:$MARIADB_PORT is already in use by another process; set MARIADB_PORT"
fi

t0=$(now_ms)
remove_marked_dir "$MARIADB_DIR"
mkdir -p "$MARIADB_DIR" "$(dirname "$MARIADB_PID_FILE")" "$(dirname "$MARIADB_URL_FILE")"
touch "$MARIADB_DIR/$DB_MARKER"
DATA="$MARIADB_DIR/data"

as_root=()
if [ "$(id -u)" -eq 0 ]; then
  # mariadbd refuses to run as root unless told so ("Please consult the MariaDB
  # Documentation to find out how to run mariadbd as root!"). Running as root avoids
  # having to make the data dir reachable for the mysql user.
  as_root=(--user=root)
fi

if ! "$INSTALL_DB" --no-defaults "${as_root[@]}" --datadir="$DATA" --skip-test-db \
  --skip-name-resolve >"$MARIADB_DIR/install-db.log" 2>&1; then
  cat "$MARIADB_DIR/install-db.log" >&2
  die "mariadb-install-db failed"
fi
t_init=$(now_ms)

# SQL string literal / identifier quoting for the init file.
sql_str() { local s=${1//\\/\\\\}; s=${s//\'/\'\'}; printf "'%s'" "$s"; }
# shellcheck disable=SC2016 # backticks are MariaDB identifier quotes
sql_id() { printf '`%s`' "${1//\`/\`\`}"; }
cat >"$MARIADB_DIR/init.sql" <<EOF
CREATE DATABASE IF NOT EXISTS $(sql_id "$DB_NAME");
CREATE USER IF NOT EXISTS $(sql_str "$DB_USER")@'%' IDENTIFIED BY $(sql_str "$DB_PASSWORD");
GRANT ALL PRIVILEGES ON *.* TO $(sql_str "$DB_USER")@'%';
EOF
chmod 600 "$MARIADB_DIR/init.sql"

fast=()
if [ "$DB_FAST" = 1 ]; then
  fast=(--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0)
fi
# The socket path is relative: mariadbd changes into the data dir first, so a deep run
# folder cannot exceed the ~107-byte limit of a unix socket path.
# shellcheck disable=SC2086
# setsid: a Ctrl-C meant for the command run beside it does not reach the server.
setsid nohup "$MARIADBD" --no-defaults "${as_root[@]}" \
  --datadir="$DATA" \
  --socket=mysqld.sock \
  --pid-file="$DATA/mariadbd.pid" \
  --log-error="$MARIADB_DIR/error.log" \
  --port="$MARIADB_PORT" \
  --bind-address="$DB_HOST" \
  --skip-name-resolve \
  --character-set-server=utf8mb4 \
  --collation-server="$MARIADB_COLLATION" \
  --init-file="$MARIADB_DIR/init.sql" \
  "${fast[@]}" $MARIADB_EXTRA_ARGS \
  >"$MARIADB_DIR/stdout.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$MARIADB_PID_FILE"

fail() {
  log "$*; error log:"
  tail -n 30 "$MARIADB_DIR/error.log" >&2 2>/dev/null || true
  cat "$MARIADB_DIR/stdout.log" >&2 2>/dev/null || true
  if pid_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$MARIADB_PID_FILE"
  exit 1
}

tcp=(--no-defaults --protocol=TCP --host="$DB_HOST" --port="$MARIADB_PORT" --connect-timeout=2)
deadline=$(($(now_ms) + DB_READY_TIMEOUT_S * 1000))
# 1) protocol-level: ping answers 0 as soon as the server speaks the protocol, even when the
#    login is refused; 2) a real password login over TCP as the test user.
until "$ADMIN" "${tcp[@]}" --user=ping-probe ping >/dev/null 2>&1 &&
  MYSQL_PWD=$DB_PASSWORD "$CLIENT" "${tcp[@]}" --user="$DB_USER" --database="$DB_NAME" \
    --batch --skip-column-names -e 'SELECT 1' >/dev/null 2>&1; do
  pid_alive "$pid" || fail "mariadbd exited during startup"
  [ "$(now_ms)" -lt "$deadline" ] || fail "not ready after ${DB_READY_TIMEOUT_S}s"
  sleep 0.1
done
t_ready=$(now_ms)

url="mysql://$(urlencode "$DB_USER"):$(urlencode "$DB_PASSWORD")@$DB_HOST:$MARIADB_PORT/$DB_NAME"
echo "$url" >"$MARIADB_URL_FILE"
log "ready: pid $pid, $DB_HOST:$MARIADB_PORT, install-db $((t_init - t0)) ms, start-to-ready $((t_ready - t_init)) ms"
echo "$url"
