"""Messages: who may send, what a send answers, bodies stored exactly,
idempotent client_id, gapless seq under concurrent sends, history paging."""
import threading
import time

import chatlib
from chatlib import befriend, check, eq, signup, sql


# POST /api/messages, waiting out 429 if the rate limit bites.
send = chatlib.send_msg


def history(c, conv, q=""):
    r = c.get("conversations/%d/messages%s" % (conv, q))
    check(r.status == 200, "history 200 " + q, r)
    return (r.json or {}).get("messages", [])


def uid(c):
    return c.user["id"]


def code(r):
    return ((r.json or {}).get("error") or {}).get("code")


# --- not friends: refused, nothing stored --------------------------------------
a, b = signup("ma"), signup("mb")
r = a.post("messages", {"to": b.name, "client_id": "nf1", "body": "hello?"})
eq(r.status, 403, "direct message to a non-friend")
eq(code(r), "not_friends", "its code")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % uid(a)), [["0"]],
   "nothing stored for a non-friend")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d" % uid(b)), [["0"]],
   "no event for a non-friend")
r = a.post("messages", {"to": chatlib.uniq("nobody"), "client_id": "n2",
                        "body": "x"})
eq(r.status, 404, "message to an unknown user")
r = a.post("messages", {"to": a.name, "client_id": "n3", "body": "x"})
eq(r.status, 400, "message to oneself")

conv = befriend(a, b)
b.drain()

# --- a send answers 201 with the message ---------------------------------------
t0 = int(time.time() * 1000)
r = send(a, "first", "c-1", to=b.name)
eq(r.status, 201, "send")
m = r.json or {}
for k in ("id", "conversation_id", "seq", "sender", "body", "client_id",
          "sent_at"):
    check(k in m, "message has " + k, m)
eq(m.get("conversation_id"), conv, "conversation_id")
eq(m.get("seq"), 1, "first seq")
eq(m.get("sender"), a.name, "sender")
eq(m.get("body"), "first", "body")
eq(m.get("client_id"), "c-1", "client_id")
check(isinstance(m.get("sent_at"), int) and abs(m["sent_at"] - t0) < 60000,
      "sent_at is epoch ms", m.get("sent_at"))
ev = b.wait_for(lambda e: e.get("type") == "message")
check(ev is not None, "receiver gets the message event")
if ev:
    eq(ev["message"], m, "event carries the same message")
r = send(b, "reply", "c-1", conv=conv)   # same client_id, other sender: new
eq(r.status, 201, "reply by conversation_id")
eq((r.json or {}).get("seq"), 2, "reply seq")

# --- bodies stored exactly as sent ---------------------------------------------
bodies = [
    "emoji 😀👋🏽 and ünïcödé, 中文, עברית",
    "line one\nline two\r\n\tindented\n\n",
    "<script>alert('x')</script> & \"quotes\" \\ backslash",
    "  leading and trailing spaces  ",
    "x" * 4000,
    "😀" * 4000,
    "é" * 4000,
]
sent = []
for i, body in enumerate(bodies):
    r = send(a, body, "body-%d" % i, to=b.name)
    eq(r.status, 201, "send body %d (%d chars)" % (i, len(body)))
    eq((r.json or {}).get("body"), body, "answer body %d" % i)
    if r.status == 201:
        sent.append(r.json)
for i, msg in enumerate(sent):
    got = sql("SELECT HEX(body) FROM message WHERE id=%d" % msg["id"])
    eq(got, [[bodies[i].encode().hex().upper()]], "stored bytes of body %d" % i)
hist = {x["id"]: x for x in history(b, conv, "?limit=200")}
for i, msg in enumerate(sent):
    eq(hist.get(msg["id"], {}).get("body"), bodies[i], "history body %d" % i)
evs = []
end = time.time() + 10
while len(evs) < len(sent) and time.time() < end:
    got = b.poll(2)
    evs += [e for e in got if e.get("type") == "message"]
    b.post("ack", {"ids": [e["id"] for e in got]})
bymid = {e["message"]["id"]: e["message"]["body"] for e in evs}
for i, msg in enumerate(sent):
    eq(bymid.get(msg["id"]), bodies[i], "event body %d" % i)

n0 = sql("SELECT COUNT(*) FROM message WHERE conv_id=%d" % conv)
for what, body in (("4001 chars", "x" * 4001), ("4001 emoji", "😀" * 4001),
                   ("empty", ""), ("blank", " \n\t"),
                   ("zero-width only", "\u200b\u200d\ufeff")):
    r = send(a, body, "bad-" + what.replace(" ", ""), to=b.name)
    eq(r.status, 400, "body " + what)
r = a.post("messages", {"to": b.name, "client_id": "nobody"})
eq(r.status, 400, "no body")
r = a.post("messages", {"to": b.name, "body": "no client id"})
eq(r.status, 400, "no client_id")
r = a.post("messages", {"to": b.name, "client_id": "x" * 65, "body": "long cid"})
eq(r.status, 400, "client_id of 65 chars")
r = a.post("messages", {"to": b.name, "client_id": "n", "body": 5})
eq(r.status, 400, "body not a string")
r = a.post("messages", {"to": b.name, "conversation_id": conv,
                        "client_id": "both", "body": "x"})
eq(r.status, 400, "both to and conversation_id")
r = a.post("messages", raw=b"{\"to\":\"" + b.name.encode() +
           b"\",\"client_id\":\"bad-utf8\",\"body\":\"\xff\xfe\"}")
