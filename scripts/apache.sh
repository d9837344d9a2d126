#!/bin/sh
# apache.sh: a real Apache 2.4 in front of chatd, in one folder, for the
# tests and the bench; it uses the recipes in deploy/apache/ as they are.
#
#   scripts/apache.sh start DIR PORT [cgi|fcgid|htaccess]
#   scripts/apache.sh stop DIR
#
# start writes DIR/httpd.conf (event MPM, 25 workers, 127.0.0.1:PORT) and
# runs Apache in the background as an unprivileged user (nobody, or
# APACHE_USER, when started as root; else the caller; not www-data: it may
# run Debian's suEXEC, and then mod_fcgid refuses to start unless root):
#   cgi      deploy/apache/chat-cgid.conf (a vhost, chatd as plain CGI)
#   fcgid    deploy/apache/chat-fcgid.conf (a vhost, chatd under mod_fcgid)
#   htaccess a shared host's vhost (AllowOverride All, nothing else) with
#            deploy/apache/htaccess as DIR/htdocs/.htaccess, the web client
#            and chatd in DIR/htdocs/cgi-bin/
# chatd (CHAT_CGI_BIN, default cgi-bin/chatd; chat-sweep beside it is
# copied too) goes to DIR/cgi-bin/ with a chat.conf written from the
# caller's CHAT_DB_* and other CHAT_* settings, and CHAT_RUN=DIR/chat-run:
# Apache passes chatd no environment of its own (as under suEXEC).
# Logs: DIR/log/error.log (chatd's stderr too) and DIR/log/access.log.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
MODS=/usr/lib/apache2/modules

die() {
	echo "apache: $*" >&2
	exit 1
}

# as_user CMD...: CMD as the user Apache runs as (setpriv execs it: no
# process stays between the caller and CMD).
as_user() {
	$setpriv "$@"
}

# reach PATH: make every folder above PATH searchable by the Apache user
# (o+x only: nothing becomes listable), from / down, saying what changed.
reach() {
	[ -n "$user" ] || return 0
	_d=$(dirname "$1")
	_up=
	while [ "$_d" != / ]; do
		_up="$_d
$_up"
		_d=$(dirname "$_d")
	done
	printf '%s' "$_up" | while IFS= read -r _d; do
		if ! as_user test -x "$_d"; then
			chmod o+x "$_d"
			echo "apache: made $_d searchable for $user"
		fi
	done
}

# conf_file: chat.conf for chatd from the caller's settings.
conf_file() {
	echo "# chat.conf written by scripts/apache.sh"
	for n in CHAT_DB_SOCKET CHAT_DB_HOST CHAT_DB_PORT CHAT_DB_USER \
	    CHAT_DB_PASS CHAT_DB_NAME CHAT_DB_CONNS CHAT_MODE CHAT_PARKED_MAX \
	    CHAT_SIGNUP_LIMIT CHAT_SEND_RATE CHAT_SEND_BURST CHAT_RESEND_S \
	    CHAT_IDLE_S CHAT_SWEEP_S CHAT_SWEEP_RUN_S CHAT_GUEST_TTL_S \
	    CHAT_AWAY_S CHAT_WATCH_MS CHAT_HOST_ID; do
		eval "_v=\${$n:-}"
		[ -n "$_v" ] && printf '%s=%s\n' "$n" "$_v"
	done
	echo "CHAT_RUN=$dir/chat-run"
}

# httpd_conf: the server around the recipe.
httpd_conf() {
	cat <<EOF
# Written by scripts/apache.sh ($mode): a private Apache around the recipe.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
Mutex file:$dir/run default
ErrorLog "$dir/log/error.log"
LogLevel warn
LogFormat "%h %t \"%r\" %>s %b %Dus" timed
CustomLog "$dir/log/access.log" timed
TypesConfig /etc/mime.types
ServerTokens Prod
HostnameLookups Off

LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule headers_module $MODS/mod_headers.so
LoadModule setenvif_module $MODS/mod_setenvif.so
LoadModule env_module $MODS/mod_env.so
LoadModule rewrite_module $MODS/mod_rewrite.so
EOF
	case $mode in
	cgi|htaccess)
		echo "LoadModule cgid_module $MODS/mod_cgid.so"
		echo "ScriptSock \"$dir/run/cgisock\"" ;;
	fcgid)
		echo "LoadModule fcgid_module $MODS/mod_fcgid.so"
		echo "FcgidIPCDir \"$dir/run/fcgid\""
		echo "FcgidProcessTableFile \"$dir/run/fcgid_shm\"" ;;
	esac
	cat <<EOF

