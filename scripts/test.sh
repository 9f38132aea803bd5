#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, then the unit,
# property, integration and example tests of the whole workspace.
#
#   ./scripts/test.sh
#
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo test --workspace"
cargo test --workspace --locked
