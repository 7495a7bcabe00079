# shellcheck shell=bash
# Settings and helpers shared by mariadb-*.sh and postgres-*.sh (throwaway MariaDB and
# PostgreSQL servers on 127.0.0.1 for the integration tests). Sourced, not run.
# Every setting can be overridden from the environment; start and stop must see the same
# values. Run data lives in <repo root>/.db-run/ whatever the current folder is; a relative
# path given in one of the *_DIR / *_FILE variables is taken relative to the repo root too.

DB_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DB_REPO_ROOT="$(cd "$DB_SCRIPTS_DIR/../.." && pwd)"   # this file is <repo>/scripts/db/env.sh

: "${DB_RUN_DIR:=.db-run}"                 # run folder: pid files, URLs, data dirs, logs
case "$DB_RUN_DIR" in /*) ;; *) DB_RUN_DIR="$DB_REPO_ROOT/$DB_RUN_DIR" ;; esac
: "${DB_HOST:=127.0.0.1}"                  # keep an IPv4 literal: "localhost" may resolve to ::1
: "${DB_NAME:=streamdsl_test}"
: "${DB_USER:=streamdsl}"
: "${DB_PASSWORD:=streamdsl}"
: "${DB_READY_TIMEOUT_S:=60}"              # bound on start-to-ready
: "${DB_STOP_TIMEOUT_S:=20}"               # bound on a polite shutdown before KILL
: "${DB_FAST:=1}"                          # 1: no fsync/doublewrite (data is thrown away anyway)

: "${MARIADB_PORT:=13306}"
: "${MARIADB_DIR:=$DB_RUN_DIR/mariadb}"    # removed by mariadb-stop.sh
: "${MARIADB_PID_FILE:=$DB_RUN_DIR/mariadb.pid}"
: "${MARIADB_URL_FILE:=$DB_RUN_DIR/mariadb.url}"
: "${MARIADB_COLLATION:=utf8mb4_nopad_bin}" # byte-exact keys, like PostgreSQL's C.UTF-8:
                                           # `Word`/`word`, `é`/`e` and `word`/`word ` are distinct
                                           # (a stock server's utf8mb4_general_ci merges all three;
                                           # utf8mb4_bin still merges trailing spaces, PAD SPACE)
: "${MARIADB_EXTRA_ARGS:=}"                # extra mariadbd options, word-split

: "${POSTGRES_PORT:=15432}"
: "${POSTGRES_DIR:=$DB_RUN_DIR/postgres}"  # removed by postgres-stop.sh
: "${POSTGRES_PID_FILE:=$DB_RUN_DIR/postgres.pid}"
: "${POSTGRES_URL_FILE:=$DB_RUN_DIR/postgres.url}"
: "${POSTGRES_OS_USER:=postgres}"          # runs initdb/postgres when the scripts run as root
: "${POSTGRES_BIN_DIR:=}"                  # default: newest /usr/lib/postgresql/*/bin, else PATH
: "${POSTGRES_EXTRA_ARGS:=}"               # extra "-c name=value" options, word-split

for _v in DB_RUN_DIR MARIADB_DIR MARIADB_PID_FILE MARIADB_URL_FILE POSTGRES_DIR POSTGRES_PID_FILE POSTGRES_URL_FILE; do
  case "${!_v}" in /*) ;; *) printf -v "$_v" '%s' "$DB_REPO_ROOT/${!_v}" ;; esac
done
unset _v

# shellcheck source=../lib/helpers.sh
source "$DB_SCRIPTS_DIR/../lib/helpers.sh"

# A file in each data folder that marks it as made by these scripts: nothing else is ever removed.
DB_MARKER=".made-by-db-scripts"

# Percent-encode for the user/password part of a URL.
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# apt-get install the packages if any of the commands is missing.
ensure_packages() { # ensure_packages "cmd1 cmd2" pkg...
  local cmds=$1 missing='' c
  shift
  for c in $cmds; do
    find_cmd "$c" >/dev/null || missing+=" $c"
  done
  [ -z "$missing" ] && return 0
  log "missing:$missing"
  apt_install "$@"
}

# Look a command up on PATH and in the sbin folders (mariadbd lives in /usr/sbin, which is
# not on a normal user's PATH).
find_cmd() {
  local c=$1 d
  if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  for d in /usr/sbin /usr/local/sbin /sbin; do
    [ -x "$d/$c" ] && { echo "$d/$c"; return 0; }
  done
  return 1
}

# Remove a folder only if it carries our marker (or is empty / missing).
remove_marked_dir() {
  local d=$1
  [ -e "$d" ] || return 0
  if [ -e "$d/$DB_MARKER" ] || [ -z "$(ls -A "$d" 2>/dev/null)" ]; then
    rm -rf -- "$d"
  else
    die "refusing to remove $d: it has no $DB_MARKER file (not made by these scripts)"
  fi
}

