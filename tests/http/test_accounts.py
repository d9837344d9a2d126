"""Accounts: signup with every profile field, the user shape, the sid cookie
and its attributes, me, logout, login, the same 401 for a wrong password
and an unknown user, user names unique without regard to case, guests and
what they may not do, profile updates, password change (current password
needed, other sessions ended, this one kept), and other users' profiles
(no email for strangers, email for friends)."""
import os
import subprocess
import time

import chatlib
from chatlib import Client, befriend, check, eq, expect_error, signup, sql, uniq

USER_FIELDS = ("id", "username", "nickname", "avatar_url", "location", "bio",
               "public_key", "guest", "online", "last_seen")


def cookie_parts(r):
    """The sid Set-Cookie of r as (value, {attribute lower: value})."""
    v = r.header("Set-Cookie")
    if v is None or not v.startswith("sid="):
        return None, {}
    parts = [p.strip() for p in v.split(";")]
    attrs = {}
    for p in parts[1:]:
        k, _, val = p.partition("=")
        attrs[k.lower()] = val
    return parts[0][4:], attrs


def check_cookie(r, what):
    """A fresh sid cookie with the contract's attributes; its value."""
    val, attrs = cookie_parts(r)
    check(val is not None and len(val) >= 22, what + ": sets a sid cookie",
          r.header("Set-Cookie"))
    check("httponly" in attrs, what + ": cookie HttpOnly", attrs)
    eq(attrs.get("samesite"), "Strict", what + ": cookie SameSite")
    eq(attrs.get("path"), "/", what + ": cookie Path")
    check("secure" not in attrs, what + ": no Secure over plain HTTP", attrs)
    return val


def check_user(u, what, email, private=False):
    """u has the contract's user fields; email only when asked; private:
    as a stranger sees it, presence and details null (issue 26)."""
    check(isinstance(u, dict), what + ": a user object", u)
    if not isinstance(u, dict):
        return
    for k in USER_FIELDS:
        check(k in u, "%s: has %s" % (what, k), u)
    check(isinstance(u.get("id"), int), what + ": id is an integer", u)
    check(isinstance(u.get("guest"), bool), what + ": guest is a boolean", u)
    if private:
        for k in ("online", "last_seen", "location", "bio", "public_key"):
            check(u.get(k) is None, "%s: %s hidden (null)" % (what, k), u)
    check(private or isinstance(u.get("online"), bool),
          what + ": online is a boolean", u)
    ls = u.get("last_seen")
    check(ls is None or (isinstance(ls, int) and
                         abs(ls - time.time() * 1000) < 3600 * 1000),
          what + ": last_seen is epoch ms", ls)
    if email:
        check("email" in u, what + ": email shown", u)
    else:
        check("email" not in u, what + ": email hidden", u)


# --- signup with every field ------------------------------------------------
name = uniq("acc")
profile = {
    "email": "ann@example.org",
    "nickname": "Ann \u00e9 \U0001F600",
    "avatar_url": "/api/pictures/abababababababababababababababababababababababababababababababab",
    "location": "Z\u00fcrich",
    "bio": "line one\nline two\ttabbed",
    "public_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
}
a = Client()
r = a.post("signup", dict(username=name, password="correct horse 1", **profile))
eq(r.status, 201, "signup with every field")
u = r.json or {}
check_user(u, "signup answer", email=True)
eq(u.get("username"), name, "username as sent")
for k, v in profile.items():
    eq(u.get(k), v, "signup answer " + k)
eq(u.get("guest"), False, "a registered user is no guest")
eq(u.get("online"), True, "just signed up: online")
sid1 = check_cookie(r, "signup")
eq(a.sid, sid1, "client keeps the cookie")
uid = u.get("id")
eq(sql("SELECT COUNT(*) FROM user WHERE id = %d AND username = '%s'" %
       (uid, name)), [["1"]], "the account is stored")
eq(sql("SELECT HEX(nickname), HEX(bio) FROM user WHERE id = %d" % uid),
   [[profile["nickname"].encode().hex().upper(),
     profile["bio"].encode().hex().upper()]],
   "profile stored as sent (utf8mb4, newlines kept)")

