#!/bin/sh
# migrate.sh: apply the sql/NNN-*.sql files not yet recorded in
# schema_migration, in order, each once.  Connects with the backend's own
# settings (CHAT_DB_SOCKET or CHAT_DB_HOST/CHAT_DB_PORT, CHAT_DB_USER,
# CHAT_DB_PASS, CHAT_DB_NAME), so it works on the private MariaDB of
# `make run` and on an existing server alike.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
cnf=$tmp/client.cnf
trap 'rm -rf "$tmp"' EXIT
# client_cnf [HOST [PORT]]: the client's settings file.
client_cnf() {
	{
		echo "[client]"
		echo "user=${CHAT_DB_USER:?}"
		echo "password=${CHAT_DB_PASS:?}"
		if [ -n "${1:-}" ]; then
			echo "host=$1"
			echo "port=$2"
			echo "connect-timeout=2"
			# host "localhost" is the socket, as for chatd
			[ -n "${CHAT_DB_SOCKET:-}" ] && echo "socket=$CHAT_DB_SOCKET"
		else
			echo "socket=${CHAT_DB_SOCKET:?}"
		fi
		echo "database=${CHAT_DB_NAME:-chat}"
	} >"$cnf"
}
sql() { mariadb --defaults-file="$cnf" --batch --skip-column-names "$@"; }
# CHAT_DB_HOST may list servers (host[:port],...; a Galera cluster's
# nodes): the first that answers, as chatd does.
if [ -n "${CHAT_DB_HOST:-}" ]; then
	ok=
	for hp in $(echo "$CHAT_DB_HOST" | tr ',' ' '); do
		case $hp in
		\[*\]:*) h=${hp%:*} p=${hp##*:} ;;
		\[*\]) h=$hp p=${CHAT_DB_PORT:-3306} ;;
		*:*:*) h=$hp p=${CHAT_DB_PORT:-3306} ;;	# bare IPv6
		*:*) h=${hp%:*} p=${hp##*:} ;;
		*) h=$hp p=${CHAT_DB_PORT:-3306} ;;
		esac
		h=${h#[}
		h=${h%]}
		client_cnf "$h" "$p"
		if sql -e "SELECT 1" >/dev/null 2>"$tmp/err"; then
			ok=1
			break
		fi
		echo "migrate: $hp: $(head -n 1 "$tmp/err")" >&2
	done
	[ -n "$ok" ] || { echo "migrate: no database server of CHAT_DB_HOST answers" >&2; exit 1; }
else
	client_cnf
fi

sql -e "CREATE TABLE IF NOT EXISTS schema_migration (
	version INT UNSIGNED NOT NULL, name VARCHAR(128) NOT NULL,
	applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
	COMMENT='Which sql/ migrations have been applied'"
# One migrator at a time, wherever it runs (two hosts deploying at once
# both found a file missing and both ran it: "Table 'user' already
# exists").  Not a named lock: GET_LOCK is per server, and Galera does not
# replicate it.  A lease row instead: whoever writes its name into it while
# it is free (or its lease of 10 minutes ran out, after a crash) holds it;
# two writing at once on two Galera nodes conflict at commit and the
# autocommit is retried, so one name stays.  Reads wait for the cluster to
# catch up (wsrep_sync_wait, where the server has it), so what is applied
# is read once the lease is ours and everything before it is visible.
sql -e "CREATE TABLE IF NOT EXISTS schema_lock (
	id TINYINT UNSIGNED NOT NULL, holder VARCHAR(128) NOT NULL,
	until DATETIME(3) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB
	COMMENT='scripts/migrate.sh: who migrates now (a lease; no row: nobody)'"
me="$(hostname 2>/dev/null || echo host):$$:$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
sync=
[ -n "$(sql -e "SHOW VARIABLES LIKE 'wsrep_sync_wait'")" ] && sync="SET SESSION wsrep_sync_wait = 1;"
release() { sql -e "DELETE FROM schema_lock WHERE id = 1 AND holder = '$me'" || true; }
trap 'release; rm -rf "$tmp"' EXIT
t=0
while :; do
	sql -e "INSERT INTO schema_lock (id, holder, until)
	    VALUES (1, '$me', NOW(3) + INTERVAL 600 SECOND)
	    ON DUPLICATE KEY UPDATE
	    holder = IF(until < NOW(3), VALUES(holder), holder),
	    until = IF(holder = VALUES(holder), VALUES(until), until)" 2>"$tmp/err" ||
	    grep -q -E 'ERROR 1213|ERROR 1205' "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	[ "$(sql -e "$sync SELECT holder FROM schema_lock WHERE id = 1")" = "$me" ] && break
	t=$((t + 1))
	[ $t -lt 6000 ] || { echo "migrate: another migration held the lease for 10 minutes" >&2; exit 1; }
	sleep 0.1
done
done_list=$(sql -e "$sync SELECT version FROM schema_migration")
for f in "$top"/sql/[0-9][0-9][0-9]-*.sql; do
	name=$(basename "$f")
	v=$(echo "$name" | sed 's/^0*\([0-9]\)/\1/; s/-.*//')
	echo "$done_list" | grep -qx "$v" && continue
	# The file and its record go in together: a failed file is not
	# recorded and is tried again next time.
	{ cat "$f"; echo ";"; echo "INSERT INTO schema_migration (version, name) VALUES ($v, '$name');"; } |
	    sql || { echo "migrate: $name failed" >&2; exit 1; }
	echo "migrate: applied $name"
done
