"""Restart (runs last: it stops and starts the whole stack).  While
MariaDB is down (killed), every answer is a 503 `unavailable` with
Retry-After, /api/health's too.  A session cookie keeps working across a
full restart of MariaDB, chatd and lighttpd; accounts, profiles, changed
passwords, friendships, conversations and messages are all there
afterwards; a logged-out cookie stays dead.  `make run` (stack.sh run)
watches every part: when MariaDB dies it says so and starts it again, and
chatd connects again by itself (test_zz_heal: the other parts)."""
import os
import signal
import time

import chatlib
from chatlib import Client, befriend, check, eq, expect_error, signup

a = signup("rs", nickname="Before Restart", bio="persisted \u2713",
           email="rs@example.org")
b = signup("rs")
conv = befriend(a, b)
r = a.post("messages", {"to": b.name, "client_id": "restart-1",
                        "body": "sent before the restart \U0001F4BE"})
eq(r.status, 201, "message before the restart")
msg = r.json or {}

# A password change before the restart.
eq(b.patch("me", {"password": "changed pass 9",
                  "current_password": b.password}).status, 200,
   "password change")
b.password = "changed pass 9"

# A logged-out session.
gone = Client()
eq(gone.post("login", {"username": a.name, "password": a.password}).status,
   200, "second login")
dead_sid = gone.sid
eq(gone.post("logout").status, 204, "logout")

me_before = a.get("me").json
a_sid, b_sid = a.sid, b.sid
names = {"a": a.name, "b": b.name, "apw": a.password}

# MariaDB dies (as in a crash): clear 503s, and the rest keeps answering.
pid = int(open(os.path.join(chatlib.STACK_DIR, "run", "mariadb.pid")).read())
os.kill(pid, signal.SIGKILL)
r = chatlib.wait_until(lambda: (lambda r: r if r.status == 503 else None)(
    Client().get("health")), timeout=15)
check(r is not None, "health answers 503 with MariaDB gone")
if r is not None:
    eq((r.json or {}).get("ok"), False, "health says not ok")
    eq(r.header("Retry-After"), "1", "health's 503 has Retry-After")
r = a.get("conversations")
expect_error(r, 503, "unavailable", "a request that needs the database")
eq(r.header("Retry-After"), "1", "its 503 has Retry-After")

chatlib.restart()

# The stack answers again.
end = time.time() + 30
while time.time() < end:
    try:
        if Client().get("health").status == 200:
            break
    except OSError:
        pass
    time.sleep(0.2)
eq(Client().get("health").status, 200, "the stack is back")

# Same cookies, same users.
a = Client(sid=a_sid)
a.name, a.password = names["a"], names["apw"]
r = a.get("me")
eq(r.status, 200, "the session survives the restart")
for k in ("id", "username", "nickname", "bio", "email", "avatar_url",
          "location", "public_key", "guest"):
    eq((r.json or {}).get(k), me_before.get(k), "after restart, me " + k)
b = Client(sid=b_sid)
b.name = names["b"]
eq(b.get("me").status, 200, "the other user's session survives too")
expect_error(Client(sid=dead_sid).get("me"), 401, "unauthorized",
             "a logged-out cookie stays dead after the restart")

# Friendship and messages.
r = a.get("users/" + b.name)
eq((r.json or {}).get("friend"), True, "still friends")
r = a.get("friends")
eq(r.status, 200, "friends list")
check(b.name in [f.get("username") for f in (r.json or {}).get("friends", [])],
      "the friend is listed", r)
r = b.get("conversations/%d/messages" % conv)
eq(r.status, 200, "history after the restart")
got = (r.json or {}).get("messages", [])
eq([(m.get("id"), m.get("body"), m.get("sender")) for m in got],
   [(msg.get("id"), "sent before the restart \U0001F4BE", a.name)],
   "the message is there, once")
# The same client_id after the restart is still the same message.
r = a.post("messages", {"to": b.name, "client_id": "restart-1",
                        "body": "sent before the restart \U0001F4BE"})
eq(r.status, 200, "resend after the restart answers 200")
eq((r.json or {}).get("id"), msg.get("id"), "resend: the first message")
r = b.get("conversations/%d/messages" % conv)
eq(len((r.json or {}).get("messages", [])), 1, "no second copy")

# Passwords: the changed one works, the old one does not.
r = Client().post("login", {"username": b.name, "password": "changed pass 9"})
eq(r.status, 200, "the changed password logs in after the restart")
r = Client().post("login", {"username": a.name, "password": a.password})
eq(r.status, 200, "a's password logs in after the restart")

# New work after the restart.
r = b.post("messages", {"to": a.name, "client_id": "restart-2",
                        "body": "after"})
eq(r.status, 201, "a new message after the restart")
eq((r.json or {}).get("seq"), (msg.get("seq") or 0) + 1,
   "seq continues after the restart")

# `make run` in front of this stack (everything is up, so it starts
# nothing): MariaDB dies, and it names it and starts it again instead of
# serving 503s for ever; chatd connects again by itself.
log_path = os.path.join(chatlib.STACK_DIR, "log", "run-watch.log")
run, serving = chatlib.stack_run(log_path)
check(serving, "make run serves the running stack", open(log_path).read())
pid = int(open(os.path.join(chatlib.STACK_DIR, "run", "mariadb.pid")).read())
os.kill(pid, signal.SIGKILL)


def healthy():
    try:
        r = Client().get("health", timeout=5)
    except OSError:
        return False
    return r.status == 200 and r.json == {"ok": True, "db": True}


check(chatlib.wait_until(lambda: "mariadb (pid %d) went" % pid in open(log_path).read(),
                         timeout=15), "it says MariaDB went", open(log_path).read())
check(chatlib.wait_until(healthy, timeout=40), "MariaDB is started again, chatd uses it",
      open(log_path).read())
eq(run.poll(), None, "make run goes on")
r = a.get("conversations")
eq(r.status, 200, "a request that needs the database")
run.send_signal(signal.SIGTERM)
eq(chatlib.exit_status(run), 0, "a TERM ends make run")
try:
    gone = Client().get("health", timeout=5).status
except OSError:
    gone = "refused"
eq(gone, "refused", "and stops every part")
chatlib.stack("start")
eq(Client().get("health").status, 200, "started again for the tests after")

chatlib.done()
