#!/bin/sh
# stack.sh: start and stop the whole chat stack in one folder.
#
#   scripts/stack.sh deps [test|bench] install missing Debian packages (root)
#                                     or print the apt-get line and fail
#   scripts/stack.sh run DIR PORT     start, print the URL, stay in the
#                                     foreground and start again a part
#                                     that dies; Ctrl-C/SIGTERM stops it all
#   scripts/stack.sh start DIR PORT   start in the background (tests, bench)
#   scripts/stack.sh stop DIR         stop what `start` or `run` started
#
# DIR holds everything the stack writes: db/ (a private MariaDB, unless
# CHAT_DB_HOST points at an existing server), run/ (sockets, pid files),
# log/.  A second start on the same DIR reuses the data.  Two folders with
# different ports never collide: no path outside DIR, no system service
# (as root, one nftables table named after the port: at most
# CHAT_CONNS_PER_ADDR (256; 0: no cap) connections at once from one client
# address, except this host's and CHAT_TRUSTED_PROXIES', comma-separated).
# `run` waits 1 s before starting a part again, twice as long after each
# restart up to 30 s, and 1 s again once it ran CHAT_BACKOFF_RESET_S (60).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
# CHAT_BIN: where chatd and chat-sweep are (make test uses its sanitizer build).
bin=${CHAT_BIN:-$top/cgi-bin}
PKGS="build-essential pkg-config libfcgi-dev libjson-c-dev libmariadb-dev \
libsodium-dev check lighttpd mariadb-server mariadb-client curl"

# A start that fails stops what it started (nothing is left running), and
# only that: parts that were running before (a `make run` already serving
# this folder) are left alone.
starting=
launched=
die() {
	echo "stack: $*" >&2
	if [ -n "$starting" ]; then
		starting=
		[ -n "$launched" ] && stop $launched
	fi
	exit 1
}

# deps [test]: every package the build and the stack need (and, for
# `make test`, the browser tests: Debian's chromium, node and npm).
deps() {
	missing=""
	want="$PKGS"
	# The tests and the bench put a real Apache in front of chatd too
	# (plain CGI and mod_fcgid, as a shared host runs it), and HAProxy in
	# front of several nodes over one MariaDB and over a Galera cluster
	# (scripts/galera.sh: galera-4, rsync for its state transfer).
	cluster="haproxy galera-4 rsync"
	case ${1:-} in
	test) want="$want chromium apache2 libapache2-mod-fcgid $cluster" ;;
	bench) want="$want apache2 libapache2-mod-fcgid $cluster" ;;
	esac
	# nftables: the per-address cap, which only root can set.
	[ "$(id -u)" -eq 0 ] && want="$want nftables"
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	if [ "${1:-}" = test ] && ! command -v npm >/dev/null 2>&1; then
		command -v node >/dev/null 2>&1 || missing="$missing nodejs"
		missing="$missing npm"
	fi
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "stack: installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing
	else
		echo "Missing packages. Run as root:"
		echo "  apt-get install -y$missing"
		exit 1
	fi
}

# wait_for CMD...: retry CMD for up to 30 s.
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.1
	done
}

# alive PART: the process in run/PART.pid runs and is that part.  A pid
# file left by a crash or a reboot may name a pid now used by something
# else: that is neither taken for the part nor ever sent a signal.
# (The pid file may go between the test and the read: a process stopping
# by itself, e.g. MariaDB on the TERM sent to `make run`'s group, removes it.)
alive() {
	_p=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 1
	is_part "$_p" "$1"
}

# is_part PID PART: PID runs (a zombie has no command line) and is PART.
is_part() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	_args=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	case "$2:$_args" in
	lighttpd:*lighttpd*|chatd:*chatd*|mariadb:*mariadbd*) ;;
	sweeper:*chat-sweep-loop*|sweeper:*stack.sh*) ;;	# this loop, an older one
	stack:*stack.sh\ run\ *) ;;	# `run`, which starts parts again
	*) return 1 ;;
	esac
}

# db_env: the settings the backend, sweeper and migrations connect with.
db_env() {
	if [ -n "${CHAT_DB_HOST:-}" ]; then
		: "${CHAT_DB_USER:?set CHAT_DB_USER}" "${CHAT_DB_PASS:?set CHAT_DB_PASS}"
		export CHAT_DB_NAME="${CHAT_DB_NAME:-chat}"
		return
	fi
	. "$dir/db.env"
	export CHAT_DB_SOCKET CHAT_DB_USER CHAT_DB_PASS CHAT_DB_NAME
	# The same account for admins and scripts, with the password in a
	# file only its owner reads rather than on a command line for `ps`:
	# mariadb --defaults-file=DIR/chat.cnf
	(umask 077; printf '[client]\nsocket=%s\nuser=%s\npassword=%s\n[mysql]\ndatabase=%s\n' \
	    "$CHAT_DB_SOCKET" "$CHAT_DB_USER" "$CHAT_DB_PASS" "$CHAT_DB_NAME" \
	    >"$dir/chat.cnf")
}

