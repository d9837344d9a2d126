"""Account safety (issue 26): names that pass for none or for someone
else are refused; one's sessions are listed as devices and signed out one
by one or all but this one; an account is removed with its password (its
messages stay under "Deleted user"); a forgotten password is reset with a
one-time link mailed through CHAT_SENDMAIL.  Runs late: the last part
restarts the stack with a stand-in sendmail, then as it was."""
import atexit
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import zlib

import chatlib
from chatlib import (Client, befriend, check, eq, expect_error, in_thread,
                     send_msg, signup, sql, uniq)

PASS = "correct horse 1"
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
          "Gecko) Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 "
          "Safari/604.1")


def message(r):
    return ((r.json or {}).get("error") or {}).get("message", "")


def login(name, pw=PASS, ua=None):
    c = Client()
    r = c.post("login", {"username": name, "password": pw},
               headers={"User-Agent": ua} if ua else None)
    return c, r


# --- 6. Names -------------------------------------------------------------
BLANK = "Your name cannot be only spaces or invisible characters"
EDGE = "Your name cannot start or end with a space or an invisible character"
BIDI = "Your name cannot contain text direction controls"
for nick, says in ((" ", BLANK), ("\u200b", BLANK), ("\u3000\u00a0", BLANK),
                   ("\ufeff\u2060", BLANK), ("admin\u00a0", EDGE),
                   (" admin", EDGE), ("a\u202eevil", BIDI),
                   ("a\u2066b\u2069", BIDI)):
    name = uniq("nm")
    r = Client().post("signup", {"username": name, "password": PASS,
                                 "nickname": nick})
    expect_error(r, 400, "bad_request", "signup nickname %r" % nick)
    eq(message(r), says, "signup nickname %r: the message" % nick)
    eq(sql("SELECT COUNT(*) FROM user WHERE username='%s'" % name)[0][0],
       "0", "signup nickname %r: no account" % nick)
    r = Client().post("guest", {"nickname": nick})
    expect_error(r, 400, "bad_request", "guest nickname %r" % nick)
    eq(message(r), says, "guest nickname %r: the message" % nick)

a = signup("nm", nickname="Ann Lee")
for nick in (" ", "\u200b", "admin\u00a0", "a\u202eevil"):
    r = a.patch("me", {"nickname": nick})
    expect_error(r, 400, "bad_request", "PATCH nickname %r" % nick)
eq(a.get("me").json["nickname"], "Ann Lee", "the refused names changed nothing")
r = a.patch("me", {"nickname": "\u05e9\u05e8\u05d4"})   # Hebrew is a name
eq(r.status, 200, "a right-to-left name is fine")
r = Client().post("guest", {"nickname": "Moon Child"})
eq(r.status, 201, "a guest with a real name")
check(r.json["username"].startswith("guest-"), "guests are guest-", r.json)

for name in ("guest-zzz", "Guest-" + uniq("x")[:10], "GUEST-abc"):
    r = Client().post("signup", {"username": name, "password": PASS})
    expect_error(r, 400, "bad_request", "signup as %s" % name)
    check("kept for guests" in message(r), "says why: " + name, r)
r = Client().post("signup", {"username": uniq("guest"), "password": PASS})
eq(r.status, 201, "guest_ (not guest-) is a registered name")

# --- 7. Devices -----------------------------------------------------------
name = uniq("dv")
d1 = Client()
r = d1.post("signup", {"username": name, "password": PASS},
            headers={"User-Agent": CHROME})
eq(r.status, 201, "signup from Chrome")
d2, r = login(name, ua=IPHONE)
eq(r.status, 200, "login from an iPhone")
r = d1.get("sessions")
eq(r.status, 200, "GET /api/sessions")
ss = r.json["sessions"]
eq(len(ss), 2, "two devices")
cur = [s for s in ss if s["current"]]
eq(len(cur), 1, "one is this one")
eq(cur[0]["user_agent"], CHROME, "this one's browser")
other = [s for s in ss if not s["current"]][0]
eq(other["user_agent"], IPHONE, "the other's browser")
eq(other["addr"], "127.0.0.1", "the other's address")
check(isinstance(other["created_at"], int) and
      other["used_at"] >= other["created_at"], "created and last used", other)
