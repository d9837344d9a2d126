#!/bin/sh
# install-sql.sh: print sql/install.sql, every sql/NNN-*.sql migration in
# one file for a host without a shell: imported with the mariadb client or a
# control panel's SQL import (phpMyAdmin and others that understand
# DELIMITER lines), it does what scripts/migrate.sh does.  Each migration
# not yet recorded in schema_migration is applied and recorded, in order,
# in a block of its own; one recorded is skipped, so importing the file
# again changes nothing and a newer install.sql applies only the newer
# migrations.  Stored procedures, which a block cannot define directly, are
# made by EXECUTE IMMEDIATE (MariaDB 10.6 or later, as the server needs
# anyway).
#
#   scripts/install-sql.sh >install.sql
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# from_migrate NAME: the CREATE TABLE of NAME exactly as migrate.sh makes
# it: schema_migration (001 and 007 expect it) and schema_lock, the lease
# migrate.sh takes.
from_migrate() {
	_t=$(awk -v name="$1" '
		index($0, "CREATE TABLE IF NOT EXISTS " name " (") { on = 1; sub(/^.*sql -e "/, "") }
		on { if (sub(/"[ \t]*$/, "")) { print; exit } print }
	' "$top/scripts/migrate.sh")
	case "$_t" in
	"CREATE TABLE IF NOT EXISTS $1 ("*"COMMENT="*) echo "$_t" ;;
	*) echo "install-sql: no $1 table found in scripts/migrate.sh" >&2; exit 1 ;;
	esac
}
table=$(from_migrate schema_migration) || exit 1
lock=$(from_migrate schema_lock) || exit 1

cat <<EOF
-- install.sql: the chat database, every migration of sql/ in order,
-- made by scripts/install-sql.sh (do not edit; run \`make dist\` again).
--
-- Import it into the chat's database (MariaDB 10.6 or later), as the
-- chat's own account:
--   shell:       mariadb -h HOST -u USER -p DATABASE <install.sql
--   phpMyAdmin:  choose the database on the left, then Import this file
--                (other panels: their SQL import, into the database).
--
-- It does what scripts/migrate.sh does: each sql/NNN-*.sql file not yet
-- recorded in schema_migration is applied, then recorded, in order; one
-- recorded is skipped.  So importing it again changes nothing, a newer
-- install.sql applies only the newer migrations, and the two can be mixed
-- (a database made by either is complete for the other).  If an import
-- stops with an error, the migration named by the error is not recorded:
-- fix the cause and import the file again.

DELIMITER //
BEGIN NOT ATOMIC
	IF DATABASE() IS NULL THEN
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
		    'install.sql: choose the chat database first (phpMyAdmin: click it on the left, then Import)';
	END IF;
END//
DELIMITER ;

$table;
$lock;

-- One migrator at a time: the lease row migrate.sh takes (not a named
-- lock, which a Galera cluster does not share).  Held for a minute at
-- most, so an import that stopped half-way blocks the next one only that
-- long.
DELIMITER //
BEGIN NOT ATOMIC
	INSERT INTO schema_lock (id, holder, until)
	    VALUES (1, CONCAT('install.sql:', CONNECTION_ID()), NOW(3) + INTERVAL 60 SECOND)
	    ON DUPLICATE KEY UPDATE
	    holder = IF(until < NOW(3), VALUES(holder), holder),
	    until = IF(holder = VALUES(holder), VALUES(until), until);
	IF (SELECT holder FROM schema_lock WHERE id = 1) <> CONCAT('install.sql:', CONNECTION_ID()) THEN
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
		    'install.sql: another migration is running (or one stopped less than a minute ago); try again in a minute';
	END IF;
END//
DELIMITER ;
EOF

for f in "$top"/sql/[0-9][0-9][0-9]-*.sql; do
	name=$(basename "$f")
	v=$(echo "$name" | sed 's/^0*\([0-9]\)/\1/; s/-.*//')
	printf '\n-- %s\nDELIMITER //\nBEGIN NOT ATOMIC\nIF NOT EXISTS (SELECT 1 FROM schema_migration WHERE version = %s) THEN\n' \
	    "$name" "$v"
	# The file's statements as they are, inside the block; those under a
	# DELIMITER of their own (stored procedures) as EXECUTE IMMEDIATE of
	# their text, less its comment lines.  A statement the file leaves
	# unterminated at its end gets its ";" (migrate.sh adds one too).
	awk -v file="$name" '
	function fail(why) { printf "install-sql: %s:%d: %s\n", file, NR, why >"/dev/stderr"; bad = 1; exit 1 }
	function flush(   t) {
		if (delim == ";") {
			printf "%s;\n", stmt
		} else {
			t = body
			gsub(/\047/, "\047\047", t)
			printf "EXECUTE IMMEDIATE \047%s\047;\n", t
		}
		stmt = body = ""
	}
	BEGIN { delim = ";" }
	/^[ \t]*DELIMITER[ \t]/ {
		if (stmt != "") fail("DELIMITER inside a statement")
		delim = $2
		next
	}
	stmt == "" && /^[ \t]*(--.*)?$/ { print; next }
	{
		if (index($0, "\\")) fail("a backslash (its meaning depends on sql_mode): not supported")
		line = $0
		end = 0
		t = line
		sub(/[ \t]+$/, "", t)
		n = length(t) - length(delim)
		if (n >= 0 && substr(t, n + 1) == delim) {
			line = substr(t, 1, n)
			end = 1
		}
		stmt = stmt (stmt == "" ? "" : "\n") line
		if (line !~ /^[ \t]*--/)
			body = body (body == "" ? "" : "\n") line
		if (end) flush()
	}
	END {
		if (bad) exit 1
		if (stmt ~ /[^ \t\n]/) {
			if (delim != ";") fail("ends inside a DELIMITER block")
			flush()
		}
		if (delim != ";") fail("ends without DELIMITER ;")
	}' "$f"
	printf "INSERT INTO schema_migration (version, name) VALUES (%s, '%s');\nEND IF;\nEND//\nDELIMITER ;\n" \
	    "$v" "$name"
done

cat <<EOF

DELETE FROM schema_lock WHERE id = 1 AND holder = CONCAT('install.sql:', CONNECTION_ID());
EOF
