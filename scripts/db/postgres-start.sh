#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on $DB_HOST:$POSTGRES_PORT (default 127.0.0.1:15432).
#
#  - installs Debian's postgresql if initdb/postgres are missing (no service is started here)
#  - PostgreSQL refuses to run as root: when run as root, initdb and postgres run as
#    $POSTGRES_OS_USER (default postgres, created by the Debian package) via setpriv, and the
#    data dir is owned by that user. As a normal user they run as that user.
#  - new cluster in $POSTGRES_DIR/data (default <repo>/.db-run/postgres/data); if the OS user cannot
#    reach that folder (e.g. the project lives in a home folder of mode 0700), a mktemp folder is used
#    instead and its path recorded in $POSTGRES_DIR/datadir
#  - TCP only (unix_socket_directories=''), listen_addresses=$DB_HOST, scram-sha-256 for every
#    connection; superuser "postgres" gets a random password, kept in $POSTGRES_DIR/superuser.pw
#  - role $DB_USER (LOGIN, CREATEDB, password) owning database $DB_NAME
#  - waits (bounded by $DB_READY_TIMEOUT_S) for pg_isready over TCP, then checks a real password
#    login as $DB_USER
#  - PID (the postmaster) in $POSTGRES_PID_FILE, URL in $POSTGRES_URL_FILE
#
# stdout: only the URL (postgres://user:pass@127.0.0.1:PORT/db), so POSTGRES_URL=$(bash scripts/db/postgres-start.sh)
# stderr: progress and errors. On failure: non-zero exit, no server left running, logs kept in the
# run folder (the stop script removes it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

find_pg_bin() {
  if [ -n "$POSTGRES_BIN_DIR" ]; then echo "$POSTGRES_BIN_DIR"; return 0; fi
  local d
  # Debian keeps the server binaries off PATH, one folder per major version.
  # shellcheck disable=SC2012
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/postgres" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  if command -v postgres >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v postgres)"; return 0
  fi
  return 1
}
if ! PG_BIN=$(find_pg_bin); then
  apt_install postgresql
  PG_BIN=$(find_pg_bin) || die "postgresql installed but no initdb/postgres found"
fi
pg_tool() {
  if [ -x "$PG_BIN/$1" ]; then echo "$PG_BIN/$1"; else find_cmd "$1" || die "$1 not found in $PG_BIN or PATH"; fi
}
PG_INITDB=$(pg_tool initdb)
PG_POSTGRES=$(pg_tool postgres)
PG_ISREADY=$(pg_tool pg_isready)
PSQL=$(pg_tool psql)

# Already running?
if [ -f "$POSTGRES_PID_FILE" ]; then
  old=$(cat "$POSTGRES_PID_FILE")
  olddata=$(cat "$POSTGRES_DIR/datadir" 2>/dev/null || echo "$POSTGRES_DIR/data")
  if [[ "$old" =~ ^[0-9]+$ ]] && pid_alive "$old" && [[ "$(pid_cmdline "$old")" == *" -D $olddata "* ]]; then
    die "already running (pid $old, $(cat "$POSTGRES_URL_FILE" 2>/dev/null)); run scripts/db/postgres-stop.sh first"
  fi
  log "removing stale pid file (pid $old is not our running server)"
  rm -f "$POSTGRES_PID_FILE" "$POSTGRES_URL_FILE"
fi
if port_in_use "$DB_HOST" "$POSTGRES_PORT"; then
  die "port $DB_HOST:$POSTGRES_PORT is already in use by another process; set POSTGRES_PORT"
fi

t0=$(now_ms)
# A leftover mktemp data dir from an earlier run.
if [ -f "$POSTGRES_DIR/datadir" ]; then
  leftover=$(cat "$POSTGRES_DIR/datadir")
  if [ "$leftover" != "$POSTGRES_DIR/data" ]; then remove_marked_dir "$(dirname "$leftover")"; fi
fi
remove_marked_dir "$POSTGRES_DIR"
mkdir -p "$POSTGRES_DIR" "$(dirname "$POSTGRES_PID_FILE")" "$(dirname "$POSTGRES_URL_FILE")"
touch "$POSTGRES_DIR/$DB_MARKER"

run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb: "cannot be run as root"; postgres: "root execution of the PostgreSQL server is
  # not permitted". setpriv exec()s, so $! below is the postmaster's own PID.
  id -u "$POSTGRES_OS_USER" >/dev/null 2>&1 || die "OS user $POSTGRES_OS_USER does not exist; set POSTGRES_OS_USER"
  run_as=(setpriv --reuid="$POSTGRES_OS_USER" --regid="$(id -g "$POSTGRES_OS_USER")" --init-groups --)
  chown "$POSTGRES_OS_USER:" "$POSTGRES_DIR"
fi

