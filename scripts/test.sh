#!/usr/bin/env bash
# The whole test suite, on a fresh machine: makes sure the pinned toolchain is there, then
# checks formatting and lints and runs every test (unit, integration, compile-fail, doc).
# `cargo test` runs with throwaway MariaDB and PostgreSQL servers on 127.0.0.1 (installed with
# apt-get if missing, started and stopped by scripts/with-databases.sh, data in .db-run/),
# MYSQL_URL / POSTGRES_URL exported and STREAMDSL_REQUIRE_DB=1: a database test fails, instead
# of skipping, when its URL is missing.
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
echo "== cargo test (build first: the database servers are not needed for it)"
cargo test --workspace --locked --no-run
echo "== cargo test, with MariaDB and PostgreSQL (scripts/with-databases.sh stops them on exit)"
STREAMDSL_REQUIRE_DB=1 bash scripts/with-databases.sh cargo test --workspace --locked
