"""Bad input over HTTP: 415 without Content-Type: application/json, 413
past 64 KiB, 400 for malformed JSON, non-objects, invalid UTF-8, NUL in a
string, wrong types, too long fields (the 400 names the field), bad user
names; 404 and 405 for unknown routes and methods.  Every error has the
contract's shape, nothing bad is stored, and the backend stays up."""
import json
import os
import random
import socket
import string

import chatlib
from chatlib import Client, check, eq, expect_error, signup, sql, uniq

PW = "correct horse 1"


def registered():
    """Registered accounts (guests come and go with the sweeper)."""
    return int(sql("SELECT COUNT(*) FROM user WHERE guest = 0")[0][0])


def stored(name):
    return int(sql("SELECT COUNT(*) FROM user WHERE username = '%s'"
                   % name)[0][0])


def rnd(n):
    return "".join(random.choice(string.ascii_lowercase + string.digits)
                   for _ in range(n))


def chatd_pid():
    with open(os.path.join(chatlib.STACK_DIR, "run", "chatd.pid")) as f:
        return int(f.read().strip())


def message(r):
    """The error's message (for people) and the field it is about."""
    e = (r.json or {}).get("error") or {}
    return "%s %s" % (e.get("message") or "", e.get("field") or "")


pid0 = chatd_pid()
users0 = registered()
c = Client()

# --- 415: the JSON content type is required ---------------------------------
name = uniq("v415")
body = ('{"username":"%s","password":"%s"}' % (name, PW)).encode()
for ctype in (None, "text/plain", "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x", "application/jsonp",
              "text/json", ""):
    r = c.post("signup", raw=body, ctype=ctype)
    expect_error(r, 415, "unsupported_media_type",
                 "signup with Content-Type %r" % ctype)
    eq(r.header("Set-Cookie"), None, "no cookie from a 415")
r = c.post("signup", raw=("username=%s&password=correct+horse+1" % name).encode(),
           ctype="application/x-www-form-urlencoded")
expect_error(r, 415, "unsupported_media_type", "a form post")
eq(stored(name), 0, "nothing created by the refused signups")

# A logged-in user's form post (a CSRF attempt) changes nothing either.
v = signup("vcsrf", nickname="Victim")
users0 += 1
r = v.patch("me", raw=b'{"nickname":"Pwned"}', ctype="text/plain")
expect_error(r, 415, "unsupported_media_type", "PATCH me as text/plain")
r = v.post("logout", raw=b"", ctype=None)
expect_error(r, 415, "unsupported_media_type", "logout without a type")
r = v.delete("match", raw=b"{}", ctype="text/plain")
expect_error(r, 415, "unsupported_media_type", "DELETE as text/plain")
r = v.get("me")
eq(r.status, 200, "still logged in after refused requests")
eq((r.json or {}).get("nickname"), "Victim", "nickname unchanged by the 415")

# The type may carry parameters and any case.
n2 = uniq("vct")
r = Client().post("signup", {"username": n2, "password": PW},
                  ctype="application/json; charset=utf-8")
eq(r.status, 201, "application/json; charset=utf-8 is JSON")
users0 += 1
n3 = uniq("vct")
r = Client().post("signup", {"username": n3, "password": PW},
                  ctype="Application/JSON")
eq(r.status, 201, "media types are case-insensitive")
users0 += 1

# --- 413: bodies over 64 KiB --------------------------------------------------
def sized(n, name):
    """A signup body of exactly n bytes (the padding is in bio)."""
    head = '{"username":"%s","password":"%s","bio":"' % (name, PW)
    tail = '"}'
    return (head + "b" * (n - len(head) - len(tail)) + tail).encode()


big = uniq("v413")
for n in (64 * 1024 + 1, 64 * 1024 + 1000, 300 * 1024):
    raw = sized(n, big)
    eq(len(raw), n, "body size")
    r = c.post("signup", raw=raw)
    expect_error(r, 413, "too_large", "signup body of %d bytes" % n)