# Where the cluster goes: under the run folder if the server's user can write there.
if (cd / && "${run_as[@]}" test -w "$POSTGRES_DIR" -a -x "$POSTGRES_DIR") 2>/dev/null; then
  BASE="$POSTGRES_DIR"
else
  BASE=$(mktemp -d -t streamdsl-pg.XXXXXX)
  touch "$BASE/$DB_MARKER"
  if [ ${#run_as[@]} -gt 0 ]; then chown "$POSTGRES_OS_USER:" "$BASE"; fi
  log "$POSTGRES_OS_USER cannot reach $POSTGRES_DIR; using $BASE for the data dir"
fi
DATA="$BASE/data"
echo "$DATA" >"$POSTGRES_DIR/datadir"

# Superuser password: random, passed to initdb in a file only the server's user can read.
superpw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
(umask 077 && printf '%s\n' "$superpw" >"$POSTGRES_DIR/superuser.pw")
(umask 077 && printf '%s\n' "$superpw" >"$BASE/initdb.pw")
if [ ${#run_as[@]} -gt 0 ]; then chown "$POSTGRES_OS_USER:" "$BASE/initdb.pw"; fi

locale=C
if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then locale=C.UTF-8; fi
nosync=()
if [ "$DB_FAST" = 1 ]; then nosync=(--no-sync); fi
if ! (cd / && "${run_as[@]}" "$PG_INITDB" -D "$DATA" -U postgres --pwfile="$BASE/initdb.pw" \
  --auth=scram-sha-256 -E UTF8 --locale="$locale" --no-instructions "${nosync[@]}") \
  >"$POSTGRES_DIR/initdb.log" 2>&1; then
  cat "$POSTGRES_DIR/initdb.log" >&2
  die "initdb failed"
fi
rm -f "$BASE/initdb.pw"
t_init=$(now_ms)

fast=()
if [ "$DB_FAST" = 1 ]; then
  fast=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
fi
# dynamic_shared_memory_type=mmap: the segments live in the data dir (pg_dynshmem/) instead
# of /dev/shm, so a KILLed server leaves nothing behind once the data dir is removed.
# shellcheck disable=SC2086
# setsid: a Ctrl-C meant for the command run beside it does not reach the server.
(cd / && exec setsid nohup "${run_as[@]}" "$PG_POSTGRES" -D "$DATA" \
  -c listen_addresses="$DB_HOST" \
  -c port="$POSTGRES_PORT" \
  -c unix_socket_directories= \
  -c dynamic_shared_memory_type=mmap \
  "${fast[@]}" $POSTGRES_EXTRA_ARGS) \
  >"$POSTGRES_DIR/server.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$POSTGRES_PID_FILE"

fail() {
  log "$*; server log:"
  tail -n 30 "$POSTGRES_DIR/server.log" >&2 2>/dev/null || true
  if pid_alive "$pid"; then
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$POSTGRES_PID_FILE"
  exit 1
}

deadline=$(($(now_ms) + DB_READY_TIMEOUT_S * 1000))
# pg_isready: exit 0 only when the server accepts connections (protocol-level, no login needed).
until "$PG_ISREADY" -q -h "$DB_HOST" -p "$POSTGRES_PORT" -d postgres -t 2; do
  pid_alive "$pid" || fail "postgres exited during startup"
  [ "$(now_ms)" -lt "$deadline" ] || fail "not ready after ${DB_READY_TIMEOUT_S}s"
  sleep 0.1
done
t_ready=$(now_ms)

# Role and database, via TCP as the superuser; psql variables do the quoting.
if ! PGPASSWORD=$superpw PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -v ON_ERROR_STOP=1 \
  -h "$DB_HOST" -p "$POSTGRES_PORT" -U postgres -d postgres \
  -v user="$DB_USER" -v pass="$DB_PASSWORD" -v db="$DB_NAME" >"$POSTGRES_DIR/setup.log" 2>&1 <<'SQL'
CREATE ROLE :"user" LOGIN CREATEDB PASSWORD :'pass';
CREATE DATABASE :"db" OWNER :"user";
SQL
then
  cat "$POSTGRES_DIR/setup.log" >&2
  fail "creating role/database failed"
fi
if ! PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -At -h "$DB_HOST" -p "$POSTGRES_PORT" \
  -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>>"$POSTGRES_DIR/setup.log"; then
  cat "$POSTGRES_DIR/setup.log" >&2
  fail "password login as $DB_USER failed"
fi
t_user=$(now_ms)

url="postgres://$(urlencode "$DB_USER"):$(urlencode "$DB_PASSWORD")@$DB_HOST:$POSTGRES_PORT/$DB_NAME"
echo "$url" >"$POSTGRES_URL_FILE"
log "ready: pid $pid, $DB_HOST:$POSTGRES_PORT, initdb $((t_init - t0)) ms, start-to-ready $((t_ready - t_init)) ms, role+db $((t_user - t_ready)) ms"
echo "$url"
