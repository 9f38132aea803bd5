#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, then the unit,
# property, integration and example tests of the whole workspace.
#
#   ./scripts/test.sh
#
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The interop tests (tests/tests/interop/) run the real peers; they fail without them.
step "scripts/peers.sh python node"
./scripts/peers.sh python node >/dev/null

step "cargo test --workspace"
cargo test --workspace --locked
