"""scripts/migrate.sh as two hosts deploying at once meet it: both run on
an empty database at the same moment; each sql/ file is applied once, by
one of them, and both succeed (the later one waits for the earlier and
then finds nothing left to do).  A later run applies nothing."""
import glob
import os
import pwd
import subprocess
import uuid

import chatlib
from chatlib import check, eq

MIGRATE = os.path.join(chatlib.TOP, "scripts", "migrate.sh")
FILES = sorted(os.path.basename(f) for f in glob.glob(os.path.join(chatlib.TOP, "sql", "[0-9][0-9][0-9]-*.sql")))


def root_sql(query):
    """As the database's administrator: the stack's my.cnf over the socket,
    as the user who started it (stack.sh made that account so)."""
    subprocess.run(["mariadb", "--defaults-file=" + os.path.join(chatlib.STACK_DIR, "my.cnf"),
                    "-u", pwd.getpwuid(os.getuid()).pw_name, "-e", query],
                   check=True, capture_output=True)


db = "chat_mig_" + uuid.uuid4().hex[:8]
root_sql("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
         "GRANT ALL ON %s.* TO 'chat'@'localhost'" % (db, db))
env = dict(os.environ)
env.update(chatlib._db_env())
env["CHAT_DB_NAME"] = db


def start():
    return subprocess.Popen([MIGRATE], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


try:
    runs = [start(), start()]
    outs = [p.communicate(timeout=300)[0] for p in runs]
    eq([p.returncode for p in runs], [0, 0], "both migrations at once succeed")
    applied = sorted(line.split()[-1] for out in outs for line in out.splitlines()
                     if line.startswith("migrate: applied "))
    eq(applied, FILES, "each file applied once, by one of them")
    rows = chatlib.sql("SELECT name FROM %s.schema_migration ORDER BY version" % db)
    eq([r[0] for r in rows], FILES, "each recorded once")
    later = start()
    out = later.communicate(timeout=120)[0]
    eq((later.returncode, out.strip()), (0, ""), "a later run has nothing to do")
    check(chatlib.sql("SELECT COUNT(*) FROM %s.message" % db) == [["0"]],
          "the schema works")
finally:
    root_sql("DROP DATABASE IF EXISTS %s" % db)

chatlib.done()