eq(stored(big), 0, "nothing created by the 413s")
# The backend reads what it refuses: lighttpd, cut off while still writing
# the body, logged "connection was dropped" and sent the request again.
errlog = os.path.join(chatlib.STACK_DIR, "log", "lighttpd-error.log")
before = open(errlog, "rb").read().count(b"connection was dropped")
for k in range(8):
    for n in (70 * 1024, 100 * 1024, 900 * 1024):
        expect_error(c.post("signup", raw=sized(n, big)), 413, "too_large",
                     "signup body of %d bytes" % n)
    expect_error(c.post("nope", raw=sized(500 * 1024, big)), 404, "not_found",
                 "a big POST to no route")
    expect_error(c.post("me", raw=sized(500 * 1024, big)), 405,
                 "method_not_allowed", "a big POST to a GET/PATCH route")
    expect_error(c.post("signup", raw=sized(500 * 1024, big), ctype="text/plain"),
                 415, "unsupported_media_type", "a big body, not JSON")
eq(open(errlog, "rb").read().count(b"connection was dropped"), before,
   "lighttpd saw no dropped backend connection")
# Exactly 64 KiB is read and judged: the bio is too long, a 400 naming it.
r = c.post("signup", raw=sized(64 * 1024, big))
expect_error(r, 400, "bad_request", "signup body of exactly 64 KiB")
check("bio" in message(r), "the 400 names bio", r)
eq(stored(big), 0, "nothing created by the 400")

# Above 1 MiB lighttpd refuses the body before the backend sees it; the
# answer is still the JSON error.  (A raw request: only the headers go.)
def raw_http(lines):
    """Send a request head as written (Connection: close), read to EOF."""
    s = socket.create_connection((chatlib.HOST, chatlib.PORT), timeout=30)
    data = b""
    try:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head else 0
    return status, head.decode("latin-1"), body


st, head, body = raw_http([
    "POST /api/signup HTTP/1.1", "Host: x", "Connection: close",
    "Content-Type: application/json", "Content-Length: 2000000"])
eq(st, 413, "a 2 MB body: 413 from lighttpd")
check("application/json" in head.lower(), "... as JSON", head)
eq((json.loads(body or b"{}").get("error") or {}).get("code"), "too_large",
   "... with code too_large")
# Other errors lighttpd answers itself are JSON too.
st, head, body = raw_http(["GET /no-such-file.png HTTP/1.1", "Host: x",
                           "Connection: close"])
eq(st, 404, "a missing static file: 404")
eq((json.loads(body or b"{}").get("error") or {}).get("code"), "not_found",
   "... in JSON")
st, head, body = raw_http(["GET /api/health HTTP/1.1", "Host: x",
                           "Connection: close", "X-Big: " + "a" * 70000])
eq(st, 431, "a 70 KB header: 431")
eq((json.loads(body or b"{}").get("error") or {}).get("code"), "too_large",
   "... in JSON")
# The error page of a POST is never run as a GET of the same path.
st, head, body = raw_http([
    "POST /api/conversations HTTP/1.1", "Host: x", "Connection: close",
    "Content-Type: application/json", "Content-Length: 2000000"])
eq(st, 413, "a 2 MB POST to a path that also has a GET route: still 413")
# A POST with no Content-Length (curl -X POST without -d): lighttpd's 411,
# in JSON, and the route is not run.
st, head, body = raw_http([
    "POST /api/signup HTTP/1.1", "Host: x", "Connection: close",
    "Content-Type: application/json"])
eq(st, 411, "a POST with no Content-Length: 411 from lighttpd")
eq((json.loads(body or b"{}").get("error") or {}).get("code"), "bad_request",
   "... in JSON, code bad_request")

# A method lighttpd does not know, and a query string over 4 KiB: their own
# statuses, not "try again" or "no such endpoint".
st, head, body = raw_http(["FOO /api/health HTTP/1.1", "Host: x",
                           "Connection: close"])