# mariadb_start: a private server on a unix socket inside DIR.
mariadb_start() {
	[ -n "${CHAT_DB_HOST:-}" ] && return 0
	alive mariadb && return 0
	cat >"$dir/my.cnf" <<EOF
[mysqld]
datadir=$dir/db
socket=$dir/run/mysqld.sock
pid-file=$dir/run/mariadb.pid
log-error=$dir/log/mariadb.log
skip-networking
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=${CHAT_DB_POOL:-256M}
innodb_log_file_size=128M
innodb_flush_log_at_trx_commit=1
# INSERT ... SELECT (every send's events) takes no table-wide AUTO-INC lock;
# with the default (1) they queue on it, and under load fail with error 1467.
innodb_autoinc_lock_mode=2
max_connections=300
[client]
socket=$dir/run/mysqld.sock
EOF
	if [ ! -d "$dir/db/mysql" ]; then
		mariadb-install-db --defaults-file="$dir/my.cnf" $asroot \
		    --auth-root-authentication-method=socket \
		    --skip-test-db >"$dir/log/install-db.log" 2>&1 ||
		    die "mariadb-install-db failed, see $dir/log/install-db.log"
		# With a space in a path it reads another file and exits 0.
		[ -d "$dir/db/mysql" ] ||
		    die "mariadb-install-db made no $dir/db, see $dir/log/install-db.log"
	fi
	launch mariadb
	wait_for mariadb --defaults-file="$dir/my.cnf" -u "$(id -un)" -e 'SELECT 1' ||
	    die "MariaDB did not start, see $dir/log/mariadb.log"
	if [ ! -f "$dir/db.env" ]; then
		pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
		mariadb --defaults-file="$dir/my.cnf" -u "$(id -un)" <<EOF
CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'chat'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL ON chat.* TO 'chat'@'localhost';
EOF
		umask 077
		printf 'CHAT_DB_SOCKET=%s\nCHAT_DB_USER=chat\nCHAT_DB_PASS=%s\nCHAT_DB_NAME=chat\n' \
		    "$dir/run/mysqld.sock" "$pass" >"$dir/db.env"
	fi
}

# launch PART: start PART in the background, in a process group (and
# session) of its own: a TERM to `make run`'s group must not reach the
# parts (stop() stops them, front to back: the database last), and
# lighttpd's master signals its whole group on exit when it has several
# workers.  pid_PART is its pid (setsid does not fork here: a background
# job of this shell leads no group), and so is PART.pid from now on, so
# that a stop at any moment finds it; the part writes the same pid there
# again.  Not lighttpd's: lighttpd writes it once it holds the port.
launch() {
	case $1 in
	mariadb)
		setsid mariadbd --defaults-file="$dir/my.cnf" $asroot \
		    >>"$dir/log/mariadb.log" 2>&1 & ;;
	chatd)
		rm -f "$dir/run/chatd.sock"	# a crash's: not a sign of life
		CHAT_FCGI_SOCKET="$dir/run/chatd.sock" \
		    setsid "$bin/chatd" >>"$dir/log/chatd.log" 2>&1 & ;;
	sweeper)
		# The sweeper the way cron runs it: one run a minute, each
		# doing CHAT_SWEEP_S-second rounds for that minute.  A run left
		# by a loop killed with -9 is stopped with the loop's group (it
		# went on for up to a minute, alone).
		setsid sh -c '
			trap "kill \$child 2>/dev/null; exit 0" TERM INT
			while :; do
				"$1" >>"$2" 2>&1 &
				child=$!
				wait $child || sleep 1
			done' chat-sweep-loop "$bin/chat-sweep" \
		    "$dir/log/sweeper.log" & ;;
	lighttpd)
		setsid lighttpd -D -f "$top/lighttpd.conf" \
		    >>"$dir/log/lighttpd.log" 2>&1 & ;;
	esac
	eval "pid_$1=$!"
	[ "$1" = lighttpd ] || echo "$!" >"$dir/run/$1.pid"
	launched="$launched $1"
}

