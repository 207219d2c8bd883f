#!/usr/bin/env bash
# bench/load.sh: the real binary under load on loopback, next to bare Go baselines, same run.
#
#   mock:  mockloop serve (mock mode, petstore GET /pet/findByStatus) vs a bare net/http server
#          returning the same bytes              target: >= 0.9x throughput, p99 <= 1.5x
#   proxy: mockloop serve --mode proxy vs a bare httputil.ReverseProxy, both to the same
#          loopback upstream                      target: >= 0.9x throughput
#   shadow: mockloop serve --mode proxy --shadow (default rate 0.1) vs the same without
#          --shadow, to the same upstream        target: >= 0.9x throughput
#   load:  the 13 MB GitHub spec: mockloop's cold start to first response and peak RSS, next to a
#          plain kin-openapi load of the same file
#
# Environment: DURATION (default 10s per run), ROUNDS (default 2, alternating), THREADS (2),
# CONNECTIONS (64), SPECS (default ../shared/specs), MOCKLOOP_BIN (default: built from this tree),
# PARTS (default "mock proxy shadow github") to run only some parts, SERVE_FLAGS extra flags for the
# mock-mode mockloop serve (e.g. "--quiet" or "--no-validate-requests --no-security" to see what
# the request log or validation cost). Needs wrk (installed with apt-get when missing),
# curl and /usr/bin/time.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
SPECS=${SPECS:-../shared/specs}
PETSTORE=$SPECS/petstore-3.0.json
GITHUB=$SPECS/api.github.com.json
PATH_Q='/v2/pet/findByStatus?status=available'
AUTH='Authorization: Bearer bench'

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
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
go build -o "$work/kinload" ./bench/kinload

# start NAME CMD...: run in the background, stderr to $work/NAME.err, wait for "listening on",
# set $addr and $pid.
start() {
	local name=$1; shift
	"$@" 2>"$work/$name.err" &
	pid=$!
	pids+=($pid)
	for _ in $(seq 1 600); do
		addr=$(grep -o 'listening on http://[0-9.:]*' "$work/$name.err" | head -1 | sed 's|listening on http://||') || true
		[ -n "$addr" ] && return 0
		sleep 0.05
	done
	echo "bench: $name did not start:" >&2; cat "$work/$name.err" >&2; exit 2
}

# to_ms VALUE: wrk latency (12.3us, 1.2ms, 1.1s) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

# cpu_ticks PID: user+system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load PID URL HEADER...: prints "RPS P99MS CPU_US_PER_REQUEST" for one wrk run (after a short
# warm-up). The server's CPU time per request is steadier than throughput on a busy machine.
load() {
	local spid=$1 url=$2; shift 2
	local hdr=()
	for h in "$@"; do hdr+=(-H "$h"); done
	wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${hdr[@]}" "$url" >/dev/null
	local out c0 c1
	c0=$(cpu_ticks "$spid")
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${hdr[@]}" "$url")
	c1=$(cpu_ticks "$spid")
	local non2xx
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
	if [ -n "$non2xx" ]; then echo "bench: $url answered $non2xx non-2xx responses" >&2; exit 2; fi
	local rps p99 total
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	total=$(echo "$out" | awk '/requests in/ {print $1}')
	echo "$rps $(to_ms "$p99") $(awk -v c=$((c1 - c0)) -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", c / hz * 1e6 / n}')"
}

# compare LABEL PID_A URL_A PID_B URL_B HEADER...: ROUNDS alternating runs; prints both (means)
# and the ratios.
compare() {
	local label=$1 pida=$2 a=$3 pidb=$4 b=$5; shift 5
	local ra=() rb=() pa=() pb=() ca=() cb=()
	for r in $(seq 1 "$ROUNDS"); do
		read -r x y z < <(load "$pida" "$a" "$@"); ra+=("$x"); pa+=("$y"); ca+=("$z")
		read -r x y z < <(load "$pidb" "$b" "$@"); rb+=("$x"); pb+=("$y"); cb+=("$z")
		echo "  round $r: mockloop ${ra[-1]} req/s p99 ${pa[-1]} ms ${ca[-1]} us CPU/req | baseline ${rb[-1]} req/s p99 ${pb[-1]} ms ${cb[-1]} us CPU/req" >&2
	done
	awk -v label="$label" -v ra="${ra[*]}" -v rb="${rb[*]}" -v pa="${pa[*]}" -v pb="${pb[*]}" -v ca="${ca[*]}" -v cb="${cb[*]}" 'BEGIN {
		n = split(ra, A, " "); split(rb, B, " "); split(pa, PA, " "); split(pb, PB, " "); split(ca, CA, " "); split(cb, CB, " ")
		for (i = 1; i <= n; i++) { sa += A[i]; sb += B[i]; spa += PA[i]; spb += PB[i]; sca += CA[i]; scb += CB[i] }
		sa /= n; sb /= n; spa /= n; spb /= n; sca /= n; scb /= n
		printf "%-6s mockloop %9.0f req/s  p99 %7.3f ms  %6.2f us server CPU/request\n", label, sa, spa, sca
		printf "%-6s baseline %9.0f req/s  p99 %7.3f ms  %6.2f us server CPU/request\n", label, sb, spb, scb
		printf "%-6s ratio    %9.3fx throughput, p99 %.2fx, CPU/request %.2fx\n", label, sa / sb, spa / spb, sca / scb }'
}

