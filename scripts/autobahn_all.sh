#!/usr/bin/env bash
# Autobahn|Testsuite in both roles on every runtime, through the public WebSocketStream API:
#
#   tokio            every case (517), permessage-deflate's 12.* and 13.* included
#   async-std, smol  every case but 12.* and 13.* (301), the same code paths on other runtimes
#
# The testees are each adapter's examples autobahn_client_* and autobahn_server_*, built
# optimised (9.* moves up to 16 MiB messages), with the `conformance` profile: release without
# LTO and with 16 codegen units, a minute quicker to build from clean. wstest is
# single-threaded and the slow party: in 12.* it compresses each message itself, then waits for
# the echo (about 60% of a core while it runs, the testee 20%). So each tokio role runs as two
# wstests side by side, tokio.part1 with 12.1, 12.2, 12.3 and 12.5 (the larger half of the
# time), tokio.part2 with every other case, and the four fill the two cores that two alone left
# a quarter idle. Fails on any FAILED or UNIMPLEMENTED case, or if a part did not run all its
# cases; prints one table of the results (also in target/autobahn/results.md).
#
#   scripts/autobahn_all.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

examples=()
for rt in tokio async_std smol; do
    examples+=(--example "autobahn_client_$rt" --example "autobahn_server_$rt")
done
cargo build --profile conformance --locked -p wsstream-tokio -p wsstream-async-std -p wsstream-smol "${examples[@]}"
scripts/peers.sh wstest >/dev/null

out="$root/target/autobahn"
mkdir -p "$out"
table="$out/results.md"
rows="$out/rows.md" # one row per run, the two parts of a tokio role apart
: >"$rows"
export AUTOBAHN_STRICT_UNIMPLEMENTED=1 AUTOBAHN_TABLE="$rows" AUTOBAHN_TIMEOUT=2400
bin="$root/target/conformance/examples"

run() { # role runtime name cases exclude
    AUTOBAHN_CASES="$4" AUTOBAHN_EXCLUDE="$5" \
        scripts/autobahn.sh "$1" "$3" -- "$bin/autobahn_$1_$2" >"$out/$1-$3.log" 2>&1
}

part1='["12.1.*","12.2.*","12.3.*","12.5.*"]'
failed=()
pids=()
names=()
for role in server client; do
    run "$role" tokio tokio.part1 "$part1" '[]' &
    pids+=($!) names+=("$role-tokio.part1")
    run "$role" tokio tokio.part2 '["*"]' "$part1" &
    pids+=($!) names+=("$role-tokio.part2")
done
for rt in async_std smol; do
    for role in server client; do
        run "$role" "$rt" "$rt" '["*"]' '["12.*","13.*"]' || failed+=("$role-$rt")
    done
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
done

for log in "$out"/{server,client}-{tokio.part1,tokio.part2,async_std,smol}.log; do
    sed -n '/^Autobahn .* summary/,/^RESULT/p' "$log"
done
# One row per role and runtime: the parts of a tokio role summed, column by column.
{
    printf '| role | runtime | cases run | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |\n'
    printf '|---|---|---|---|---|---|---|---|\n'
    awk -F' *[|] *' '
        NF >= 10 {
            name = $3
            sub(/[.]part[0-9]+$/, "", name)
            key = $2 " | " name
            seen[key] = 1
            for (i = 4; i <= 9; i++) sum[key, i] += $i
        }
        END {
            split("tokio async_std smol", runtimes, " ")
            for (r = 1; r <= 3; r++) {
                for (role = 1; role <= 2; role++) {
                    key = (role == 1 ? "server" : "client") " | " runtimes[r]
                    if (!(key in seen)) continue
                    line = "| " key
                    for (i = 4; i <= 9; i++) line = line " | " sum[key, i]
                    print line " |"
                }
            }
        }' "$rows"
} >"$table"
echo
cat "$table"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "autobahn_all.sh: FAILED: ${failed[*]} (logs and reports in $out)" >&2
    exit 1
fi
echo "autobahn_all.sh: every run passed"