# lighttpd_fds: run/lighttpd-fds.conf, which lighttpd.conf reads when it is
# there: server.max-fds as high as lighttpd may have (65535 at most, an
# unsigned short in lighttpd; as root it sets its hard limit to it, where
# the kernel lets it; as any user, its soft limit up to the hard one), and
# max-connections 43% of it (a parked poll holds two descriptors and
# lighttpd stops accepting at 90% of max-fds; 7,000 of 16,384 before).
# shellcheck disable=SC3045	# dash's ulimit (and bash's) has -n and -H
lighttpd_fds() {
	if (ulimit -n 65535) 2>/dev/null; then
		_fds=65535
	else
		_fds=$(ulimit -H -n)
	fi
	printf 'server.max-fds := %d\nserver.max-connections := %d\n' \
	    "$_fds" $((_fds * 43 / 100)) >"$dir/run/lighttpd-fds.conf"
}

# lighttpd_proxies: run/lighttpd-proxies.conf, which lighttpd.conf reads
# when it is there: with CHAT_TRUSTED_PROXIES, lighttpd's mod_extforward
# takes the browser's address from X-Forwarded-For, but only on a
# connection from one of those proxies, and only the address the last
# trusted proxy saw (a header a browser forges itself is further left and
# is not taken).  So every per-address limit of chatd (logins, signups)
# counts browsers, not the proxy.
lighttpd_proxies() {
	rm -f "$dir/run/lighttpd-proxies.conf"
	[ -n "${CHAT_TRUSTED_PROXIES:-}" ] || return 0
	_l=
	for _a in $(echo "$CHAT_TRUSTED_PROXIES" | tr ',' ' '); do
		case $_a in
		*[!0-9A-Fa-f.:]*|'') die "CHAT_TRUSTED_PROXIES: '$_a' is not an IPv4 or IPv6 address" ;;
		esac
		_l="$_l${_l:+, }\"$_a\" => \"trust\""
	done
	printf 'server.modules += ( "mod_extforward" )\nextforward.forwarder = ( %s )\nextforward.headers = ( "X-Forwarded-For" )\n' \
	    "$_l" >"$dir/run/lighttpd-proxies.conf"
}

# conncap_on: the kernel answers a new connection to the port with a TCP
# reset while its client address has CHAT_CONNS_PER_ADDR open (lighttpd
# 1.4.69 cannot cap them itself: docs/DESIGN.md).  Not capped: this host
# (127.0.0.1, ::1: a proxy in front, the tests and the bench hold
# thousands) and CHAT_TRUSTED_PROXIES, each of which carries many browsers
# (cap them at the proxy: README).  One nftables table per port, chat_PORT,
# made afresh (a crashed run's goes); run/conncap names it for stop.  Not
# root, or no nft: one line saying the cap is off, and the stack starts.
conncap_on() {
	_n=${CHAT_CONNS_PER_ADDR:-256}
	case $_n in
	''|*[!0-9]*) die "CHAT_CONNS_PER_ADDR is connections per address (0: no cap), not '$_n'" ;;
	esac
	_v4=127.0.0.1 _v6=::1
	for _a in $(echo "${CHAT_TRUSTED_PROXIES:-}" | tr ',' ' '); do
		case $_a in
		*[!0-9A-Fa-f.:]*|'') die "CHAT_TRUSTED_PROXIES: '$_a' is not an IPv4 or IPv6 address" ;;
		*:*) _v6="$_v6, $_a" ;;
		*) _v4="$_v4, $_a" ;;
		esac
	done
	if [ "$(id -u)" -ne 0 ]; then
		echo "stack: per-address cap off: not root" >&2
		return 0
	fi
	if ! command -v nft >/dev/null 2>&1; then
		echo "stack: per-address cap off: no nft (apt-get install nftables)" >&2
		return 0
	fi
	_t=chat_$port
	# "table" makes it if missing, so that "delete" always has one.
	_rules="table inet $_t
delete table inet $_t"
	if [ "$_n" -gt 0 ]; then
		_rules="$_rules
table inet $_t {
	set trusted4 { type ipv4_addr; elements = { $_v4 }; }
	set trusted6 { type ipv6_addr; elements = { $_v6 }; }
	set perip4 { type ipv4_addr; size 65535; flags dynamic; }
	set perip6 { type ipv6_addr; size 65535; flags dynamic; }
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport $port ip saddr @trusted4 accept
		tcp dport $port ip6 saddr @trusted6 accept
		tcp dport $port ct state new add @perip4 { ip saddr ct count over $_n } reject with tcp reset
		tcp dport $port ct state new add @perip6 { ip6 saddr ct count over $_n } reject with tcp reset
	}
}"
	fi
	if ! _err=$(printf '%s\n' "$_rules" | nft -f - 2>&1); then
		echo "stack: per-address cap off: nft failed: $(echo "$_err" | head -n 1)" >&2
		return 0
	fi
	if [ "$_n" -eq 0 ]; then
		echo "stack: per-address cap off: CHAT_CONNS_PER_ADDR=0" >&2
		return 0
	fi
	echo "$_t" >"$dir/run/conncap"
}

