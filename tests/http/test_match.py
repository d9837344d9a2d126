"""Stranger matching: the queue, match_found for both sides, never oneself,
several stranger chats at once (never twice with the same stranger, at most
five), parallel joins (every guest in exactly one match, the odd one waits), and
the ways a match ends: leave, logout, going idle -- the partner gets
partner_left and the chat refuses new messages (409), and a page that goes
(POST /api/match/away) without coming back within CHAT_AWAY_S.  A guest is
removed CHAT_GUEST_TTL_S after its session ends.  Registered users match
too."""
import os
import threading
import time

import chatlib
from chatlib import (Client, Listener, check, eq, err_code, send_msg, signup,
                     sql, wait_until)

IDLE_S = int(os.environ.get("CHAT_IDLE_S", "4"))
SWEEP_S = int(os.environ.get("CHAT_SWEEP_S", "1"))
TTL_S = int(os.environ.get("CHAT_GUEST_TTL_S", "2"))
AWAY_S = int(os.environ.get("CHAT_AWAY_S", "2"))


def guest(nick):
    c = Client()
    r = c.post("guest", {"nickname": nick})
    check(r.status == 201, "guest 201", r)
    c.user = r.json or {}
    c.name = c.user.get("username")
    c.nick = nick
    return c


def uid(c):
    return c.user["id"]


def found(e):
    return e.get("type") == "match_found"


def left(conv):
    return lambda e: e.get("type") == "partner_left" and e.get("conversation_id") == conv


def queue_of(users):
    ids = ",".join(str(uid(u)) for u in users)
    return sorted(int(r[0]) for r in sql(
        "SELECT user_id FROM match_queue WHERE user_id IN (%s)" % ids))


def live_matches(users):
    """{user id: [live match conversation ids]} for these users."""
    ids = ",".join(str(uid(u)) for u in users)
    out = {uid(u): [] for u in users}
    for u, c in sql("SELECT m.user_id, c.id FROM conv_member m JOIN conversation c "
                    "ON c.id = m.conv_id WHERE c.kind='match' AND c.ended_at IS NULL "
                    "AND m.user_id IN (%s)" % ids):
        out[int(u)].append(int(c))
    return out


def match_found_events(c):
    evs = c.poll(0)
    c.post("ack", {"ids": [e["id"] for e in evs]})
    return [e for e in evs if found(e)]


# Other tests may have left someone waiting; they leave once idle.
check(wait_until(lambda: sql("SELECT COUNT(*) FROM match_queue") == [["0"]],
                 IDLE_S + SWEEP_S + 15), "the queue empties")

# --- two guests --------------------------------------------------------------------
g1, g2 = guest("Ann"), guest("Ben")
r = g1.post("match")
eq(r.status, 200, "join the queue")
eq(r.json, {"status": "waiting"}, "alone: waiting")
r = g1.post("match")
eq(r.json, {"status": "waiting"}, "joining again alone: still waiting, never oneself")
eq(queue_of([g1]), [uid(g1)], "in the queue once")
eq(match_found_events(g1), [], "no match_found while alone")
eq(live_matches([g1]), {uid(g1): []}, "no match with oneself")

r = g2.post("match")
eq(r.status, 200, "second joins")
mj = r.json or {}
eq(mj.get("status"), "matched", "second is matched at once")
conv = mj.get("conversation_id", 0)
eq((mj.get("partner") or {}).get("nickname"), "Ann", "the answer names the partner")
eq((mj.get("partner") or {}).get("id"), uid(g1), "partner id")
eq((mj.get("partner") or {}).get("username", "absent"), None,
   "a stranger's user name is not told (issue 26)")
e1 = g1.wait_for(found, timeout=10)
e2 = g2.wait_for(found, timeout=10)
check(e1 is not None and e2 is not None, "both get match_found")
if e1 and e2:
    eq((e1.get("conversation_id"), e2.get("conversation_id")), (conv, conv),
       "match_found names the conversation")
    eq((e1["partner"].get("nickname"), e1["partner"].get("id")), ("Ben", uid(g2)),
       "g1's match_found has g2's nickname")
    eq((e2["partner"].get("nickname"), e2["partner"].get("id")), ("Ann", uid(g1)),
       "g2's match_found has g1's nickname")
eq(queue_of([g1, g2]), [], "the queue is empty")
item = [x for x in g1.get("conversations").json["conversations"] if x["id"] == conv]
check(item and item[0]["kind"] == "match" and not item[0]["ended"],
      "a live match in the list", item)
