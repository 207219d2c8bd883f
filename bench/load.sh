#!/usr/bin/env bash
# bench/load.sh: the real binary under load on loopback, each ratio next to its baseline measured
# in the same run (issue 18). Rounds alternate (A B, then B A, ...) so that both sides see the
# same machine load, and each ratio is the median of the per-round ratios.
#
#   mock    mockloop serve (mock mode, petstore GET /pet/findByStatus, request validation and the
#           security check on) with its request log written to a file, as users run it, vs a
#           bare net/http handler returning the same bytes          target: >= 0.95x throughput
#   proxy   mockloop serve --mode proxy (request log to a file too) vs a bare
#           httputil.ReverseProxy, both to the same loopback upstream target: >= 1.0x throughput
#   shadow  mockloop serve --mode proxy --shadow (rate SHADOW_RATE, default 0.1) vs the same
#           without --shadow, to the same upstream (issue 14)        target: >= 0.9x throughput
#           SHADOW_FLAGS replaces "--shadow --shadow-rate RATE" (e.g. empty: an A/A test of the
#           part itself, to see its bias)
#   runner  mockloop test run over every GitHub operation (hybrid: --server A, --live B) against
#           two local mockloop serve processes, each started fresh for the round: the CPU time
#           of the test run process (spec load included) over the CPU time the two servers
#           spend while it runs                                       target: <= 0.2x
#           Its floor, in each round too: bench/sendplan, a bare net/http client that sends the
#           same plan's requests the same way (each case to A then B, 4 at a time, bodies read
#           whole) and does nothing else, against two other fresh servers: its CPU while
#           sending over theirs. Below that no net/http client can go.
#
#   ab      not a target: the mock part's setup with another mockloop build (AB_BIN, with
#           AB_FLAGS) in the baseline's place, to see what a change costs or saves (the
#           "baseline" rows are AB_BIN's). Not in the default PARTS.
#
# Besides throughput, mock and proxy report the server's CPU time per request (user and system,
# from /proc/PID/stat): steadier than throughput when other work shares the machine.
#
# Each part is one function (part_NAME); PARTS picks them (default: mock proxy shadow runner).
# Environment: DURATION (wrk run, default 5s), ROUNDS (default 5), THREADS (2), CONNECTIONS
# (64), RUNNER_ROUNDS (default 3), SPECS (default ../shared/specs), MOCKLOOP_BIN (default: built
# from this tree), SERVE_FLAGS (extra flags for the mock part's serve, e.g. "--quiet" to see
# what the request log costs), KEEP_WORK=1 (keep the work directory: logs, reports). Needs Go,
# curl, /usr/bin/time and wrk (installed with apt-get when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
RUNNER_ROUNDS=${RUNNER_ROUNDS:-3}
SPECS=${SPECS:-../shared/specs}
PETSTORE=$SPECS/petstore-3.0.json
GITHUB=$SPECS/api.github.com.json
PATH_Q='/v2/pet/findByStatus?status=available'
AUTH='Authorization: Bearer bench'
PARTS=${PARTS:-mock proxy shadow runner}
HZ=$(getconf CLK_TCK)

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
	echo "installing wrk..." >&2
	apt-get update >/dev/null && apt-get install -y wrk >/dev/null
fi
[ -f "$PETSTORE" ] || { echo "bench: $PETSTORE not found (set SPECS)" >&2; exit 2; }

echo "building..." >&2
if [ -z "${MOCKLOOP_BIN:-}" ]; then
	go build -o "$work/mockloop" ./cmd/mockloop
	MOCKLOOP_BIN=$work/mockloop
fi
go build -o "$work/baseline" ./bench/baseline
go build -o "$work/sendplan" ./bench/sendplan

# start NAME CMD...: run in the background, stderr to $work/NAME.err (the request log's file),
# wait for "listening on", set $addr and $pid.
start() {
	local name=$1; shift
	"$@" 2>"$work/$name.err" &
	pid=$!
	pids+=($pid)
	for _ in $(seq 1 1200); do
		addr=$(grep -o 'listening on http://[0-9.:]*' "$work/$name.err" | head -1 | sed 's|listening on http://||') || true
		[ -n "$addr" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: $name did not start:" >&2; cat "$work/$name.err" >&2; exit 2
}

# stop PID: SIGINT and wait for it.
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# median: the median of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.4f\n", m }'
}

