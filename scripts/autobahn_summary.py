#!/usr/bin/env python3
"""Summarize an Autobahn|Testsuite report (index.json) for one agent.

Usage:
  autobahn_summary.py INDEX_JSON AGENT [--role client|server] [--exclude JSON]
                      [--cases JSON] [--wstest-log FILE] [--table FILE]
                      [--strict-unimplemented]

Reads INDEX_JSON ({agent: {case_id: {"behavior", "behaviorClose", ...}}}, as written
by wstest into the report directory) and prints, for AGENT:
  * the counts of each behavior, over `behavior` and over `behaviorClose`;
  * every case whose behavior or behaviorClose is not OK, with both values;
  * the case patterns run and the excluded groups;
  * one markdown row `| role | NAME | run | OK | NON-STRICT | INFORMATIONAL |
    UNIMPLEMENTED | FAILED |`, appended to FILE if --table is given (a header is
    written first when FILE is empty or missing).

Besides OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED and FAILED, wstest can report
`NO CLOSE` (behavior) and `WRONG CODE`, `UNCLEAN`, `FAILED BY CLIENT` (behaviorClose).
They are listed as they are in the counts, and classed as wstest's HTML report
colours them: WRONG CODE and FAILED BY CLIENT as NON-STRICT, UNCLEAN and NO CLOSE
(and anything unknown) as FAILED. The markdown row counts each case once, by the
worse of its two classes (FAILED > UNIMPLEMENTED > NON-STRICT > INFORMATIONAL > OK).

Exit status: 1 if any case is FAILED by either behavior (or UNIMPLEMENTED with
--strict-unimplemented), if the report has no result for AGENT, or if it has fewer
cases than the wstest log (--wstest-log, its `Cases = [...]` line) says it would run
(a testee that stopped early or skipped cases; the missing ones are listed);
2 on bad input; 0 otherwise.
"""

import argparse
import ast
import json
import os
import re
import sys

CLASSES = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
SEVERITY = {"OK": 0, "INFORMATIONAL": 1, "NON-STRICT": 2, "UNIMPLEMENTED": 3, "FAILED": 4}
ALIASES = {"WRONG CODE": "NON-STRICT", "FAILED BY CLIENT": "NON-STRICT"}


def classify(value):
    if value in SEVERITY:
        return value
    return ALIASES.get(value, "FAILED")


def case_key(case_id):
    return [int(p) if p.isdigit() else p for p in re.split(r"[.]", case_id)]


def expected_cases(log_path):
    """The case ids wstest announced (`Cases = ['1.1.1', ...]`), or None."""
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                if line.startswith("Cases = ["):
                    return ast.literal_eval(line[len("Cases = "):].strip())
    except (OSError, ValueError, SyntaxError):
        pass
    return None


def counts_line(label, values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    parts = ["%s=%d" % (c, counts.pop(c, 0)) for c in CLASSES]
    extra = ["%s=%d (as %s)" % (k, n, classify(k)) for k, n in sorted(counts.items())]
    return "  %-14s %s" % (label + ":", "  ".join(parts + extra))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index")
    ap.add_argument("agent")
    ap.add_argument("--role", default="-")
    ap.add_argument("--cases", default='["*"]', help="JSON list of case patterns run")
    ap.add_argument("--exclude", default="[]", help="JSON list of excluded case patterns")
    ap.add_argument("--wstest-log", help="wstest's output, for the list of cases it meant to run")
    ap.add_argument("--table", help="append the markdown row to this file")
    ap.add_argument("--strict-unimplemented", action="store_true")
    args = ap.parse_args(argv)

    try:
        cases_pat = json.loads(args.cases)
        exclude_pat = json.loads(args.exclude)
    except ValueError as e:
        print("autobahn_summary: bad --cases/--exclude JSON: %s" % e, file=sys.stderr)
        return 2

    title = "Autobahn %s summary, agent %s" % (args.role, args.agent)
    print(title)
    print("  cases:    %s" % json.dumps(cases_pat))
    print("  excluded: %s" % (json.dumps(exclude_pat) if exclude_pat else "none"))

    try:
        with open(args.index) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print("  NO REPORT: cannot read %s: %s" % (args.index, e))
        return 1
    results = index.get(args.agent)
    if not results:
        print("  NO RESULTS for agent %r in %s (agents there: %s)"
              % (args.agent, args.index, ", ".join(sorted(index)) or "none"))
        return 1

    ids = sorted(results, key=case_key)
    beh = [results[c].get("behavior", "?") for c in ids]
    close = [results[c].get("behaviorClose", "?") for c in ids]
    expected = expected_cases(args.wstest_log) if args.wstest_log else None
    missing = sorted(set(expected) - set(ids), key=case_key) if expected is not None else []
    if missing:
        shown = " ".join(missing[:40]) + (" ... (+%d more)" % (len(missing) - 40) if len(missing) > 40 else "")
        print("  run:      %d cases of %d: %d MISSING (testee stopped or skipped cases): %s"
              % (len(ids), len(expected), len(missing), shown))
    else:
        print("  run:      %d cases" % len(ids))
    print(counts_line("behavior", beh))
    print(counts_line("behaviorClose", close))

    row = dict((c, 0) for c in CLASSES)
    failed = unimplemented = 0
    not_ok = []
    for cid, b, bc in zip(ids, beh, close):
        cb, cc = classify(b), classify(bc)
        worst = cb if SEVERITY[cb] >= SEVERITY[cc] else cc
        row[worst] += 1
        if "FAILED" in (cb, cc):
            failed += 1
        if "UNIMPLEMENTED" in (cb, cc):
            unimplemented += 1
        if b != "OK" or bc != "OK":
            not_ok.append((cid, b, bc, results[cid].get("remoteCloseCode")))

    if not_ok:
        print("  not OK (%d):" % len(not_ok))
        for cid, b, bc, code in not_ok:
            print("    %-10s behavior=%-14s behaviorClose=%-14s closeCode=%s" % (cid, b, bc, code))
    else:
        print("  not OK:   none")

    md = "| %s | %s | %d | %s |" % (args.role, args.agent, len(ids),
                                    " | ".join(str(row[c]) for c in CLASSES))
    print(md)
    if args.table:
        header = ("| role | NAME | run | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |\n"
                  "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        need_header = not os.path.exists(args.table) or os.path.getsize(args.table) == 0
        with open(args.table, "a") as f:
            if need_header:
                f.write(header)
            f.write(md + "\n")

    verdict = 0
    if failed:
        print("RESULT: FAIL (%d case(s) FAILED)" % failed)
        verdict = 1
    if unimplemented and args.strict_unimplemented:
        print("RESULT: FAIL (%d case(s) UNIMPLEMENTED, AUTOBAHN_STRICT_UNIMPLEMENTED=1)" % unimplemented)
        verdict = 1
    if missing:
        print("RESULT: FAIL (%d case(s) missing from the report)" % len(missing))
        verdict = 1
    if verdict == 0:
        print("RESULT: PASS")
    return verdict


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
