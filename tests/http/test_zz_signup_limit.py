"""New accounts per address (runs last: it restarts the stack with a limit
of 3, then as it was).  Signups, guests and the seed adapters' accounts
from one address share CHAT_SIGNUP_LIMIT a 5-minute window; past it each
way answers 429 rate_limited with Retry-After and creates nothing, while
existing users log in and send as before."""
import json
import os

import chatlib
from chatlib import Client, befriend, check, eq, expect_error, sql, uniq

PASS = "correct horse 1"
before = os.environ.get("CHAT_SIGNUP_LIMIT")


def restart_with(limit):
    """Restart with limit (None: unset); stack.sh start returns once
    /api/health answers."""
    if limit is None:
        os.environ.pop("CHAT_SIGNUP_LIMIT", None)
    else:
        os.environ["CHAT_SIGNUP_LIMIT"] = limit
    chatlib.restart()


def users_named(name):
    return int(sql("SELECT COUNT(*) FROM user WHERE username='%s'" % name)[0][0])


def seed003_signup(c, name):
    content = {"userName": name, "hashValue": "thisisapasswordhash",
               "emailAddress": "a@example.org", "nickName": name}
    return c.post("frame", {"MID": "sl-" + name, "TYPE": "1",
                            "CONTENT": json.dumps(content)})


a, b = chatlib.signup("sl"), chatlib.signup("sl")
befriend(a, b)
sql("DELETE FROM rate_limit WHERE k LIKE 'signup-addr:%'")   # a rerun
restart_with("3")
try:
    # Three accounts from this address, one of each kind but the last.
    n1 = uniq("sl")
    r = Client().post("signup", {"username": n1, "password": PASS})
    eq(r.status, 201, "1st: a signup")
    r = Client().post("guest", {"nickname": "Moon"})
    eq(r.status, 201, "2nd: a guest")
    r = Client().post("cmd", {"cmd": "CRT_ACCOUNT", "nickName": "Sun"})
    eq(r.status, 200, "3rd: seed 002's CRT_ACCOUNT")

    # The fourth, any way, is refused and creates nothing.
    n4 = uniq("sl")
    r = Client().post("signup", {"username": n4, "password": PASS})
    expect_error(r, 429, "rate_limited", "4th signup")
    after = int(r.header("Retry-After") or 0)
    check(1 <= after <= 300, "Retry-After within the window", after)
    eq(users_named(n4), 0, "the refused signup created no user")
    guests = int(sql("SELECT COUNT(*) FROM user WHERE guest=1")[0][0])
    expect_error(Client().post("guest", {"nickname": "Star"}), 429,
                 "rate_limited", "a guest past the limit")
    r = Client().post("cmd", {"cmd": "CRT_ACCOUNT", "nickName": "Star"})
    eq(r.status, 429, "CRT_ACCOUNT past the limit")
    j = r.json or {}
    eq((j.get("cmd"), j.get("code"), (j.get("error") or {}).get("code")),
       ("CRT_ACCOUNT", 429, "rate_limited"), "in seed 002's refusal form")
    check(r.header("Retry-After"), "with Retry-After", r.headers)
    eq(int(sql("SELECT COUNT(*) FROM user WHERE guest=1")[0][0]), guests,
       "no guest created past the limit")
    n5 = uniq("sl")
    r = seed003_signup(Client(), n5)
    eq(r.status, 429, "seed 003's signup frame past the limit")
    eq(users_named(n5), 0, "and no user")

    # Existing users are not affected.
    c = Client()
    r = c.post("login", {"username": a.name, "password": a.password})
    eq(r.status, 200, "an existing user logs in")
    c.name = a.name
    r = c.post("messages", {"to": b.name, "client_id": "sl-1", "body": "hi"})
    eq(r.status, 201, "and sends")
    eq(Client().post("login", {"username": n1, "password": PASS}).status,
       200, "the account made before the limit logs in")
finally:
    restart_with(before)

chatlib.done()
