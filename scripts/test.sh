#!/usr/bin/env bash
# Runs every test of the project on a fresh machine, installing what the tests need first:
#
#   1. the real test peers (Python `websockets`, Node `ws`, Autobahn's wstest), into .peers/
#   2. the unit, property, integration, interop and example tests of the whole workspace
#   3. Autobahn|Testsuite in both roles on every runtime (zero FAILED, zero UNIMPLEMENTED)
#   4. a short smoke pass of every fuzz target
#
#   ./scripts/test.sh
#
# WSSTREAM_FUZZ_SECONDS sets the fuzz pass per target (default 10; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The interop tests (tests/tests/interop/) run the real peers; they fail without them.
step "test peers"
scripts/peers.sh >/dev/null

step "cargo test --workspace"
cargo test --workspace --locked

step "Autobahn|Testsuite"
scripts/autobahn_all.sh

fuzz_seconds="${WSSTREAM_FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" -gt 0 ]; then
    step "fuzz smoke pass (${fuzz_seconds}s per target)"
    scripts/fuzz.sh "$fuzz_seconds"
fi