eq([s["current"] for s in d2.get("sessions").json["sessions"]].count(True), 1,
   "the phone sees itself as current")

# The last use is not a write per request.
sid2 = other["id"]
before = sql("SELECT used_at FROM session WHERE id=%d" % sid2)[0][0]
for _ in range(3):
    d2.get("me")
eq(sql("SELECT used_at FROM session WHERE id=%d" % sid2)[0][0], before,
   "requests within minutes do not rewrite the last use")

# Someone else's session: 404, and it stands.
x = signup("dv")
xs = x.get("sessions").json["sessions"][0]["id"]
expect_error(d1.delete("sessions/%d" % xs), 404, "not_found",
             "another user's session")
eq(x.get("me").status, 200, "their session still stands")

# Signing out the phone: its waiting poll ends with 401 at once.
d2.drain()
t0 = time.time()
waiting = in_thread(lambda: d2.get("poll?timeout=25", timeout=60))
time.sleep(0.5)
eq(d1.delete("sessions/%d" % sid2).status, 204, "sign out the phone")
waiting.join(30)
eq(getattr(waiting.result, "status", None), 401, "the phone's poll: 401")
check(time.time() - t0 < 15, "the phone's poll ended early", time.time() - t0)
eq(d2.get("me").status, 401, "the phone is signed out")
eq(d1.get("me").status, 200, "this device is not")
eq(len(d1.get("sessions").json["sessions"]), 1, "one device left")
expect_error(d1.delete("sessions/%d" % sid2), 404, "not_found",
             "ending it again")

# All but this one.
d3, _ = login(name)
d4, _ = login(name)
eq(d1.delete("sessions/others").status, 204, "sign out every other")
eq((d3.get("me").status, d4.get("me").status), (401, 401), "others are out")
eq(d1.get("me").status, 200, "this one stays")
eq(len(d1.get("sessions").json["sessions"]), 1, "one device listed")


# --- 8. Remove my account -------------------------------------------------
def png(seed):
    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    px = hashlib.sha256(os.urandom(16) + bytes([seed])).digest()
    raw = b"".join(b"\0" + bytes(px[(x + y) % 32] for x in range(2))
                   for y in range(2))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


gone = signup("rm", email="rm@example.org", nickname="Rosa", bio="hi")
b, c = signup("rm"), signup("rm")
conv = befriend(gone, b)
befriend(gone, c)
ask = signup("rm")
r = ask.post("friends/requests", {"to": gone.name, "text": "hello"})
eq(r.status, 201, "a pending request to the leaving user")
pic = gone.post("pictures", raw=png(1), ctype="image/png").json["url"]
gone.patch("me", {"avatar_url": pic})
r = gone.post("conversations", {"title": "Club", "members": [b.name, c.name]})
eq(r.status, 201, "a group the leaving user owns")
topic = r.json["id"]
send_msg(gone, "direct hello", uniq("m"), conv=conv)
send_msg(gone, "group hello", uniq("m"), conv=topic)
other, _ = login(gone.name)
uid = gone.user["id"]
pest = signup("pest")
eq(gone.post("blocks", {"username": pest.name}).status, 204,
   "a block the leaving user made")
eq(pest.post("blocks", {"username": gone.name}).status, 204,
   "and one made of them")
b.drain()
ask.drain()

expect_error(gone.delete("me", {"password": "not it at all"}), 403,
             "wrong_password", "a wrong password")
eq(gone.get("me").status, 200, "a wrong password removes nothing")
eq(sql("SELECT COUNT(*) FROM friendship WHERE user_id=%d" % uid)[0][0], "2",
   "friends kept")
expect_error(gone.delete("me", {}), 400, "bad_request", "no password")
g = Client()
g.post("guest", {"nickname": "Sky"})
expect_error(g.delete("me", {"password": PASS}), 403, "forbidden",
             "a guest removes no account")

