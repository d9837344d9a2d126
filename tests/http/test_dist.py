"""make dist: a folder to upload to a shared host that lacks the build's
libraries (README, "Shared hosting, step by step").

- The static programs (build/static/ and dist/chat/cgi-bin/) need none of
  libfcgi, json-c, libmariadb, libsodium, nor the OpenSSL and zlib the
  MariaDB client brings: ldd lists glibc only.  They stay PIE with full
  RELRO.
- dist/chat/ has what the walk-through uploads, and chat.conf.example
  names every CHAT_ setting chatd and chat-sweep read.
- Copied to a fresh folder with a chat.conf written from the example and
  no CHAT_ in the environment (suEXEC, a panel's cron), chatd answers
  /api/health and a signup as plain CGI, and chat-sweep --once succeeds.
- sql/install.sql imported with the mariadb client into an empty database
  makes what migrate.sh made of the stack's: the same tables (SHOW CREATE
  TABLE, AUTO_INCREMENT aside), routines (bodies, parameters) and
  schema_migration rows.  Imported again it changes nothing, migrate.sh
  then finds nothing to do, and on a database an older migrate.sh left
  halfway it applies the rest.
"""
import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

import chatlib
from chatlib import check, eq

TOP = chatlib.TOP
DIST = os.path.join(TOP, "dist", "chat")
STATIC = os.path.join(TOP, "build", "static")
LINKED_IN = ("libfcgi", "libjson-c", "libmariadb", "libsodium",
             "libssl", "libcrypto", "libz")
SQL_FILES = sorted(os.path.basename(f) for f in
                   glob.glob(os.path.join(TOP, "sql", "[0-9][0-9][0-9]-*.sql")))
DB_ENV = chatlib._db_env()


def binaries():
    return [os.path.join(d, p) for d in (STATIC, os.path.join(DIST, "cgi-bin"))
            for p in ("chatd", "chat-sweep")]


def check_static():
    for b in binaries():
        if not check(os.access(b, os.X_OK), "%s is built (make dist)" % b):
            continue
        ldd = subprocess.run(["ldd", b], capture_output=True, text=True).stdout
        libs = sorted(line.split()[0] for line in ldd.splitlines() if line.strip())
        eq([l for l in libs if l.startswith(LINKED_IN)], [],
           "%s: ldd lists none of the libraries linked in" % b)
        elf = subprocess.run(["readelf", "-hld", b], capture_output=True, text=True).stdout
        check("DYN (Position-Independent Executable" in elf and "PIE" in elf,
              "%s is PIE" % b)
        check("GNU_RELRO" in elf and "BIND_NOW" in elf, "%s has full RELRO" % b)
    glibc = subprocess.run(["objdump", "-T", os.path.join(STATIC, "chatd")],
                           capture_output=True, text=True).stdout
    vers = sorted(set(re.findall(r"GLIBC_([0-9.]+)", glibc)),
                  key=lambda v: [int(x) for x in v.split(".")])
    print("glibc needed: %s or later" % (vers[-1] if vers else "?"))
    # Shared hosts run older systems than Debian 12 (RHEL 9 and its kin,
    # Ubuntu 22.04: glibc 2.34, 2.35): README promises 2.34.
    check(vers and [int(x) for x in vers[-1].split(".")] <= [2, 34],
          "the static chatd runs on glibc 2.34", vers[-1:])


def check_layout():
    want = ["cgi-bin/chatd", "cgi-bin/chat-sweep", "cgi-bin/chat.conf.example",
            "www/index.html", "sql/install.sql", "scripts/migrate.sh"]
    want += ["sql/" + f for f in SQL_FILES]
    for w in want:
        check(os.path.isfile(os.path.join(DIST, w)), "dist/chat/%s is there" % w)
    check(os.access(os.path.join(DIST, "scripts", "migrate.sh"), os.X_OK),
          "migrate.sh is executable")
    apache = os.path.join(TOP, "deploy", "apache")
    if os.path.isdir(apache):
        for root, _, files in os.walk(apache):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), TOP)
                check(os.path.isfile(os.path.join(DIST, rel)),
                      "dist/chat/%s is there" % rel)