eq((st, (json.loads(body or b"{}").get("error") or {}).get("code")),
   (501, "not_implemented"), "an unknown method: 501 not_implemented")
r = c.get("poll?timeout=0&ack=" + ",".join(str(10**9 + i) for i in range(500)))
expect_error(r, 414, "too_large", "a 5.5 KB query string")

# --- malformed bodies -----------------------------------------------------------
bad_name = uniq("vbad")
for what, raw in (
        ("not JSON", b"username=x&password=y"),
        ("truncated JSON", b'{"username":"%s","password":"%s"' %
         (bad_name.encode(), PW.encode())),
        ("trailing garbage", b'{"username":"%s","password":"%s"} x' %
         (bad_name.encode(), PW.encode())),
        ("two objects", b'{"username":"%s","password":"%s"}{}' %
         (bad_name.encode(), PW.encode())),
        ("trailing comma", b'{"username":"%s","password":"%s",}' %
         (bad_name.encode(), PW.encode())),
        ("JSON array", b'[{"username":"%s","password":"%s"}]' %
         (bad_name.encode(), PW.encode())),
        ("JSON string", b'"hello"'),
        ("JSON number", b"42"),
        ("JSON null", b"null"),
        ("invalid UTF-8", b'{"username":"%s","password":"%s","bio":"\xff\xfe"}'
         % (bad_name.encode(), PW.encode())),
        ("overlong UTF-8", b'{"username":"%s","password":"%s","bio":"\xc0\xaf"}'
         % (bad_name.encode(), PW.encode())),
        ("UTF-8 surrogate", b'{"username":"%s","password":"%s","bio":"\xed\xa0\x80"}'
         % (bad_name.encode(), PW.encode())),
        ("raw NUL", b'{"username":"%s","password":"%s","bio":"a\x00b"}'
         % (bad_name.encode(), PW.encode())),
        # Stored, these were U+FFFD: not the text as sent.
        ("escaped lone surrogate",
         b'{"username":"%s","password":"%s","bio":"\\ud800"}'
         % (bad_name.encode(), PW.encode())),
        ("escaped surrogates the wrong way round",
         b'{"username":"%s","password":"%s","bio":"\\udc00\\ud800"}'
         % (bad_name.encode(), PW.encode())),
        ("deep nesting", b'{"username":"%s","password":"%s","x":%s1%s}'
         % (bad_name.encode(), PW.encode(), b'{"a":' * 20, b"}" * 20)),
        ("nesting of 100 arrays", b'{"username":"%s","password":"%s","x":%s1%s}'
         % (bad_name.encode(), PW.encode(), b"[" * 100, b"]" * 100)),
):
    r = c.post("signup", raw=raw)
    expect_error(r, 400, "bad_request", "signup with " + what)
eq(stored(bad_name), 0, "nothing created by malformed bodies")

# An empty body is {}: the required fields are missing.
r = c.post("signup", raw=b"")
expect_error(r, 400, "bad_request", "signup with an empty body")
check("username" in message(r), "the 400 names username", r)

# --- NUL and controls inside strings -----------------------------------------
for field, value in (("username", "ab\u0000cd"), ("password", "pass\u0000word1"),
                     ("nickname", "nick\u0000"), ("bio", "\u0000"),
                     ("email", "a@b.c\u0000"), ("location", "x\u0000y"),
                     ("nickname", "a\nb"), ("nickname", "a\u001bb"),
                     ("location", "a\tb"), ("bio", "a\u0007b")):
    body = {"username": bad_name, "password": PW}
    body[field] = value
    r = c.post("signup", body)
    expect_error(r, 400, "bad_request", "signup with %s=%r" % (field, value))
    check(field in message(r), "the 400 names %s" % field, r)
eq(stored(bad_name), 0, "nothing created by NUL or controls")

