"""Typing signals and live presence (issue 25).

Typing: POST /api/conversations/{id}/typing reaches the other members'
waiting polls (GET /api/poll?typing=) as a `typing` event without an id,
is never an event row, goes to no non-member nor to someone who blocked
the typist, is rate-limited, and crosses hosts through the watcher.
Presence: signing out, or POST /api/presence/gone (a page closed), tells
friends offline at once when no other session of the user is live."""
import time

from chatlib import (Client, Listener, befriend, check, eq, err_code,
                     in_thread, signup, sql, done)


def typing_poll(c, since=0, timeout=4):
    """One poll asking for typing signals: its typing events."""
    r = c.get("poll?timeout=%d&typing=%d" % (timeout, since),
              timeout=timeout + 30)
    eq(r.status, 200, "poll with typing answered")
    evs = (r.json or {}).get("events", [])
    ids = [e["id"] for e in evs if "id" in e]
    if ids:
        c.post("ack", {"ids": ids})
    return [e for e in evs if e.get("type") == "typing"]


def wait_typing(c, pred, since=0, rounds=4):
    """Poll (typing) until a typing event matching pred comes."""
    for _ in range(rounds):
        for e in typing_poll(c, since):
            if pred(e):
                return e
    return None


def friend(c, name):
    r = c.get("friends")
    for f in (r.json or {}).get("friends", []):
        if f.get("username") == name:
            return f
    return {}


def typing_rows():
    return int(sql("SELECT COUNT(*) FROM event WHERE type = 'typing'")[0][0])


a, b, c, e = signup("ta"), signup("tb"), signup("tc"), signup("te")
d = befriend(a, b)
befriend(a, e)
for x in (a, b, c, e):
    x.drain()

# --- A types in the direct chat: B's waiting poll gets it, without an id.
t = in_thread(wait_typing, b, lambda ev: ev.get("conversation_id") == d)
time.sleep(0.5)                        # B's poll is waiting
r = a.post("conversations/%d/typing" % d)
eq(r.status, 204, "typing 204")
t.join()
ev = t.result
check(ev is not None, "B's waiting poll gets A's typing")
if ev:
    eq(ev.get("user"), a.name, "typing names the typist")
    check("id" not in ev, "a typing event has no id (not acked)", ev)
    check(isinstance(ev.get("at"), int), "typing has at", ev)
    # Given that signal, the next poll does not hand it out again.
    eq(typing_poll(b, ev["at"], timeout=1), [], "no repeat past the cursor")
eq(typing_rows(), 0, "typing never leaves an event row")
# A poll that does not ask for typing is not answered by it.
r = b.get("poll?timeout=0")
check(not any(x.get("type") == "typing" for x in r.json["events"]),
      "a poll without ?typing= gets no typing")

# --- Not to a non-member; a non-member may not signal.
eq(typing_poll(c, timeout=1), [], "a non-member gets nothing")
r = c.post("conversations/%d/typing" % d)
eq((r.status, err_code(r)), (403, "forbidden"), "non-member typing 403")
r = a.post("conversations/999999999/typing")
eq(r.status, 404, "typing in no conversation 404")

# --- Rate limit: a few a second at most; a refusal changes nothing.
time.sleep(1.05 - time.time() % 1)     # a fresh second
codes = [a.post("conversations/%d/typing" % d).status for _ in range(6)]
at1 = sql("SELECT at FROM typing WHERE conv_id=%d AND user_id=%d"
          % (d, a.user["id"]))
r = a.post("conversations/%d/typing" % d)
at2 = sql("SELECT at FROM typing WHERE conv_id=%d AND user_id=%d"
          % (d, a.user["id"]))
check(429 in codes and r.status == 429, "many signals a second: 429", codes)
eq(err_code(r), "rate_limited", "429 rate_limited")
check(r.header("Retry-After"), "429 says Retry-After", r)
eq(at1, at2, "a refused signal changes nothing")

# --- From another host: a row its node wrote (origin 4242) wakes B's
# waiting poll through the watcher.
time.sleep(1.1)
t = in_thread(wait_typing, b, lambda ev: ev.get("conversation_id") == d)
time.sleep(0.5)
sql("INSERT INTO typing (conv_id, user_id, at, origin) VALUES (%d, %d, "
    "NOW(3), 4242) ON DUPLICATE KEY UPDATE at = NOW(3), origin = 4242"
    % (d, a.user["id"]))
t.join()
check(t.result is not None, "another host's signal reaches B's poll")

# --- A group: B blocked A, E did not.
r = a.post("conversations", {"title": "typing", "members": [b.name, e.name]})
eq(r.status, 201, "group created")
g = r.json["id"]
eq(b.post("blocks", {"username": a.name}).status, 204, "B blocks A")
for x in (b, e):
    x.drain()
time.sleep(1.1)
tb = in_thread(typing_poll, b, 0, 3)
te = in_thread(wait_typing, e, lambda ev: ev.get("conversation_id") == g)
time.sleep(0.5)
eq(a.post("conversations/%d/typing" % g).status, 204, "typing in the group")
te.join()
tb.join()
check(te.result is not None and te.result.get("user") == a.name,
      "E gets A's typing in the group", te.result)
check(not [x for x in tb.result or [] if x.get("user") == a.name],
      "B, who blocked A, does not", tb.result)
r = a.post("conversations/%d/typing" % d)
eq((r.status, err_code(r)), (403, "not_friends"),
   "no typing in a direct chat after a block")
eq(typing_rows(), 0, "still no event row")

# --- Signing out: the friend sees offline at once (no idle wait).
p, q = signup("tp"), signup("tq")
befriend(p, q)
lq = Listener(q)
time.sleep(0.3)
eq(friend(q, p.name).get("online"), True, "P online")
eq(p.post("logout").status, 204, "P signs out")
eq(friend(q, p.name).get("online"), False, "P offline right after sign-out")
check(lq.wait(lambda x: x.get("type") == "presence" and
              x.get("user") == p.name and x.get("online") is False,
              timeout=3), "Q's poll gets presence offline")

# --- A page gone: offline only when no other session is live.
s1 = signup("tg")
befriend(s1, q)
s2 = Client()
eq(s2.post("login", {"username": s1.name, "password": s1.password}).status,
   200, "second session of S")
s2.drain()
tp = in_thread(s2.get, "poll?timeout=3")   # the other device waits
time.sleep(0.5)
eq(s1.post("presence/gone").status, 204, "page gone, other session live")
eq(friend(q, s1.name).get("online"), True, "still online: S2 polls")
tp.join()
eq(s1.post("presence/gone", {"ids": []}).status, 204, "page gone, last")
eq(friend(q, s1.name).get("online"), False, "offline: no session live")
check(lq.wait(lambda x: x.get("type") == "presence" and
              x.get("user") == s1.name and x.get("online") is False,
              timeout=3), "Q's poll gets presence offline for S")
r = s1.post("presence/gone", {"ids": "x"})
eq((r.status, err_code(r)), (400, "bad_request"), "bad ids 400")
eq(s1.get("me").status, 200, "S's next request")
eq(friend(q, s1.name).get("online"), True, "back online with a request")
lq.stop()

done()