# --- me ---------------------------------------------------------------------
r = a.get("me")
eq(r.status, 200, "GET /api/me")
check_user(r.json, "me", email=True)
for k in USER_FIELDS + ("email",):
    if k != "last_seen":
        eq((r.json or {}).get(k), u.get(k), "me %s as at signup" % k)
eq(r.header("Cache-Control"), "no-store", "private answers are not cached")

r = Client().get("me")
expect_error(r, 401, "unauthorized", "me without a cookie")
r = Client(sid="A" * 43).get("me")
expect_error(r, 401, "unauthorized", "me with an unknown token")

# --- logout, then login again -----------------------------------------------
r = a.post("logout")
eq(r.status, 204, "logout")
eq(r.raw, b"", "logout has no body")
val, attrs = cookie_parts(r)
eq(val, "", "logout clears the cookie")
eq(attrs.get("max-age"), "0", "logout expires the cookie")
expect_error(Client(sid=sid1).get("me"), 401, "unauthorized",
             "the logged-out cookie no longer works")
expect_error(Client(sid=sid1).post("logout"), 401, "unauthorized",
             "logout twice")

a = Client()
r = a.post("login", {"username": name, "password": "correct horse 1"})
eq(r.status, 200, "login")
check_user(r.json, "login answer", email=True)
eq((r.json or {}).get("id"), uid, "login answers the same user")
eq((r.json or {}).get("email"), profile["email"], "login answer has email")
sid2 = check_cookie(r, "login")
check(sid2 != sid1, "a new cookie at each login", sid2)
eq(a.get("me").status, 200, "me after login")

# A wrong password and an unknown user: the same answer.
r1 = Client().post("login", {"username": name, "password": "wrong horse 1"})
r2 = Client().post("login", {"username": uniq("nobody"),
                             "password": "wrong horse 1"})
expect_error(r1, 401, "unauthorized", "wrong password")
expect_error(r2, 401, "unauthorized", "unknown user")
eq(r2.raw, r1.raw, "unknown user and wrong password: identical body")
eq(r1.header("Set-Cookie"), None, "no cookie for a failed login")
eq(r2.header("Set-Cookie"), None, "no cookie for an unknown user")
eq(a.get("me").status, 200, "a failed login elsewhere ends no session")

# --- user names are unique without regard to case --------------------------
before = sql("SELECT id, username, nickname, password_hash FROM user "
             "WHERE id = %d" % uid)
for other in (name.upper(), name[0].upper() + name[1:]):
    r = Client().post("signup", {"username": other,
                                 "password": "another pass 2",
                                 "nickname": "Impostor"})
    expect_error(r, 409, "conflict", "signup as " + other)
    eq(r.header("Set-Cookie"), None, "no cookie for a refused signup")
r = Client().post("signup", {"username": name, "password": "another pass 2"})
expect_error(r, 409, "conflict", "signup with the very same name")
eq(sql("SELECT id, username, nickname, password_hash FROM user "
       "WHERE id = %d" % uid), before, "the first account is unchanged")
eq(sql("SELECT COUNT(*) FROM user WHERE LOWER(username) = LOWER('%s')" % name),
   [["1"]], "one account for the name")
r = Client().post("login", {"username": name, "password": "correct horse 1"})
eq(r.status, 200, "the first account's password still works")
eq((r.json or {}).get("nickname"), profile["nickname"],
   "the first account's profile is kept")

# --- guests -----------------------------------------------------------------
g = Client()
r = g.post("guest", {"nickname": "Wanderer \u2728"})
eq(r.status, 201, "guest")
gu = r.json or {}
check_user(gu, "guest answer", email=True)
eq(gu.get("guest"), True, "guest: true")
eq(gu.get("nickname"), "Wanderer \u2728", "guest nickname")
check(str(gu.get("username", "")).startswith("guest-"),
      "guest user name", gu.get("username"))
