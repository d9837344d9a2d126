"""Security: what is stored (an argon2id hash, never the password; the
SHA-256 of the session token, never the token), the session cookie
(256 random bits, base64url), login throttling per user name (10 failures:
429 with Retry-After, even for the right password, in any letter case,
while other users log in as usual), and the browser protections on every
answer: Content-Security-Policy, X-Content-Type-Options: nosniff."""
import hashlib
import re

import chatlib
from chatlib import Client, befriend, check, eq, expect_error, signup, sql, uniq

# --- passwords at rest -------------------------------------------------------
pw = "correct horse 1"
a = signup("sec", password=pw)
rows = sql("SELECT password_hash FROM user WHERE id = %d" % a.user["id"])
stored = rows[0][0] if rows else ""
check(stored.startswith("$argon2id$"), "password stored as argon2id", stored)
check(stored != pw and pw not in stored, "the password itself is not stored",
      stored)
check(re.search(r"\$m=\d+,t=\d+,p=\d+\$", stored) is not None,
      "argon2id parameters in the string", stored)
m = re.search(r"\$m=(\d+),t=(\d+)", stored)
check(m is not None and int(m.group(1)) >= 19456 and int(m.group(2)) >= 2,
      "argon2id at least m=19 MiB, t=2 (OWASP)", stored)
b = signup("sec", password=pw)
rows = sql("SELECT password_hash FROM user WHERE id = %d" % b.user["id"])
check(rows and rows[0][0] != stored,
      "the same password hashes differently for two users (salt)", rows)
g = Client()
eq(g.post("guest", {"nickname": "G"}).status, 201, "guest")
eq(sql("SELECT password_hash IS NULL FROM user WHERE username = '%s'"
       % g.get("me").json["username"]), [["1"]], "a guest has no password hash")

# --- session tokens at rest ----------------------------------------------------
tok = a.sid or ""
check(re.fullmatch(r"[A-Za-z0-9_-]{43}", tok) is not None,
      "sid is 43 characters of base64url (256 bits)", tok)
want = hashlib.sha256(tok.encode()).hexdigest().upper()
rows = sql("SELECT HEX(token_hash), LENGTH(token_hash) FROM session "
           "WHERE user_id = %d" % a.user["id"])
eq(rows, [[want, "32"]], "the session row holds SHA-256 of the cookie")
check(want != tok.encode().hex().upper(), "the hash is not the token", tok)
eq(sql("SELECT COUNT(*) FROM session WHERE token_hash = '%s' OR "
       "HEX(token_hash) = HEX('%s')" % (tok[:32], tok[:32])), [["0"]],
   "the token text is not stored")
# A second login: a second, different token and row.
a2 = Client()
eq(a2.post("login", {"username": a.name, "password": pw}).status, 200, "login")
check(a2.sid and a2.sid != a.sid, "a new token per login", a2.sid)
rows = sql("SELECT HEX(token_hash) FROM session WHERE user_id = %d ORDER BY id"
           % a.user["id"])
eq([r[0] for r in rows],
   [want, hashlib.sha256((a2.sid or "").encode()).hexdigest().upper()],
   "one hashed row per session")
# The stored hash is no credential: sending it as the cookie fails.
expect_error(Client(sid=want[:43]).get("me"), 401, "unauthorized",
             "the hash as a cookie")
# Logout deletes the row.
eq(a2.post("logout").status, 204, "logout")
eq(sql("SELECT COUNT(*) FROM session WHERE user_id = %d" % a.user["id"]),
   [["1"]], "logout removed its session row")

# --- at most 50 sessions a user: the oldest ends ---------------------------------
many = signup("sessions", password=pw)
first = many.sid
eq(many.get("me").status, 200, "the signup's session works")
for i in range(50):
    eq(Client().post("login", {"username": many.name, "password": pw}).status,
       200, "login %d" % (i + 1))
eq(sql("SELECT COUNT(*) FROM session WHERE user_id = %d" % many.user["id"]),
   [["50"]], "51 logins leave the newest 50 sessions")
expect_error(Client(sid=first).get("me"), 401, "unauthorized",
             "the oldest session (the signup's) has ended")

# --- login throttling ------------------------------------------------------------
v = signup("throttle", password=pw)
bystander = signup("bystander", password=pw)
for i in range(10):
    r = Client().post("login", {"username": v.name,
                                "password": "wrong guess %d" % i})
    expect_error(r, 401, "unauthorized", "wrong password %d" % (i + 1))
r = Client().post("login", {"username": v.name, "password": pw})
expect_error(r, 429, "rate_limited", "11th attempt, right password")
eq(r.header("Set-Cookie"), None, "no cookie while throttled")
ra = r.header("Retry-After")
check(ra is not None and ra.isdigit() and 1 <= int(ra) <= 300,
      "429 has Retry-After in seconds (<= the 5 min window)", ra)
r = Client().post("login", {"username": v.name.upper(), "password": pw})
expect_error(r, 429, "rate_limited", "throttled in any letter case")
r = Client().post("login", {"username": bystander.name, "password": pw})
eq(r.status, 200, "another user still logs in")
eq(v.get("me").status, 200, "throttling ends no existing session")
eq(sql("SELECT COUNT(*) FROM session WHERE user_id = %d" % v.user["id"]),
   [["1"]], "no session was made for the throttled user")