r = gone.delete("me", {"password": PASS})
eq(r.status, 204, "removed")
check("Max-Age=0" in (r.header("Set-Cookie") or ""), "cookie expired", r.headers)
eq(gone.get("me").status, 401, "signed out here")
eq(other.get("me").status, 401, "and on the other device")
eq(login(gone.name)[1].status, 401, "cannot log in")
row = sql("SELECT username, nickname, email, bio, avatar_url, "
          "password_hash IS NULL, deleted_at IS NOT NULL FROM user "
          "WHERE id=%d" % uid)[0]
eq(row, ["~deleted-%d" % uid, "Deleted user", "", "", "", "1", "1"],
   "the row is a tombstone")
for table, col in (("session", "user_id"), ("friendship", "user_id"),
                   ("friendship", "friend_id"), ("friend_request", "from_id"),
                   ("friend_request", "to_id"), ("picture", "owner_id"),
                   ("conv_member m JOIN conversation c ON c.id = m.conv_id "
                    "AND c.kind = 'topic'", "m.user_id")):
    eq(sql("SELECT COUNT(*) FROM %s WHERE %s=%d" % (table, col, uid))[0][0],
       "0", "%s.%s gone" % (table, col))
eq(sql("SELECT COUNT(*) FROM user_block WHERE user_id=%d OR blocked_id=%d"
       % (uid, uid))[0][0], "0", "blocks made and received gone")
eq(sql("SELECT COUNT(*) FROM device WHERE user_id=%d" % uid)[0][0], "0",
   "trusted-browser tokens gone")
found = b.get("users?q=Deleted")
eq(found.status, 200, "find people")
check(all(u.get("username") != "~deleted-%d" % uid
          for u in found.json.get("users", [])), "a tombstone is never found",
      found.json)
# What is left is the one that told its other pages it ended.
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type<>"
       "'sessions_ended'" % uid)[0][0], "0", "pending events gone")
eq(Client().get("/api/pictures/" + pic.rsplit("/", 1)[1]).status, 404,
   "the picture is gone")

e = b.wait_for(lambda e: e["type"] == "friend_removed", timeout=10)
eq((e or {}).get("user"), gone.name, "a friend is told at once")
e = ask.wait_for(lambda e: e["type"] == "friend_removed", timeout=10)
check(e is not None, "so is who asked to be friends")
eq(ask.get("friends/requests").json["outgoing"], [], "the request is gone")
eq(b.get("friends").json["friends"], [], "no longer a friend")
hist = b.get("conversations/%d/messages" % conv).json["messages"]
eq([(m["sender"], m["body"]) for m in hist], [("~deleted-%d" % uid,
                                               "direct hello")],
   "the message stays, its sender the tombstone")
one = b.get("conversations/%d" % conv).json
eq(one["title"], "Deleted user", "the chat is with \"Deleted user\"")
t = b.get("conversations/%d" % topic).json
check(gone.name not in t["members"] and "~deleted-%d" % uid not in
      t["members"], "left the group", t["members"])
eq([m["role"] for m in t["members_detail"] if m["username"] == b.name],
   ["owner"], "the group has a new owner")
hist = c.get("conversations/%d/messages" % topic).json["messages"]
eq([m["sender"] for m in hist if m["body"] == "group hello"],
   ["~deleted-%d" % uid], "group history keeps the message")
expect_error(b.get("users/" + "~deleted-%d" % uid), 404, "not_found",
             "the tombstone is no profile")
r = Client().post("signup", {"username": gone.name, "password": PASS})
eq(r.status, 201, "the user name is free again")


# --- 9. Forgot password (a stand-in sendmail) ----------------------------
spool = tempfile.mkdtemp(prefix="chat-mail-")
atexit.register(shutil.rmtree, spool, True)     # not left in /tmp after
os.chmod(spool, 0o777)
stub = os.path.join(spool, "sendmail")
with open(stub, "w") as f:
    f.write("#!/bin/sh\n# args: %s\necho \"$*\" > \"%s/args.$$\"\n"
            "cat > \"%s/mail.$$\"\n" % ("$*", spool, spool))
os.chmod(stub, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH |
         stat.S_IXOTH)
saved = {k: os.environ.get(k) for k in ("CHAT_SENDMAIL", "CHAT_PUBLIC_URL")}


def restart_with(env):
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    chatlib.restart()


