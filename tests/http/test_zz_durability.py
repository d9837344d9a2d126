"""Durability (runs last: it restarts the stack).  Events waiting for an
offline user survive a full restart; SIGTERM to chatd while polls are
parked and sends are under way: chatd exits promptly, the parked poll gets
an answer, every send that got 201 is stored and delivered after the
restart, and nothing acknowledged comes back."""
import os
import signal
import threading
import time

import chatlib
from chatlib import befriend, check, eq, signup, sql


def alive(pid):
    """Is pid a live process (not gone, not a zombie)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def chatd_pid():
    with open(os.path.join(chatlib.STACK_DIR, "run", "chatd.pid")) as f:
        return int(f.read().strip())


def collect(c, want_ids, timeout=20):
    """Poll (and ack) until every message id in want_ids arrived.
    Returns (message ids seen, event ids seen), repeats included."""
    seen, eids = [], []
    end = time.time() + timeout
    while time.time() < end and not set(want_ids) <= set(seen):
        evs = c.poll(2)
        for e in evs:
            eids.append(e["id"])
            if e.get("type") == "message":
                seen.append(e["message"]["id"])
        if evs:
            r = c.post("ack", {"ids": [e["id"] for e in evs]})
            check(r.status == 204, "ack 204", r)
    return seen, eids


# --- an event for an offline user survives a full restart -------------------------
a, b = signup("da"), signup("db")
befriend(a, b)
b.drain()
r = a.post("messages", {"to": b.name, "client_id": "dur-1",
                        "body": "kept across restarts ✓"})
eq(r.status, 201, "send to a user who is not polling")
mid = (r.json or {}).get("id")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='message'"
       % b.user["id"]), [["1"]], "its event waits in MySQL")
chatlib.restart()
r = chatlib.Client().get("health")
eq(r.status, 200, "stack up after restart")
evs = b.poll(5)
msgs = [e for e in evs if e.get("type") == "message"]
eq([e["message"].get("id") for e in msgs], [mid],
   "the event arrives at the next poll after the restart")
if msgs:
    eq(msgs[0]["message"].get("body"), "kept across restarts ✓", "its body")
r = b.post("ack", {"ids": [e["id"] for e in evs]})
eq(r.status, 204, "ack after the restart")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='message'"
       % b.user["id"]), [["0"]], "acked: nothing left")

# --- SIGTERM while a poll is parked and sends are under way -----------------------
c, d, p = signup("dc"), signup("dd"), signup("dp")
befriend(c, d)
c.drain()
d.drain()
p.drain()

# A first batch, delivered and acked before the signal.
acked_msgs = []
for i in range(10):
    r = c.post("messages", {"to": d.name, "client_id": "pre-%d" % i,
                            "body": "before %d" % i})
    eq(r.status, 201, "pre-%d" % i)
    acked_msgs.append(r.json["id"])
seen, acked_events = collect(d, acked_msgs)
check(set(acked_msgs) <= set(seen), "first batch delivered", seen)



def poll_catch(c):
    """A long poll that reports errors instead of raising: (answer, secs)."""
    t = time.time()
    try:
        r = c.get("poll?timeout=40", timeout=60)
    except Exception as ex:     # noqa: BLE001
        r = ex
    return r, time.time() - t


results = []
lock = threading.Lock()
stop = threading.Event()


def sender(src, dst, tag):
    i = 0
    while not stop.is_set():
        cid = "%s-%d" % (tag, i)
        try:
            r = src.post("messages", {"to": dst.name, "client_id": cid,
                                      "body": "during " + cid}, timeout=20)
            out = (cid, r.status, r.json)
        except Exception as ex:     # noqa: BLE001
            out = (cid, None, repr(ex))
        with lock:
            results.append((src, dst) + out)
        i += 1
        time.sleep(0.07)    # under the per-user send rate


# p parks a long poll; c and d send to each other in threads.
poll_t = chatlib.in_thread(poll_catch, p)
time.sleep(1.0)
check(poll_t.is_alive(), "p's poll is parked")
senders = [threading.Thread(target=sender, args=(c, d, "cd")),
           threading.Thread(target=sender, args=(d, c, "dc"))]
for t in senders:
    t.start()
time.sleep(1.0)

pid = chatd_pid()
t_sig = time.time()
os.kill(pid, signal.SIGTERM)
while alive(pid) and time.time() - t_sig < 15:
    time.sleep(0.05)
gone = time.time() - t_sig
check(not alive(pid), "chatd exits on SIGTERM (%.2f s)" % gone)
check(gone < 5, "chatd exits within a few seconds (%.2f s)" % gone, gone)
if alive(pid):
    os.kill(pid, signal.SIGKILL)

poll_t.join(15)
check(not poll_t.is_alive(), "the parked poll got an answer, not a hang")
if not poll_t.is_alive():
    r, took = poll_t.result
    st = getattr(r, "status", None)
    if st == 200:
        eq((r.json or {}).get("events"), [], "parked poll answered empty")
    else:
        check(st is None or st >= 500, "parked poll: 200 empty or an error", r)
    check(took < 40 - 5, "parked poll ended before its timeout (%.1f s)" % took,
          took)

time.sleep(0.5)
stop.set()
for t in senders:
    t.join(30)
ok = [x for x in results if x[3] == 201]
print("chatd stopped in %.2f s; sends: %d got 201, %d other answers %s"
      % (gone, len(ok), len(results) - len(ok),
         sorted({x[3] for x in results if x[3] != 201}, key=str)))
if not poll_t.is_alive():
    print("parked poll: %r after %.2f s" % poll_t.result)
check(len(ok) >= 10, "sends were under way (%d got 201)" % len(ok), len(results))
bad = [x for x in results if x[3] not in (201, None) and x[3] < 500]
eq([(x[2], x[3]) for x in bad], [], "no 4xx answers while stopping")

chatlib.restart()
eq(chatlib.Client().get("health").status, 200, "stack up after the restart")

# Every 201 is in the database, once.
ok_ids = [x[4]["id"] for x in ok]
rows = sql("SELECT id FROM message WHERE id IN (%s)" % ",".join(
    str(i) for i in ok_ids)) if ok_ids else []
eq(len(rows), len(ok_ids), "every send that got 201 is stored")
for src, dst, cid, st, js in ok:
    got = sql("SELECT COUNT(*) FROM message WHERE sender_id=%d AND "
              "client_id='%s'" % (src.user["id"], cid))
    if got != [["1"]]:
        check(False, "message %s stored once" % cid, got)

# ... and delivered after the restart; nothing acked comes back.
for who, other in ((d, c), (c, d)):
    want = [x[4]["id"] for x in ok if x[1] is who]
    seen, eids = collect(who, want, timeout=30)
    missing = set(want) - set(seen)
    eq(sorted(missing), [], "every 201 message delivered to %s" % who.name)
    back = set(seen) & set(acked_msgs)
    eq(sorted(back), [], "acked messages never come back (%s)" % who.name)
    eq(sorted(set(eids) & set(acked_events)), [],
       "acked events never come back (%s)" % who.name)

# The restarted stack works: a send wakes a parked poll.
c.get("me")
d.get("me")
time.sleep(0.5)
d.drain()
t = chatlib.in_thread(poll_catch, d)
time.sleep(1.0)
r = c.post("messages", {"to": d.name, "client_id": "post-restart",
                        "body": "alive"})
eq(r.status, 201, "send after the restart")
t.join(20)
if not t.is_alive():
    r2, took = t.result
    evs = (getattr(r2, "json", None) or {}).get("events", [])
    check(took < 5, "parked poll woken after the restart (%.2f s)" % took)
    check("alive" in [e["message"]["body"] for e in evs
                      if e.get("type") == "message"], "its message", evs)
else:
    check(False, "poll after the restart returned")

chatlib.done()
