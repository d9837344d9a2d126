"""History by seq: paging both ways, ascending order, limits, members only;
and the offline catch-up recipe: a client holding seq N that was away while
more arrived gets exactly the rest both from its next poll and from
?after=N, without gaps or doubles."""
import os
import time

import chatlib
from chatlib import befriend, check, eq, send_msg, signup, sql, wait_until

IDLE_S = int(os.environ.get("CHAT_IDLE_S", "4"))
SWEEP_S = int(os.environ.get("CHAT_SWEEP_S", "1"))


def uid(c):
    return c.user["id"]


def hist(c, conv, q=""):
    r = c.get("conversations/%d/messages%s" % (conv, q))
    check(r.status == 200, "history 200 " + q, r)
    return (r.json or {}).get("messages", [])


def seqs(ms):
    return [m["seq"] for m in ms]


a, b = signup("ha"), signup("hb")
conv = befriend(a, b)
TOTAL = 230
t0 = time.time()
for i in range(1, TOTAL + 1):
    s = a if i % 2 else b
    r = send_msg(s, "m%d" % i, "h-%d" % i, conv=conv)
    if not check(r.status == 201 and r.json.get("seq") == i, "send #%d" % i, r):
        break
print("sent %d in %.1f s" % (TOTAL, time.time() - t0), flush=True)

# --- pages ----------------------------------------------------------------------
ms = hist(a, conv)
eq(seqs(ms), list(range(TOTAL - 49, TOTAL + 1)), "default: the newest 50, ascending")
m = ms[-1] if ms else {}
for k in ("id", "conversation_id", "seq", "sender", "body", "client_id", "sent_at"):
    check(k in m, "history message has " + k, m)
eq((m.get("body"), m.get("sender"), m.get("conversation_id")),
   ("m%d" % TOTAL, b.name, conv), "history message fields")

eq(seqs(hist(a, conv, "?after=0&limit=200")), list(range(1, 201)),
   "after=0&limit=200: 1..200")
eq(seqs(hist(a, conv, "?after=200&limit=200")), list(range(201, TOTAL + 1)),
   "after=200: the rest")
eq(seqs(hist(a, conv, "?after=%d" % TOTAL)), [], "after the last: nothing")
eq(seqs(hist(a, conv, "?after=10&limit=5")), [11, 12, 13, 14, 15], "after=10&limit=5")
eq(seqs(hist(a, conv, "?before=%d&limit=200" % (TOTAL + 1))),
   list(range(TOTAL - 199, TOTAL + 1)), "before=end&limit=200: newest 200 ascending")
eq(seqs(hist(a, conv, "?before=31&limit=200")), list(range(1, 31)), "before=31: 1..30")
eq(seqs(hist(a, conv, "?before=10&limit=3")), [7, 8, 9], "before=10&limit=3 ascending")
eq(seqs(hist(a, conv, "?before=1")), [], "before the first: nothing")
eq([m["body"] for m in hist(b, conv, "?after=0&limit=3")], ["m1", "m2", "m3"],
   "the other member reads the same")

# Walk the whole conversation both ways with an odd page size.
got, cur = [], TOTAL + 1
for _ in range(20):
    page = seqs(hist(a, conv, "?before=%d&limit=37" % cur))
    if not page:
        break
    check(page == sorted(page), "each page ascending", page)
    got = page + got
    cur = page[0]
eq(got, list(range(1, TOTAL + 1)), "backwards walk: every seq once, no gaps")
got, cur = [], 0
for _ in range(20):
    page = seqs(hist(a, conv, "?after=%d&limit=37" % cur))
    if not page:
        break
    got += page
    cur = page[-1]
eq(got, list(range(1, TOTAL + 1)), "forwards walk: every seq once, no gaps")

# --- bad requests ------------------------------------------------------------------
for q in ("?limit=201", "?limit=0", "?limit=-1", "?after=1&before=5",
          "?after=abc", "?before=x", "?limit=ten"):
    r = a.get("conversations/%d/messages%s" % (conv, q))
    eq(r.status, 400, "history " + q)
    eq(chatlib.err_code(r), "bad_request", "its code " + q)
eq(len(hist(a, conv, "?limit=200")), 200, "limit=200 is allowed")

# --- members only ------------------------------------------------------------------
e = signup("he")
befriend(a, e)          # a friend of A, but not in this conversation
r = e.get("conversations/%d/messages" % conv)
eq(r.status, 403, "a non-member cannot read the history")
eq(chatlib.err_code(r), "forbidden", "its code")
r = e.get("conversations/%d/messages?after=0" % conv)
eq(r.status, 403, "nor with after=")
r = a.get("conversations/999999999/messages")
eq(r.status, 404, "unknown conversation")
r = e.get("conversations/999999999/messages")
eq(r.status, 404, "unknown conversation for anyone")

# --- offline catch-up ----------------------------------------------------------------
b.drain()
N = TOTAL                    # B's client holds everything up to seq N
# Two more arrive; B's poll hands them out but B never acks (it crashes).
for i in (1, 2):
    eq(send_msg(a, "late %d" % i, "hl-%d" % i, conv=conv).status, 201, "send")
evs = b.poll(5)
eq([e["message"]["seq"] for e in evs if e["type"] == "message"], [N + 1, N + 2],
   "B's poll hands out two, B does not ack")
# B is away: the sweeper takes B offline.
off = wait_until(lambda: sql("SELECT online FROM user WHERE id=%d" % uid(b)) == [["0"]],
                 timeout=IDLE_S + SWEEP_S + 15)
check(off, "B went offline")
M = 7
for i in range(3, M + 1):
    eq(send_msg(a, "late %d" % i, "hl-%d" % i, conv=conv).status, 201, "send while B is away")

# B comes back: its first poll has the rest, in order, once each.
evs = b.poll(5)
ids = [e["id"] for e in evs]
eq(len(ids), len(set(ids)), "no event twice in one answer")
eq(ids, sorted(ids), "events in id order")
polled = [e["message"] for e in evs if e["type"] == "message"]
eq(seqs(polled), list(range(N + 1, N + M + 1)),
   "the poll brings N+1..N+M: the unacked and the new, no gaps, no doubles")
fromhist = hist(b, conv, "?after=%d" % N)
eq(seqs(fromhist), list(range(N + 1, N + M + 1)), "history ?after=N: the same seqs")
eq([(m["id"], m["body"], m["sender"]) for m in polled],
   [(m["id"], m["body"], m["sender"]) for m in fromhist],
   "poll and history agree message for message")
merged = {m["seq"]: m["id"] for m in polled + fromhist}
eq(sorted(merged), list(range(N + 1, N + M + 1)), "merged by seq: no gaps")
b.post("ack", {"ids": ids})
eq([e for e in b.poll(1) if e["type"] == "message"], [], "acked ones never come back")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='message'" % uid(b)),
   [["0"]], "nothing left pending for B")

chatlib.done()
