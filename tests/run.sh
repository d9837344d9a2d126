#!/bin/sh
# run.sh: every test of `make test`.  Unit tests (Check, sanitizer build),
# then a throw-away stack (private MariaDB, the sanitizer build of chatd and
# the sweeper, lighttpd) in a temporary folder on a free port, then the
# end-to-end tests over HTTP (tests/http/test_*.py), the browser tests
# (tests/www/*.test.mjs, Debian's chromium) and a few seconds of the bench.
# Prints "name... ok (N s)" or "name... FAIL (N s)" per file and ends with one line
# "N passed, N failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/chat-test.XXXXXX")
logs="$tmp/test-logs"
mkdir -p "$logs"

# result NAME RC LOG: count and print one test, with the seconds since
# the last result (the suite must stay within 30 minutes: see which
# test grows).
last=$(date +%s)
result() {
	_now=$(date +%s)
	_took="$((_now - last)) s"
	last=$_now
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1))
		echo "$1... ok ($_took)"
	else
		fail=$((fail + 1))
		echo "$1... FAIL ($_took)"
		tail -n 40 "$3" | sed 's/^/    /'
	fi
}

for t in build/unit/test_*; do
	[ -x "$t" ] || continue
	name="unit/$(basename "$t")"
	timeout 120 "$t" >"$logs/$(basename "$t").log" 2>&1
	result "$name" $? "$logs/$(basename "$t").log"
done

# The stack: short timings keep the suite fast.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CHAT_BIN="$top/build/san"
export CHAT_RESEND_S=2 CHAT_IDLE_S=4 CHAT_SWEEP_S=1 CHAT_WATCH_MS=200
export CHAT_GUEST_TTL_S=2 CHAT_AWAY_S=2 CHAT_DB_POOL=64M
# The tests make hundreds of accounts from 127.0.0.1; test_zz_signup_limit
# restarts the stack with a limit of its own.
export CHAT_SIGNUP_LIMIT=0
# use_sigaltstack=0: GCC 12's ASan reports a false stack-buffer-overflow in
# sigaltstack when a thread exits on glibc 2.36.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:use_sigaltstack=0
export STACK_DIR="$tmp/stack" PORT="$port" BASE_URL="http://127.0.0.1:$port/"
cleanup() { scripts/stack.sh stop "$STACK_DIR" >/dev/null 2>&1; }
trap cleanup EXIT INT TERM
if ! scripts/stack.sh start "$STACK_DIR" "$port" >"$logs/stack.log" 2>&1; then
	result "stack start" 1 "$logs/stack.log"
	cat "$STACK_DIR"/log/*.log 2>/dev/null | tail -n 20
	echo "$pass passed, $fail failed"
	exit 1
fi

for t in tests/http/test_*.py; do
	[ -f "$t" ] || continue
	name="http/$(basename "$t" .py)"
	timeout 300 /usr/bin/python3 -u "$t" >"$logs/$(basename "$t").log" 2>&1
	result "$name" $? "$logs/$(basename "$t").log"
done

if ls tests/www/*.test.mjs >/dev/null 2>&1; then
	if [ ! -d tests/www/node_modules/playwright-core ]; then
		(cd tests/www && npm ci --no-audit --no-fund) >"$logs/npm.log" 2>&1 ||
		    result "www/npm ci" 1 "$logs/npm.log"
	fi
	for t in tests/www/*.test.mjs; do
		name="www/$(basename "$t" .test.mjs)"
		timeout 300 node "$t" >"$logs/$(basename "$t").log" 2>&1
		result "$name" $? "$logs/$(basename "$t").log"
	done
fi

if [ -x tests/bench/bench.sh ]; then
	BENCH_URL="$BASE_URL" BENCH_QUICK=1 timeout 300 tests/bench/bench.sh \
	    >"$logs/bench.log" 2>&1
	result "bench/quick" $? "$logs/bench.log"
	# Its chart: the target's steps and one line for each latency
	# scenario, each drawn through the samples it measured.
	svg=$(sed -n 's/^latency by percentile: //p' "$logs/bench.log")
	[ -n "$svg" ] && awk '/<polyline/ { n++; if (n > 1 && gsub(/,/, ",") >= 10)
	    lines++ } END { exit !(n == 3 && lines == 2) }' "$svg" \
	    >"$logs/chart.log" 2>&1
	result "bench/chart" $? "$logs/chart.log"
fi

# The sanitizers abort the process on the first error; say so loudly.
grep -l -E 'AddressSanitizer|runtime error:|LeakSanitizer' \
    "$STACK_DIR"/log/*.log >"$logs/san.log" 2>&1
if [ -s "$logs/san.log" ]; then
	grep -h -A 20 -E 'AddressSanitizer|runtime error:' "$STACK_DIR"/log/*.log \
	    >>"$logs/san.log"
	result "sanitizers" 1 "$logs/san.log"
else
	result "sanitizers" 0 "$logs/san.log"
fi

cleanup
trap - EXIT INT TERM
[ "$fail" -eq 0 ] && rm -rf "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