# A stolen cookie buys no more guesses: wrong current passwords in
# PATCH /api/me count with the login failures of that user.
x = signup("throttle", password=pw)
for i in range(10):
    expect_error(x.patch("me", {"password": "new password 9",
                                "current_password": "guess %d" % i}),
                 403, "forbidden", "wrong current password %d" % (i + 1))
r = x.patch("me", {"password": "new password 9", "current_password": pw})
expect_error(r, 429, "rate_limited", "11th try, right current password")
check((r.header("Retry-After") or "").isdigit(), "with Retry-After", r.headers)
expect_error(Client().post("login", {"username": x.name, "password": pw}),
             429, "rate_limited", "and the login of that user is throttled too")
eq(x.patch("me", {"bio": "still here"}).status, 200,
   "other profile changes still work")

# Attempts at once count as they start: 40 wrong passwords sent together
# get 10 checked (401) and the rest 429 (the count was read before and
# written after the password check, so every one saw the same count).
w = signup("throttle", password=pw)
racers = [chatlib.in_thread(Client().post, "login",
                            {"username": w.name, "password": "guess %d" % i})
          for i in range(40)]
for t in racers:
    t.join(120)
got = sorted(t.result.status for t in racers if not t.is_alive())
eq((got.count(401), got.count(429), len(got)), (10, 30, 40),
   "40 wrong passwords at once: 10 checked, 30 refused")

# --- browser protections on every answer ---------------------------------------------
for what, r in (("/", Client().get("/")),
                ("/api/health", Client().get("health")),
                ("/api/me", a.get("me")),
                ("a 401", Client().get("me")),
                ("a 404", Client().get("/api/nope"))):
    csp = r.header("Content-Security-Policy") or ""
    check("default-src 'self'" in csp, what + ": CSP default-src 'self'", csp)
    check("script-src 'self'" in csp and "unsafe-inline" not in csp,
          what + ": no inline script allowed", csp)
    check("frame-ancestors 'none'" in csp, what + ": no framing", csp)
    eq(r.header("X-Content-Type-Options"), "nosniff", what + ": nosniff")
eq(Client().get("/").status, 200, "the page is served")
r = a.get("me")
check((r.header("Content-Type") or "").startswith("application/json"),
      "API answers are JSON", r.header("Content-Type"))
eq(r.header("Cache-Control"), "no-store", "API answers are not cached")
# Static files are kept but checked at each use: after an upgrade a browser
# never runs an old module beside a new one.
for path in ("/", "/js/app.js", "/css/app.css"):
    r = Client().get(path)
    eq((r.status, r.header("Cache-Control")), (200, "no-cache"),
       path + ": revalidated at each use")
    tag = r.header("ETag")
    check(tag, path + ": has an ETag to revalidate with", r.headers)
    eq(Client().get(path, headers={"If-None-Match": tag}).status, 304,
       path + ": unchanged, 304 without the body")

# --- GETs that change state come only from scripts ---------------------------------
# The long-polls hand out and ack events: a picture, a link or a form
# pointing at them must not do it with the user's cookie (an avatar of
# /api/poll?ack=... did).  Browsers say what a request is for
# (Sec-Fetch-Dest); without it, what it accepts tells.
v, w = chatlib.signup("gs"), chatlib.signup("gs")
befriend(v, w)
v.drain()
r = w.post("messages", {"to": v.name, "client_id": "gs-1", "body": "keep me"})
eq(r.status, 201, "a message to ack")
evs = v.poll(0)
ids = [e["id"] for e in evs if e["type"] == "message"]
eq(len(ids), 1, "handed out once")
ack = ",".join(map(str, ids))
for what, hdr in (("an image (Fetch Metadata)", {"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors"}),
                  ("a link (Fetch Metadata)", {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}),
                  ("an old browser's image", {"Accept": "image/avif,image/webp,*/*"}),
                  ("an old browser's link", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})):
    for path in ("poll?timeout=0&ack=" + ack, "frames?timeout=0", "cmds?timeout=0"):
        r = v.get(path, headers=hdr)
        expect_error(r, 403, "forbidden", "GET /api/%s as %s" % (path.split("?")[0], what))
eq(len(chatlib.pending_events(v.user["id"], "message")), 1,
   "the event was neither acked nor handed out by them")
for what, hdr in (("fetch()", {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"}),
                  ("a script outside a browser", {}),
                  ("a script asking for JSON", {"Accept": "application/json"})):
    r = v.get("poll?timeout=0", headers=hdr)
    eq(r.status, 200, "GET /api/poll from " + what)
r = v.get("poll?timeout=0&ack=" + ack, headers={"Sec-Fetch-Dest": "empty"})
eq(r.status, 200, "fetch() acks")
check(chatlib.wait_until(lambda: not chatlib.pending_events(v.user["id"], "message"), 5),
      "and the ack went through")

chatlib.done()