# col FILE N: column N of FILE.
col() { cut -d' ' -f"$2" "$1"; }

# paired_ratio FILE_A FILE_B COLUMN: the median over rounds of A/B, each round's A against the
# same round's B.
paired_ratio() {
	paste -d' ' <(col "$1" "$3") <(col "$2" "$3") | awk '{ printf "%.4f\n", $1 / $2 }' | median | awk '{ printf "%.3f", $1 }'
}

# ratio_range FILE_A FILE_B COLUMN: the lowest and highest per-round A/B, "0.91-1.04".
ratio_range() {
	paste -d' ' <(col "$1" "$3") <(col "$2" "$3") | awk '{ r = $1 / $2; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r } END { printf "%.2f-%.2f", lo, hi }'
}

# summary NAME VALUE TARGET WHAT: one line for bench/all.sh's table, when SUMMARY names a file.
summary() {
	if [ -n "${SUMMARY:-}" ]; then printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$SUMMARY"; fi
}

# cpu PID: "UTIME STIME" of a process, in clock ticks.
cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# to_ms VALUE: wrk latency (12.3us, 1.2ms, 1.1s) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

# load PID URL HEADER...: "RPS P99_MS USER_US SYS_US" for one wrk run after a 1s warm-up: the
# throughput, the 99th percentile latency, and the server's user and system CPU time per request.
load() {
	local spid=$1 url=$2; shift 2
	local hdr=()
	for h in "$@"; do hdr+=(-H "$h"); done
	wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${hdr[@]}" "$url" >/dev/null
	local out u0 s0 u1 s1
	read -r u0 s0 < <(cpu "$spid")
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${hdr[@]}" "$url")
	read -r u1 s1 < <(cpu "$spid")
	if echo "$out" | grep -q 'Non-2xx'; then echo "bench: $url gave non-2xx answers:" >&2; echo "$out" >&2; exit 2; fi
	local rps p99 total
	rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
	p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
	total=$(echo "$out" | awk '/requests in/ { print $1 }')
	echo "$rps $(to_ms "$p99") $(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$total" -v hz="$HZ" 'BEGIN { printf "%.2f %.2f", u / hz * 1e6 / n, s / hz * 1e6 / n }')"
}

# compare LABEL TARGET PID_A URL_A PID_B URL_B HEADER...: ROUNDS alternated rounds of A
# (mockloop) and B (the baseline); prints the medians of each and the paired ratios.
compare() {
	local label=$1 target=$2 pida=$3 a=$4 pidb=$5 b=$6; shift 6
	: >"$work/$label.a" && : >"$work/$label.b"
	for r in $(seq 1 "$ROUNDS"); do
		if ((r % 2)); then
			load "$pida" "$a" "$@" >>"$work/$label.a"
			load "$pidb" "$b" "$@" >>"$work/$label.b"
		else
			load "$pidb" "$b" "$@" >>"$work/$label.b"
			load "$pida" "$a" "$@" >>"$work/$label.a"
		fi
		echo "  round $r: mockloop $(tail -1 "$work/$label.a") | baseline $(tail -1 "$work/$label.b")   (req/s p99_ms user_us sys_us)" >&2
	done
	local side f
	for side in mockloop baseline; do
		f=$work/$label.a
		[ "$side" = baseline ] && f=$work/$label.b
		printf "%-6s %-8s %9.0f req/s  p99 %7.3f ms  server CPU/request %6.2f us (user %5.2f, system %5.2f)\n" "$label" "$side" \
			"$(col "$f" 1 | median)" "$(col "$f" 2 | median)" \
			"$(paste -d' ' <(col "$f" 3) <(col "$f" 4) | awk '{ print $1 + $2 }' | median)" "$(col "$f" 3 | median)" "$(col "$f" 4 | median)"
	done
	for f in a b; do paste -d' ' <(col "$work/$label.$f" 3) <(col "$work/$label.$f" 4) | awk '{ print $1 + $2 }' >"$work/$label.$f.cpu"; done
	local thr cpu
	thr=$(paired_ratio "$work/$label.a" "$work/$label.b" 1)
	cpu=$(paired_ratio "$work/$label.a.cpu" "$work/$label.b.cpu" 1)
	printf "%-6s ratio    %sx throughput (target %s; rounds %s), p99 %sx, server CPU/request %sx (user %sx)   (medians of %d paired rounds)\n" "$label" \
		"$thr" "$target" "$(ratio_range "$work/$label.a" "$work/$label.b" 1)" "$(paired_ratio "$work/$label.a" "$work/$label.b" 2)" \
		"$cpu" "$(paired_ratio "$work/$label.a" "$work/$label.b" 3)" "$ROUNDS"
	[ "$target" = none ] || summary "$label throughput" "$thr" "$target" "$(col "$work/$label.a" 1 | median | awk '{ printf "%.0f", $1 }') vs $(col "$work/$label.b" 1 | median | awk '{ printf "%.0f", $1 }') req/s; CPU/request ${cpu}x"
}

