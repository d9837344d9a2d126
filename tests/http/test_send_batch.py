"""Sends stored together: the send_batch procedure (what chatd runs when
sends arrive together, and what an admin may call) keeps every send's own
outcome, and a burst of concurrent sends with refusals and repeats mixed
in loses nothing, stores nothing twice and keeps each sender's order."""
import json
import threading
import time

import chatlib
from chatlib import befriend, check, eq, signup, sql


def uid(c):
    return c.user["id"]


def lit(s):
    """s as a MariaDB string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def item(sender, conv, cid, body, ms):
    tail = json.dumps({"sender": sender.name, "body": body, "client_id": cid,
                       "sent_at": ms})[1:] + "}"
    return [uid(sender), conv, cid, body, ms, "," + tail]


# --- the procedure: one CALL, each item its own outcome -------------------------
a, b, c = signup("ba"), signup("bb"), signup("bc")
conv = befriend(a, b)
ms = int(time.time() * 1000)
odd = 'zwei "quoted" \\ back\\slash \U0001F600 and \'single\''
items = [item(a, conv, "k1", "one", ms),
         item(a, conv, "k1", "the same client_id again", ms),
         item(c, conv, "k3", "not a member", ms),
         item(b, conv, "k4", odd, ms),
         item(a, 999999999, "k5", "no such conversation", ms)]
rows = sql("CALL send_batch(%s, 0)" % lit(json.dumps(items)))
status = [r for r in rows if len(r) == 4]
recips = [r for r in rows if len(r) == 3]
eq([r[:2] for r in status], [["1", "0"], ["2", "2"], ["3", "1"], ["4", "0"],
                             ["5", "1"]],
   "one status per item: stored, repeat, refused, stored, refused")
eq([r[3] for r in status], ["1", "0", "0", "2", "0"], "seqs 1 and 2, no gap")
eq([r[0] for r in recips], [str(uid(b)), str(uid(a))],
   "each stored item names its recipient")
m1, m2 = status[0][2], status[3][2]
eq(sql("SELECT id, seq, sender_id, client_id, body FROM message "
       "WHERE conv_id=%d ORDER BY seq" % conv),
   [[m1, "1", str(uid(a)), "k1", "one"], [m2, "2", str(uid(b)), "k4", odd]],
   "stored: the two allowed sends, bodies exact")
eq(sql("SELECT last_seq FROM conversation WHERE id=%d" % conv), [["2"]],
   "last_seq counts only what was stored")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % uid(c)), [["0"]],
   "nothing stored for the non-member")
ev_b = chatlib.pending_events(uid(b), "message")
ev_a = chatlib.pending_events(uid(a), "message")
eq([(e[0], e[2]["message"]["id"], e[2]["message"]["seq"],
     e[2]["message"]["body"]) for e in ev_b],
   [(int(recips[0][1]), int(m1), 1, "one")], "b's event: message 1")
eq([(e[2]["message"]["id"], e[2]["message"]["body"],
     e[2]["message"]["client_id"]) for e in ev_a],
   [(int(m2), odd, "k4")], "a's event: message 2, body exact")
eq(chatlib.pending_events(uid(c)), [], "no event for the outsider")
eq([e["message"]["body"] for e in b.poll(timeout=0) if e["type"] == "message"],
   ["one"], "b's poll hands out what the batch stored")

# --- a burst over HTTP: many senders at once ------------------------------------
PAIRS, PER = 8, 12
users = [signup("bu") for _ in range(2 * PAIRS)]
convs = [befriend(users[2 * i], users[2 * i + 1]) for i in range(PAIRS)]
outsider = signup("bo")
repeat_cid = "rep-1"
first = chatlib.send_msg(users[0], "first copy", repeat_cid, conv=convs[0])
eq(first.status, 201, "the first copy")
results = {}
lock = threading.Lock()
start = threading.Barrier(2 * PAIRS + 3)


def burst(k):
    u, conv_id = users[k], convs[k // 2]
    start.wait()
    got = []
    for i in range(PER):
        got.append(chatlib.send_msg(u, "m %d from %s" % (i, u.name),
                                    "c%d" % i, conv=conv_id))
    with lock:
        results[k] = got


def intrude():
    start.wait()
    got = [chatlib.send_msg(outsider, "let me in %d" % i, "x%d" % i,
                            conv=convs[i % PAIRS]) for i in range(PER)]
    with lock:
        results["out"] = got


def repeat(tag):
    start.wait()
    got = [chatlib.send_msg(users[0], "resent %d" % i, repeat_cid,
                            conv=convs[0]) for i in range(4)]
    with lock:
        results[tag] = got


ts = [threading.Thread(target=burst, args=(k,)) for k in range(2 * PAIRS)]
ts += [threading.Thread(target=intrude)]
ts += [threading.Thread(target=repeat, args=("r%d" % i,)) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join(120)
for k in range(2 * PAIRS):
    eq([r.status for r in results.get(k, [])], [201] * PER,
       "user %d: every send 201" % k)
eq([r.status for r in results.get("out", [])], [403] * PER,
   "the outsider: every send 403")
for tag in ("r0", "r1"):
    eq({(r.status, (r.json or {}).get("id"), (r.json or {}).get("body"))
        for r in results.get(tag, [])},
       {(200, first.json["id"], "first copy")},
       "a repeated client_id answers the first copy")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % uid(outsider)),
   [["0"]], "nothing stored for the outsider")
for i in range(PAIRS):
    p, q = users[2 * i], users[2 * i + 1]
    r = p.get("conversations/%d/messages?after=0&limit=200" % convs[i])
    h = r.json["messages"] if r.status == 200 else []
    n = 2 * PER + (1 if i == 0 else 0)
    eq([m["seq"] for m in h], list(range(1, n + 1)),
       "conversation %d: seq 1..%d, no gap" % (i, n))
    for u in (p, q):
        mine = [m for m in h if m["sender"] == u.name
                and m["client_id"] != repeat_cid]
        eq([m["body"] for m in mine],
           ["m %d from %s" % (j, u.name) for j in range(PER)],
           "conversation %d: %s's sends once each, in order" % (i, u.name))
        sent_ids = {x.json["id"] for x in results.get(users.index(u), [])}
        eq({m["id"] for m in mine}, sent_ids,
           "conversation %d: the ids %s was answered" % (i, u.name))
    # q receives every message p sent, exactly as answered.
    want = {x.json["id"] for x in results.get(2 * i, [])}
    if i == 0:
        want.add(first.json["id"])
    got, ack = set(), None
    for _ in range(20):
        evs = q.poll(timeout=1, ack=ack)
        got |= {e["message"]["id"] for e in evs if e["type"] == "message"}
        ack = [e["id"] for e in evs]
        if got >= want:
            break
    eq(got, want, "conversation %d: the receiver got every message" % i)

chatlib.done()
