"""Friends: requests with a note, accept, reject, remove, the lists, the
events each side gets, refusals, two users asking each other at once, and
a new nickname or picture told to the friends."""
import threading
import time

import chatlib
from chatlib import Client, befriend, check, eq, signup, sql


def typed(t, **want):
    """An event predicate: type t and request fields as given."""
    def pred(e):
        if e.get("type") != t:
            return False
        req = e.get("request") or {}
        return all(req.get(k) == v for k, v in want.items())
    return pred


def friend_names(c):
    r = c.get("friends")
    check(r.status == 200, "GET /api/friends 200", r)
    return {f["username"]: f for f in r.json["friends"]}


def uid(c):
    return c.user["id"]


# --- request with a note, the receiver's event, the lists ------------------
a, b = signup("fa"), signup("fb")
note = "hi, it's me from the café 👋"
r = a.post("friends/requests", {"to": b.name, "text": note})
eq(r.status, 201, "request with a note")
req = r.json or {}
for k in ("id", "from", "to", "text", "created_at"):
    check(k in req, "request has " + k, req)
eq(req.get("from"), a.name, "request from")
eq(req.get("to"), b.name, "request to")
eq(req.get("text"), note, "request text as sent")
check(isinstance(req.get("created_at"), int) and
      abs(req["created_at"] - time.time() * 1000) < 60000,
      "created_at is epoch ms", req.get("created_at"))

ev = b.wait_for(typed("friend_request", id=req.get("id")))
check(ev is not None, "receiver gets friend_request by poll")
if ev:
    check(isinstance(ev.get("id"), int) and isinstance(ev.get("at"), int),
          "event has id and at", ev)
    eq(ev["request"].get("from"), a.name, "event request.from")
    eq(ev["request"].get("to"), b.name, "event request.to")
    eq(ev["request"].get("text"), note, "event request.text")

r = b.get("friends/requests")
eq(r.status, 200, "GET requests (receiver)")
eq([x["id"] for x in r.json["incoming"]], [req["id"]], "receiver incoming")
eq(r.json["outgoing"], [], "receiver outgoing")
inc = r.json["incoming"][0] if r.json["incoming"] else {}
eq(inc.get("text"), note, "incoming text")
eq(inc.get("from"), a.name, "incoming from")
r = a.get("friends/requests")
eq([x["id"] for x in r.json["outgoing"]], [req["id"]], "requester outgoing")
eq(r.json["incoming"], [], "requester incoming")

# Duplicate while pending: 409, still one request.
r = a.post("friends/requests", {"to": b.name, "text": "again"})
eq(r.status, 409, "duplicate request")
eq((r.json or {}).get("error", {}).get("code"), "conflict", "duplicate code")
eq(sql("SELECT COUNT(*) FROM friend_request WHERE from_id=%d AND to_id=%d"
       % (uid(a), uid(b))), [["1"]], "one request row after duplicate")

# Not friends yet: no direct messages.
r = a.post("messages", {"to": b.name, "client_id": "x1", "body": "early"})
eq(r.status, 403, "message before accept")

# --- accept ------------------------------------------------------------------
r = b.post("friends/requests/%d/accept" % req["id"])
eq(r.status, 200, "accept")
conv = (r.json or {}).get("conversation_id")
check(isinstance(conv, int), "accept gives conversation_id", r)
eq(((r.json or {}).get("friend") or {}).get("username"), a.name,
   "accept gives the friend")
ev = a.wait_for(typed("friend_accepted", id=req["id"]))
check(ev is not None, "requester gets friend_accepted")
if ev:
    eq(ev["request"].get("from"), a.name, "friend_accepted request.from")
    eq(ev["request"].get("to"), b.name, "friend_accepted request.to")