has() { [[ " $PARTS " == *" $1 "* ]]; }

part_mock() {
	echo "== mock: GET $PATH_Q on $(basename "$PETSTORE"), request log to a file (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds)"
	# shellcheck disable=SC2086
	start mock "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --addr 127.0.0.1:0 ${SERVE_FLAGS:-}
	local mock=$addr mockpid=$pid
	curl -sf -H "$AUTH" -o "$work/body" "http://$mock$PATH_Q"
	echo "   mock body: $(wc -c <"$work/body") bytes (the baseline serves the same bytes); serve flags: ${SERVE_FLAGS:-none}"
	start base "$work/baseline" -body "$work/body"
	local base=$addr basepid=$pid
	compare mock ">=0.95" "$mockpid" "http://$mock$PATH_Q" "$basepid" "http://$base$PATH_Q" "$AUTH"
	local lines
	lines=$(grep -c " $PATH_Q 200 " "$work/mock.err" || true)
	echo "mock   request log: $lines lines written to the log file ($(du -h "$work/mock.err" | cut -f1))"
	stop "$mockpid"; stop "$basepid"
}

part_ab() {
	[ -n "${AB_BIN:-}" ] || { echo "bench: the ab part needs AB_BIN, the other mockloop build" >&2; exit 2; }
	echo "== ab: GET $PATH_Q on $(basename "$PETSTORE"), $MOCKLOOP_BIN ${SERVE_FLAGS:-} (mockloop) vs $AB_BIN ${AB_FLAGS:-} (baseline), request logs to files ($ROUNDS rounds)"
	# shellcheck disable=SC2086
	start mock "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --addr 127.0.0.1:0 ${SERVE_FLAGS:-}
	local a=$addr apid=$pid
	# shellcheck disable=SC2086
	start other "$AB_BIN" serve --spec "$PETSTORE" --addr 127.0.0.1:0 ${AB_FLAGS:-}
	local b=$addr bpid=$pid
	compare ab none "$apid" "http://$a$PATH_Q" "$bpid" "http://$b$PATH_Q" "$AUTH"
	stop "$apid"; stop "$bpid"
}

part_proxy() {
	echo "== proxy: mockloop serve --mode proxy (request log to a file) vs httputil.ReverseProxy, to the same upstream ($ROUNDS rounds)"
	[ -s "$work/body" ] || head -c 343 /dev/zero | tr '\0' 'x' >"$work/body"
	start upstream "$work/baseline" -body "$work/body"
	local upstream=$addr uppid=$pid
	start mproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0
	local mproxy=$addr mproxypid=$pid
	start bproxy "$work/baseline" -proxy "http://$upstream"
	local bproxy=$addr bproxypid=$pid
	compare proxy ">=1.0" "$mproxypid" "http://$mproxy$PATH_Q" "$bproxypid" "http://$bproxy$PATH_Q" "$AUTH"
	stop "$mproxypid"; stop "$bproxypid"; stop "$uppid"
}

