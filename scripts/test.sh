#!/usr/bin/env bash
# The whole test suite, on a fresh machine: makes sure the pinned toolchain is there, then
# checks formatting and lints and runs every test (unit, integration, compile-fail, doc).
# `cargo test` runs with the `kafka` feature and with throwaway servers on 127.0.0.1: MariaDB and
# PostgreSQL (installed with apt-get if missing, started and stopped by scripts/with-databases.sh,
# data in .db-run/) and a Kafka-compatible broker (tansu, from a hash-pinned wheel, started and
# stopped by scripts/with-kafka.sh). MYSQL_URL / POSTGRES_URL / KAFKA_BOOTSTRAP are exported and
# STREAMDSL_REQUIRE_DB=1 / STREAMDSL_REQUIRE_KAFKA=1 make a test fail, instead of skipping, when
# its server is missing. Debian's Chromium is installed if missing (scripts/ensure-chromium.sh)
# for the live page's browser test, which STREAMDSL_REQUIRE_BROWSER=1 makes required too.
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
cargo clippy --workspace --all-targets --locked --features kafka -- -D warnings
echo "== cargo doc (every public item documented, links valid)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --features kafka
echo "== cargo test (build first: the servers are not needed for it)"
cargo test --workspace --locked --features kafka --no-run
echo "== Chromium for the live page's browser test (tests/live_page.rs)"
bash scripts/ensure-chromium.sh
echo "== cargo test on 2 workers, every loop split, with MariaDB, PostgreSQL and a Kafka broker (the scripts stop them on exit)"
# STREAMDSL_PARALLEL_MIN_RECORDS=2 sends even the tests' small batches through the parallel path.
# The compile-fail cases run below, without the kafka feature: rustc shortens a type's path
# in its messages only while the name is unique among all crates built, and serde_json (a
# dependency of rdkafka) has a public `State` too: the .stderr files match the default build.
# The kafka feature's own compile-fail cases (tests/ui-kafka, tests/ui_kafka.rs) run here.
STREAMDSL_WORKERS=2 STREAMDSL_PARALLEL_MIN_RECORDS=2 \
    STREAMDSL_REQUIRE_DB=1 STREAMDSL_REQUIRE_KAFKA=1 STREAMDSL_REQUIRE_BROWSER=1 bash scripts/with-databases.sh \
    bash scripts/with-kafka.sh cargo test --workspace --locked --features kafka -- --exact --skip ui
echo "== the oracle, operator, state, window and kill tests again on 1 worker"
STREAMDSL_WORKERS=1 cargo test --locked --features kafka --test oracle --test operators \
    --test state --test windows --test kill --test wal_kill --test runtime --test workers
echo "== compile-fail cases (tests/ui)"
cargo test --locked --test ui
