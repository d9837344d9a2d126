"""Bounded pending events (issue 21, item 4; runs late: it restarts the
stack with CHAT_EVENTS_MAX=5 and CHAT_EVENTS_AGE_S=10, then as it was).
A user who never polls gets more messages than the cap: after a sweeper
round at most the cap of rows are pending, the resync among them, which
names the conversation; the newest messages stay; more messages still
leave one resync (replaced, naming the conversations of both); history
keeps every message; a friend request dropped with the rest is still in
GET /api/friends/requests; a poll then gets the resync.  A user offline
longer than the age loses events that old the same way."""
import os

import chatlib
from chatlib import (Client, befriend, check, eq, pending_events, send_msg,
                     signup, wait_until)

CAP = 5
AGE_S = 10
before = {k: os.environ.get(k) for k in ("CHAT_EVENTS_MAX", "CHAT_EVENTS_AGE_S")}


def restart_with(env):
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    chatlib.restart()


def resyncs(uid):
    return [p for _, t, p in pending_events(uid) if t == "resync"]


def history(c, conv):
    r = c.get("conversations/%d/messages?after=0&limit=200" % conv)
    eq(r.status, 200, "history 200")
    return [m["body"] for m in (r.json or {}).get("messages", [])]


restart_with({"CHAT_EVENTS_MAX": str(CAP), "CHAT_EVENTS_AGE_S": str(AGE_S)})
try:
    a, b, e, t = signup("ec"), signup("ec"), signup("ec"), signup("ec")
    conv = befriend(a, b)
    conv_t = befriend(t, b)
    b.drain()
    bid = b.user["id"]
    # A friend request (an event of its own) before the flood.
    r = e.post("friends/requests", {"to": b.name, "text": "hello"})
    eq(r.status, 201, "a friend request for b")
    req_id = (r.json or {}).get("id")

    # 12 messages: more than the cap.  b never polls.
    for i in range(12):
        eq(send_msg(a, "m%d" % i, "ec-%d" % i, to=b.name).status, 201,
           "send %d" % i)
    trimmed = wait_until(lambda: len(pending_events(bid)) <= CAP and
                         resyncs(bid), timeout=15)
    check(trimmed, "the sweeper trimmed b's events", pending_events(bid))
    rows = pending_events(bid)
    check(len(rows) <= CAP, "at most the cap of rows pending", rows)
    rs = resyncs(bid)
    eq(len(rs), 1, "exactly one resync")
    eq(rs[0].get("conversations") if rs else None, [conv],
       "the resync names the conversation")
    kept = [p["message"]["body"] for _, ty, p in rows if ty == "message"]
    eq(kept, ["m%d" % i for i in range(12 - len(kept), 12)],
       "the newest messages stay, in order")
    check(not [p for _, ty, p in rows if ty == "friend_request"],
          "the friend request went with the oldest", rows)

    # More than the cap again, in another conversation: still one resync,
    # naming the conversations of both floods.
    for i in range(8):
        send_msg(t, "t%d" % i, "ec-t%d" % i, to=b.name)
    ok = wait_until(lambda: [p for _, ty, p in pending_events(bid)
                             if ty == "message" and p["message"]["body"] == "t7"]
                    and len(pending_events(bid)) <= CAP and
                    len((resyncs(bid) or [{}])[0].get("conversations", [])) == 2,
                    timeout=15)
    rows = pending_events(bid)
    check(ok, "trimmed again", rows)
    rs = resyncs(bid)
    eq(len(rs), 1, "still exactly one resync")
    eq(sorted(rs[0].get("conversations", [])) if rs else None,
       sorted([conv, conv_t]), "naming both conversations")
    check(len(rows) <= CAP, "at most the cap of rows pending", rows)

    # Messages themselves are never deleted; nor the friend request.
    eq(history(a, conv), ["m%d" % i for i in range(12)],
       "history has every message")
    eq(history(t, conv_t), ["t%d" % i for i in range(8)],
       "in both conversations")
    r = b.get("friends/requests")
    eq([x["id"] for x in (r.json or {}).get("incoming", [])], [req_id],
       "the dropped request is in GET /api/friends/requests")

    # A poll gets the resync (after the kept messages).
    evs = b.poll(0)
    got = [ev for ev in evs if ev["type"] == "resync"]
    eq(len(got), 1, "the poll carries one resync")
    if got:
        eq(sorted(got[0].get("conversations", [])), sorted([conv, conv_t]),
           "with the conversations")
        check(isinstance(got[0].get("id"), int) and "at" in got[0],
              "an event like the others (id, at)", got[0])
    b.poll(0, ack=[ev["id"] for ev in evs])
    check(wait_until(lambda: not pending_events(bid)),
          "acked: nothing pending", pending_events(bid))

    # The age: d, offline and quiet, loses events AGE_S old (below the cap).
    d = signup("ec")
    conv_d = befriend(a, d)
    d.drain()
    did = d.user["id"]
    send_msg(a, "old", "ec-old", to=d.name)
    check(wait_until(lambda: resyncs(did) and len(pending_events(did)) == 1,
                     timeout=AGE_S + 20),
          "d's old event replaced by a resync", pending_events(did))
    rs = resyncs(did)
    eq(rs[0].get("conversations") if rs else None, [conv_d],
       "naming d's conversation")
    online = chatlib.sql("SELECT online FROM user WHERE id=%d" % did)
    eq(online, [["0"]], "d is offline")
    eq(history(a, conv_d), ["old"], "the message stays in history")
finally:
    restart_with(before)

chatlib.done()