PARTS=${PARTS:-mock proxy shadow github}
has() { [[ " $PARTS " == *" $1 "* ]]; }

if has mock; then
echo "== mock: GET $PATH_Q on $(basename "$PETSTORE") (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds)"
# shellcheck disable=SC2086
start mock "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --addr 127.0.0.1:0 ${SERVE_FLAGS:-}
mock=$addr mockpid=$pid
curl -sf -H "$AUTH" -o "$work/body" "http://$mock$PATH_Q"
echo "   mock body: $(wc -c <"$work/body") bytes (the baseline serves the same bytes); serve flags: ${SERVE_FLAGS:-none} (request log to a file)"
start base "$work/baseline" -body "$work/body"
base=$addr basepid=$pid
compare mock "$mockpid" "http://$mock$PATH_Q" "$basepid" "http://$base$PATH_Q" "$AUTH"
fi

if has proxy; then
[ -s "$work/body" ] || head -c 444 /dev/zero | tr '\0' 'x' >"$work/body"

echo "== proxy: mockloop serve --mode proxy vs httputil.ReverseProxy, to the same upstream"
start upstream "$work/baseline" -body "$work/body"
upstream=$addr
start mproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0
mproxy=$addr mproxypid=$pid
start bproxy "$work/baseline" -proxy "http://$upstream"
bproxy=$addr bproxypid=$pid
compare proxy "$mproxypid" "http://$mproxy$PATH_Q" "$bproxypid" "http://$bproxy$PATH_Q" "$AUTH"
fi

if has shadow; then
[ -s "$work/body" ] || head -c 444 /dev/zero | tr '\0' 'x' >"$work/body"
echo "== shadow: mockloop serve --mode proxy --shadow (rate ${SHADOW_RATE:-0.1}) vs without --shadow, to the same upstream"
if [ -z "${upstream:-}" ]; then
	start upstream "$work/baseline" -body "$work/body"
	upstream=$addr
fi
start sproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0 ${SHADOW_FLAGS:---shadow --shadow-rate ${SHADOW_RATE:-0.1}} --quiet
sproxy=$addr sproxypid=$pid
start nproxy "$MOCKLOOP_BIN" serve --spec "$PETSTORE" --mode proxy --target "http://$upstream" --addr 127.0.0.1:0 --quiet
nproxy=$addr nproxypid=$pid
compare shadow "$sproxypid" "http://$sproxy$PATH_Q" "$nproxypid" "http://$nproxy$PATH_Q" "$AUTH"
curl -sf "http://$sproxy/__mockloop/drift?limit=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   shadow: %d sampled, %d compared, %d dropped" % (d["sampled"], d["compared"], d["dropped"]))'
fi

if ! has github || [ ! -f "$GITHUB" ]; then exit 0; fi
echo "== load: $(basename "$GITHUB") ($(du -h "$GITHUB" | cut -f1))"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s%N)
/usr/bin/time -v -o "$work/gh.time" "$MOCKLOOP_BIN" serve --spec "$GITHUB" --addr "127.0.0.1:$port" --quiet 2>"$work/gh.err" &
ghpid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
	kill -0 "$ghpid" 2>/dev/null || { cat "$work/gh.err" >&2; exit 2; }
	sleep 0.01
done
t1=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
pkill -INT -P "$ghpid" 2>/dev/null || true
wait "$ghpid" || true
rss=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$work/gh.time")
ops=$(grep -o '[0-9]* operations' "$work/gh.err" | head -1)
printf "mockloop serve: first response (GET / -> %s) %d ms after start, peak RSS %d MB (%s)\n" \
	"$code" $(((t1 - t0) / 1000000)) $((rss / 1024)) "$ops"
/usr/bin/time -v -o "$work/kin.time" "$work/kinload" "$GITHUB" >"$work/kin.out"
rss=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$work/kin.time")
elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/kin.time")
printf "kin-openapi load: %s (process wall %s), peak RSS %d MB\n" "$(cat "$work/kin.out")" "$elapsed" $((rss / 1024))
