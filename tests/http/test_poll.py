"""Long-poll: a parked poll wakes at once on a send (through chatd, through a
second backend process, from another host via the database watcher); acks
remove events and only the owner's ack counts; unacked events come back
after CHAT_RESEND_S; the newest poll of a session wins; bad input is 400."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import chatlib
from chatlib import befriend, check, eq, signup, sql

RESEND_S = int(os.environ.get("CHAT_RESEND_S", "2"))


def timed_poll(c, timeout, ack=None):
    """GET /api/poll; returns (response, seconds it took)."""
    q = "poll?timeout=%d" % timeout
    if ack:
        q += "&ack=" + ",".join(str(i) for i in ack)
    t = time.time()
    try:
        r = c.get(q, timeout=timeout + 30)
    except Exception as ex:     # noqa: BLE001
        r = ex
    return r, time.time() - t


def parked(c, timeout=20):
    """Start a poll in a thread and give it time to park."""
    t = chatlib.in_thread(timed_poll, c, timeout)
    time.sleep(1.0)
    return t


def uid(c):
    return c.user["id"]


def woken(t, what, body):
    """The parked poll t returned soon with the message body."""
    start = time.time()
    t.join(25)
    took = time.time() - start
    check(not t.is_alive(), what + ": poll returned")
    if t.is_alive():
        return None
    r, _ = t.result
    check(getattr(r, "status", None) == 200, what + ": poll 200", r)
    evs = (getattr(r, "json", None) or {}).get("events", [])
    check(took < 3, what + ": returned well before its timeout (%.2f s)"
          % took, took)
    bodies = [e["message"]["body"] for e in evs if e.get("type") == "message"]
    check(body in bodies, what + ": poll carries the message", evs)
    return evs


def event_rows(ids):
    if not ids:
        return []
    return sql("SELECT id FROM event WHERE id IN (%s) ORDER BY id"
               % ",".join(str(i) for i in ids))


a, b = signup("pa"), signup("pb")
conv = befriend(a, b)
# a only sends; polling in the background keeps a online, so that the
# sweeper (CHAT_IDLE_S=4 here) sends b no presence events between messages.
a_online = chatlib.Listener(a)
b.drain()

# --- timeout=0, bad timeouts, bad acks -------------------------------------------
t0 = time.time()
r = b.get("poll?timeout=0")
eq(r.status, 200, "timeout=0")
eq((r.json or {}).get("events"), [], "timeout=0 with nothing pending")
check(time.time() - t0 < 1.5, "timeout=0 returns at once", time.time() - t0)
for q in ("timeout=bad", "timeout=1.5", "timeout=", "ack=x", "ack=1,,2",
          "ack=,1", "ack=1,"):
    r = b.get("poll?" + q)
    eq(r.status, 400, "poll?" + q)
for body in ({"ids": 5}, {"ids": "1,2"}, {}, {"ids": ["x"]}, {"ids": [1.5]},
             {"ids": [-1]}, {"ids": {"1": 1}}):
    r = b.post("ack", body)
    eq(r.status, 400, "POST /api/ack %r" % (body,))
r = b.post("ack", {"ids": []})
eq(r.status, 204, "POST /api/ack with no ids")
r = b.post("ack", raw=b"[1,2]")
eq(r.status, 400, "POST /api/ack with a bare array")
r = b.post("ack", {"ids": [1]}, ctype="text/plain")
eq(r.status, 415, "POST /api/ack without JSON content type")
r = chatlib.Client().get("poll?timeout=0")
eq(r.status, 401, "poll without a session")

# --- pending events answer at once -------------------------------------------------
r = a.post("messages", {"to": b.name, "client_id": "p-0", "body": "waiting"})
eq(r.status, 201, "send p-0")
r, took = timed_poll(b, 20)
check(took < 2, "poll with a pending event answers at once", took)
evs = (getattr(r, "json", None) or {}).get("events", [])
eq([e["message"]["body"] for e in evs], ["waiting"], "pending event")
b.post("ack", {"ids": [e["id"] for e in evs]})

# --- a parked poll wakes on a send --------------------------------------------------
t = parked(b)
r = a.post("messages", {"to": b.name, "client_id": "p-1", "body": "wake up"})
eq(r.status, 201, "send p-1")
evs = woken(t, "send through chatd", "wake up")
if evs:
    b.post("ack", {"ids": [e["id"] for e in evs]})

# --- woken by a send through a second backend process (plain CGI) ----------------
t = parked(b)
r = chatlib.cgi("POST", "/api/messages", {"to": b.name, "client_id": "p-2",
                                          "body": "via cgi"}, sid=a.sid)
eq(r.status, 201, "send through a CGI process")
evs = woken(t, "send through a second process", "via cgi")
if evs:
    b.post("ack", {"ids": [e["id"] for e in evs]})

# --- woken by a send from another host (the database watcher) --------------------
other = tempfile.mkdtemp(prefix="chat-otherhost.")
try:
    t = parked(b)
    r = chatlib.cgi("POST", "/api/messages", {"to": b.name, "client_id": "p-3",
                                              "body": "from afar"},
                    sid=a.sid, run_dir=other)
    eq(r.status, 201, "send from another host")
    evs = woken(t, "send from another host", "from afar")
    if evs:
        b.post("ack", {"ids": [e["id"] for e in evs]})
    # A friend request from the other host wakes too (not only messages).
    c = signup("pc")
    t = parked(c)
    r = chatlib.cgi("POST", "/api/friends/requests", {"to": c.name,
                                                      "text": "far"},
                    sid=a.sid, run_dir=other)
    eq(r.status, 201, "friend request from another host")
    t.join(25)
    r, took = t.result if not t.is_alive() else (None, 99)
    evs = (getattr(r, "json", None) or {}).get("events", [])
    check(took < 4, "other-host friend request wakes the poll (%.2f s)" % took)
    eq([e.get("type") for e in evs], ["friend_request"], "its event")
finally:
    shutil.rmtree(other, ignore_errors=True)

# --- another host's event that commits after a higher id was seen -----------------
# Ids are handed out at insert, not at commit: a host's transaction (a send
# batch still storing its other items, a lock wait) may commit an event
# after the watcher saw a higher id.  The poll must still wake at once.
far = 4242      # an origin no backend here has
d, e = signup("pd"), signup("pe")
t = parked(d, timeout=15)
slow = subprocess.Popen(chatlib.mariadb("--unbuffered"), stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)
slow.stdin.write("START TRANSACTION;\n"
                 "INSERT INTO event (user_id, type, payload, origin) VALUES "
                 "(%d, 'note', '{\"text\":\"late\"}', %d);\n"
                 "SELECT LAST_INSERT_ID();\n" % (uid(d), far))
slow.stdin.flush()
late_id = int(slow.stdout.readline())
sql("INSERT INTO event (user_id, type, payload, origin) VALUES "
    "(%d, 'note', '{}', %d)" % (uid(e), far))
check(int(sql("SELECT MAX(id) FROM event")[0][0]) > late_id,
      "a higher id committed first")
time.sleep(1.5)     # CHAT_WATCH_MS=200: the watcher looks past late_id
slow.stdin.write("COMMIT;\n")
slow.stdin.close()
slow.wait(10)
start = time.time()
t.join(20)
took = time.time() - start
r, _ = t.result if not t.is_alive() else (None, 0)
evs = (getattr(r, "json", None) or {}).get("events", [])
eq([(x.get("type"), x.get("id")) for x in evs], [("note", late_id)],
   "the late commit reaches the parked poll")
check(took < 3, "woken at once, not at the poll timeout (%.2f s)" % took, took)
d.post("ack", {"ids": [late_id]})
e.drain()

# --- an ack removes the event for good ------------------------------------------------
r = a.post("messages", {"to": b.name, "client_id": "p-4", "body": "ack me"})
eid_msg = r.json["id"]
evs = b.poll(5)
mine = [e["id"] for e in evs if e.get("type") == "message" and
        e["message"]["id"] == eid_msg]
eq(len(mine), 1, "got p-4")
eq(event_rows(mine), [[str(i)] for i in mine], "row there before the ack")
r = b.post("ack", {"ids": mine + [e["id"] for e in evs]})
eq(r.status, 204, "ack 204")
eq(event_rows(mine), [], "acked row gone from the event table")
time.sleep(RESEND_S + 1.5)
evs = b.poll(0)
check(not [e for e in evs if e["id"] in mine], "acked event never comes back",
      evs)

# --- ?ack= on the next poll acks ------------------------------------------------------
r = a.post("messages", {"to": b.name, "client_id": "p-5", "body": "ack by poll"})
evs = b.poll(5)
ids = [e["id"] for e in evs]
check(len(ids) == 1, "got p-5", evs)
r, took = timed_poll(b, 0, ack=ids)
eq(getattr(r, "status", None), 200, "poll with ack=")
# A poll's acks are deleted by the marker thread a few ms later, in a batch.
check(chatlib.wait_until(lambda: event_rows(ids) == [], timeout=5),
      "?ack= removed the row", event_rows(ids))
evs = b.poll(0)
check(not [e for e in evs if e["id"] in ids],
      "poll-acked event not handed out again at once", evs)
time.sleep(RESEND_S + 1.5)
evs = b.poll(0)
check(not [e for e in evs if e["id"] in ids], "poll-acked event never comes back",
      evs)

# --- handed out, not acked: comes back after CHAT_RESEND_S with the same id -----------
r = a.post("messages", {"to": b.name, "client_id": "p-6", "body": "again"})
evs = b.poll(5)
eq([e["message"]["body"] for e in evs], ["again"], "got p-6")
first = evs[0] if evs else {}
t0 = time.time()
evs2 = b.poll(0)
eq(evs2, [], "in flight: not handed out again right away")
# An admin sees it in the resend queue: sent_at set, sent once.
check(chatlib.wait_until(lambda: sql(
    "SELECT attempts FROM event WHERE id=%d AND sent_at IS NOT NULL"
    % first.get("id", 0)) == [["1"]], timeout=3),
    "handed out, not acked: stamped sent once")
r, took = timed_poll(b, RESEND_S + 8)
evs3 = (getattr(r, "json", None) or {}).get("events", [])
eq([e["id"] for e in evs3], [first.get("id")], "resent with the same id")
if evs3:
    eq(evs3[0], first, "resent event is the same event")
since = time.time() - t0
check(RESEND_S - 0.5 <= since < RESEND_S + 4,
      "resent after about CHAT_RESEND_S (%.2f s)" % since, since)

# --- another user's ack of my event does nothing ---------------------------------------
mallory = signup("pm")
r = mallory.post("ack", {"ids": [first["id"]]})
eq(r.status, 204, "foreign ack answers 204")
r = mallory.get("poll?timeout=0&ack=%d" % first["id"])
eq(r.status, 200, "foreign ack by poll answers 200")
eq(event_rows([first["id"]]), [[str(first["id"])]],
   "foreign ack leaves my row alone")
eq(r.json.get("events"), [], "and shows nothing of mine")
r, took = timed_poll(b, RESEND_S + 8)
evs = (getattr(r, "json", None) or {}).get("events", [])
eq([e["id"] for e in evs], [first["id"]], "still delivered to me")
b.post("ack", {"ids": [first["id"]]})
eq(event_rows([first["id"]]), [], "my own ack removes it")

# --- a parked poll's answer is whole, however long ---------------------------------
# A poll that parks gives back libfcgi's buffers and its answer is written
# by chatd itself: 20 messages of 4,000 characters (more than one 64 KB
# FastCGI record) handed out, not acked, then resent to a parked poll.
big = ["%02d" % i + "x" * 3998 for i in range(20)]
for i, body in enumerate(big):
    r = chatlib.send_msg(a, body, "big-%d" % i, to=b.name)
    eq(r.status, 201, "long message %d sent" % i)
evs = b.poll(5)
def shape(evs):
    """(first two characters, length) of each message: short to print."""
    return [(e["message"]["body"][:2], len(e["message"]["body"]))
            for e in evs if e.get("type") == "message"]


eq(shape(evs), [(x[:2], len(x)) for x in big], "20 long messages handed out")
r, took = timed_poll(b, RESEND_S + 8)
check(took >= RESEND_S - 0.5, "nothing due: the poll parked (%.2f s)" % took,
      took)
evs = (getattr(r, "json", None) or {}).get("events", [])
eq(shape(evs), [(x[:2], len(x)) for x in big],
   "resent to the parked poll, all 80 KB of them whole and in order")
check([e["message"]["body"] for e in evs] == big, "every character intact")
check(len(getattr(r, "raw", b"")) > 80000, "the answer is over 80 KB",
      len(getattr(r, "raw", b"")))
b.post("ack", {"ids": [e["id"] for e in evs]})

# --- pending events come in id order, each once ------------------------------------
for i in range(5):
    a.post("messages", {"to": b.name, "client_id": "ord-%d" % i,
                        "body": "o%d" % i})
evs = b.poll(5)
ids = [e["id"] for e in evs]
eq(ids, sorted(set(ids)), "events in id order, each once")
eq([e["message"]["body"] for e in evs], ["o%d" % i for i in range(5)],
   "in send order")
b.post("ack", {"ids": ids})

# --- newest poll of a session wins ----------------------------------------------
b.drain()
t = chatlib.in_thread(timed_poll, b, 20)
time.sleep(1.0)
r2, took2 = timed_poll(b, 1)
t.join(10)
check(not t.is_alive(), "first poll ended by the second")
if not t.is_alive():
    r1, took1 = t.result
    eq(getattr(r1, "status", None), 200, "first poll answered 200")
    eq((getattr(r1, "json", None) or {}).get("events"), [],
       "first poll answered empty")
    check(took1 < 4, "first poll ended at once (%.2f s)" % took1, took1)
eq(getattr(r2, "status", None), 200, "second poll 200")
# The second poll is the live one: a send reaches it.
t = chatlib.in_thread(timed_poll, b, 20)
time.sleep(1.0)
a.post("messages", {"to": b.name, "client_id": "p-7", "body": "to the newest"})
evs = woken(t, "newest poll", "to the newest")
if evs:
    b.post("ack", {"ids": [e["id"] for e in evs]})

# Another session of the same user does not end the first poll.
b2 = chatlib.Client()
r = b2.post("login", {"username": b.name, "password": b.password})
eq(r.status, 200, "second session")
t = chatlib.in_thread(timed_poll, b, 20)
time.sleep(1.0)
r2, _ = timed_poll(b2, 1)
time.sleep(0.5)
check(t.is_alive(), "a poll of another session leaves the first parked")
a.post("messages", {"to": b.name, "client_id": "p-8", "body": "both sessions"})
evs = woken(t, "first session after another session polled",
            "both sessions")
if evs:
    b.post("ack", {"ids": [e["id"] for e in evs]})

# --- timeout is honoured when nothing arrives -------------------------------------
r, took = timed_poll(b, 2)
eq(getattr(r, "status", None), 200, "poll timeout 2")
eq((getattr(r, "json", None) or {}).get("events"), [], "empty at its timeout")
check(1.5 <= took < 5, "returned at about its timeout (%.2f s)" % took, took)

# --- a system notice written by an admin in SQL -----------------------------
# It wakes the parked poll (the watcher sees an event of no backend's
# origin), and a row an admin got wrong still gives a valid answer.
n = signup("notice")
t = parked(n, 15)
sql("INSERT INTO event (user_id, type, payload) VALUES "
    "(%d, 'notice', JSON_OBJECT('text', 'Maintenance at 22:00 <b>UTC</b>'))"
    % uid(n))
t.join(10)
r, took = t.result if not t.is_alive() else (None, None)
evs = (getattr(r, "json", None) or {}).get("events", [])
eq([(e.get("type"), e.get("text")) for e in evs],
   [("notice", "Maintenance at 22:00 <b>UTC</b>")], "the notice arrives")
check(took is not None and took < 5, "within the watcher's look", took)
n.post("ack", {"ids": [e["id"] for e in evs]})
sql("INSERT INTO event (user_id, type, payload) VALUES "
    "(%d, 'notice', '{\"text\": \"unclosed'), (%d, 'odd\"type', '{}'), "
    "(%d, 'notice', JSON_OBJECT('text', 'fine'))" % (uid(n), uid(n), uid(n)))
time.sleep(1)    # the watcher's look (CHAT_WATCH_MS) makes them known
r = n.get("poll?timeout=0")
eq(r.status, 200, "a poll with broken admin rows answers")
eq([e.get("type") for e in (r.json or {}).get("events", [])],
   ["invalid", "invalid", "notice"], "broken rows come as type invalid")
n.post("ack", {"ids": [e["id"] for e in (r.json or {}).get("events", [])]})
# What json-c reads but JSON does not, chatd's own type names, and keys
# that would hide the row's own id: the answer stays strict JSON.
rows = [("notice", "{ }"), ("notice", "{'a': 1}"),
        ("notice", '{"a": "raw\ttab"}'), ("presence", '{"user":'),
        ("notice", '{"id": 1, "type": "message", "at": 0, "text": "x"}'),
        ("", "{}"), ("notice", '{"list": [1, {"b": "\\u00e9"}], "n": 1.5}')]
for t, pl in rows:
    sql("INSERT INTO event (user_id, type, payload) VALUES (%d, '%s', '%s')"
        % (uid(n), t, pl.replace("\\", "\\\\").replace("'", "''")))
ids = [int(x[0]) for x in sql("SELECT id FROM event WHERE user_id = %d "
                              "ORDER BY id" % uid(n))]
time.sleep(1)
r = n.get("poll?timeout=0")
try:
    evs = json.loads(r.raw)["events"]      # strict: no raw control characters
except ValueError as ex:
    evs = None
    check(False, "the answer is strict JSON", (ex, r.raw[:300]))
if evs is not None:
    eq([e["id"] for e in evs], ids, "every row, under its own id")
    eq([e["type"] for e in evs],
       ["notice", "notice", "notice", "invalid", "notice", "invalid",
        "notice"], "what json-c cannot read as one object is invalid; "
       "what it can is written again as JSON")
    eq((evs[1].get("a"), evs[2].get("a")), (1, "raw\ttab"),
       "single quotes and a raw tab, read and written as JSON")
    eq(evs[4].get("text"), "x", "a hand-written row keeps its other fields")
    eq((evs[6].get("list"), evs[6].get("n")), ([1, {"b": "\u00e9"}], 1.5),
       "nested values written again as JSON")

a_online.stop()
chatlib.done()