fa, fb = friend_names(a), friend_names(b)
check(b.name in fa, "A lists B as friend", fa)
check(a.name in fb, "B lists A as friend", fb)
for me, other, f in ((a, b, fa), (b, a, fb)):
    x = f.get(other.name, {})
    check("online" in x and isinstance(x.get("online"), bool),
          "friend has online", x)
    check("last_seen" in x, "friend has last_seen", x)
    eq(x.get("conversation_id"), conv, "friend's conversation_id")
r = a.get("friends/requests")
eq((r.json["incoming"], r.json["outgoing"]), ([], []), "no pending after accept")
r = b.post("friends/requests/%d/accept" % req["id"])
eq(r.status, 404, "accepting twice")

# Request to a friend: 409.
r = a.post("friends/requests", {"to": b.name})
eq(r.status, 409, "request to a friend")
r = b.post("friends/requests", {"to": a.name})
eq(r.status, 409, "request to a friend (other way)")

# Friends can message now.
r = a.post("messages", {"to": b.name, "client_id": "m1", "body": "hello friend"})
eq(r.status, 201, "message after accept")
eq((r.json or {}).get("conversation_id"), conv, "message in the direct conv")

# --- errors -------------------------------------------------------------------
r = a.post("friends/requests", {"to": a.name})
eq(r.status, 400, "request to oneself")
r = a.post("friends/requests", {"to": chatlib.uniq("nobody")})
eq(r.status, 404, "request to unknown user")
eq((r.json or {}).get("error", {}).get("code"), "not_found", "unknown code")
r = a.post("friends/requests", {})
eq(r.status, 400, "request without to")
r = a.post("friends/requests/999999999/accept")
eq(r.status, 404, "accept unknown request")

# Only the receiver may decide.
c, d = signup("fc"), signup("fd")
r = c.post("friends/requests", {"to": d.name, "text": "please"})
eq(r.status, 201, "request c->d")
rid = r.json["id"]
r = c.post("friends/requests/%d/accept" % rid)
eq(r.status, 404, "requester cannot accept its own request")
r = a.post("friends/requests/%d/reject" % rid)
eq(r.status, 404, "a third user cannot reject")

# --- reject -------------------------------------------------------------------
r = d.post("friends/requests/%d/reject" % rid)
eq(r.status, 204, "reject")
ev = c.wait_for(typed("friend_rejected", id=rid))
check(ev is not None, "requester gets friend_rejected")
if ev:
    eq(ev["request"].get("to"), d.name, "friend_rejected request.to")
check(d.name not in friend_names(c), "not friends after reject (c)")
check(c.name not in friend_names(d), "not friends after reject (d)")
eq(sql("SELECT COUNT(*) FROM friendship WHERE user_id IN (%d,%d) AND "
       "friend_id IN (%d,%d)" % (uid(c), uid(d), uid(c), uid(d))), [["0"]],
   "no friendship rows after reject")
r = c.get("friends/requests")
eq(r.json["outgoing"], [], "no outgoing after reject")
r = d.get("friends/requests")
eq(r.json["incoming"], [], "no incoming after reject")
r = c.post("messages", {"to": d.name, "client_id": "r1", "body": "hey"})
eq(r.status, 403, "message after reject")
r = d.post("friends/requests/%d/reject" % rid)
eq(r.status, 404, "rejecting twice")
# Asking again after a rejection is allowed.
r = c.post("friends/requests", {"to": d.name, "text": "second try"})
eq(r.status, 201, "new request after a rejection")

# --- delete -------------------------------------------------------------------
b.drain()
r = a.delete("friends/" + b.name)
eq(r.status, 204, "delete friend")
ev = b.wait_for(lambda e: e.get("type") == "friend_removed")
check(ev is not None, "other side gets friend_removed")
if ev:
    eq(ev.get("user"), a.name, "friend_removed user")
check(b.name not in friend_names(a), "A no longer lists B")
check(a.name not in friend_names(b), "B no longer lists A")
for who in (a, b):
    r = who.get("conversations/%d/messages" % conv)
    eq(r.status, 200, "history still readable after delete (%s)" % who.name)
    eq([m["body"] for m in (r.json or {}).get("messages", [])],
       ["hello friend"], "history kept")
