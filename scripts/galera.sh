#!/bin/sh
# galera.sh: a MariaDB Galera cluster of N nodes on 127.0.0.1, in a folder,
# for the tests of many chat nodes and for trying the "Scaling out" recipe
# of the README on one machine.  Debian's mariadb-server and galera-4; the
# nodes run as the mysql user (rsync SST cannot copy a root-owned datadir)
# and copy state by rsync.
#
#   scripts/galera.sh start DIR N PORT   N nodes, SQL on PORT, PORT+1, ...
#   scripts/galera.sh stop DIR           stop every node
#   scripts/galera.sh kill DIR I         kill -9 node I (1..N)
#   scripts/galera.sh revive DIR I       start node I again (it rejoins)
#
# Node I listens for SQL on PORT+I-1 and for Galera on PORT+100+I-1 (state
# transfer PORT+200+I-1, incremental transfer PORT+300+I-1).  The chat
# database and its account (chat, password in DIR/db.env) are made on node
# 1.  Failure detection is shortened (README, "Scaling out") so that a
# killed node is given up in about 3 s instead of Galera's default 5-15 s.
set -eu

die() { echo "galera: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
provider=/usr/lib/galera/libgalera_smm.so
runas=
[ "$(id -u)" -eq 0 ] && runas=mysql

# node_cnf I: node I's settings.
node_cnf() {
	_i=$1
	_p=$((base + _i - 1))
	_addr=
	_k=1
	while [ $_k -le "$n" ]; do
		_addr="$_addr${_addr:+,}127.0.0.1:$((base + 100 + _k - 1))"
		_k=$((_k + 1))
	done
	cat <<EOF
[mysqld]
datadir=$dir/n$_i/db
socket=$dir/n$_i/mysqld.sock
pid-file=$dir/n$_i/mariadb.pid
log-error=$dir/n$_i/mariadb.log
port=$_p
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_autoinc_lock_mode=2
binlog_format=ROW
default_storage_engine=InnoDB
max_connections=300
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=chat-test
wsrep_node_name=n$_i
wsrep_cluster_address=gcomm://$_addr
wsrep_node_address=127.0.0.1:$((base + 100 + _i - 1))
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((base + 200 + _i - 1))
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$((base + 100 + _i - 1));ist.recv_addr=127.0.0.1:$((base + 300 + _i - 1));evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.install_timeout=PT3S"
[client]
socket=$dir/n$_i/mysqld.sock
EOF
}

as_db() { if [ -n "$runas" ]; then runuser -u "$runas" -- "$@"; else "$@"; fi; }

# launch I [--wsrep-new-cluster]
launch() {
	_i=$1
	shift
	setsid sh -c 'exec "$@"' sh $(if [ -n "$runas" ]; then echo runuser -u "$runas" --; fi) \
	    mariadbd --defaults-file="$dir/n$_i/my.cnf" "$@" \
	    >>"$dir/n$_i/mariadb.log" 2>&1 </dev/null &
}

# synced I: node I is a synced member of the primary component.
synced() {
	mariadb --defaults-file="$dir/n$1/my.cnf" -u root -N -B -e \
	    "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null |
	    grep -q Synced
}

wait_synced() {
	_t=0
	until synced "$1"; do
		_t=$((_t + 1))
		[ $_t -le 600 ] || die "node $1 not synced in 60 s, see $dir/n$1/mariadb.log"
		sleep 0.1
	done
}

node_pid() { cat "$dir/n$1/mariadb.pid" 2>/dev/null || true; }

case "$cmd" in
start)
	n=${3:?N}
	base=${4:?PORT}
	echo "$n $base" >"$dir/cluster"
	[ -x "$provider" ] || [ -f "$provider" ] || die "no $provider (apt-get install galera-4 rsync)"
	command -v rsync >/dev/null || die "no rsync (apt-get install rsync)"
	i=1
	while [ $i -le "$n" ]; do
		mkdir -p "$dir/n$i"
		node_cnf $i >"$dir/n$i/my.cnf"
		if [ ! -d "$dir/n$i/db/mysql" ]; then
			[ -n "$runas" ] && chown "$runas" "$dir/n$i"
			as_db mariadb-install-db --defaults-file="$dir/n$i/my.cnf" \
			    --auth-root-authentication-method=socket --skip-test-db \
			    >"$dir/n$i/install-db.log" 2>&1 ||
			    die "mariadb-install-db failed, see $dir/n$i/install-db.log"
		fi
		[ -n "$runas" ] && chown -R "$runas" "$dir/n$i"
		if [ $i -eq 1 ]; then
			launch 1 --wsrep-new-cluster
		else
			launch $i
		fi
		wait_synced $i
		i=$((i + 1))
	done
	if [ ! -f "$dir/db.env" ]; then
		pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
		mariadb --defaults-file="$dir/n1/my.cnf" -u root <<EOF
CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'chat'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS 'chat'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL ON chat.* TO 'chat'@'127.0.0.1';
GRANT ALL ON chat.* TO 'chat'@'localhost';
EOF
		(umask 077; printf 'CHAT_DB_USER=chat\nCHAT_DB_PASS=%s\nCHAT_DB_NAME=chat\n' "$pass" >"$dir/db.env")
	fi
	echo "galera: $n nodes synced on 127.0.0.1:$base..$((base + n - 1))"
	;;
kill)
	read -r n base <"$dir/cluster"
	p=$(node_pid "$3")
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	;;
revive)
	read -r n base <"$dir/cluster"
	launch "$3"
	wait_synced "$3"
	;;
stop)
	[ -f "$dir/cluster" ] || exit 0
	read -r n base <"$dir/cluster"
	i=$n
	while [ $i -ge 1 ]; do
		p=$(node_pid $i)
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
		i=$((i - 1))
	done
	i=1
	while [ $i -le "$n" ]; do
		p=$(node_pid $i)
		t=0
		while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $t -lt 300 ]; do
			sleep 0.1
			t=$((t + 1))
		done
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
		i=$((i + 1))
	done
	;;
*)	sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
