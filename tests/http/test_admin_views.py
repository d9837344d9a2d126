"""The admins' SQL views (sql/016, README "For admins"): who is online and
with how many sessions, what waits for whom (events not acked, the oldest,
resends), conversations by size and activity, reports and blocks with
user names, storage per user; none shows a password hash, a token hash or
a message body (but the report's copy of the chat); and a read-only
account made as README says reads the views and nothing else."""
import hashlib
import json
import os
import struct
import subprocess
import tempfile
import time
import zlib

import chatlib
from chatlib import (Client, admin, befriend, check, eq, send_msg, signup,
                     sql, uniq, wait_until)

VIEWS = ("admin_online", "admin_pending", "admin_conversations",
         "admin_reports", "admin_blocks", "admin_storage")


def rows(query):
    """A query's rows as dicts (column name: text), as the application."""
    out = subprocess.run(chatlib.mariadb("--raw", "--default-character-set=utf8mb4",
                                         "--column-names", "-e", query),
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    if not lines:
        return []
    names = lines[0].split("\t")
    return [dict(zip(names, line.split("\t"))) for line in lines[1:]]


def one(view, col, val):
    got = rows("SELECT * FROM %s WHERE %s = %d" % (view, col, val))
    check(len(got) == 1, "one row in %s for %s %d" % (view, col, val), got)
    return got[0] if got else {}


def png(seed):
    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    px = hashlib.sha256(os.urandom(16) + bytes([seed])).digest()
    raw = b"".join(b"\0" + px[y * 3:y * 3 + 3] for y in range(3))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 3, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def guest(nick):
    c = Client()
    r = c.post("guest", {"nickname": nick})
    check(r.status == 201, "guest 201", r)
    c.user = r.json or {}
    c.name = c.user.get("username")
    return c


a, b, c = signup("va"), signup("vb"), signup("vc")
ida, idb, idc = a.user["id"], b.user["id"], c.user["id"]

# --- conversations, storage: a writes 3 messages to b -----------------------
conv = befriend(a, b)
befriend(a, c)
topic = a.post("conversations", {"title": "Trio", "members": [b.name, c.name]})
eq(topic.status, 201, "a makes a topic of three")
b.drain()
bodies = ["hello", "gr\u00fc\u00dfe aus K\u00f6ln", "\u4f60\u597d\U0001f600"]
sent = [send_msg(a, t, uniq("m"), conv=conv) for t in bodies]
eq([r.status for r in sent], [201] * 3, "a sends 3 messages")
row = one("admin_conversations", "conversation_id", conv)
eq((row.get("kind"), row.get("members"), row.get("messages")),
   ("direct", "2", "3"), "the direct chat: 2 members, 3 messages")
eq(row.get("last_message_at"),
   sql("SELECT MAX(sent_at) FROM message WHERE conv_id = %d" % conv)[0][0],
   "and the time of its last message")
row = one("admin_conversations", "conversation_id", topic.json["id"])
eq((row.get("kind"), row.get("title"), row.get("members"), row.get("messages"),
    row.get("last_message_at")), ("topic", "Trio", "3", "0", "NULL"),
   "the topic: 3 members, no message yet")

pic = png(1)
r = a.post("pictures", raw=pic, ctype="image/png")
eq(r.status, 201, "a uploads a picture")
row = one("admin_storage", "user_id", ida)
eq((row.get("messages"), row.get("message_bytes"), row.get("pictures"),
    row.get("picture_bytes")),
   ("3", str(sum(len(t.encode()) for t in bodies)), "1", str(len(pic))),
   "storage: a's messages and picture, in bytes")

# --- what waits for whom: b has 3 events, handed out twice, not acked -------
# (b may get presence events too: the tests' stack takes users offline
# after 4 s; so the messages' row of the view, by type.)
PENDING = "SELECT * FROM admin_pending WHERE user_id = %d AND type = 'message'" % idb


def pending():
    got = rows(PENDING)
    return got[0] if len(got) == 1 else {}


row = pending()
eq((row.get("events"), row.get("not_handed_out"), row.get("awaiting_ack"),
    row.get("resends")), ("3", "3", "0", "0"),
   "b: 3 messages wait, not handed out yet")
check(0 <= int(row.get("oldest_s", "-1")) < 60, "the oldest is seconds old", row)
eq(row.get("oldest_at"),
   sql("SELECT MIN(created_at) FROM event WHERE user_id = %d AND type = 'message'"
       % idb)[0][0], "since the first was sent")
got = [e["type"] for e in b.poll(0)]
eq(got.count("message"), 3, "b's poll takes them (no ack)")
check(wait_until(lambda: pending().get("awaiting_ack") == "3"),
      "then they wait for b's ack", rows(PENDING))
time.sleep(2.5)  # CHAT_RESEND_S in the tests' stack: due again
got = [e["type"] for e in b.poll(0)]
eq(got.count("message"), 3, "b's next poll has them again")
check(wait_until(lambda: pending().get("resends") == "3"),
      "admin_pending counts 3 resends", rows(PENDING))
eq(pending().get("most_attempts"), "2", "each handed out twice")
n = sql("SELECT s.events, s.event_bytes, COUNT(e.id), SUM(LENGTH(e.payload)) "
        "FROM admin_storage s JOIN event e ON e.user_id = s.user_id "
        "WHERE s.user_id = %d GROUP BY s.events, s.event_bytes" % idb)
check(len(n) == 1 and n[0][:2] == n[0][2:] and int(n[0][0]) >= 3,
      "storage: b's events (3 or more) and their bytes", n)

# --- who is online: a, with 2 sessions ---------------------------------------
a2 = Client()
eq(a2.post("login", {"username": a.name, "password": "correct horse 1"}).status,
   200, "a logs in on a second browser")
eq(a.get("me").status, 200, "a is active")
row = one("admin_online", "user_id", ida)
eq((row.get("username"), row.get("sessions")), (a.name, "2"),
   "a is online with 2 sessions")
check(row.get("last_seen") not in (None, "NULL"), "and seen", row)
sql("UPDATE user SET online = 0 WHERE id = %d" % idc)  # as the sweeper does
eq(rows("SELECT * FROM admin_online WHERE user_id = %d" % idc), [],
   "an offline user is not listed")

# --- blocks and reports ------------------------------------------------------
eq(a.post("blocks", {"username": c.name}).status, 204, "a blocks c")
eq(b.post("blocks", {"username": c.name}).status, 204, "b blocks c")
row = one("admin_blocks", "user_id", ida)
eq((row.get("blocker"), row.get("blocked"), row.get("blocked_by")),
   (a.name, c.name, "2"), "admin_blocks: a blocks c, whom 2 block")
g1, g2 = guest("Rude"), guest("Rep")
sql("DELETE FROM match_queue")
eq((g1.post("match").json or {}).get("status"), "waiting", "g1 waits")
mconv = (g2.post("match").json or {}).get("conversation_id")
check(mconv, "g2 is matched with g1")
send_msg(g1, "buy cheap stuff", uniq("m"), conv=mconv)
eq(g2.post("reports", {"conversation_id": mconv, "reason": "spam"}).status,
   201, "g2 reports g1")
row = one("admin_reports", "conversation_id", mconv)
eq((row.get("reporter"), row.get("reported"), row.get("reason"),
    row.get("reports_against")), (g2.name, g1.name, "spam", "1"),
   "admin_reports: who reported whom, why, reports against them")
check("buy cheap stuff" in [m.get("body") for m in json.loads(row.get("messages") or "[]")],
      "with the chat as it was", row)

# --- no secrets --------------------------------------------------------------
secrets = [x[0] for x in sql("SELECT password_hash FROM user WHERE id IN (%d, %d)"
                             % (ida, idb))]
secrets += [x[0] for x in sql("SELECT HEX(token_hash) FROM session WHERE user_id = %d"
                              % ida)]
for v in VIEWS:
    cols = [x[0] for x in sql("SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                              "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s'" % v)]
    check(cols and not any(k in " ".join(cols) for k in ("password", "hash", "token")),
          "%s has no hash columns" % v, cols)
    text = subprocess.run(chatlib.mariadb("--raw", "-e", "SELECT * FROM " + v),
                          capture_output=True, text=True).stdout
    check(not any(s and s in text for s in secrets), "%s shows no hash" % v)
    if v != "admin_reports":
        check("hello" not in text and "buy cheap" not in text,
              "%s shows no message body" % v)

# --- a read-only account, as README says -------------------------------------
db = chatlib._db_env().get("CHAT_DB_NAME", "chat")
pw = uniq("pw")
admin("CREATE OR REPLACE USER 'chat_ro'@'localhost' IDENTIFIED BY '%s'; " % pw +
      " ".join("GRANT SELECT ON %s.%s TO 'chat_ro'@'localhost';" % (db, v)
               for v in VIEWS))
with tempfile.NamedTemporaryFile("w", suffix=".cnf") as cnf:
    cnf.write("[client]\nuser=chat_ro\npassword=%s\nsocket=%s\n"
              % (pw, chatlib._db_env()["CHAT_DB_SOCKET"]))
    cnf.flush()

    def ro(query):
        p = subprocess.run(["mariadb", "--defaults-file=" + cnf.name, "--batch",
                            "--skip-column-names", db, "-e", query],
                           capture_output=True, text=True)
        return p.returncode, p.stdout.strip(), p.stderr
    for v in VIEWS:
        rc, out, err = ro("SELECT COUNT(*) FROM " + v)
        check(rc == 0 and out.isdigit(), "the read-only account reads " + v, err)
    rc, out, err = ro("SELECT user_id FROM admin_online WHERE user_id = %d" % ida)
    eq((rc, out), (0, str(ida)), "and sees what the view shows")
    for q in ("SELECT COUNT(*) FROM user", "SELECT COUNT(*) FROM session",
              "SELECT COUNT(*) FROM message", "SELECT COUNT(*) FROM device",
              "UPDATE admin_conversations SET title = 'x' WHERE conversation_id = %d"
              % topic.json["id"]):
        rc, out, err = ro(q)
        check(rc != 0 and "denied" in err, "it cannot: " + q, (rc, out, err))
admin("DROP USER IF EXISTS 'chat_ro'@'localhost'")
eq(sql("SELECT title FROM conversation WHERE id = %d" % topic.json["id"]),
   [["Trio"]], "nothing changed")

chatlib.done()
