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
eq(len(rows), 1, "direct messages only: one answer row")
res = json.loads(rows[-1][0]) if rows else []
eq([r[:2] for r in res], [[1, 0], [2, 2], [3, 1], [4, 0], [5, 1]],
   "one outcome per item: stored, repeat, refused, stored, refused")
eq([r[3] for r in res], [1, 0, 0, 2, 0], "seqs 1 and 2, no gap")
eq([r[4] for r in res], [uid(b), 0, 0, uid(a), 0],
   "each stored item names its recipient")
m1, m2 = str(res[0][2]), str(res[3][2])
eq(sql("SELECT id, seq, sender_id, client_id, body FROM message "
       "WHERE conv_id=%d ORDER BY seq" % conv),
   [[m1, "1", str(uid(a)), "k1", "one"], [m2, "2", str(uid(b)), "k4", odd]],
   "stored: the two allowed sends, bodies exact")
eq(sql("SELECT last_seq FROM conversation WHERE id=%d" % conv), [["2"]],
   "last_seq counts only what was stored (the repeat gave its seq back)")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % uid(c)), [["0"]],
   "nothing stored for the non-member")
ev_b = chatlib.pending_events(uid(b), "message")
ev_a = chatlib.pending_events(uid(a), "message")
eq([(e[0], e[2]["message"]["id"], e[2]["message"]["seq"],
     e[2]["message"]["body"]) for e in ev_b],
   [(res[0][5], int(m1), 1, "one")], "b's event: message 1, the id answered")
eq([(e[0], e[2]["message"]["id"], e[2]["message"]["body"],
     e[2]["message"]["client_id"]) for e in ev_a],
   [(res[3][5], int(m2), odd, "k4")], "a's event: message 2, body exact")
eq(sql("SELECT CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED) FROM event "
       "WHERE id IN (%d, %d)" % (res[0][5], res[3][5])), [[str(ms)]] * 2,
   "a message event is created at its message's sent time")
eq(chatlib.pending_events(uid(c)), [], "no event for the outsider")
eq([e["message"]["body"] for e in b.poll(timeout=0) if e["type"] == "message"],
   ["one"], "b's poll hands out what the batch stored")

# A topic's recipients come as (item, user, event) rows before the answer.
d = signup("bd")
befriend(a, d)
r = a.post("conversations", {"title": "batch topic", "members": [b.name, d.name]})
check(r.status == 201, "a topic of three", r)
topic = (r.json or {}).get("id", 0)
items = [item(a, conv, "k6", "direct again", ms),
         item(a, topic, "t1", "to the topic", ms),
         item(d, topic, "t1", "same client_id, other sender", ms),
         item(a, topic, "t1", "a repeat in the topic", ms)]
items.sort(key=lambda x: x[1])
rows = sql("CALL send_batch(%s, 0)" % lit(json.dumps(items)))
res = json.loads(rows[-1][0]) if rows else []
order = [x[2] + ":" + x[3] for x in items]
by_body = {order[r[0] - 1]: r for r in res}
eq([by_body.get("t1:to the topic", [0, -1])[1],
    by_body.get("t1:same client_id, other sender", [0, -1])[1],
    by_body.get("t1:a repeat in the topic", [0, -1])[1],
    by_body.get("k6:direct again", [0, -1])[1]], [0, 0, 2, 0],
   "topic items stored, the same client_id of another sender too; "
   "a repeat is refused")
first = by_body.get("t1:to the topic", [0] * 6)
second = by_body.get("t1:same client_id, other sender", [0] * 6)
eq(sorted(r[:2] for r in rows[:-1]),
   sorted([[str(first[0]), str(uid(b))], [str(first[0]), str(uid(d))],
           [str(second[0]), str(uid(a))], [str(second[0]), str(uid(b))]]),
   "each topic item names its other members, with its item number")
eq(sorted([first[3], second[3]]), [1, 2], "topic seqs 1 and 2")
eq(sql("SELECT last_seq FROM conversation WHERE id=%d" % topic), [["2"]],
   "the topic's repeat gave its seq back")
ev = {int(r[2]) for r in rows[:-1]}
eq({e[0] for e in chatlib.pending_events(uid(d), "message")},
   {int(r[2]) for r in rows[:-1] if r[1] == str(uid(d))},
   "d's pending event is the one named")
check(len(ev) == 4, "four topic events, each its own id", ev)

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
