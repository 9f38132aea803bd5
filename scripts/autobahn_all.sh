#!/usr/bin/env bash
# Autobahn|Testsuite in both roles on every runtime, through the public WebSocketStream API:
#
#   tokio            every case (517), permessage-deflate's 12.* and 13.* included
#   async-std, smol  every case but 12.* and 13.* (301), the same code paths on other runtimes
#
# The testees are each adapter's examples autobahn_client_* and autobahn_server_*, built in
# release mode (9.* moves up to 16 MiB messages). wstest is single-threaded and the slow party,
# so the two long tokio runs go in parallel. Fails on any FAILED or UNIMPLEMENTED case; prints
# one table of the results (also in target/autobahn/results.md).
#
#   scripts/autobahn_all.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cargo build --release --locked -p wsstream-tokio -p wsstream-async-std -p wsstream-smol --examples
scripts/peers.sh wstest >/dev/null

out="$root/target/autobahn"
mkdir -p "$out"
table="$out/results.md"
printf '| role | runtime | cases run | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |\n' >"$table"
printf '|---|---|---|---|---|---|---|---|\n' >>"$table"
export AUTOBAHN_STRICT_UNIMPLEMENTED=1 AUTOBAHN_TABLE="$table" AUTOBAHN_TIMEOUT=2400
bin="$root/target/release/examples"

run() { # role runtime exclude
    AUTOBAHN_EXCLUDE="$3" scripts/autobahn.sh "$1" "$2" -- "$bin/autobahn_$1_$2" \
        >"$out/$1-$2.log" 2>&1
}

failed=()
run server tokio '[]' & server_pid=$!
run client tokio '[]' & client_pid=$!
for rt in async_std smol; do
    for role in server client; do
        run "$role" "$rt" '["12.*","13.*"]' || failed+=("$role-$rt")
    done
done
wait "$server_pid" || failed+=("server-tokio")
wait "$client_pid" || failed+=("client-tokio")

for log in "$out"/{server,client}-{tokio,async_std,smol}.log; do
    sed -n '/^Autobahn .* summary/,/^RESULT/p' "$log"
done
echo
cat "$table"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "autobahn_all.sh: FAILED: ${failed[*]} (logs and reports in $out)" >&2
    exit 1
fi
echo "autobahn_all.sh: every run passed"
