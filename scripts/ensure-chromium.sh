#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is at /usr/bin/chromium, for the browser test of
# the live monitoring page (tests/live_page.rs, which skips without it unless
# STREAMDSL_REQUIRE_BROWSER=1).
#
# Usage: scripts/ensure-chromium.sh      (from anywhere; as root, or with sudo)
# Returns at once when Chromium is already there; otherwise runs apt-get update and installs the
# `chromium` package (no recommends: the tests need no extras). Exit status non-zero on failure.
set -euo pipefail
# shellcheck source=lib/helpers.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/helpers.sh"

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

sudo=''
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: install chromium by hand"
  sudo='sudo'
fi
command -v apt-get >/dev/null || die "no apt-get: install chromium by hand"

t0=$(now_ms)
log "installing chromium"
# apt's and dpkg's progress goes to a log, shown only when something fails.
apt_log=$(mktemp "${TMPDIR:-/tmp}/ensure-chromium.XXXXXX")
trap 'rm -f "$apt_log"' EXIT
apt() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -qq "$@" >>"$apt_log" 2>&1 || {
  cat "$apt_log" >&2
  die "apt-get $1 failed"
}; }
# Always update first: Chromium gets security releases often, so old lists name .deb files
# that are gone from the mirror.
apt update
apt install -y --no-install-recommends chromium
[ -x "$CHROMIUM" ] || die "chromium installed, but $CHROMIUM is missing"
log "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) in $(($(now_ms) - t0)) ms"
