# shellcheck shell=bash
# Helpers shared by the scripts that install, start and stop throwaway servers for the tests
# (scripts/db, scripts/kafka): logging, processes, ports, apt-get. Sourced, not run.

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 1; }

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# Alive and not a zombie.
pid_alive() {
  local pid=$1 state
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# The NUL-separated command line of a pid, as one line with spaces.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

# The command line of a live pid, for the stop scripts. A process that is exiting (e.g. a
# server that got the terminal's Ctrl-C itself) has already dropped its memory and shows an
# empty cmdline before it is gone: wait up to 5 s for it to exit or show one.
# Status 1 if the process is gone; an empty cmdline after 5 s is printed as empty.
live_cmdline() {
  local pid=$1 cmd='' _
  for _ in $(seq 1 50); do
    pid_alive "$pid" || return 1
    cmd=$(pid_cmdline "$pid")
    [ -n "$cmd" ] && break
    sleep 0.1
  done
  printf '%s' "$cmd"
}

# Something accepts TCP connections on host:port.
port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Stop the server whose pid is in pid_file, only if /proc/PID/cmdline shows program with the
# data-dir argument (guards against PID reuse): the polite signal first, then KILL after
# timeout_s seconds. Safe when nothing runs. Status 1 if a server may be left up.
stop_server() { # stop_server pid_file program data_dir_arg signal timeout_s
  local pid_file=$1 program=$2 data_arg=$3 signal=$4 timeout_s=$5 pid cmd t0 deadline
  if [ ! -f "$pid_file" ]; then
    log "no pid file ($pid_file): nothing to stop"
    return 0
  fi
  pid=$(cat "$pid_file")
  if ! [[ "$pid" =~ ^[0-9]+$ ]]; then
    log "pid file $pid_file does not hold a pid: '$pid'"
    return 1
  fi
  if ! pid_alive "$pid"; then
    log "pid $pid is not running"
    return 0
  fi
  if ! cmd=$(live_cmdline "$pid"); then
    log "pid $pid has exited"
    return 0
  fi
  if [[ "$cmd" != *"$program "* || "$cmd" != *" $data_arg "* ]]; then
    log "pid $pid is not our $program (${cmd:0:120}); leaving it alone"
    return 1
  fi
  t0=$(now_ms)
  kill -"$signal" "$pid" 2>/dev/null || true
  deadline=$((t0 + timeout_s * 1000))
  while pid_alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
  if pid_alive "$pid"; then
    log "pid $pid still up ${timeout_s}s after $signal; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  if pid_alive "$pid"; then
    log "pid $pid still alive after KILL"
    return 1
  fi
  log "stopped pid $pid in $(($(now_ms) - t0)) ms"
}

# apt-get install. "apt-get update" first when there are no package lists at all (a fresh
# Debian image), otherwise only if the install fails (lists so old that their .deb files are gone).
apt_install() {
  local sudo=''
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: install $* by hand"
    sudo='sudo'
  fi
  command -v apt-get >/dev/null || die "no apt-get: install $* by hand"
  log "installing $*"
  local t0; t0=$(now_ms)
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    log "no apt package lists; running apt-get update first"
    $sudo apt-get update >&2 || die "apt-get update failed"
  fi
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    $sudo apt-get update >&2 || die "apt-get update failed"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 ||
      die "apt-get install $* failed"
  fi
  log "installed $* in $(($(now_ms) - t0)) ms"
}
