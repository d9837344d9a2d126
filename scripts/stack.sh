#!/bin/sh
# stack.sh: start and stop the whole chat stack in one folder.
#
#   scripts/stack.sh deps [test]      install missing Debian packages (root)
#                                     or print the apt-get line and fail
#   scripts/stack.sh run DIR PORT     start, print the URL, stay in the
#                                     foreground; Ctrl-C/SIGTERM stops it all
#   scripts/stack.sh start DIR PORT   start in the background (tests, bench)
#   scripts/stack.sh stop DIR         stop what `start` started
#
# DIR holds everything the stack writes: db/ (a private MariaDB, unless
# CHAT_DB_HOST points at an existing server), run/ (sockets, pid files),
# log/.  A second start on the same DIR reuses the data.  Two folders with
# different ports never collide: no path outside DIR, no system service.
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
	[ "${1:-}" = test ] && want="$want chromium"
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
	[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null || return 1
	_args=$(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null) || return 1
	case "$1:$_args" in
	lighttpd:*lighttpd*|chatd:*chatd*|mariadb:*mariadbd*) ;;
	sweeper:*chat-sweep-loop*|sweeper:*stack.sh*) ;;	# this loop, an older one
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
	asroot=""
	[ "$(id -u)" -eq 0 ] && asroot="--user=root"
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
	# A group of its own: a TERM to `make run`'s group must not stop
	# the database before the parts in front of it (stop() does, last).
	setsid mariadbd --defaults-file="$dir/my.cnf" $asroot \
	    >>"$dir/log/mariadb.log" 2>&1 &
	launched="$launched mariadb"
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
	if ! alive chatd; then
		rm -f "$dir/run/chatd.sock"	# a crash's: not a sign of life
		CHAT_FCGI_SOCKET="$dir/run/chatd.sock" \
		    setsid "$bin/chatd" >>"$dir/log/chatd.log" 2>&1 &
		launched="$launched chatd"
	fi
	wait_for test -S "$dir/run/chatd.sock" || die "chatd did not start"

	# The sweeper the way cron runs it: one run a minute, each run doing
	# CHAT_SWEEP_S-second rounds for that minute.  In a process group of
	# its own, so that a run left by a loop killed with -9 is stopped with
	# the group (it went on for up to a minute, alone).
	if ! alive sweeper; then
		setsid sh -c '
			trap "kill \$child 2>/dev/null; exit 0" TERM INT
			while :; do
				"$1" >>"$2" 2>&1 &
				child=$!
				wait $child || sleep 1
			done' chat-sweep-loop "$bin/chat-sweep" \
		    "$dir/log/sweeper.log" &
		echo $! >"$dir/run/sweeper.pid"
		launched="$launched sweeper"
	fi

	if ! alive lighttpd; then
		lighttpd -tt -f "$top/lighttpd.conf" >"$dir/log/lighttpd-check.log" 2>&1 ||
		    die "bad lighttpd.conf, see $dir/log/lighttpd-check.log"
		# lighttpd's master signals its whole process group on exit
		# when it has several workers: give it a group of its own.
		setsid lighttpd -D -f "$top/lighttpd.conf" \
		    >>"$dir/log/lighttpd.log" 2>&1 &
		launched="$launched lighttpd"
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

# stop [PART...]: the parts named (all of them when none is), front to
# back, so nothing new arrives at a part that is stopping.
stop() {
	[ -d "$dir/run" ] || return 0
	for part in lighttpd sweeper chatd mariadb; do
		case " ${*:-lighttpd sweeper chatd mariadb} " in
		*" $part "*) ;;
		*) continue ;;
		esac
		# lighttpd's workers outlive a master killed with -9 and keep
		# the port, and a sweeper run its loop: they are in its group,
		# which setsid made its pid.  Only processes of that name in it
		# are signalled (a stale pid file may name anything).
		group= name=
		case $part in
		lighttpd) name=lighttpd ;;
		sweeper) name=chat-sweep ;;
		esac
		[ -n "$name" ] && group=$(cat "$dir/run/$part.pid" 2>/dev/null || true)
		stop_pid $part
		if [ -n "$group" ] && pgrep -g "$group" -x $name >/dev/null 2>&1; then
			pkill -TERM -g "$group" -x $name 2>/dev/null || true
			wait_for sh -c "! pgrep -g $group -x $name" || true
		fi
	done
}

cmd=${1:-}
dir=${2:-$top/var}
port=${3:-${PORT:-8080}}
case "$cmd" in
deps)	deps "${2:-}" ;;
start)	start ;;
stop)	stop ;;
run)
	trap 'echo; echo "stopping..."; stop; exit 0' INT TERM
	start
	echo "Serving on http://$CHAT_BIND:$port/"
	echo "(data in $dir; logs in $dir/log; Ctrl-C stops everything)"
	# Stay in the foreground until a signal, or until a part dies: then
	# say which and stop the rest (a dead MariaDB would leave the others
	# answering 503 for ever, a dead sweeper nobody ever going offline).
	while :; do
		for part in lighttpd chatd sweeper mariadb; do
			[ $part = mariadb ] && [ -n "${CHAT_DB_HOST:-}" ] && continue
			alive $part || break 2
		done
		sleep 1 &
		wait $! || true
	done
	echo "stack: $part stopped, stopping the rest; see $dir/log/" >&2
	stop
	exit 1
	;;
*)	sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