# --- too long, exactly at the cap -------------------------------------------------
caps = (("nickname", "n", 64), ("email", None, 254),
        ("avatar_url", None, 512), ("location", "l", 128),
        ("bio", "b", 1000), ("public_key", "k", 8192))


def at_len(field, unit, n):
    if field == "email":
        return "e" * (n - len("@example.org")) + "@example.org"
    if field == "avatar_url":   # only the server's picture path is taken
        return ("/api/pictures/" + "e" * 64 if n <= 512 else
                "https://example.org/" + "p" * (n - len("https://example.org/")))
    return unit * n


for field, unit, cap in caps:
    body = {"username": bad_name, "password": PW, field: at_len(field, unit, cap + 1)}
    r = c.post("signup", body)
    expect_error(r, 400, "bad_request", "%s of %d characters" % (field, cap + 1))
    check(field in message(r), "the 400 names " + field, r)
eq(stored(bad_name), 0, "nothing created by too long fields")

# Characters, not bytes: exactly at each cap with multibyte text is fine,
# and comes back (and is stored) intact.
ok_name = uniq("vcap")
body = {"username": ok_name, "password": PW,
        "nickname": "\U0001F600" * 64, "location": "\u00fc" * 128,
        "bio": "\u20ac" * 1000, "public_key": "k" * 8192,
        "email": at_len("email", None, 254),
        "avatar_url": at_len("avatar_url", None, 512)}
r = Client().post("signup", body)
eq(r.status, 201, "every field exactly at its cap")
users0 += 1
for k in ("nickname", "location", "bio", "public_key", "email", "avatar_url"):
    eq((r.json or {}).get(k), body[k], "at the cap, %s comes back intact" % k)
eq(sql("SELECT HEX(nickname), CHAR_LENGTH(bio) FROM user WHERE username = '%s'"
       % ok_name), [[body["nickname"].encode().hex().upper(), "1000"]],
   "stored intact (4-byte characters too)")
r = Client().post("signup", {"username": uniq("vcap"), "password": PW,
                             "nickname": "\U0001F600" * 65})
expect_error(r, 400, "bad_request", "nickname of 65 emoji")

# Passwords are capped in bytes: 8..1024.
for pw, want in (("p" * 7, 400), ("\u00e9" * 3 + "p", 400), ("p" * 1025, 400),
                 ("p" * 8, 201), ("\u00e9" * 512, 201)):
    n = uniq("vpw")
    r = Client().post("signup", {"username": n, "password": pw})
    eq(r.status, want, "password of %d bytes" % len(pw.encode()))
    if want == 400:
        expect_error(r, 400, "bad_request", "bad password length")
        check("password" in message(r), "the 400 names password", r)
        eq(stored(n), 0, "no account with a bad password")
    else:
        users0 += 1
        eq(Client().post("login", {"username": n, "password": pw}).status, 200,
           "log in with a password of %d bytes" % len(pw.encode()))

# --- user names ---------------------------------------------------------------------
for bad in ("", "ab", "a", "x" * 33, "a b", "ab/c", "ab@c", "a\u00e9b", "<b>x",
            "ab?c", "ab%2Fc", "..%2f", "ab\\c", "ab'c", "ab;c", "abc ", " abc",
            "\u0430\u0431\u0432", "ab\tc"):
    r = c.post("signup", {"username": bad, "password": PW})
    expect_error(r, 400, "bad_request", "user name %r" % bad)
    check("username" in message(r), "the 400 names username", r)
for good in (rnd(3), "A.b-C_" + rnd(26), rnd(1) + "." + rnd(1)):
    r = Client().post("signup", {"username": good, "password": PW})
    eq(r.status, 201, "user name %r (%d characters)" % (good, len(good)))
    eq((r.json or {}).get("username"), good, "user name kept as typed")
    eq(stored(good), 1, "user name %r stored" % good)
    users0 += 1
