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
trap 'exec 3>&- 4<&-; rm -rf "$tmp"' EXIT
{
	echo "[client]"
	echo "user=${CHAT_DB_USER:?}"
	echo "password=${CHAT_DB_PASS:?}"
	if [ -n "${CHAT_DB_HOST:-}" ]; then
		echo "host=$CHAT_DB_HOST"
		echo "port=${CHAT_DB_PORT:-3306}"
	else
		echo "socket=${CHAT_DB_SOCKET:?}"
	fi
	echo "database=${CHAT_DB_NAME:-chat}"
} >"$cnf"
sql() { mariadb --defaults-file="$cnf" --batch --skip-column-names "$@"; }

sql -e "CREATE TABLE IF NOT EXISTS schema_migration (
	version INT UNSIGNED NOT NULL, name VARCHAR(128) NOT NULL,
	applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
	COMMENT='Which sql/ migrations have been applied'"
# One migrator at a time, wherever it runs (two hosts deploying at once
# both found a file missing and both ran it): a session of its own holds a
# named lock until this script ends, and what is applied is read once the
# lock is ours.
mkfifo "$tmp/in" "$tmp/out"
sql --unbuffered <"$tmp/in" >"$tmp/out" &
exec 3>"$tmp/in" 4<"$tmp/out"
echo "SELECT GET_LOCK('chat_migrate', 600);" >&3
got=; read -r got <&4 || true
[ "$got" = 1 ] || { echo "migrate: no migration lock in 10 minutes (another migration still running?)" >&2; exit 1; }
done_list=$(sql -e "SELECT version FROM schema_migration")
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
