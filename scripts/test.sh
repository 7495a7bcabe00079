#!/usr/bin/env bash
# The whole test suite, on a fresh machine: makes sure the pinned toolchain is there, then
# checks formatting and lints and runs every test (unit, integration, compile-fail, doc).
# Usage: scripts/test.sh            (from anywhere; exits non-zero on the first failure)
set -euo pipefail
cd "$(dirname "$0")/.."

pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)

# rust-toolchain.toml pins the compiler so that tests/ui/*.stderr stay stable. Machines of
# this project have no network for rustup, but their `stable` toolchain is that version:
# register it under the pinned name if it is missing.
ensure_toolchain() {
    if rustup toolchain list | grep -q "^${pinned}-"; then
        return
    fi
    local stable_dir
    stable_dir=$(rustup run stable rustc --print sysroot)
    if rustup run stable rustc --version | grep -q "^rustc ${pinned} "; then
        echo "test.sh: linking the installed stable toolchain as ${pinned}"
        rustup toolchain link "${pinned}" "${stable_dir}"
    else
        echo "test.sh: toolchain ${pinned} is not installed; installing it" >&2
        rustup toolchain install "${pinned}" --profile minimal --component rustfmt,clippy
    fi
}

ensure_toolchain
cargo --version

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc (every public item documented, links valid)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
echo "== cargo test"
cargo test --workspace --locked