check_cookie(r, "guest")
r = g.get("me")
eq(r.status, 200, "guest me")
eq((r.json or {}).get("guest"), True, "guest me says guest")
for method, path, body in (("GET", "friends", None),
                           ("GET", "friends/requests", None),
                           ("POST", "friends/requests", {"to": name}),
                           ("POST", "friends/requests/1/accept", {}),
                           ("POST", "friends/requests/1/reject", {}),
                           ("DELETE", "friends/" + name, {})):
    expect_error(g.req(method, path, body), 403, "forbidden",
                 "guest %s %s" % (method, path))
eq(sql("SELECT COUNT(*) FROM friend_request fr JOIN user u ON u.id = "
       "fr.from_id WHERE u.username = '%s'" % gu.get("username")), [["0"]],
   "no friend request from the guest was stored")
r = g.patch("me", {"password": "guest password", "current_password": "x"})
expect_error(r, 403, "forbidden", "guests have no password")
expect_error(Client().post("guest", {}), 400, "bad_request",
             "guest without a nickname")
expect_error(Client().post("guest", {"nickname": ""}), 400, "bad_request",
             "guest with an empty nickname")

# --- PATCH /api/me ------------------------------------------------------------
p = signup("pat", nickname="Before", location="Old town", bio="old bio",
           email="old@example.org")
changes = {"nickname": "After \U0001F680", "email": "new@example.org",
           "avatar_url": "/api/pictures/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", "location": "",
           "bio": "new\nbio", "public_key": "ssh-ed25519 AAAA me@host"}
r = p.patch("me", changes)
eq(r.status, 200, "PATCH /api/me")
check_user(r.json, "PATCH answer", email=True)
for k, v in changes.items():
    eq((r.json or {}).get(k), v, "PATCH answer " + k)
r = p.get("me")
for k, v in changes.items():
    eq((r.json or {}).get(k), v, "after PATCH, me " + k)
eq((r.json or {}).get("username"), p.name, "PATCH keeps the user name")
# Only the fields sent change.
r = p.patch("me", {"bio": "only bio"})
eq(r.status, 200, "PATCH one field")
eq((r.json or {}).get("bio"), "only bio", "that field changed")
eq((r.json or {}).get("nickname"), changes["nickname"], "others kept")
eq((r.json or {}).get("email"), changes["email"], "email kept")
# A bad field changes nothing, not even the good ones beside it.
snap = p.get("me").json
r = p.patch("me", {"nickname": "Fine", "avatar_url": "javascript:alert(1)"})
expect_error(r, 400, "bad_request", "PATCH with a javascript: avatar")
err = (r.json or {}).get("error") or {}
eq(err.get("field"), "avatar_url", "the 400 names the field for programs")
check("avatar_url" not in err.get("message", "") and "picture" in err.get("message", ""),
      "and says it in words for people", r)
eq(p.get("me").json, snap, "a refused PATCH changes nothing")
# The user name cannot be changed by PATCH.
r = p.patch("me", {"username": uniq("renamed")})
eq(p.get("me").json.get("username"), p.name, "username is not patchable")

# --- password change ----------------------------------------------------------
w = signup("pw")
other = Client()
r = other.post("login", {"username": w.name, "password": w.password})
eq(r.status, 200, "second session of the same user")
r = w.patch("me", {"password": "brand new pass 3"})
expect_error(r, 400, "bad_request", "new password without current_password")
r = w.patch("me", {"password": "brand new pass 3",
                   "current_password": "not the password"})
expect_error(r, 403, "forbidden", "new password with a wrong current one")
eq(other.get("me").status, 200, "refused changes end no session")
r = Client().post("login", {"username": w.name, "password": w.password})
eq(r.status, 200, "refused changes keep the old password")
r = w.patch("me", {"password": "short", "current_password": w.password})
expect_error(r, 400, "bad_request", "too short a new password")

r = w.patch("me", {"password": "brand new pass 3",
                   "current_password": w.password})
eq(r.status, 200, "password change")
check_user(r.json, "password change answer", email=True)
check("password" not in (r.json or {}) and
      "password_hash" not in (r.json or {}), "no password in the answer", r)
eq(w.get("me").status, 200, "this session is kept")
expect_error(other.get("me"), 401, "unauthorized",
             "the other session ended with the password change")
