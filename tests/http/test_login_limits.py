"""Login limits that cannot be turned against the owner (issue 26): a
browser that signed in before holds a device token (the did cookie,
HttpOnly, a year; MySQL keeps only its SHA-256), and its logins and
password checks count in that token's own window, so wrong passwords from
elsewhere never lock it out; attempts without one count per user name (10,
then only those are refused) and per address (50, then that address is
refused, whatever the name); a forged, someone else's or expired token
counts as none; a token's own window locks it after 10 failures; attempts
at once count as they start; a user keeps 20 tokens."""
import hashlib
import http.client
import json
import secrets
import time

import chatlib
from chatlib import HOST, PORT, Response, all_at_once, check, eq, \
    expect_error, signup, sql, uniq

PW = "correct horse 1"


class Browser(chatlib.Client):
    """A client that also keeps the did cookie, as a browser does."""

    def __init__(self, did=None):
        super().__init__()
        self.did = did

    def req(self, method, path, body=None, ctype="application/json",
            raw=None, headers=None, timeout=90):
        h = dict(headers or {})
        data = json.dumps(body).encode() if body is not None else (
            b"{}" if method in ("POST", "PATCH", "DELETE") else None)
        if data is not None:
            h["Content-Type"] = ctype
        jar = [k + "=" + v for k, v in (("sid", self.sid), ("did", self.did)) if v]
        if jar:
            h["Cookie"] = "; ".join(jar)
        c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
        try:
            c.request(method, "/api/" + path, body=data, headers=h)
            r = c.getresponse()
            out = Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for k, v in out.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                val = rest.split(";", 1)[0] or None
                if name == "sid":
                    self.sid = val
                elif name == "did":
                    self.did = val
        return out


def login(b, name, pw=PW):
    return b.post("login", {"username": name, "password": pw})


def device_cookie(r):
    for k, v in r.headers:
        if k.lower() == "set-cookie" and v.startswith("did="):
            return v
    return None


def lock_out(name, n=30):
    """An attacker's n wrong passwords for name, from browsers without a
    token: the first 10 are checked, the rest refused."""
    got = [login(Browser(), name, "guess %d" % i).status for i in range(n)]
    eq((got.count(401), got.count(429)), (10, n - 10),
       "%d wrong passwords for %s: 10 checked, the rest 429" % (n, name))


# The windows are fixed 5-minute ones: begin in a fresh one if this one
# ends within 30 s (the checks below, a few seconds, need the counts to
# stay), and from an empty count for this address (earlier tests').
if time.time() % 300 > 270:
    time.sleep(301 - time.time() % 300)
sql("DELETE FROM rate_limit WHERE k = 'login-addr:127.0.0.1'")

# --- the device token: set at signup and login, kept at logout -------------
alice = signup("alice", password=PW)
home = Browser()
r = login(home, alice.name)
eq(r.status, 200, "alice logs in at home")
c = device_cookie(r) or ""
check(home.did and len(home.did) == 43 and "HttpOnly" in c and
      "SameSite=Strict" in c and "Max-Age=31536000" in c and "Path=/api/" in c,
      "the login sets did: 256 bits, HttpOnly, SameSite=Strict, a year", c)
stored = sql("SELECT LOWER(HEX(token_hash)) FROM device WHERE user_id = %d"
             % alice.user["id"])
check([hashlib.sha256(home.did.encode()).hexdigest()] in stored and
      len(stored) == 2, "MySQL holds the token's SHA-256 with its user "
      "(and the signup's browser's)", stored)
check(sql("SELECT COUNT(*) FROM device WHERE token_hash = '%s'" % home.did)
      == [["0"]], "never the token itself")
first = home.did
r = home.post("logout")
eq((r.status, device_cookie(r)), (204, None), "logout keeps the device token")
eq(login(home, alice.name).status, 200, "alice logs in again")
eq(home.did, first, "with the same token")
eq(sql("SELECT COUNT(*) FROM device WHERE user_id = %d" % alice.user["id"]),
   [["2"]], "and no new row")
r = chatlib.Client().post("signup", {"username": uniq("newbie"), "password": PW})
check(r.status == 201 and device_cookie(r) is not None,
      "a signup's browser gets its token too", r.headers)
r = chatlib.Client().post("guest", {"nickname": "visitor"})
check(r.status == 201 and device_cookie(r) is None, "a guest gets none",
      r.headers)

# A second browser of alice's, and bob's: both signed in before the attack.
phone = Browser()
eq(login(phone, alice.name).status, 200, "alice signs in on her phone")
laptop = Browser()
eq(login(laptop, alice.name).status, 200, "and on her laptop")
bob = signup("bob", password=PW)
bobs = Browser()
eq(login(bobs, bob.name).status, 200, "bob signs in")
stale = Browser()
eq(login(stale, alice.name).status, 200, "a browser alice used long ago")
sql("UPDATE device SET used_at = NOW(3) - INTERVAL 400 DAY "
    "WHERE token_hash = UNHEX(SHA2('%s', 256))" % stale.did)
home.post("logout")
phone.post("logout")
laptop.post("logout")