# conncap_off: remove the table conncap_on made (stop, with lighttpd).
conncap_off() {
	_t=$(cat "$dir/run/conncap" 2>/dev/null) || return 0
	nft delete table inet "$_t" 2>/dev/null || true
	rm -f "$dir/run/conncap"
}

# start: MariaDB, migrations, backend, sweeper loop, lighttpd.
start() {
	starting=1
	mkdir -p "$dir/run" "$dir/log"
	dir=$(cd "$dir" && pwd)
	# mariadb-install-db splits its own paths at spaces (it then reads
	# another defaults file, or makes a data folder outside DIR).
	case "$dir" in
	*[[:space:]]*) [ -n "${CHAT_DB_HOST:-}" ] ||
	    die "the folder $dir has a space in its path: MariaDB's install cannot use it; clone to a path without spaces" ;;
	esac
	[ -x "$bin/chatd" ] || die "build first: make"
	# Another program on the port: say so now, not after starting the
	# rest and waiting for a lighttpd that cannot bind.  (curl exits 7
	# when nothing listens.)
	if ! alive lighttpd; then
		_rc=0
		curl -s -o /dev/null --max-time 2 \
		    "http://${CHAT_BIND:-127.0.0.1}:$port/" || _rc=$?
		[ $_rc -eq 7 ] ||
		    die "port $port is in use by another program: stop it, or choose another port (make run PORT=9000)"
	fi
	mariadb_start
	db_env
	"$top/scripts/migrate.sh" || die "migrations failed"

	export CHAT_RUN="$dir/run" CHAT_LOG="$dir/log" CHAT_WWW="$top/www"
	export PORT="$port" CHAT_BIND="${CHAT_BIND:-127.0.0.1}"
	alive chatd || launch chatd
	wait_for test -S "$dir/run/chatd.sock" || die "chatd did not start"
	alive sweeper || launch sweeper
	if ! alive lighttpd; then
		lighttpd_fds
		lighttpd_proxies
		lighttpd -tt -f "$top/lighttpd.conf" >"$dir/log/lighttpd-check.log" 2>&1 ||
		    die "bad lighttpd.conf, see $dir/log/lighttpd-check.log"
		conncap_on
		launch lighttpd
	fi
	# Our lighttpd, not another one on the same port, must answer.
	wait_for alive lighttpd ||
	    die "lighttpd did not start (is port $port taken?), see $dir/log/"
	wait_for curl -fsS --max-time 2 "http://$CHAT_BIND:$port/api/health" ||
	    die "the stack does not answer on port $port, see $dir/log/"
	starting=
}

# stop_pid PART: SIGTERM the process in run/PART.pid and wait (10 s) for it
# to go.
stop_pid() {
	alive "$1" || { rm -f "$dir/run/$1.pid"; return 0; }
	pid=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "stack: $1 did not stop, killing" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		[ $i -gt 110 ] && break
		sleep 0.1
	done
	rm -f "$dir/run/$1.pid"
}

# stop_group PART GROUP: lighttpd's workers outlive a master killed with
# -9 and keep the port, and a sweeper run its loop: they are in its group,
# which setsid made its pid.  Only processes of that name in it are
# signalled (a stale pid file may name anything).
stop_group() {
	case $1 in
	lighttpd) _name=lighttpd ;;
	sweeper) _name=chat-sweep ;;
	*) return 0 ;;
	esac
	[ -n "$2" ] && pgrep -g "$2" -x $_name >/dev/null 2>&1 || return 0
	pkill -TERM -g "$2" -x $_name 2>/dev/null || true
	wait_for sh -c "! pgrep -g $2 -x $_name" || true
}

# stop [PART...]: the parts named (all of them when none is), front to
# back, so nothing new arrives at a part that is stopping.  All of them:
# a `run` watching this folder first (it stops them itself, and would
# start again what stopped under it).
stop() {
	[ -d "$dir/run" ] || return 0
	if [ $# -eq 0 ] && alive stack && [ "$_p" != $$ ]; then
		_run=$_p
		kill -TERM "$_run" 2>/dev/null || true
		i=0	# it stops each part in up to 10 s (a zombie: it ended)
		while is_part "$_run" stack && [ $i -lt 600 ]; do
			i=$((i + 1))
			sleep 0.1
		done
	fi
	for part in lighttpd sweeper chatd mariadb; do
		case " ${*:-lighttpd sweeper chatd mariadb} " in
		*" $part "*) ;;
		*) continue ;;
		esac
		group=$(cat "$dir/run/$part.pid" 2>/dev/null || true)
		stop_pid $part
		stop_group $part "$group"
		if [ $part = lighttpd ]; then
			conncap_off
		fi
	done
}