r = a.post("messages", {"to": b.name, "client_id": "d1", "body": "after"})
eq(r.status, 403, "direct message after delete")
eq((r.json or {}).get("error", {}).get("code"), "not_friends", "code not_friends")
r = b.post("messages", {"conversation_id": conv, "client_id": "d2", "body": "x"})
eq(r.status, 403, "message to the old conversation after delete")
eq((r.json or {}).get("error", {}).get("code"), "not_friends",
   "code not_friends (conversation_id)")
eq(sql("SELECT COUNT(*) FROM message WHERE conv_id=%d" % conv), [["1"]],
   "nothing stored after delete")
r = a.delete("friends/" + b.name)
eq(r.status, 404, "delete a non-friend")
# They can become friends again; the old conversation comes back.
r = b.post("friends/requests", {"to": a.name, "text": "again?"})
eq(r.status, 201, "request after delete")
r2 = a.post("friends/requests/%d/accept" % r.json["id"])
eq(r2.status, 200, "accept after delete")
eq((r2.json or {}).get("conversation_id"), conv, "same conversation again")

# --- asking back accepts --------------------------------------------------------
e, f = signup("fe"), signup("ff")
r = e.post("friends/requests", {"to": f.name, "text": "e asks"})
eq(r.status, 201, "e asks f")
r = f.post("friends/requests", {"to": e.name, "text": "f asks"})
eq(r.status, 200, "f asking e back accepts")
check(isinstance((r.json or {}).get("conversation_id"), int),
      "asking back gives conversation_id", r)
check(f.name in friend_names(e), "friends after asking back")
check(e.wait_for(typed("friend_accepted")) is not None,
      "first asker gets friend_accepted")

# --- events for an offline receiver wait in MySQL ------------------------------
g = signup("fg")          # never polls
h = signup("fh")
# g makes no request; the sweeper takes it offline after CHAT_IDLE_S.
end = time.time() + 20
while time.time() < end and sql("SELECT online FROM user WHERE id=%d"
                                % uid(g)) != [["0"]]:
    h.get("me")
    time.sleep(0.5)
eq(sql("SELECT online FROM user WHERE id=%d" % uid(g)), [["0"]],
   "idle receiver is offline")
r = h.post("friends/requests", {"to": g.name, "text": "while you were away"})
eq(r.status, 201, "request to an offline user")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='friend_request'"
       % uid(g)), [["1"]], "event row waits in MySQL")
time.sleep(1)
evs = g.poll(0)
got = [x for x in evs if x.get("type") == "friend_request"]
eq(len(got), 1, "offline receiver gets the request at its next poll")
if got:
    eq(got[0]["request"].get("text"), "while you were away", "its text")
    g.poll(0, ack=[x["id"] for x in evs])
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type='friend_request'"
       % uid(g)), [["0"]], "acked event gone")