# 25 workers, the size of a small shared host's Apache.
StartServers 1
ServerLimit 1
ThreadLimit 25
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25
MaxConnectionsPerChild 0

# As Debian's apache2.conf: nothing is served unless a recipe allows it.
<Directory />
	Options None
	AllowOverride None
	Require all denied
</Directory>
EOF
	# The sanitizer build of chatd needs its options (the environment
	# does not reach a CGI program).
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		case $mode in
		fcgid) echo "FcgidInitialEnv ASAN_OPTIONS \"$ASAN_OPTIONS\"" ;;
		*) echo "SetEnv ASAN_OPTIONS \"$ASAN_OPTIONS\"" ;;
		esac
	fi
	case $mode in
	cgi|fcgid)
		[ "$mode" = cgi ] && recipe=chat-cgid.conf || recipe=chat-fcgid.conf
		cat <<EOF

Define CHAT_WWW "$www"
Define CHAT_CGI "$dir/cgi-bin"
Define CHAT_PORT $port
Define CHAT_SERVER_NAME 127.0.0.1
Include "$top/deploy/apache/$recipe"
EOF
		;;
	htaccess)
		cat <<EOF

# A shared host's account: its folder, .htaccess files allowed, CGI
# programs run from cgi-bin/ when its .htaccess says so.
<VirtualHost *:$port>
	ServerName 127.0.0.1
	DocumentRoot "$dir/htdocs"
	<Directory "$dir/htdocs">
		AllowOverride All
		Options SymLinksIfOwnerMatch
		Require all granted
	</Directory>
	<FilesMatch "^\.ht">
		Require all denied
	</FilesMatch>
</VirtualHost>
EOF
		;;
	esac
}

# answers: something listens on the port and gives an HTTP status.
answers() {
	_st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$port/api/health" 2>/dev/null) || true
	[ -n "$_st" ] && [ "$_st" != 000 ]
}

