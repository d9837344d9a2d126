#!/bin/sh
# bench.sh: `make bench`.  Starts a stack the way `make run` does (in
# var/bench on a free port, sends not rate-limited) unless BENCH_URL points
# at a running one, runs the scenarios of tests/bench/loadgen and prints one
# table.  BENCH_QUICK=1 runs a few seconds of each (what `make test` does);
# sizes can be set with BENCH_PAIRS, BENCH_SECONDS, BENCH_TP_PAIRS,
# BENCH_IDLE, BENCH_FAN.  Exits non-zero if a scenario lost a message.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
lg="$top/tests/bench/loadgen"
[ -x "$lg" ] || { echo "bench: build first: make tests/bench/loadgen" >&2; exit 2; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	pairs=${BENCH_PAIRS:-5} secs=${BENCH_SECONDS:-3} tp=${BENCH_TP_PAIRS:-10}
	idle=${BENCH_IDLE:-200} fan=${BENCH_FAN:-20}
else
	pairs=${BENCH_PAIRS:-100} secs=${BENCH_SECONDS:-20} tp=${BENCH_TP_PAIRS:-500}
	idle=${BENCH_IDLE:-10000} fan=${BENCH_FAN:-200}
fi

started=""
if [ -z "${BENCH_URL:-}" ]; then
	dir="$top/var/bench"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	CHAT_SEND_RATE=0 "$top/scripts/stack.sh" start "$dir" "$port" >/dev/null || exit 2
	started=$dir
	trap '"$top/scripts/stack.sh" stop "$started"' EXIT INT TERM
	export BENCH_URL="http://127.0.0.1:$port/" BENCH_STACK="$dir"
fi
export BENCH_STACK="${BENCH_STACK:-${STACK_DIR:-}}"
export BENCH_STATE="${BENCH_STATE:-${BENCH_STACK:-$top/var}/bench-state}"
mkdir -p "$BENCH_STATE"

echo "chat bench  $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "stack $BENCH_URL  (folder ${BENCH_STACK:-unknown})"
echo "targets: latency p50 <= 1.5 ms, p99 <= 6 ms; throughput >= 3000 msg/s; 10k parked: chatd RSS <= 150 MB, p50 within 2x;"
echo "         fan-out to 200 <= 100 ms; footprint lighttpd + chatd + sweeper <= 20 MB"
echo
fail=0
run() { "$lg" "$@" 2>>"$BENCH_STATE/loadgen.log" || fail=1; }
run footprint
run latency "$pairs" "$secs"
run throughput "$tp" "$secs"
run fanout "$fan"
BENCH_PAIRS=$pairs run idle "$idle" "$secs"
[ "$fail" = 0 ] || echo "bench: a scenario failed or lost messages (see $BENCH_STATE/loadgen.log)"
exit $fail
