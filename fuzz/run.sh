#!/usr/bin/env bash
# Runs every hostile-input target (tests/tests/fuzz.rs) for a fixed budget
# each, in a release build, and prints the executions per target.
# cargo fuzz needs a nightly toolchain this machine kind cannot fetch, so the
# targets are proptest generators (random and mutated valid inputs) in a
# time-bounded loop; a panic fails with the input that caused it.
#
#   fuzz/run.sh            60 s per target
#   fuzz/run.sh 600        10 minutes per target
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS="${1:-60}"
cargo test --release --locked -p e2e-tests --test fuzz -- --nocapture --test-threads 1 2>&1 \
  | grep -oE 'fuzz [a-z ]+: [0-9]+ executions, [0-9]+ crashes|test result.*|panicked.*'