r = Client().post("login", {"username": w.name, "password": "brand new pass 3"})
eq(r.status, 200, "the new password logs in")
r = Client().post("login", {"username": w.name, "password": w.password})
expect_error(r, 401, "unauthorized", "the old password no longer does")

# --- other users' profiles ----------------------------------------------------
s1 = signup("see", email="s1@example.org", nickname="Seer")
s2 = signup("seen", email="s2@example.org", nickname="Seen", bio="hello")
r = s1.get("users/" + s2.name)
eq(r.status, 200, "a stranger's profile")
check_user(r.json, "stranger", email=False, private=True)
eq((r.json or {}).get("username"), s2.name, "stranger username")
eq((r.json or {}).get("nickname"), "Seen", "stranger nickname")
eq((r.json or {}).get("bio"), None, "a stranger's bio is for friends")
eq((r.json or {}).get("friend"), False, "not friends yet")
check("s2@example.org" not in r.raw.decode(), "no email anywhere", r)

r = s1.get("users/" + s1.name)
eq(r.status, 200, "own profile by name")
eq((r.json or {}).get("email"), "s1@example.org", "own email shown")

expect_error(s1.get("users/" + uniq("ghost")), 404, "not_found",
             "unknown user")
expect_error(s1.get("users/a"), 404, "not_found", "impossible user name")
expect_error(Client().get("users/" + s2.name), 401, "unauthorized",
             "profiles need a session")

befriend(s1, s2)
r = s1.get("users/" + s2.name)
eq(r.status, 200, "a friend's profile")
check_user(r.json, "friend", email=True)
eq((r.json or {}).get("email"), "s2@example.org", "a friend's email")
eq((r.json or {}).get("friend"), True, "friend flag")
r = s2.get("users/" + s1.name)
eq((r.json or {}).get("email"), "s1@example.org", "friends both ways")
eq((r.json or {}).get("friend"), True, "friend flag both ways")

# After the friendship ends, the email is private again.
r = s1.delete("friends/" + s2.name)
eq(r.status, 204, "unfriend")
r = s1.get("users/" + s2.name)
check_user(r.json, "former friend", email=False, private=True)
eq((r.json or {}).get("friend"), False, "friend flag after unfriending")

# Expired sessions: one sweeper round removes them all, not one batch of
# 500 (it fell behind above ~100 expiries a second), and leaves the live
# ones alone.
ex = signup("expiry")
ex_id = ex.get("me").json["id"]
chatlib.sql("INSERT INTO session (token_hash, user_id, expires_at) "
            "SELECT UNHEX(SHA2(CONCAT('expired ', %d, ' ', seq), 256)), %d, "
            "NOW(3) - INTERVAL 1 HOUR FROM seq_1_to_2000" % (ex_id, ex_id))
env = dict(os.environ, **chatlib._db_env(),
           CHAT_RUN=os.path.join(chatlib.STACK_DIR, "run"))
p = subprocess.run([os.path.join(chatlib.CHAT_BIN, "chat-sweep"), "--once"],
                   env=env, capture_output=True, text=True, timeout=120)
eq(p.returncode, 0, "chat-sweep --once succeeds")
left = chatlib.sql("SELECT COUNT(*) FROM session WHERE user_id = %d "
                   "AND expires_at < NOW(3)" % ex_id)
eq(left, [["0"]], "2,000 expired sessions gone in one round")
eq(ex.get("me").status, 200, "the live session still works")

# A wrong database password is reported as what it is (1045, access
# denied), not as "nothing listens" (2002): the operator looks in the right
# place. The round fails, so cron mails it.
p = subprocess.run([os.path.join(chatlib.CHAT_BIN, "chat-sweep"), "--once"],
                   env=dict(env, CHAT_DB_PASS="not the password"),
                   capture_output=True, text=True, timeout=120)
eq(p.returncode, 1, "chat-sweep --once with a wrong password fails")
check("Access denied" in p.stderr and "no database: error 1045" in p.stderr
   and "2002" not in p.stderr, "the error names access denied (1045): %r" % p.stderr[-300:])

chatlib.done()
