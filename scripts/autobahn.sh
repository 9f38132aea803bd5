#!/usr/bin/env bash
# scripts/autobahn.sh — run Autobahn|Testsuite against a testee program, on 127.0.0.1.
#
#   scripts/autobahn.sh client NAME -- CMD [ARG...]
#       Starts `wstest -m fuzzingserver` on 127.0.0.1:<free port>, then runs CMD with
#         AUTOBAHN_URL=ws://127.0.0.1:PORT   AUTOBAHN_AGENT=NAME
#       CMD is a client testee: it opens AUTOBAHN_URL/getCaseCount (one text message,
#       the count N), then for case=1..N opens AUTOBAHN_URL/runCase?case=N&agent=NAME
#       and echoes every message back (text as text, binary as binary) until closed,
#       then opens AUTOBAHN_URL/updateReports?agent=NAME, which writes the reports.
#       (Should it exit without that last call, this script requests the reports
#       itself, and any case it did not run counts as missing.)
#   scripts/autobahn.sh server NAME -- CMD [ARG...]
#       Starts CMD with AUTOBAHN_PORT=<free port>: an echo server that must listen on
#       127.0.0.1:AUTOBAHN_PORT (any path) and echo every message back. Once the port
#       listens, runs `wstest -m fuzzingclient` against ws://127.0.0.1:PORT as agent
#       NAME. The server must stay up for the whole run.
#
# NAME: letters, digits, '.', '_', '-'. CMD gets stdin from /dev/null; its output and
# wstest's go to logs in the report directory, target/autobahn/{client,server}-NAME/
# (index.html, index.json, spec.json, wstest.log, testee.log), wiped at the start.
#
# Environment:
#   AUTOBAHN_CASES      JSON list of case patterns to run   (default ["*"])
#   AUTOBAHN_EXCLUDE    JSON list of case patterns to skip  (default []), e.g. '["12.*","13.*"]'
#   AUTOBAHN_TIMEOUT    seconds for the whole run: the testee in client mode, wstest in
#                       server mode (default 1800); the step is killed past it
#   AUTOBAHN_START_TIMEOUT  seconds to wait for a listener to come up (default 60)
#   AUTOBAHN_STRICT_UNIMPLEMENTED=1  UNIMPLEMENTED cases fail the run too
#   AUTOBAHN_TABLE      file to append the summary's markdown row to
#   AUTOBAHN_OUT        report root (default target/autobahn under the repo)
#   WSTEST              wstest to use (default: .peers/bin/wstest, installed by
#                       scripts/peers.sh wstest when missing)
#
# After the run, scripts/autobahn_summary.py prints the counts of each behavior and
# behaviorClose, the cases that are not OK, the excluded groups, and one markdown row
#   | role | NAME | run | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |
# Exit status: 0 when every case ran and none FAILED (nor UNIMPLEMENTED, if strict);
# 1 on a failed case, missing cases, a testee that crashed, failed or timed out, or a
# wstest that did; 2 on a usage error. wstest and the testee (with their process
# groups) are killed on exit, whatever the reason.
#
# Durations measured on this 2-core machine (busy with other builds) against Python
# `websockets` 17.4: server mode, all cases but 12.*/13.* (301): 22 s; all 517: 16 min,
# 12.* and 13.* (permessage-deflate, 216 cases) being 945 s of it, about half of it
# wstest's own CPU. Client mode without 12.*/13.*: 32 s. So in CI exclude 12.*/13.*
# (or run a few of them, e.g. '["12.1.*","13.1.*"]', ~2.5 min) and keep the full
# suite for a slower job.
#
# Python `websockets` as a peer: set WEBSOCKETS_MAX_FRAGMENTS=1000000, or its default
# cap of 4096 fragments per message fails cases 9.3.*/9.4.* (4 MiB in small frames);
# likewise Node `ws` 8.23 needs `maxFragments: 0` (default 16384) and an 'error'
# listener on each socket (or the process dies on the first protocol error).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
die() { printf 'autobahn.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'autobahn.sh: %s\n' "$*" >&2; }

[ $# -ge 1 ] && { [ "$1" = -h ] || [ "$1" = --help ]; } && usage
[ $# -ge 4 ] || usage
ROLE=$1 NAME=$2
shift 2
[ "$1" = "--" ] || usage
shift
case "$ROLE" in client|server) ;; *) usage ;; esac
[[ "$NAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "NAME must match [A-Za-z0-9._-]+, got '$NAME'"

CASES=${AUTOBAHN_CASES:-'["*"]'}
EXCLUDE=${AUTOBAHN_EXCLUDE:-'[]'}
RUN_TIMEOUT=${AUTOBAHN_TIMEOUT:-1800}
START_TIMEOUT=${AUTOBAHN_START_TIMEOUT:-60}
OUT_BASE=${AUTOBAHN_OUT:-$ROOT/target/autobahn}
mkdir -p "$OUT_BASE"
OUT_BASE=$(cd "$OUT_BASE" && pwd)
OUT=$OUT_BASE/$ROLE-$NAME

if [ -z "${WSTEST:-}" ]; then
  if [ -x "$ROOT/.peers/bin/wstest" ]; then
    WSTEST=$ROOT/.peers/bin/wstest
  else
    log "installing wstest (scripts/peers.sh wstest)"
    peers_env=$(timeout 1200 "$ROOT/scripts/peers.sh" wstest) || die "scripts/peers.sh wstest failed"
    eval "$peers_env"
  fi
fi
[ -x "$WSTEST" ] || die "WSTEST=$WSTEST is not executable"

# ------------------------------------------------------------------ process handling
# Each child runs under `timeout`, which makes itself a process-group leader and passes
# a TERM on to its whole group; the group is KILLed if it lingers.
PIDS=()
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
  local rc=$? pid _
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port on 127.0.0.1 (bound, read, released).
free_port() {
  timeout 30 python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Wait until something LISTENs on 127.0.0.1:$1 (or 0.0.0.0/::), read from /proc so that
# no probe connection reaches the listener. Fails if pid $2 dies or time runs out.
wait_listen() {
  local port_hex _
  port_hex=$(printf '%04X' "$1")
  for _ in $(seq $((START_TIMEOUT * 10))); do
    if awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Wait until index.json exists and parses (wstest writes it on /updateReports).
wait_index() {
  local _
  for _ in $(seq $(($1 * 10))); do
    [ -f "$OUT/index.json" ] && timeout 30 python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
        "$OUT/index.json" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# How many cases wstest (pid $WS_PID) announced it will run: "Ok, will run N test cases".
planned_cases() {
  local _ n
  for _ in $(seq $((START_TIMEOUT * 10))); do
    n=$(sed -n 's/^Ok, will run \([0-9]*\) test cases.*/\1/p' "$OUT/wstest.log" 2>/dev/null | head -n1)
    if [ -n "$n" ]; then echo "$n"; return 0; fi
    kill -0 "$WS_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Wait until the fuzzingserver says it has written the reports (client mode).
wait_report_done() {
  local _
  for _ in $(seq $(($1 * 10))); do
    grep -q '^Report generation complete' "$OUT/wstest.log" && return 0
    kill -0 "$WS_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Ask the fuzzingserver on port $1 to write the reports for agent $2: a bare WebSocket
# handshake to /updateReports (stdlib only); wstest writes them before it closes.
request_reports() {
  timeout 120 python3 - "$1" "$2" <<'EOF'
import base64, os, socket, sys
port, agent = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=100)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /updateReports?agent=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" % (agent, port, key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    chunk = s.recv(4096)
    if not chunk:
        sys.exit("connection closed during handshake")
    buf += chunk
if b" 101 " not in buf.split(b"\r\n", 1)[0]:
    sys.exit("handshake refused: %r" % buf.split(b"\r\n", 1)[0])
rest = buf.split(b"\r\n\r\n", 1)[1]
while not rest:  # the close frame comes after the reports are written
    chunk = s.recv(4096)
    if not chunk:
        break
    rest += chunk
s.close()
EOF
}

show_log_tail() {
  [ -s "$1" ] || return 0
  printf -- '--- last lines of %s ---\n' "$1" >&2
  tail -n "${2:-25}" "$1" >&2
  printf -- '---\n' >&2
}

# ------------------------------------------------------------------ spec
rm -rf "$OUT"
mkdir -p "$OUT"
PORT=$(free_port) || die "no free port"
URL="ws://127.0.0.1:$PORT"

timeout 30 python3 - "$ROLE" "$NAME" "$URL" "$OUT" "$CASES" "$EXCLUDE" >"$OUT/spec.json" <<'EOF' \
  || die "bad AUTOBAHN_CASES/AUTOBAHN_EXCLUDE (each must be a JSON list of strings)"
import json, sys
role, name, url, out, cases, exclude = sys.argv[1:]
def patterns(var, text):
    try:
        v = json.loads(text)
    except ValueError as e:
        v = e
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        sys.exit("%s=%s: not a JSON list of strings (%s)" % (var, text, v))
    return v
cases, exclude = patterns("AUTOBAHN_CASES", cases), patterns("AUTOBAHN_EXCLUDE", exclude)
spec = {"outdir": out, "cases": cases, "exclude-cases": exclude, "exclude-agent-cases": {}}
if role == "client":
    spec["url"] = url  # fuzzingserver listens here (bound to 127.0.0.1 by .peers/bin/wstest)
else:
    spec["servers"] = [{"agent": name, "url": url}]
    spec["options"] = {"failByDrop": False}
json.dump(spec, sys.stdout, indent=2)
EOF

log "$ROLE $NAME: cases $CASES, excluded $EXCLUDE, url $URL, reports $OUT"
status=0
start=$(date +%s)

if [ "$ROLE" = client ]; then
  # -u 0: no web UI (it would listen on 0.0.0.0:8080).
  timeout -k 10 $((RUN_TIMEOUT + START_TIMEOUT + 120)) \
    "$WSTEST" -m fuzzingserver -s "$OUT/spec.json" -u 0 </dev/null >"$OUT/wstest.log" 2>&1 &
  WS_PID=$!
  PIDS+=("$WS_PID")
  if ! wait_listen "$PORT" "$WS_PID"; then
    show_log_tail "$OUT/wstest.log"
    die "wstest fuzzingserver did not listen on $PORT within ${START_TIMEOUT}s"
  fi
  n=$(planned_cases) || { show_log_tail "$OUT/wstest.log"; die "wstest fuzzingserver did not start"; }
  [ "$n" != 0 ] || die "no case matches AUTOBAHN_CASES=$CASES minus AUTOBAHN_EXCLUDE=$EXCLUDE"

  AUTOBAHN_URL=$URL AUTOBAHN_AGENT=$NAME timeout -k 10 "$RUN_TIMEOUT" "$@" \
    </dev/null >"$OUT/testee.log" 2>&1 &
  T_PID=$!
  PIDS+=("$T_PID")
  t_rc=0
  wait "$T_PID" || t_rc=$?
  if [ "$t_rc" = 124 ] || [ "$t_rc" = 137 ]; then
    log "testee timed out after ${RUN_TIMEOUT}s (AUTOBAHN_TIMEOUT)"; status=1
  elif [ "$t_rc" != 0 ]; then
    log "testee exited with status $t_rc"; status=1
  fi
  # wstest logs "Updating reports, requested by ..." then, once written,
  # "Report generation complete."
  if grep -q '^Updating reports' "$OUT/wstest.log"; then
    wait_report_done 300 || log "wstest did not finish writing the reports"
  elif kill -0 "$WS_PID" 2>/dev/null; then
    log "testee did not call /updateReports?agent=$NAME; requesting the reports"
    status=1
    request_reports "$PORT" "$NAME" || log "could not request the reports"
    wait_report_done 300 || log "no report was written"
  else
    show_log_tail "$OUT/wstest.log"
    log "wstest fuzzingserver died"
    status=1
  fi
  [ "$status" = 0 ] || show_log_tail "$OUT/testee.log"
else
  AUTOBAHN_PORT=$PORT timeout -k 10 $((RUN_TIMEOUT + START_TIMEOUT + 120)) "$@" \
    </dev/null >"$OUT/testee.log" 2>&1 &
  T_PID=$!
  PIDS+=("$T_PID")
  if ! wait_listen "$PORT" "$T_PID"; then
    show_log_tail "$OUT/testee.log"
    die "testee did not listen on 127.0.0.1:$PORT within ${START_TIMEOUT}s"
  fi

  timeout -k 10 "$RUN_TIMEOUT" "$WSTEST" -m fuzzingclient -s "$OUT/spec.json" \
    </dev/null >"$OUT/wstest.log" 2>&1 &
  WS_PID=$!
  PIDS+=("$WS_PID")
  # With no case to run, wstest's fuzzingclient would idle until killed.
  n=$(planned_cases) || { show_log_tail "$OUT/wstest.log"; die "wstest fuzzingclient did not start"; }
  [ "$n" != 0 ] || die "no case matches AUTOBAHN_CASES=$CASES minus AUTOBAHN_EXCLUDE=$EXCLUDE"
  w_rc=0
  wait "$WS_PID" || w_rc=$?
  if [ "$w_rc" = 124 ] || [ "$w_rc" = 137 ]; then
    log "wstest fuzzingclient timed out after ${RUN_TIMEOUT}s (AUTOBAHN_TIMEOUT)"; status=1
  elif [ "$w_rc" != 0 ]; then
    log "wstest fuzzingclient exited with status $w_rc"; status=1
    show_log_tail "$OUT/wstest.log"
  fi
  if grep -q '^Connection to .* failed' "$OUT/wstest.log"; then
    log "wstest lost the server: $(grep -m1 '^Connection to .* failed' "$OUT/wstest.log")"
    status=1
  fi
  if ! kill -0 "$T_PID" 2>/dev/null; then
    t_rc=0
    wait "$T_PID" || t_rc=$?
    log "testee (echo server) exited during the run, status $t_rc"
    status=1
  fi
  [ "$status" = 0 ] || show_log_tail "$OUT/testee.log"
  [ "$w_rc" != 0 ] || wait_index 10 || log "no report was written"
fi

log "run took $(( $(date +%s) - start ))s"

summary_args=("$OUT/index.json" "$NAME" --role "$ROLE" --cases "$CASES" --exclude "$EXCLUDE"
              --wstest-log "$OUT/wstest.log")
[ -z "${AUTOBAHN_TABLE:-}" ] || summary_args+=(--table "$AUTOBAHN_TABLE")
[ "${AUTOBAHN_STRICT_UNIMPLEMENTED:-0}" != 1 ] || summary_args+=(--strict-unimplemented)
s_rc=0
timeout 120 python3 "$ROOT/scripts/autobahn_summary.py" "${summary_args[@]}" || s_rc=$?
[ "$s_rc" = 0 ] || status=1
echo "reports: $OUT/index.html"
exit "$status"