# --- simultaneous requests: exactly one friendship ------------------------------
def ask_at_once(p, q, each):
    """each requests from p to q and from q to p, all started together;
    their statuses, sorted (None for a request that raised)."""
    bar = threading.Barrier(2 * each)
    out = {}

    def ask(x, y, key):
        bar.wait()
        try:
            out[key] = x.post("friends/requests", {"to": y.name, "text": key})
        except Exception as ex:     # noqa: BLE001
            out[key] = ex
    ts = [threading.Thread(target=ask, args=(p, q, "pq%d" % k)) for k in range(each)] + \
         [threading.Thread(target=ask, args=(q, p, "qp%d" % k)) for k in range(each)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    return sorted(getattr(v, "status", None) for v in out.values())


for i in range(10):
    p, q = signup("sp"), signup("sq")
    sts = ask_at_once(p, q, 1)
    eq(sts, [200, 201], "round %d: one request made, one accepted it" % i)
    pair = (uid(p), uid(q), uid(p), uid(q))
    eq(sql("SELECT COUNT(*) FROM friendship WHERE user_id IN (%d,%d) AND "
           "friend_id IN (%d,%d)" % pair), [["2"]],
       "round %d: two friendship rows" % i)
    eq(sql("SELECT COUNT(*) FROM friend_request WHERE status='pending' AND "
           "from_id IN (%d,%d) AND to_id IN (%d,%d)" % pair), [["0"]],
       "round %d: no pending request" % i)
    eq(sql("SELECT COUNT(*) FROM conversation WHERE kind='direct' AND "
           "user_lo=%d AND user_hi=%d" % (min(uid(p), uid(q)),
                                          max(uid(p), uid(q)))), [["1"]],
       "round %d: one direct conversation" % i)
    check(q.name in friend_names(p) and p.name in friend_names(q),
          "round %d: both list each other" % i)

# Many requests both ways at once (a double click on each side): they become
# friends once, and no request is left pending between friends (a late one
# used to be stored after the other side accepted, and its accept then
# answered 503 for ever). Each answer is 201, 200 (accepted theirs) or
# 409 (already asked, already friends); never a 503.
for i in range(6):
    p, q = signup("fm"), signup("fm")
    sts = ask_at_once(p, q, 4)
    check(set(sts) <= {200, 201, 409} and 201 in sts and 200 in sts,
          "round %d: 201, 200 and 409s only" % i, sts)
    pair = (uid(p), uid(q), uid(p), uid(q))
    eq(sql("SELECT COUNT(*) FROM friend_request WHERE status='pending' AND "
           "from_id IN (%d,%d) AND to_id IN (%d,%d)" % pair), [["0"]],
       "round %d: no pending request between friends" % i)
    eq(p.get("friends/requests").json, {"incoming": [], "outgoing": []},
       "round %d: nothing to accept" % i)

# A request left pending between friends by an older build can still be
# accepted (it answered 503 for ever) and changes nothing.
lo, hi = min(uid(p), uid(q)), max(uid(p), uid(q))
sql("INSERT INTO friend_request (from_id, to_id, text, open_pair, created_at) "
    "VALUES (%d, %d, 'stale', '%d:%d', NOW(3))" % (uid(p), uid(q), lo, hi))
stale = q.get("friends/requests").json["incoming"][0]["id"]
eq(q.post("friends/requests/%d/accept" % stale).status, 200,
   "a stale request between friends is accepted")
eq(sql("SELECT COUNT(*) FROM friendship WHERE user_id IN (%d,%d) AND "
       "friend_id IN (%d,%d)" % (lo, hi, lo, hi)), [["2"]],
   "still one friendship, two rows")

# What a user does on one device reaches their others (friends_changed,
# with the other side's name); the other side gets only its own events.
def device(c):
    d = Client()
    eq(d.post("login", {"username": c.name, "password": c.password}).status,
       200, "a second device of " + c.name)
    d.drain()
    return d


def changed(change, user):
    return lambda e: (e.get("type") == "friends_changed"
                      and e.get("change") == change and e.get("user") == user)


s1, t1, u1 = signup("fs"), signup("ft"), signup("fu")
s2, t2, u2 = device(s1), device(t1), device(u1)
rq = s1.post("friends/requests", {"to": t1.name}).json["id"]
check(s2.wait_for(changed("requested", t1.name), timeout=5),
      "S's other device: a request was made")
eq(t1.post("friends/requests/%d/accept" % rq).status, 200, "T accepts")
check(t2.wait_for(changed("accepted", s1.name), timeout=5),
      "T's other device: accepted")
rq = u1.post("friends/requests", {"to": s1.name}).json["id"]
eq(s1.post("friends/requests/%d/reject" % rq).status, 204, "S rejects U")
check(s2.wait_for(changed("rejected", u1.name), timeout=5),
      "S's other device: rejected")
seen, end = [], time.time() + 2
while time.time() < end:
    evs = u2.poll(1)
    seen += evs
    if evs:
        u2.post("ack", {"ids": [e["id"] for e in evs]})
eq(sorted((e["type"], e.get("change")) for e in seen
          if e["type"] in ("friends_changed", "friend_rejected")),
   [("friend_rejected", None), ("friends_changed", "requested")],
   "U's device: its own request, then S's answer; not S's friends_changed")
eq(s1.delete("friends/" + t1.name).status, 204, "S removes T")
check(s2.wait_for(changed("removed", t1.name), timeout=5),
      "S's other device: removed")
check(not [e for e in t2.poll(1) if e.get("type") == "friends_changed"
           and e.get("change") == "removed"],
      "T is told friend_removed only")

# A new nickname or picture reaches the friends as a profile event (their
# lists follow without a reload); nobody else gets it, and a save that
# changes neither, or only other fields, tells nobody.
pa, pb, pc = signup("pa"), signup("pb"), signup("pc")
befriend(pa, pb)
pb.drain()
pc.drain()
is_profile = lambda e: e.get("type") == "profile"
eq(pa.patch("me", {"nickname": "Pat", "avatar_url": "/api/pictures/abababababababababababababababababababababababababababababababab"}).status,
   200, "new nickname and picture")
e = pb.wait_for(is_profile, timeout=5) or {}
eq([e.get("user"), e.get("nickname"), e.get("avatar_url")],
   [pa.name, "Pat", "/api/pictures/abababababababababababababababababababababababababababababababab"], "the friend is told both")
eq([x for x in pc.poll(1) if is_profile(x)], [], "a stranger is not told")
eq(pa.patch("me", {"nickname": "Pat", "location": "Xiamen"}).status, 200,
   "the same nickname and a new location")
eq(pa.patch("me", {"bio": "tea"}).status, 200, "a new bio")
eq(pa.patch("me", {"nickname": "x" * 500}).status, 400, "a refused save")
eq([x for x in pb.poll(1) if is_profile(x)], [],
   "same nickname, other fields, a refused save: no profile event")
eq(pa.patch("me", {"nickname": "Pat Lee"}).status, 200, "a new nickname alone")
e = pb.wait_for(is_profile, timeout=5) or {}
eq([e.get("nickname"), e.get("avatar_url")], ["Pat Lee", "/api/pictures/abababababababababababababababababababababababababababababababab"],
   "a new nickname alone: the picture as it is")

# Renaming in a loop would flood the friends: nickname and picture saves
# count with the user's sends (20 a second, bursts of 60), 429 past them;
# other fields are not limited.
sts = [x.status for x in chatlib.all_at_once(
    pa.patch, [("me", {"nickname": "Pat %d" % i}) for i in range(150)]) if x]
check(sts.count(200) >= 40 and sts.count(429) >= 1 and set(sts) <= {200, 429},
      "150 renames at once: some saved, the rest 429", sorted(set(sts)))
eq(pa.patch("me", {"bio": "still here"}).status, 200, "a bio still saves")

# Asking everyone at once would flood them: friend requests count with
# the user's sends too; a refused one asks no one.
fq, fr = signup("fq"), signup("fq")
sts = [x.status for x in chatlib.all_at_once(
    fq.post, [("friends/requests", {"to": "nobody_%d" % i}) for i in range(150)]) if x]
check(len(sts) == 150 and sts.count(404) >= 40 and sts.count(429) >= 1
      and set(sts) <= {404, 429}, "150 requests at once: the rest 429",
      sorted(set(sts)))
r = fq.post("friends/requests", {"to": fr.name})
while r.status == 429:
    eq(fr.get("friends/requests").json["incoming"], [], "a refused request asks no one")
    time.sleep(float(r.header("Retry-After") or 1))
    r = fq.post("friends/requests", {"to": fr.name})
eq(r.status, 201, "after a pause the request goes through")
eq([x.get("from") for x in fr.get("friends/requests").json["incoming"]],
   [fq.name], "asked once")

chatlib.done()