part_shadow() {
	echo "== shadow: mockloop serve --mode proxy --shadow (rate ${SHADOW_RATE:-0.1}) vs without --shadow, to the same upstream ($ROUNDS rounds; 'baseline' is without)"
	[ -s "$work/body" ] || head -c 343 /dev/zero | tr '\0' 'x' >"$work/body"
	start upstream "$work/baseline" -body "$work/body"
	local upstream=$addr uppid=$pid
	# shellcheck disable=SC2086
	start sproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0 ${SHADOW_FLAGS---shadow --shadow-rate ${SHADOW_RATE:-0.1}} --quiet
	local sproxy=$addr sproxypid=$pid
	start nproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0 --quiet
	local nproxy=$addr nproxypid=$pid
	compare shadow ">=0.9" "$sproxypid" "http://$sproxy$PATH_Q" "$nproxypid" "http://$nproxy$PATH_Q" "$AUTH"
	curl -sf "http://$sproxy/__mockloop/drift?limit=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("shadow %d sampled, %d compared, %d dropped" % (d["sampled"], d["compared"], d["dropped"]))' || true
	stop "$sproxypid"; stop "$nproxypid"; stop "$uppid"
}

# runner_round: one test run against two fresh servers; appends
# "RUNNER_S SERVER_A_S SERVER_B_S SERVERS_START_S CASES" to $work/runner.
runner_round() {
	start ra "$MOCKLOOP_BIN" serve --spec "$GITHUB" --addr 127.0.0.1:0
	local a=$addr apid=$pid
	start rb "$MOCKLOOP_BIN" serve --spec "$GITHUB" --addr 127.0.0.1:0
	local b=$addr bpid=$pid
	sleep 2 # let the servers' background example checks finish: they are not the run's work
	local au0 as0 bu0 bs0 au1 as1 bu1 bs1
	read -r au0 as0 < <(cpu "$apid"); read -r bu0 bs0 < <(cpu "$bpid")
	local rc=0
	/usr/bin/time -f '%U %S' -o "$work/run.time" "$MOCKLOOP_BIN" test run --spec "$GITHUB" --server "http://$a" --live "http://$b" \
		--mode hybrid -o json >"$work/run.json" 2>"$work/run.err" || rc=$?
	read -r au1 as1 < <(cpu "$apid"); read -r bu1 bs1 < <(cpu "$bpid")
	stop "$apid"; stop "$bpid"
	local cases
	cases=$(grep -o '"total": *[0-9]*' "$work/run.json" | head -1 | grep -o '[0-9]*$' || echo 0)
	if [ "$rc" -ne 0 ] || [ "$cases" -eq 0 ]; then echo "bench: test run failed (exit $rc):" >&2; tail -5 "$work/run.err" >&2; exit 2; fi
	awk -v t="$(cat "$work/run.time")" -v a=$((au1 - au0 + as1 - as0)) -v b=$((bu1 - bu0 + bs1 - bs0)) -v s=$((au0 + as0 + bu0 + bs0)) -v hz="$HZ" -v n="$cases" \
		'BEGIN { split(t, x, " "); printf "%.2f %.2f %.2f %.2f %d\n", x[1] + x[2], a / hz, b / hz, s / hz, n }' >>"$work/runner"
}