# note TEXT: one line, with the time, on stderr and in log/stack.log.
note() {
	_l="stack: $(date '+%F %T') $*"
	echo "$_l" >&2
	echo "$_l" >>"$dir/log/stack.log"
}

# ended PID: _how is how PID ended: its exit status or signal when this
# shell started it (`wait` returns at once, the process having ended),
# else that it went.  (Not in a $(...): a subshell has no children.)
ended() {
	_rc=127
	if [ -n "$1" ] && ! { kill -0 "$1" 2>/dev/null &&
	    [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]; }; then
		_rc=0
		wait "$1" 2>/dev/null || _rc=$?
	fi
	if [ $_rc -eq 127 ]; then
		_how="went"	# not this shell's child (or a pid used again)
	elif [ $_rc -gt 128 ] && [ $_rc -le 192 ]; then
		_how="was killed by signal $((_rc - 128)) ($(kill -l $((_rc - 128))))"
	else
		_how="exited with status $_rc"
	fi
}

# tend PART: PART runs (its pid file names it, or the pid last seen still
# runs: starting, or stopping after a TERM from someone else); or it went
# and that is said, once, with when it starts again; or that time came.
tend() {
	if alive $1; then
		eval "pid_$1=$_p"
		return 0
	fi
	eval "_pid=\${pid_$1:-} _due=\${due_$1:-} _wait=\$wait_$1 _since=\$since_$1"
	is_part "$_pid" $1 && return 0
	if [ -z "$_due" ]; then
		# shellcheck disable=SC2154	# _since: the eval above
		[ $((now - _since)) -ge "${CHAT_BACKOFF_RESET_S:-60}" ] && _wait=1
		ended "$_pid"
		note "$1${_pid:+ (pid $_pid)} $_how after $((now - _since)) s;" \
		    "starting it again in $_wait s"
		eval "due_$1=$((now + _wait)) wait_$1=$((_wait * 2 > 30 ? 30 : _wait * 2))"
	elif [ "$now" -ge "$_due" ]; then
		# What the old one left: lighttpd's workers hold the port.
		stop_group $1 "$_pid"
		launch $1
		eval "due_$1= since_$1=$now"
	fi
}

# supervise: `run`'s loop, once a second until INT or TERM.
supervise() {
	parts="mariadb chatd sweeper lighttpd"
	[ -n "${CHAT_DB_HOST:-}" ] && parts="chatd sweeper lighttpd"
	now=$(date +%s)
	for part in $parts; do
		eval "since_$part=$now wait_$part=1 due_$part="
		# Its pid even when it went already (its pid file remains):
		# its group may hold what it left.
		eval "_pid=\${pid_$part:-}"
		[ -n "$_pid" ] || _pid=$(cat "$dir/run/$part.pid" 2>/dev/null || true)
		eval "pid_$part=\$_pid"
	done
	quit=
	trap 'quit=1' INT TERM
	while [ -z "$quit" ]; do
		now=$(date +%s)
		for part in $parts; do
			[ -z "$quit" ] && tend $part
		done
		sleep 1 &
		wait $! || true
	done
}

cmd=${1:-}
asroot=""
[ "$(id -u)" -eq 0 ] && asroot="--user=root"
dir=${2:-$top/var}
port=${3:-${PORT:-8080}}
case "$cmd" in
deps)	deps "${2:-}" ;;
start)	start ;;
stop)	stop; rm -f "$dir/run/stack.pid" ;;
run)
	# One `run` per folder: two would each start again what went.
	mkdir -p "$dir/run"
	alive stack && die "stack.sh run (pid $_p) already watches $dir"
	trap 'echo; echo "stopping..."; stop; exit 0' INT TERM
	start
	echo $$ >"$dir/run/stack.pid"
	echo "Serving on http://$CHAT_BIND:$port/"
	echo "(data in $dir; logs in $dir/log; Ctrl-C stops everything)"
	# Stay in the foreground until a signal, starting again a part that
	# went (a dead MariaDB would leave the others answering 503 for ever,
	# a dead sweeper nobody ever going offline); the rest keeps serving.
	supervise
	echo
	echo "stopping..."
	stop
	rm -f "$dir/run/stack.pid"
	exit 0
	;;
*)	sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
