"""Ending sessions everywhere at once (issue 21, item 5).

A password change and "log out everywhere" end the other sessions in every
backend process and on every host at once: the very next request of an
ended session is 401, wherever it lands, and a poll of that session that
was waiting ends with 401 instead of handing out what comes next.  The
change here is made by chatd run as CGI with a run folder of its own, so
it is another process on what looks like another host; the ended session
had just been seen by the FastCGI backend, which trusts a session it
looked up for 5 s while it is the only chat node: the watcher's wake for
the sessions_ended event makes it look again within CHAT_WATCH_MS.  A
change made by the same process or another on the same host is seen at
the very next request.
"""
import os
import tempfile
import time

import chatlib
from chatlib import Client, check, eq, signup, in_thread


def login(name, password):
    c = Client()
    r = c.post("login", {"username": name, "password": password})
    check(r.status == 200, "login 200", r)
    c.name = name
    return c


def waiting_poll(c):
    """A poll of c's that waits (no events pending): (thread, start time)."""
    c.drain()
    t0 = time.time()
    t = in_thread(lambda: c.get("poll?timeout=20", timeout=40))
    time.sleep(0.8)  # parked by now
    check(t.is_alive(), "the poll waits")
    return t, t0


other_host = tempfile.mkdtemp(prefix="chat-other-host.")

# --- a password change made on another host
a = signup("se")
b = login(a.name, a.password)
c = login(a.name, a.password)
eq(b.get("me").status, 200, "second device signed in")
t, t0 = waiting_poll(b)
eq(c.get("me").status, 200, "third device signed in")

r = chatlib.cgi("PATCH", "/api/me", {"password": "a new secret 2",
                "current_password": a.password}, sid=a.sid, run_dir=other_host)
eq(r.status, 200, "password changed through another host's process")


def out_within(cl, limit):
    """Seconds until cl's requests get 401 (None: not within limit).
    chatd, alone, trusts a session it looked up for up to 5 s; a change
    made on another host reaches it by the watcher (CHAT_WATCH_MS, 200 ms
    here), which makes it look again."""
    t0 = time.time()
    while time.time() - t0 < limit:
        if cl.get("me").status == 401:
            return time.time() - t0
        time.sleep(0.05)
    return None


took = out_within(b, 1.5)
check(took is not None, "the second device is out within the watcher's "
      "period, not the session cache's 5 s", took)
eq(c.get("me").status, 401, "the third device too")
eq(a.get("me").status, 200, "the device that changed it stays in")
t.join(10)
check(not t.is_alive(), "the waiting poll of an ended session ends")
if not t.is_alive():
    eq(t.result.status, 401, "and it is 401, not events")
    check(time.time() - t0 < 6, "within a few seconds (watcher)",
          time.time() - t0)
ev = a.wait_for(lambda e: e["type"] == "sessions_ended", timeout=5)
check(ev is not None, "the remaining session is told: sessions_ended")
if ev:
    eq(ev.get("reason"), "password", "reason")
eq(chatlib.cgi("GET", "/api/me", sid=b.sid).status, 401,
   "a CGI process on this host refuses the ended session too")

# Messages sent to the user after the change reach only live sessions:
# the ended one's next poll is 401.
eq(b.get("poll?timeout=0").status, 401, "ended session polls: 401")

# --- log out everywhere
d = login(a.name, "a new secret 2")
e = login(a.name, "a new secret 2")
t, t0 = waiting_poll(e)
r = d.post("logout", {"all": "yes"})
eq(r.status, 400, "all must be a boolean")
eq(d.get("me").status, 200, "a bad request changes nothing")
eq(e.get("me").status, 200, "not for the other device either")
check(t.is_alive(), "and the other device's poll still waits")
r = d.post("logout", {"all": True})
eq(r.status, 204, "logout everywhere 204")
check(d.sid is None, "its cookie expired")
eq(e.get("me").status, 401, "the other device is out at once")
eq(a.get("me").status, 401, "and the first one")
t.join(5)
check(not t.is_alive(), "the other device's waiting poll ends at once")
if not t.is_alive():
    eq(t.result.status, 401, "with 401")
    check(time.time() - t0 < 4, "within a few seconds", time.time() - t0)
eq(chatlib.cgi("GET", "/api/me", sid=e.sid, run_dir=other_host).status, 401,
   "another host refuses it too")
rows = chatlib.sql("SELECT COUNT(*) FROM session s JOIN user u ON u.id = s.user_id "
                   "WHERE u.username = '%s'" % a.name)
eq(int(rows[0][0]), 0, "no session of the user is left in MySQL")

# A change made by another process on this host (a CGI process sharing the
# run folder) reaches chatd by its wake: the very next request is 401.
h = login(a.name, "a new secret 2")
i = login(a.name, "a new secret 2")
eq(i.get("me").status, 200, "signed in, just looked up by chatd")
r = chatlib.cgi("PATCH", "/api/me", {"password": "a new secret 3",
                "current_password": "a new secret 2"}, sid=h.sid)
eq(r.status, 200, "password changed by a CGI process on this host")
eq(i.get("me").status, 401, "the other device is out at its next request")

# Plain logout still ends only its own session.
f = login(a.name, "a new secret 3")
g = login(a.name, "a new secret 3")
eq(f.post("logout").status, 204, "logout 204")
eq(f.get("me").status, 401, "that session ended")
eq(g.get("me").status, 200, "the other stays")

chatlib.done()