# floor_round: bench/sendplan over the same plan against two fresh servers; appends
# "SEND_S SERVER_A_S SERVER_B_S REQUESTS" to $work/floor.
floor_round() {
	start fa "$MOCKLOOP_BIN" serve --spec "$GITHUB" --addr 127.0.0.1:0
	local a=$addr apid=$pid
	start fb "$MOCKLOOP_BIN" serve --spec "$GITHUB" --addr 127.0.0.1:0
	local b=$addr bpid=$pid
	sleep 2
	local au0 as0 bu0 bs0 au1 as1 bu1 bs1 out
	read -r au0 as0 < <(cpu "$apid"); read -r bu0 bs0 < <(cpu "$bpid")
	out=$("$work/sendplan" -plan "$work/plan.json" -spec "$GITHUB" -a "http://$a" -b "http://$b") ||
		{ echo "bench: sendplan failed" >&2; exit 2; }
	read -r au1 as1 < <(cpu "$apid"); read -r bu1 bs1 < <(cpu "$bpid")
	stop "$apid"; stop "$bpid"
	awk -v o="$out" -v a=$((au1 - au0 + as1 - as0)) -v b=$((bu1 - bu0 + bs1 - bs0)) -v hz="$HZ" \
		'BEGIN { split(o, x, " "); printf "%.3f %.2f %.2f %d\n", x[2], a / hz, b / hz, x[4] }' >>"$work/floor"
}

part_runner() {
	if [ ! -f "$GITHUB" ]; then echo "== runner: skipped, $GITHUB not found (set SPECS)"; return; fi
	echo "== runner: mockloop test run over every operation of $(basename "$GITHUB") against two local servers ($RUNNER_ROUNDS rounds, fresh servers each)"
	: >"$work/runner"
	: >"$work/floor"
	"$MOCKLOOP_BIN" test plan --spec "$GITHUB" -o json >"$work/plan.json"
	for r in $(seq 1 "$RUNNER_ROUNDS"); do
		runner_round
		read -r rs sa sb st n <<<"$(tail -1 "$work/runner")"
		echo "  round $r: test run ${rs}s CPU | servers ${sa}s + ${sb}s CPU during the run (${st}s before it, loading) | $n cases" >&2
		floor_round
		read -r fs fa fb fn <<<"$(tail -1 "$work/floor")"
		echo "  round $r: floor (bare net/http client, $fn requests) ${fs}s CPU | servers ${fa}s + ${fb}s CPU" >&2
	done
	awk '{ print $1 / ($2 + $3) }' "$work/runner" >"$work/runner.share"
	printf "runner test run  %5.2f s CPU (spec load included)  %d cases\n" "$(col "$work/runner" 1 | median)" "$(col "$work/runner" 5 | head -1)"
	printf "runner servers   %5.2f s CPU during the run (both; %.2f s more to start them, not counted)\n" \
		"$(awk '{ print $2 + $3 }' "$work/runner" | median)" "$(col "$work/runner" 4 | median)"
	local share
	share=$(median <"$work/runner.share" | awk '{ printf "%.3f", $1 }')
	printf "runner ratio     %sx of the servers' CPU (target <=0.2; rounds %s)   (median of %d rounds)\n" "$share" \
		"$(awk '{ r = $1 / ($2 + $3); if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r } END { printf "%.2f-%.2f", lo, hi }' "$work/runner")" "$RUNNER_ROUNDS"
	local floor
	floor=$(awk '{ print $1 / ($2 + $3) }' "$work/floor" | median | awk '{ printf "%.3f", $1 }')
	printf "runner floor     %sx: a bare net/http client sending the same %d requests, %.3f s CPU vs servers %.2f s (median)\n" "$floor" \
		"$(col "$work/floor" 4 | head -1)" "$(col "$work/floor" 1 | median)" "$(awk '{ print $2 + $3 }' "$work/floor" | median)"
	summary "runner floor (bare client)" "$floor" "" "sendplan $(col "$work/floor" 1 | median | awk '{ printf "%.3f", $1 }') s vs servers $(awk '{ print $2 + $3 }' "$work/floor" | median | awk '{ printf "%.2f", $1 }') s CPU"
	summary "runner CPU share" "$share" "<=0.2" "test run $(col "$work/runner" 1 | median | awk '{ printf "%.2f", $1 }') s vs servers $(awk '{ print $2 + $3 }' "$work/runner" | median | awk '{ printf "%.2f", $1 }') s CPU"
}

for part in $PARTS; do
	fn="part_${part//-/_}"
	if ! declare -F "$fn" >/dev/null; then echo "bench: unknown part $part (parts: mock proxy shadow runner ab)" >&2; exit 2; fi
	"$fn"
done