# Several stranger chats at once (seed 002: several session windows), each
# with someone else: joining again while in a match looks for another
# stranger, never the one already talked to.
sql("DELETE FROM match_queue")      # strangers other tests left waiting
r = g2.post("match")
eq((r.json or {}).get("status"), "waiting", "joining again while in a match queues")
r = g1.post("match")
eq((r.json or {}).get("status"), "waiting",
   "the partner joining again is not matched with the same stranger")
eq(queue_of([g1, g2]), sorted([uid(g1), uid(g2)]), "both wait for someone new")
g3 = guest("Cy")
r = g3.post("match")
eq(((r.json or {}).get("status"), ((r.json or {}).get("partner") or {}).get("id")),
   ("matched", uid(g2)), "a new stranger takes the longest waiting (g2)")
second = (r.json or {}).get("conversation_id")
check(second and second != conv, "a second conversation", r)
eq(sorted(live_matches([g2])[uid(g2)]), sorted([conv, second]),
   "g2 has two live stranger chats")
eq(g1.delete("match").status, 204, "g1 stops looking")
# "Next stranger": A ends the chat with X while X, still in it, looks for
# one more; A joining again at once is not paired with X again.
sql("DELETE FROM match_queue")
xa, xx = guest("Ada"), guest("Xan")
eq(xa.post("match").json.get("status"), "waiting", "Ada waits")
r = xx.post("match")
eq(r.json.get("status"), "matched", "Xan meets Ada")
ax = r.json.get("conversation_id")
eq(xx.post("match").json.get("status"), "waiting", "Xan looks for one more")
eq(xa.post("conversations/%d/leave" % ax).status, 204, "Ada ends it")
r = xa.post("match")
eq((r.json or {}).get("status"), "waiting",
   "Ada joining again is not paired with the stranger just left")
xa.delete("match")
xx.delete("match")
# At most five at once.
sql("DELETE FROM match_queue")
hub = guest("Hub")
for i in range(5):
    eq(hub.post("match").json.get("status"), "waiting", "hub waits (%d)" % i)
    eq(guest("S%d" % i).post("match").json.get("status"), "matched",
       "stranger %d meets the hub" % i)
eq(len(live_matches([hub])[uid(hub)]), 5, "five live stranger chats")
r = hub.post("match")
eq((r.status, err_code(r)), (409, "conflict"), "a sixth is refused")
eq(queue_of([hub]), [], "and not queued")

r = send_msg(g1, "hello stranger", "m-1", conv=conv)
eq(r.status, 201, "g1 sends")
ev = g2.wait_for(lambda e: e.get("type") == "message", timeout=10)
eq(((ev or {}).get("message") or {}).get("body"), "hello stranger", "g2 receives it")

# g1 leaves: g2 hears it and the chat takes no more messages.
r = g1.post("conversations/%d/leave" % conv)
eq(r.status, 204, "g1 leaves the match")
ev = g2.wait_for(left(conv), timeout=10)
check(ev is not None, "g2 gets partner_left")
eq((ev or {}).get("user"), g1.name, "partner_left names g1")
r = send_msg(g2, "are you there?", "m-2", conv=conv)
eq(r.status, 409, "sending to an ended match")
eq(err_code(r), "conflict", "its code")
eq(send_msg(g1, "me again", "m-3", conv=conv).status, 403, "the leaver is out")
item = [x for x in g2.get("conversations").json["conversations"] if x["id"] == conv]
check(item and item[0]["ended"], "the list shows the match ended", item)
eq(sql("SELECT ended_at IS NOT NULL FROM conversation WHERE id=%d" % conv), [["1"]],
   "ended in MySQL")
eq(g2.get("conversations/%d/messages" % conv).status, 200,
   "the partner can still read the ended chat")
# Both can match again, not with each other at once (the stranger just
# parted from is skipped for a minute): a newcomer takes g1.
eq(g1.post("match").json, {"status": "waiting"}, "g1 queues again")
eq(g2.post("match").json, {"status": "waiting"},
   "g2 is not paired with g1 again at once")
g4 = guest("Dee")
r = g4.post("match")
eq(((r.json or {}).get("status"), ((r.json or {}).get("partner") or {}).get("id")),
   ("matched", uid(g1)), "a newcomer meets the longest waiting")