def conf_lines(text):
    """The NAME=value lines of a settings file as chatd reads it."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, eq_, val = line.partition("=")
        check(eq_ == "=" and re.fullmatch(r"CHAT_[A-Z0-9_]+", name.strip()),
              "chat.conf.example:%d is a CHAT_NAME=value line" % n, line)
        out[name.strip()] = val.strip()
    return out


def check_example():
    example = open(os.path.join(DIST, "cgi-bin", "chat.conf.example")).read()
    conf_lines(example)
    read = set()
    for f in glob.glob(os.path.join(TOP, "cgi-bin", "*.c")):
        read |= set(re.findall(r'(?:env_str|env_int|getenv)\(\s*"(CHAT_[A-Z0-9_]+)"',
                               open(f).read()))
    read.discard("CHAT_CONF")    # names the file: the environment's only
    check(len(read) > 10, "the settings chatd reads are found", sorted(read))
    for name in sorted(read):
        check(re.search(r"^#?%s=" % name, example, re.M),
              "chat.conf.example has a line for %s" % name)
    return example


def cgi(binary, env, method, path, body=None, addr="127.0.0.1"):
    data = json.dumps(body).encode() if body is not None else b""
    e = dict(env)
    e.update({"REQUEST_METHOD": method, "REQUEST_URI": path, "SCRIPT_NAME": "",
              "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
              "REMOTE_ADDR": addr, "CONTENT_LENGTH": str(len(data)),
              "CONTENT_TYPE": "application/json"})
    p = subprocess.run([binary], input=data, env=e, capture_output=True, timeout=60)
    head, _, payload = p.stdout.partition(b"\r\n\r\n")
    first = head.split(b"\r\n")[0].split()
    status = int(first[1]) if len(first) > 1 and first[0] == b"Status:" else 0
    try:
        js = json.loads(payload)
    except ValueError:
        js = None
    return status, js, p.stderr.decode(errors="replace")


def check_copy_and_go(example):
    """dist/chat/cgi-bin copied to a folder of its own, set up from the
    example as the walk-through says, with nothing in the environment."""
    tmp = tempfile.mkdtemp(prefix="chat-dist-")
    try:
        bin_dir = os.path.join(tmp, "cgi-bin")
        run_dir = os.path.join(tmp, "chat-run")
        os.makedirs(run_dir)
        shutil.copytree(os.path.join(DIST, "cgi-bin"), bin_dir)
        vals = {"CHAT_DB_USER": DB_ENV["CHAT_DB_USER"],
                "CHAT_DB_PASS": DB_ENV["CHAT_DB_PASS"],
                "CHAT_DB_NAME": DB_ENV["CHAT_DB_NAME"],
                "CHAT_DB_SOCKET": DB_ENV["CHAT_DB_SOCKET"],
                "CHAT_RUN": run_dir}
        conf = []
        for line in example.splitlines():
            m = re.match(r"^#?(CHAT_[A-Z0-9_]+)=", line)
            if m and m.group(1) in vals:
                line = "%s=%s" % (m.group(1), vals.pop(m.group(1)))
            conf.append(line)
        eq(sorted(vals), [], "the example has lines for the database and CHAT_RUN")
        with open(os.path.join(bin_dir, "chat.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")
        env = {"PATH": "/usr/bin:/bin"}
        chatd = os.path.join(bin_dir, "chatd")
        status, js, err = cgi(chatd, env, "GET", "/api/health")
        eq((status, js), (200, {"ok": True, "db": True}), "health as plain CGI")
        check("settings file" not in err, "chat.conf read without complaint", err)
        # An address of its own: the new-account limit is the example's.
        addr = "192.0.2.%d" % (uuid.uuid4().int % 250 + 1)
        name = chatlib.uniq("dist")
        status, js, err = cgi(chatd, env, "POST", "/api/signup",
                              {"username": name, "password": "correct horse 1"}, addr)
        eq(status, 201, "signup as plain CGI")
        eq(chatlib.sql("SELECT COUNT(*) FROM user WHERE username = '%s'" % name),
           [["1"]], "the account is in the stack's database")
        p = subprocess.run([os.path.join(bin_dir, "chat-sweep"), "--once"], env=env,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, "chat-sweep --once with chat.conf beside it")
        check("settings file" not in p.stderr, "chat-sweep read chat.conf", p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def root_sql(query):
    """As the database's administrator (the stack's my.cnf, the user who
    started it), as test_migrate does."""
    subprocess.run(["mariadb", "--defaults-file=" + os.path.join(chatlib.STACK_DIR, "my.cnf"),
                    "-u", pwd.getpwuid(os.getuid()).pw_name, "-e", query],
                   check=True, capture_output=True)


def q(db, query):
    """A query's rows as the application's account, escaped one a line
    (--batch: newlines in values are \\n)."""
    return subprocess.run(chatlib.mariadb(db, "-e", query), capture_output=True,
                          text=True, check=True).stdout


def snapshot(db):
    """What the migrations make: tables, routines, what is recorded."""
    tables = q(db, "SHOW FULL TABLES").split("\n")
    creates = [re.sub(r" AUTO_INCREMENT=\d+", "",
                      q(db, "SHOW CREATE TABLE `%s`" % t.split("\t")[0]))
               for t in tables if t]
    routines = q(db, "SELECT ROUTINE_NAME, ROUTINE_TYPE, SQL_DATA_ACCESS, SECURITY_TYPE, "
                 "IS_DETERMINISTIC, ROUTINE_COMMENT, SQL_MODE, DTD_IDENTIFIER, "
                 "REGEXP_REPLACE(ROUTINE_DEFINITION, '[[:space:]]+', ' ') "
                 "FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
                 "ORDER BY 1, 2")
    params = q(db, "SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, "
               "DTD_IDENTIFIER FROM information_schema.PARAMETERS "
               "WHERE SPECIFIC_SCHEMA = DATABASE() ORDER BY 1, 2")
    triggers = q(db, "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, "
                 "EVENT_MANIPULATION FROM information_schema.TRIGGERS "
                 "WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1")
    rows = q(db, "SELECT version, name FROM schema_migration ORDER BY version")
    return {"tables": tables, "create": creates, "routines": routines,
            "parameters": params, "triggers": triggers, "schema_migration": rows}


def compare(got, want, what):
    for k in want:
        eq(got[k], want[k], "%s: %s as migrate.sh made them" % (what, k))


def import_sql(db):
    with open(os.path.join(DIST, "sql", "install.sql"), "rb") as f:
        return subprocess.run(chatlib.mariadb(db), stdin=f, capture_output=True,
                              text=True, timeout=120)


def new_db():
    db = "chat_inst_" + uuid.uuid4().hex[:8]
    cs = chatlib.sql("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                     "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")[0]
    root_sql("CREATE DATABASE %s CHARACTER SET %s COLLATE %s; "
             "GRANT ALL ON %s.* TO 'chat'@'localhost'" % (db, cs[0], cs[1], db))
    return db


def migrate(db, top):
    env = dict(os.environ)
    env.update(DB_ENV)
    env["CHAT_DB_NAME"] = db
    return subprocess.run([os.path.join(top, "scripts", "migrate.sh")], env=env,
                          capture_output=True, text=True, timeout=300)


def check_install_sql():
    want = snapshot(DB_ENV.get("CHAT_DB_NAME", "chat"))
    eq([r.split("\t")[1] for r in want["schema_migration"].splitlines()], SQL_FILES,
       "the stack's database has every migration")
    dbs = []
    try:
        # An empty database, as a panel's SQL import or the client meets it.
        db = new_db()
        dbs.append(db)
        p = import_sql(db)
        eq((p.returncode, p.stderr), (0, ""), "install.sql imports with the mariadb client")
        compare(snapshot(db), want, "after install.sql")
        applied = q(db, "SELECT version, applied_at FROM schema_migration")
        p = import_sql(db)
        eq((p.returncode, p.stderr), (0, ""), "install.sql imports again")
        eq(q(db, "SELECT version, applied_at FROM schema_migration"), applied,
           "importing again applies nothing")
        compare(snapshot(db), want, "after a second import")
        p = migrate(db, DIST)
        eq((p.returncode, p.stdout + p.stderr), (0, ""),
           "dist's migrate.sh finds nothing left to do")
        eq(q(db, "SELECT COUNT(*) FROM message"), "0\n", "the schema works")

        # A database an older release's migrate.sh made: the rest is applied.
        db = new_db()
        dbs.append(db)
        old = tempfile.mkdtemp(prefix="chat-old-")
        try:
            os.makedirs(os.path.join(old, "scripts"))
            os.makedirs(os.path.join(old, "sql"))
            shutil.copy(os.path.join(TOP, "scripts", "migrate.sh"), os.path.join(old, "scripts"))
            for f in SQL_FILES[:len(SQL_FILES) // 2]:
                shutil.copy(os.path.join(TOP, "sql", f), os.path.join(old, "sql"))
            p = migrate(db, old)
            check(p.returncode == 0, "an older migrate.sh", p.stderr)
        finally:
            shutil.rmtree(old, ignore_errors=True)
        p = import_sql(db)
        eq((p.returncode, p.stderr), (0, ""), "install.sql on an older database")
        compare(snapshot(db), want, "install.sql after an older migrate.sh")
    finally:
        for db in dbs:
            root_sql("DROP DATABASE IF EXISTS %s" % db)


if not os.path.isdir(DIST):
    print("no dist/chat: run make dist first (make test does)")
    sys.exit(1)
check_static()
check_layout()
example = check_example()
check_copy_and_go(example)
check_install_sql()
chatlib.done()