# --- an attacker cannot lock alice out of her browsers ----------------------
lock_out(alice.name)
r = login(Browser(), alice.name)
expect_error(r, 429, "rate_limited", "a new browser, right password: refused")
check((r.header("Retry-After") or "").isdigit() and
      1 <= int(r.header("Retry-After")) <= 300, "with Retry-After", r.headers)
check("too many attempts" in r.json["error"]["message"],
      "saying too many attempts", r.json)
eq(r.header("Set-Cookie"), None, "and no cookie")
r = login(home, alice.name)
eq(r.status, 200, "alice's browser signs in at once, attack or not")
home.post("logout")
eq(login(Browser(secrets.token_urlsafe(32)), alice.name).status, 429,
   "a forged token counts as none")
eq(login(Browser(bobs.did), alice.name).status, 429,
   "bob's token is no token of alice's")
eq(login(stale, alice.name).status, 429,
   "a token unused for more than a year counts as none")
eq(login(Browser(), bob.name).status, 200, "bob is not touched")

# --- a stolen token buys 10 guesses, then it is locked ----------------------
got = [login(phone, alice.name, "guess %d" % i).status for i in range(10)]
eq(got, [401] * 10, "10 wrong passwords with alice's phone's token")
r = login(phone, alice.name)
expect_error(r, 429, "rate_limited", "then the token is locked, right password too")
check("browser" in r.json["error"]["message"], "saying this browser", r.json)
eq(login(home, alice.name).status, 200, "alice's other browser is not")

# --- attempts at once count as they start, in a token's window too ----------
carol = signup("carol", password=PW)
carols = Browser()
eq(login(carols, carol.name).status, 200, "carol signs in")
got = all_at_once(lambda i: login(Browser(carols.did), carol.name,
                                  "guess %d" % i).status,
                  [(i,) for i in range(20)])
eq((got.count(401), got.count(429)), (10, 10),
   "20 wrong passwords at once with one token: 10 checked, 10 refused")

# --- the password change: the signed-in browser's token counts --------------
# home is alice's (signed in above); the pool of strangers is full.
stolen = chatlib.Client(sid=home.sid)
r = stolen.patch("me", {"password": "new password 9", "current_password": PW})
expect_error(r, 429, "rate_limited",
             "the session without its browser's token: the full pool")
r = home.patch("me", {"password": "new password 9", "current_password": "nope"})
expect_error(r, 403, "forbidden", "with the token: checked, wrong")
# Removing the account checks the password the same way: with the token,
# a wrong one is checked (and nothing goes), not refused with the pool.
r = home.req("DELETE", "me", {"password": "nope"})
expect_error(r, 403, "wrong_password", "account removal with the token: checked")
r = stolen.req("DELETE", "me", {"password": PW})
expect_error(r, 429, "rate_limited", "account removal without it: the full pool")
r = home.patch("me", {"password": "new password 9", "current_password": PW})
eq(r.status, 200, "and the right one changes the password")
eq(login(home, alice.name, "new password 9").status, 200,
   "alice logs in with the new one")
# Who knew the old password may hold a token of alice's: a new password
# leaves only the token of the browser that set it.
eq(sql("SELECT LOWER(HEX(token_hash)) FROM device WHERE user_id = %d"
       % alice.user["id"]), [[hashlib.sha256(home.did.encode()).hexdigest()]],
   "a new password forgets alice's other browsers' tokens")
r = login(laptop, alice.name, "new password 9")
expect_error(r, 429, "rate_limited",
             "her laptop's token counts for nothing now (the pool is full)")

# --- failures from one address slow that address ----------------------------
# Every request here comes from 127.0.0.1: start from an empty count and
# leave none behind, for the tests that come after.
key = "login-addr:127.0.0.1"
sql("DELETE FROM rate_limit WHERE k = '%s'" % key)
try:
    got = all_at_once(lambda i: login(Browser(), uniq("nobody"), "x").status,
                      [(i,) for i in range(50)])
    eq(got.count(401), 50, "50 failures from one address, each a new name")
    r = login(Browser(), bob.name)
    expect_error(r, 429, "rate_limited",
                 "then that address is refused, for any user")
    check("address" in r.json["error"]["message"], "saying the address", r.json)
    eq(login(Browser(bobs.did), bob.name).status, 200,
       "a browser that signed in before still can from there")
finally:
    sql("DELETE FROM rate_limit WHERE k = '%s'" % key)

# --- a user keeps 20 tokens, the last used ----------------------------------
dan = signup("dan", password=PW)
old = Browser()
eq(login(old, dan.name).status, 200, "dan's first browser")
sql("UPDATE device SET used_at = NOW(3) - INTERVAL 1 DAY WHERE user_id = %d"
    % dan.user["id"])
for i in range(20):
    login(Browser(), dan.name)
eq(sql("SELECT COUNT(*) FROM device WHERE user_id = %d" % dan.user["id"]),
   [["20"]], "21 browsers later dan has 20 tokens")
lock_out(dan.name, 11)
eq(login(old, dan.name).status, 429, "the least used one went")

chatlib.done()