eq(sql("SELECT COUNT(*) FROM user WHERE username IN ('ab', 'a b', 'ab/c')"),
   [["0"]], "no bad user name stored")

# --- wrong types ----------------------------------------------------------------------
wt = uniq("vtype")
for what, body in (
        ("number username", {"username": 12345, "password": PW}),
        ("array username", {"username": [wt], "password": PW}),
        ("object username", {"username": {"n": wt}, "password": PW}),
        ("boolean username", {"username": True, "password": PW}),
        ("null username", {"username": None, "password": PW}),
        ("number password", {"username": wt, "password": 12345678}),
        ("missing password", {"username": wt}),
        ("number nickname", {"username": wt, "password": PW, "nickname": 7}),
        ("array bio", {"username": wt, "password": PW, "bio": ["x"]}),
        ("boolean email", {"username": wt, "password": PW, "email": False})):
    r = c.post("signup", body)
    expect_error(r, 400, "bad_request", "signup with " + what)
eq(stored(wt), 0, "nothing created by wrong types")
for what, body in (("number username", {"username": 1, "password": PW}),
                   ("missing password", {"username": wt}),
                   ("null password", {"username": wt, "password": None})):
    r = c.post("login", body)
    expect_error(r, 400, "bad_request", "login with " + what)
    eq(r.header("Set-Cookie"), None, "no cookie")
r = c.post("guest", {"nickname": 5})
expect_error(r, 400, "bad_request", "guest with a number nickname")

# A bad PATCH changes nothing.
p = signup("vpatch", nickname="Keep", bio="keep me")
users0 += 1
before = sql("SELECT nickname, bio, email, avatar_url, location, public_key, "
             "password_hash FROM user WHERE id = %d" % p.user["id"])
for body in ({"nickname": ""}, {"nickname": "x" * 65}, {"bio": 5},
             {"email": "not an email"}, {"avatar_url": "javascript:alert(1)"},
             {"avatar_url": "data:text/html,x"}, {"nickname": "ok", "bio": "\u0000"},
             {"password": "p" * 1025, "current_password": p.password}):
    r = p.patch("me", body)
    expect_error(r, 400, "bad_request", "PATCH me %r" % (body,))
r = p.patch("me", raw=b"[1,2]")
expect_error(r, 400, "bad_request", "PATCH me with an array")
r = p.patch("me", raw=b'{"nickname":"\xff"}')
expect_error(r, 400, "bad_request", "PATCH me with bad UTF-8")
eq(sql("SELECT nickname, bio, email, avatar_url, location, public_key, "
       "password_hash FROM user WHERE id = %d" % p.user["id"]), before,
   "bad PATCHes changed nothing")

# --- routes: 404, 405 --------------------------------------------------------------
for path in ("/api/nope", "/api/", "/api/me/", "/api/health/", "/api/users/",
             "/api/conversations/abc", "/api/conversations/1x/messages",
             "/api/friends/requests/x/accept"):
    r = p.get(path)
    expect_error(r, 404, "not_found", "GET " + path)
r = Client().post("/api/nope", {})
expect_error(r, 404, "not_found", "POST to an unknown route")
for method, path, allow in (("GET", "/api/signup", {"POST"}),
                            ("PUT", "/api/me", {"GET", "PATCH", "DELETE"}),
                            ("POST", "/api/health", {"GET"}),
                            ("GET", "/api/match", {"POST", "DELETE"})):
    r = p.req(method, path, {} if method != "GET" else None)
    expect_error(r, 405, None, "%s %s" % (method, path))
    got = {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}
    eq(got, allow, "Allow of %s %s" % (method, path))

# --- nothing bad was stored, nothing crashed ------------------------------------------
eq(registered(), users0, "registered users: only the good signups were added")
eq(chatd_pid(), pid0, "chatd is the same process (no crash, no restart)")
r = Client().get("health")
eq(r.status, 200, "health after all that")
eq(r.json, {"ok": True, "db": True}, "health body")

chatlib.done()