check((r.json or {}).get("conversation_id") != conv, "a new conversation", r)
conv2 = (r.json or {}).get("conversation_id", 0)
eq(g4.post("conversations/%d/leave" % conv2).status, 204, "the newcomer leaves")
check(g1.wait_for(left(conv2), timeout=10) is not None, "g1 gets partner_left")
eq(g2.delete("match").status, 204, "g2 stops looking")

# DELETE /api/match leaves the queue.
eq(g1.post("match").json, {"status": "waiting"}, "queue")
eq(g1.delete("match").status, 204, "leave the queue")
eq(queue_of([g1]), [], "out of the queue")


# --- parallel joins ---------------------------------------------------------------
def crowd_join(n):
    gs = [guest("p%d" % i) for i in range(n)]
    for g in gs:
        g.drain()
    go = threading.Barrier(n)
    out = [None] * n

    def join(i):
        go.wait()
        out[i] = gs[i].post("match")
    ts = [threading.Thread(target=join, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return gs, out


def check_crowd(gs, out, n):
    eq([r.status for r in out], [200] * n, "all joins answer 200")
    status = [(r.json or {}).get("status") for r in out]
    eq(status.count("matched"), n // 2, "%d matched at once" % (n // 2))
    eq(status.count("waiting"), n - n // 2, "the rest were waiting")
    live = live_matches(gs)
    eq(sorted(len(v) for v in live.values()),
       [0] * (n % 2) + [1] * (n - n % 2), "every guest in at most one live match")
    convs = {}
    for u, cs in live.items():
        for c in cs:
            convs.setdefault(c, []).append(u)
    eq(len(convs), n // 2, "%d live matches" % (n // 2))
    check(all(len(v) == 2 for v in convs.values()), "two of ours in each", convs)
    eq(len(queue_of(gs)), n % 2, "queue: %d of ours left waiting" % (n % 2))
    byid = {uid(g): g for g in gs}
    # Everyone's match_found agrees with MySQL and with the partner's.
    for g in gs:
        evs = []
        end = time.time() + 5
        while time.time() < end and not evs and live[uid(g)]:
            evs = match_found_events(g)
        want = live[uid(g)]
        eq(len(evs), len(want), "one match_found per match for %s" % g.name)
        if evs and want:
            c = want[0]
            partner = [u for u in convs[c] if u != uid(g)][0]
            eq((evs[0].get("conversation_id"), evs[0]["partner"].get("id"),
                evs[0]["partner"].get("nickname")),
               (c, partner, byid[partner].nick), "match_found of %s" % g.name)
    waiting = [g for g in gs if not live[uid(g)]]
    eq(queue_of(gs), [uid(g) for g in waiting], "the odd one is the one in the queue")
    return convs, waiting


gs, out = crowd_join(10)
convs, _ = check_crowd(gs, out, 10)
for c, us in convs.items():
    g = [x for x in gs if uid(x) == us[0]][0]
    g.post("conversations/%d/leave" % c)
eq(sum(len(v) for v in live_matches(gs).values()), 0, "all ended")

gs, out = crowd_join(11)
convs, waiting = check_crowd(gs, out, 11)
for c, us in convs.items():
    g = [x for x in gs if uid(x) == us[0]][0]
    g.post("conversations/%d/leave" % c)
for g in waiting:
    eq(g.delete("match").status, 204, "the odd one leaves the queue")
eq(queue_of(gs), [], "queue empty")

# --- logout ends the match; the guest goes away ---------------------------------------
g3, g4 = guest("Cid"), guest("Dot")
g3.post("match")
r = g4.post("match")
eq((r.json or {}).get("status"), "matched", "g3 and g4 matched")
conv = (r.json or {}).get("conversation_id", 0)
send_msg(g4, "bye soon", "m-4", conv=conv)
eq(g4.post("logout").status, 204, "g4 logs out")
ev = g3.wait_for(left(conv), timeout=10)
check(ev is not None, "g3 gets partner_left after g4's logout")
eq((ev or {}).get("user"), g4.name, "partner_left names g4")
eq(send_msg(g3, "hello?", "m-5", conv=conv).status, 409, "the ended match refuses")
eq(g4.get("me").status, 401, "g4's session is over")
t0 = time.time()
gone = wait_until(lambda: sql("SELECT COUNT(*) FROM user WHERE id=%d" % uid(g4))
                  == [["0"]], timeout=TTL_S + SWEEP_S + 15)
check(gone, "the guest's user row is removed after logout + CHAT_GUEST_TTL_S")
print("guest removed %.1f s after logout" % (time.time() - t0), flush=True)
eq(sql("SELECT COUNT(*) FROM conversation WHERE id=%d" % conv), [["0"]],
   "its stranger chat went with it")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % uid(g4)), [["0"]],
   "and its messages")
eq(sql("SELECT COUNT(*) FROM user WHERE id=%d" % uid(g3)), [["1"]],
   "the partner, still logged in, stays")

# A guest who left the chat before logging out: the chat goes with it all
# the same (it used to stay, its seqs with holes where the guest's were).
g8, g9 = guest("Hal"), guest("Ivy")
g8.post("match")
r = g9.post("match")
eq((r.json or {}).get("status"), "matched", "g8 and g9 matched")
conv = (r.json or {}).get("conversation_id", 0)
for i, (who, text) in enumerate(((g9, "one"), (g8, "two"), (g9, "three"))):
    eq(send_msg(who, text, "m-8%d" % i, conv=conv).status, 201, "sent " + text)
eq(g9.post("conversations/%d/leave" % conv).status, 204, "g9 leaves the chat")
eq(g9.post("logout").status, 204, "then logs out")
gone = wait_until(lambda: sql("SELECT COUNT(*) FROM user WHERE id=%d" % uid(g9))
                  == [["0"]], timeout=TTL_S + SWEEP_S + 15)
check(gone, "the guest who left is removed")
eq(sql("SELECT COUNT(*) FROM conversation WHERE id=%d" % conv), [["0"]],
   "the chat it left went with it, not kept with holes")

# --- going idle ends it; an idle waiter leaves the queue ------------------------------
g5, g6 = guest("Eve"), guest("Fay")
g5.post("match")
r = g6.post("match")
eq((r.json or {}).get("status"), "matched", "g5 and g6 matched")
conv = (r.json or {}).get("conversation_id", 0)
g5.drain()
g7 = guest("Gus")
eq(g7.post("match").json, {"status": "waiting"}, "g7 waits, then goes quiet")
lis = Listener(g5)         # g5 stays connected; g6 and g7 stop making requests
t0 = time.time()
ev = lis.wait(left(conv), timeout=IDLE_S + SWEEP_S + 15)
took = time.time() - t0
check(ev is not None, "g5 gets partner_left when g6 goes idle")
eq((ev or {}).get("user"), g6.name, "partner_left names g6")
check(took >= IDLE_S - 1.5, "not before CHAT_IDLE_S (%.1f s)" % took, took)
eq(send_msg(g5, "still?", "m-6", conv=conv).status, 409, "the ended match refuses g5")
check(wait_until(lambda: queue_of([g7]) == [], timeout=5), "idle g7 left the queue")
eq(sql("SELECT ended_at IS NOT NULL FROM conversation WHERE id=%d" % conv), [["1"]],
   "ended in MySQL")
lis.stop()
# g6 comes back (its session still lives): the match is over for it too.
eq(send_msg(g6, "sorry, was away", "m-7", conv=conv).status, 409,
   "the idle side finds the match ended")
eq(sql("SELECT COUNT(*) FROM user WHERE id=%d" % uid(g6)), [["1"]],
   "an idle guest with a live session is kept")

# --- a page that goes: its chats end after CHAT_AWAY_S unless it comes back ----------
def pair(a_nick, b_nick):
    sql("DELETE FROM match_queue")
    a, b = guest(a_nick), guest(b_nick)
    a.post("match")
    r = b.post("match")
    eq((r.json or {}).get("status"), "matched", "%s and %s matched" % (a_nick, b_nick))
    a.drain()
    b.drain()
    return a, b, (r.json or {}).get("conversation_id", 0)


def live(conv):
    return sql("SELECT ended_at IS NULL FROM conversation WHERE id=%d" % conv) == [["1"]]


def away_of(c):
    return sql("SELECT away_at IS NOT NULL FROM user WHERE id=%d" % uid(c))


# A closed page: the partner hears within seconds, not after CHAT_IDLE_S.
pa, pb, conv = pair("Pam", "Pat")
lis = Listener(pb)
t0 = time.time()
eq(pa.post("match/away").status, 204, "the page says it goes")
eq(away_of(pa), [["1"]], "marked away")
# A chat begun after the page went (another device) is not the page's, and
# requests other than DELETE /api/match/away do not bring the page back.
pc = guest("Pia")
eq(pc.post("match").json.get("status"), "waiting", "Pia waits")
r = pa.post("match")
eq((r.json or {}).get("status"), "matched", "Pam, away, is matched from elsewhere")
later = (r.json or {}).get("conversation_id", 0)
keep = [Listener(pa), Listener(pc)]
ev = lis.wait(left(conv), timeout=AWAY_S + SWEEP_S + 10)
took = time.time() - t0
check(ev is not None, "the partner gets partner_left after the page went")
eq((ev or {}).get("user"), pa.name, "partner_left names the one whose page went")
check(AWAY_S - 0.5 <= took < IDLE_S + SWEEP_S,
      "after CHAT_AWAY_S, before going idle (%.1f s)" % took, took)
eq(live(conv), False, "the chat ended in MySQL")
eq(send_msg(pb, "hello?", "m-a1", conv=conv).status, 409, "it refuses messages")
check(live(later), "the chat begun after the page went goes on", later)
eq(away_of(pa), [["0"]], "the mark is gone")
for x in [lis] + keep:
    x.stop()

# A reload: the new page says it is back, and nothing ends.
ra, rb, conv = pair("Rae", "Rob")
keep = [Listener(ra), Listener(rb)]
eq(ra.post("match/away").status, 204, "the page goes")
eq(ra.delete("match/away").status, 204, "the reloaded page is back")
eq(away_of(ra), [["0"]], "no mark left")
time.sleep(AWAY_S + SWEEP_S + 1.5)
check(live(conv), "the chat goes on after a reload", conv)
eq(keep[1].find(left(conv)), [], "no partner_left for a reload")
for x in keep:
    x.stop()

# Another device of the same user, waiting in a poll: nothing is marked.
sql("DELETE FROM match_queue")
d1 = signup("dv")
d2 = Client()
eq(d2.post("login", {"username": d1.name, "password": d1.password}).status, 200,
   "a second device signs in")
other = guest("Dan")
d1.post("match")
r = other.post("match")
eq((r.json or {}).get("status"), "matched", "the user is matched")
conv = (r.json or {}).get("conversation_id", 0)
d2.drain()
keep = Listener(other)
waiting = chatlib.in_thread(d2.poll, AWAY_S + SWEEP_S + 2)
time.sleep(0.5)
eq(d1.post("match/away").status, 204, "one device's page goes")
eq(away_of(d1), [["0"]], "not marked: the other device is waiting in a poll")
waiting.join()
check(live(conv), "the chat goes on on the other device", conv)
keep.stop()
eq(Client().post("match/away").status, 401, "away needs a session")

# --- registered users match too ---------------------------------------------------------
u1, u2 = signup("mu", nickname="Reg One"), signup("mv", nickname="Reg Two")
eq(u1.post("match").json, {"status": "waiting"}, "a registered user waits")
r = u2.post("match")
eq((r.json or {}).get("status"), "matched", "two registered users match")
eq(((r.json or {}).get("partner") or {}).get("nickname"), "Reg One", "partner nickname")
conv = (r.json or {}).get("conversation_id", 0)
ev = u1.wait_for(found, timeout=10)
eq(((ev or {}).get("partner") or {}).get("nickname"), "Reg Two",
   "u1's match_found names u2")
eq(send_msg(u1, "hi", "m-8", conv=conv).status, 201, "registered users chat")
eq(u2.post("conversations/%d/leave" % conv).status, 204, "u2 leaves")
check(u1.wait_for(left(conv), timeout=10) is not None, "u1 gets partner_left")
r = u1.get("conversations/%d/messages" % conv)
eq(r.status, 200, "u1 keeps the history")

# Matching in a loop would pester strangers: a join counts with the
# user's sends (20 a second, bursts of 60), 429 past them.
gf = guest("Flood")
sts = [x.status for x in chatlib.all_at_once(gf.post, [("match",)] * 150) if x]
check(len(sts) == 150 and sts.count(200) >= 40 and sts.count(429) >= 1
      and set(sts) <= {200, 409, 429}, "150 joins at once: the rest 429",
      sorted(set(sts)))
eq(gf.delete("match").status, 204, "out of the queue")
eq(sql("SELECT COUNT(*) FROM match_queue WHERE user_id=%d" % uid(gf)), [["0"]],
   "not waiting: the tests after this one match among themselves")

chatlib.done()