start() {
	case $mode in
	cgi|fcgid|htaccess) ;;
	*) die "mode is cgi, fcgid or htaccess, not $mode" ;;
	esac
	command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] ||
	    die "apache2 is not installed (apt-get install apache2 libapache2-mod-fcgid)"
	[ "$mode" != fcgid ] || [ -f $MODS/mod_fcgid.so ] ||
	    die "mod_fcgid is not installed (apt-get install libapache2-mod-fcgid)"
	bin=${CHAT_CGI_BIN:-$top/cgi-bin/chatd}
	[ -x "$bin" ] || die "no chatd at $bin: build first (make)"
	www=${CHAT_WWW:-$top/www}
	[ -f "$www/index.html" ] || die "no web client at $www"
	if [ -f "$dir/run/httpd.pid" ] &&
	    kill -0 "$(cat "$dir/run/httpd.pid")" 2>/dev/null; then
		die "an Apache already runs in $dir (scripts/apache.sh stop $dir)"
	fi
	answers && die "port $port is in use by another program"

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	rm -rf "$dir/run" "$dir/cgi-bin" "$dir/htdocs"
	mkdir -p "$dir/run" "$dir/log" "$dir/chat-run"
	# This start's log only (the last one's is kept as error.log.1).
	[ -f "$dir/log/error.log" ] && mv "$dir/log/error.log" "$dir/log/error.log.1"
	if [ "$mode" = htaccess ]; then
		cgi="$dir/htdocs/cgi-bin"
		mkdir -p "$dir/htdocs"
		cp -R "$www/." "$dir/htdocs/"
		mkdir -p "$cgi"
		cp "$top/deploy/apache/htaccess" "$dir/htdocs/.htaccess"
		cp "$top/deploy/apache/cgi-bin.htaccess" "$cgi/.htaccess"
		ln -s "$cgi" "$dir/cgi-bin"
		www="$dir/htdocs"
	else
		cgi="$dir/cgi-bin"
		mkdir -p "$cgi"
	fi
	cp "$bin" "$cgi/chatd"
	sweep="$(dirname "$bin")/chat-sweep"
	[ -x "$sweep" ] && cp "$sweep" "$cgi/chat-sweep"
	(umask 077; conf_file >"$cgi/chat.conf")
	httpd_conf >"$dir/httpd.conf"

	user=''
	setpriv=''
	if [ "$(id -u)" -eq 0 ]; then
		user=${APACHE_USER:-nobody}
		setpriv="setpriv --reuid=$user --regid=$(id -gn "$user") --init-groups"
		chown -R "$user" "$dir/run" "$dir/log" "$dir/chat-run" "$cgi" \
		    "$dir/httpd.conf"
		[ "$mode" = htaccess ] && chown -R "$user" "$dir/htdocs"
		reach "$dir/httpd.conf"
		reach "$www/index.html"
		reach "$top/deploy/apache/chat-cgid.conf"
		if [ -n "${CHAT_DB_SOCKET:-}" ]; then
			reach "$CHAT_DB_SOCKET"
			as_user test -w "$CHAT_DB_SOCKET" ||
			    die "$user cannot open the MySQL socket $CHAT_DB_SOCKET"
		fi
		as_user test -r "$www/index.html" ||
		    die "$user cannot read $www/index.html"
	fi

	# No environment of ours reaches Apache, so none reaches chatd.
	if ! as_user env -i PATH=/usr/sbin:/usr/bin:/bin LANG=C \
	    apache2 -f "$dir/httpd.conf" -t >"$dir/log/configtest.log" 2>&1; then
		cat "$dir/log/configtest.log" >&2
		die "the configuration does not load, see $dir/httpd.conf"
	fi
	# A process group of its own: stop signals it, CGI programs included.
	$setpriv setsid env -i PATH=/usr/sbin:/usr/bin:/bin LANG=C \
	    apache2 -f "$dir/httpd.conf" -DFOREGROUND \
	    >>"$dir/log/apache.log" 2>&1 </dev/null &
	apid=$!
	i=0
	until answers; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 $apid 2>/dev/null; then
			tail -n 20 "$dir/log/error.log" "$dir/log/apache.log" >&2 \
			    2>/dev/null || true
			stop
			die "Apache did not start on 127.0.0.1:$port, see $dir/log/"
		fi
		sleep 0.1
	done
	_st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    "http://127.0.0.1:$port/api/health") || true
	if [ "$_st" != 200 ]; then
		tail -n 20 "$dir/log/error.log" >&2 || true
		stop
		die "Apache answers, but /api/health is $_st (chatd: see $dir/log/error.log)"
	fi
	echo "apache: $mode on http://127.0.0.1:$port/ (folder $dir)"
}

# in_group PGID: a process of that group still runs (zombies aside).
in_group() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 }
	    END { exit !f }'
}

stop() {
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd)
	pidf="$dir/run/httpd.pid"
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in
	*apache2*"$dir/httpd.conf"*) ;;
	*) rm -f "$pidf"; return 0 ;;	# not ours (a stale pid file)
	esac
	# The whole group at once: Apache, its children and the programs they
	# run (a waiting poll would hold its worker, and Apache waits for it).
	kill -TERM "-$pid" 2>/dev/null || true
	i=0
	while in_group "$pid"; do
		i=$((i + 1))
		case $i in
		100) kill -KILL "-$pid" 2>/dev/null || true ;;
		110) echo "apache: processes of group $pid did not stop" >&2; break ;;
		esac
		sleep 0.1
	done
	rm -f "$pidf"
}

cmd=${1:-}
dir=${2:-}
port=${3:-}
mode=${4:-cgi}
case "$cmd" in
start)	if [ -z "$dir" ] || [ -z "$port" ]; then
		die "usage: $0 start DIR PORT [cgi|fcgid|htaccess]"
	fi
	start ;;
stop)	[ -n "$dir" ] || die "usage: $0 stop DIR"
	stop ;;
*)	sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