def mails():
    out = []
    for n in sorted(os.listdir(spool)):
        if n.startswith("mail."):
            with open(os.path.join(spool, n), encoding="utf-8",
                      newline="") as f:
                out.append(f.read())
            os.unlink(os.path.join(spool, n))
    return out


sql("DELETE FROM rate_limit WHERE k LIKE 'reset-%'")
restart_with({"CHAT_SENDMAIL": stub + " -t -i",
              "CHAT_PUBLIC_URL": "https://chat.example.org/"})
try:
    email = uniq("fp") + "@Example.org"
    u = signup("fp", email=email)
    u2, _ = login(u.name)
    r1 = Client().post("password/forgot", {"email": "nobody-" + email})
    eq(r1.status, 202, "an unknown address: 202")
    r2 = Client().post("password/forgot", {"email": email.upper()})
    eq(r2.status, 202, "a known address (any case): 202")
    eq(r1.raw, r2.raw, "the same answer either way")
    m = mails()
    eq(len(m), 1, "one mail, for the known address only")
    body = m[0] if m else ""
    check(("To: %s\r\n" % email.upper()) in body, "to the address", body)
    link = re.search(r"https://chat\.example\.org/#reset=([A-Za-z0-9_-]{43})\b",
                     body)
    check(link is not None, "a link with a token in the fragment", body)
    tok = link.group(1) if link else "x"
    check(u.name in body, "names the account", body)
    check(all(email.upper() not in open(os.path.join(spool, n)).read()
              for n in os.listdir(spool) if n.startswith("args.")),
          "the address is never on the command line")
    eq(sql("SELECT COUNT(*) FROM password_reset WHERE token_hash="
           "UNHEX(SHA2('%s', 256)) AND user_id=%d AND expires_at BETWEEN "
           "NOW() + INTERVAL 29 MINUTE AND NOW() + INTERVAL 31 MINUTE"
           % (tok, u.user["id"]))[0][0], "1",
       "only the token's SHA-256 is kept, for 30 minutes")

    expect_error(Client().post("password/reset", {"token": tok,
                                                  "password": "short"}),
                 400, "bad_request", "a too short new password")
    devices = "SELECT COUNT(*) FROM device WHERE user_id = %d" % u.user["id"]
    check(int(sql(devices)[0][0]) >= 1, "the account's browsers hold tokens")
    r = Client().post("password/reset", {"token": tok,
                                         "password": "new horse 22"})
    eq(r.status, 204, "reset")
    eq((u.get("me").status, u2.get("me").status), (401, 401),
       "every session ended")
    eq(sql(devices), [["0"]], "and no browser's token counts any more")
    eq(login(u.name)[1].status, 401, "the old password is gone")
    eq(login(u.name, "new horse 22")[1].status, 200, "the new one works")
    expect_error(Client().post("password/reset", {"token": tok,
                                                  "password": "other horse 3"}),
                 400, "bad_token", "a link works once")

    # Run out: 30 minutes.
    Client().post("password/forgot", {"email": email})
    m = mails()
    tok2 = re.search(r"#reset=([A-Za-z0-9_-]{43})", m[0]).group(1) if m else "x"
    sql("UPDATE password_reset SET expires_at = NOW() - INTERVAL 1 SECOND "
        "WHERE token_hash = UNHEX(SHA2('%s', 256))" % tok2)
    expect_error(Client().post("password/reset", {"token": tok2,
                                                  "password": "other horse 3"}),
                 400, "bad_token", "an old link")

    # Per address: the third ask in the window was the last.
    r = Client().post("password/forgot", {"email": email})
    eq(r.status, 202, "the third ask")
    mails()
    r = Client().post("password/forgot", {"email": email})
    expect_error(r, 429, "rate_limited", "the fourth ask")
    eq(mails(), [], "no mail past the limit")
    expect_error(Client().post("password/forgot",
                               {"email": "a@b.org\r\nBcc: x@y.org"}),
                 400, "bad_request", "a header in the address")
    expect_error(Client().post("password/reset",
                               {"token": "A" * 43, "password": PASS}),
                 400, "bad_token", "a made-up token")
finally:
    restart_with(saved)
    sql("DELETE FROM rate_limit WHERE k LIKE 'reset-%'")

chatlib.done()