eq(r.status, 400, "invalid UTF-8 body")
eq(sql("SELECT COUNT(*) FROM message WHERE conv_id=%d" % conv), n0,
   "refused sends store nothing")

# --- the same client_id again: the first message, once -------------------------
b.drain()
r1 = send(a, "only once", "dup-1", to=b.name)
eq(r1.status, 201, "first send of dup-1")
r2 = send(a, "only once", "dup-1", to=b.name)
eq(r2.status, 200, "resend of dup-1")
eq(r2.json, r1.json, "resend answers the first message")
r3 = send(a, "a different body", "dup-1", conv=conv)
eq(r3.status, 200, "resend with another body")
eq((r3.json or {}).get("body"), "only once", "resend keeps the first body")
eq((r3.json or {}).get("id"), (r1.json or {}).get("id"), "resend same id")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d AND client_id='dup-1'"
       % uid(a)), [["1"]], "one message row for dup-1")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='message'"
       % uid(b)), [["1"]], "one event for the receiver")
got = b.poll(1)
eq([e["message"]["client_id"] for e in got if e.get("type") == "message"],
   ["dup-1"], "the receiver sees it once")
b.post("ack", {"ids": [e["id"] for e in got]})
r = send(a, "next", "dup-2", to=b.name)
eq((r.json or {}).get("seq"), (r1.json or {}).get("seq", 0) + 1,
   "no seq used by the resends")

# Parallel resends of one client_id: still one message.
cid = "par-dup"
res = []
ts = [chatlib.in_thread(send, a, "parallel", cid, b.name) for _ in range(6)]
for t in ts:
    t.join(60)
sts = sorted(t.result.status for t in ts)
eq(sts, [200] * 5 + [201], "parallel resends: one 201, the rest 200")
eq(len({t.result.json["id"] for t in ts}), 1, "parallel resends: one id")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d AND client_id='%s'"
       % (uid(a), cid)), [["1"]], "parallel resends: one row")

# --- concurrent sends: gapless seq ----------------------------------------------
c, d = signup("mc"), signup("md")
conv2 = befriend(c, d)
N_THREADS, PER = 4, 25
results = []
lock = threading.Lock()


def burst(sender, to, tag):
    for i in range(PER):
        r = send(sender, "%s #%d" % (tag, i), "%s-%d" % (tag, i), to=to)
        with lock:
            results.append(r)


ts = []
for k in range(N_THREADS):
    s, o = (c, d) if k % 2 == 0 else (d, c)
    ts.append(threading.Thread(target=burst, args=(s, o.name, "t%d" % k)))
for t in ts:
    t.start()
for t in ts:
    t.join(120)
total = N_THREADS * PER
eq(sorted(r.status for r in results), [201] * total, "every concurrent send 201")
seqs = sorted(r.json["seq"] for r in results if r.status == 201)
eq(seqs, list(range(1, total + 1)), "answers: seq 1..N, no gaps, no repeats")
h = history(c, conv2, "?after=0&limit=200")
eq([x["seq"] for x in h], list(range(1, total + 1)), "history: seq 1..N")
eq(len({x["id"] for x in h}), total, "history: distinct ids")
eq(len({(x["sender"], x["client_id"]) for x in h}), total,
   "history: each send once")
eq(sql("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM message "
       "WHERE conv_id=%d" % conv2), [[str(total), str(total), "1", str(total)]],
   "database: N rows, seq 1..N")
eq(sql("SELECT last_seq FROM conversation WHERE id=%d" % conv2),
   [[str(total)]], "conversation.last_seq")

# --- history paging ----------------------------------------------------------------
eq([x["seq"] for x in history(c, conv2)], list(range(51, 101)),
   "default page: the newest 50, ascending")
eq([x["seq"] for x in history(c, conv2, "?limit=10")], list(range(91, 101)),
   "newest 10")
eq([x["seq"] for x in history(c, conv2, "?before=91&limit=10")],
   list(range(81, 91)), "before=91 limit=10")
eq([x["seq"] for x in history(c, conv2, "?before=4&limit=10")], [1, 2, 3],
   "before=4")
eq([x["seq"] for x in history(d, conv2, "?after=5&limit=3")], [6, 7, 8],
   "after=5 limit=3")
eq([x["seq"] for x in history(d, conv2, "?after=98")], [99, 100], "after=98")
eq(history(d, conv2, "?after=100"), [], "after the last: empty")
eq(len(history(d, conv2, "?after=0&limit=200")), 100, "limit=200 allowed")
for q in ("?limit=201", "?limit=0", "?limit=-1", "?limit=abc",
          "?after=1&before=5", "?before=x"):
    r = c.get("conversations/%d/messages%s" % (conv2, q))
    eq(r.status, 400, "history " + q)
e = signup("me")
r = e.get("conversations/%d/messages" % conv2)
eq(r.status, 403, "history for a non-member")
r = e.post("messages", {"conversation_id": conv2, "client_id": "intruder",
                        "body": "hi"})
eq(r.status, 403, "send by a non-member")
r = e.get("conversations/999999999/messages")
eq(r.status, 404, "history of an unknown conversation")
eq(sql("SELECT COUNT(*) FROM message WHERE conv_id=%d" % conv2),
   [[str(total)]], "non-member stored nothing")
r = chatlib.Client().get("conversations/%d/messages" % conv2)
eq(r.status, 401, "history without a session")

chatlib.done()
