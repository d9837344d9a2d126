"""Presence: a friend who stops making requests goes offline after
CHAT_IDLE_S (the sweeper tells friends), and comes back online with the
next request.  A user waiting in a long poll is not idle."""
import os
import time

import chatlib
from chatlib import befriend, check, eq, signup

IDLE_S = int(os.environ.get("CHAT_IDLE_S", "4"))
SWEEP_S = int(os.environ.get("CHAT_SWEEP_S", "1"))


def presence_of(name, online):
    return lambda e: (e.get("type") == "presence" and e.get("user") == name
                      and e.get("online") is online)


def friend(c, name):
    r = c.get("friends")
    check(r.status == 200, "GET /api/friends", r)
    for f in (r.json or {}).get("friends", []):
        if f.get("username") == name:
            return f
    return {}


a, b = signup("ya"), signup("yb")
befriend(a, b)
a.drain()
f = friend(a, b.name)
eq(f.get("online"), True, "B online after signing up")

# B goes quiet; A keeps polling (A stays online).  B's last request comes
# just under a write interval after one that wrote last_seen (a request
# writes it only when it is CHAT_IDLE_S / 4 old): still, B is offline no
# sooner than CHAT_IDLE_S after that last request (it used to be up to a
# quarter sooner: 90 s instead of 120).
time.sleep(IDLE_S / 4 + 0.3)
eq(b.get("me").status, 200, "B's request that writes last_seen")
time.sleep(IDLE_S / 4 * 0.9)
eq(b.get("me").status, 200, "B's last request")
t0 = time.time()
ev = a.wait_for(presence_of(b.name, False), timeout=2 * IDLE_S + SWEEP_S + 15)
took = time.time() - t0
check(ev is not None, "A gets presence offline for B")
if ev:
    check(isinstance(ev.get("id"), int) and isinstance(ev.get("at"), int),
          "presence event has id and at", ev)
    check(took >= IDLE_S - 0.1,
          "not before CHAT_IDLE_S after B's last request (%.1f s)" % took,
          took)
f = friend(a, b.name)
eq(f.get("online"), False, "friends list shows B offline")
check(isinstance(f.get("last_seen"), int) and
      f["last_seen"] <= time.time() * 1000 - (IDLE_S - 1) * 1000,
      "last_seen is B's last request", f.get("last_seen"))
eq(friend(b, a.name).get("online"), True,
   "A is online in B's list (A kept polling)")

# B's next request: A gets presence online.
r = b.get("me")
eq(r.status, 200, "B comes back")
ev = a.wait_for(presence_of(b.name, True), timeout=10)
check(ev is not None, "A gets presence online for B")
eq(friend(a, b.name).get("online"), True, "friends list shows B online")

# A user parked in a long poll is not idle: C waits in polls longer than
# CHAT_IDLE_S and D must not hear that C went offline.
c, d = signup("yc"), signup("yd")
befriend(c, d)
c.drain()
d.drain()
seen = []
t = chatlib.in_thread(c.poll, IDLE_S * 2 + SWEEP_S + 2)   # one long poll
while t.is_alive():
    evs = d.poll(1)
    seen += evs
    if evs:
        d.post("ack", {"ids": [e["id"] for e in evs]})
t.join()
offline = [e for e in seen if presence_of(c.name, False)(e)]
eq(offline, [], "a user waiting in a poll stays online")
eq(friend(d, c.name).get("online"), True, "and is listed online")

# Many friends going quiet at once: the sweeper takes them offline in
# batches of 50 to a transaction; every one of them is announced once
# (the first may be announced while the last are still befriended).
MANY = 60
w = signup("yw")
many = [signup("ym") for _ in range(MANY)]
for m in many:
    befriend(w, m)
names = set(m.name for m in many)
gone = {}
end = time.time() + IDLE_S + SWEEP_S + 30
while len(gone) < MANY and time.time() < end:
    evs = w.poll(2)
    for e in evs:
        if e.get("type") == "presence" and e.get("user") in names \
                and e.get("online") is False:
            gone[e["user"]] = gone.get(e["user"], 0) + 1
    if evs:
        w.post("ack", {"ids": [e["id"] for e in evs]})
eq(len(gone), MANY, "presence offline for each of %d quiet friends" % MANY)
eq([n for n, k in gone.items() if k != 1], [], "each announced once")
r = w.get("friends")
eq(sorted(f["username"] for f in r.json["friends"] if not f.get("online")),
   sorted(names), "all %d listed offline" % MANY)

# The sweeper picks idle users, then takes each offline: a request that
# comes in between keeps the user online (here an admin's transaction holds
# the row while the sweeper waits for it, then touches last_seen as a
# request does).  The row is held from before C is idle (its plain SELECT
# still picks C), so no round can take C offline before the hold (taking
# the row only once C was idle raced the sweeper, and lost now and then);
# the sweeper then waits at most ~2.5 s for it, inside its 5 s lock wait.
c = signup("yc")
locker = chatlib.lock_row("user", c.user["id"], "an admin holds C's row")
time.sleep(IDLE_S + IDLE_S / 4 + 0.5 + 2 * SWEEP_S)  # picked; waits for the row
locker.stdin.write("UPDATE user SET last_seen = NOW(3) WHERE id = %d;\n"
                   % c.user["id"])
chatlib.unlock(locker)
time.sleep(1)
eq(chatlib.sql("SELECT online FROM user WHERE id = %d" % c.user["id"]),
   [["1"]], "C, seen after the sweeper picked it, stays online")

chatlib.done()
