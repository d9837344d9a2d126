"""Safety (issue 26): blocking (silent: the blocked user sees what a removal
or an unanswered request looks like), never matched with whom one blocked
or who blocked one, reports from a stranger chat with its last messages,
taking back a friend request, finding people by a prefix (escaped, a few at
a time, rate-limited, no guests), and privacy: presence and profile details
for friends and group mates only, a stranger known by nickname and picture."""
import json

from chatlib import (Client, befriend, check, done, eq, expect_error, send_msg,
                     signup, sql, uniq, wait_until)


def guest(nick):
    c = Client()
    r = c.post("guest", {"nickname": nick})
    check(r.status == 201, "guest 201", r)
    c.user = r.json or {}
    c.name = c.user.get("username")
    return c


def uid(c):
    return c.user["id"]


def typed(t):
    return lambda e: e.get("type") == t


def match_pair(x, y):
    """x waits, y joins: their stranger chat's id (the queue emptied first:
    strangers other tests left waiting)."""
    sql("DELETE FROM match_queue")
    eq((x.post("match").json or {}).get("status"), "waiting", "first waits")
    r = y.post("match")
    eq((r.json or {}).get("status"), "matched", "second is matched")
    return (r.json or {}).get("conversation_id")


# --- block a friend: silent, ends the friendship, no way back in ------------
a, b = signup("bla", nickname="Blocker"), signup("blb", nickname="Pest")
conv = befriend(a, b)
b.drain()
r = a.post("blocks", {"username": b.name})
eq(r.status, 204, "block a friend")
e = b.wait_for(typed("friend_removed"), timeout=5)
check(e is not None, "the blocked one sees a removal, as after an unfriending")
check("block" not in json.dumps(e), "nothing says blocked", e)
r = send_msg(b, "are you there?", uniq("c"), conv=conv)
expect_error(r, 403, "not_friends", "a blocked user's message")
r = b.post("friends/requests", {"to": a.name, "text": "let me in"})
eq(r.status, 201, "a blocked user's request looks like any other")
req_b = (r.json or {}).get("id")
eq((b.get("friends/requests").json or {}).get("outgoing", [{}])[0].get("id"),
   req_b, "...and waits in their outgoing list")
eq(a.get("friends/requests").json.get("incoming"), [],
   "the blocker never sees it")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND "
       "type='friend_request'" % uid(a)), [["0"]],
   "nor gets a friend_request event")
expect_error(a.post("friends/requests/%d/accept" % req_b), 404, "not_found",
             "a hidden request cannot be accepted")
expect_error(a.post("friends/requests", {"to": b.name}), 409, "conflict",
             "the blocker asking the blocked: unblock first")
r = a.get("blocks")
eq(r.status, 200, "GET /api/blocks")
blocks = (r.json or {}).get("blocks", [])
eq([(x.get("id"), x.get("nickname")) for x in blocks], [(uid(b), "Pest")],
   "the list names the blocked user by nickname")
check(all("username" not in x for x in blocks), "and not by user name", blocks)
eq(sql("SELECT COUNT(*) FROM user_block WHERE user_id=%d AND blocked_id=%d"
       % (uid(a), uid(b))), [["1"]], "a user_block row")
eq(a.post("blocks", {"username": b.name}).status, 204, "blocking again is fine")
expect_error(a.post("blocks", {"username": a.name}), 400, "bad_request",
             "blocking oneself")
expect_error(a.post("blocks", {"username": uniq("ghost")}), 404, "not_found",
             "an unknown user")
expect_error(a.post("blocks", {}), 400, "bad_request", "neither field")

# A group: the blocked user cannot add the blocker (friends only).
c = signup("blc")
befriend(b, c)
r = b.post("conversations", {"title": "club", "members": [c.name, a.name]})
expect_error(r, 403, "not_friends", "a blocked user's group invitation")

# Unblock: the list empties; the old request, asked again, makes friends.
eq(a.delete("blocks/%d" % uid(b)).status, 204, "unblock")
expect_error(a.delete("blocks/%d" % uid(b)), 404, "not_found", "unblock again")
eq(a.get("blocks").json, {"blocks": []}, "the list is empty")

# --- cancel a sent request -----------------------------------------------------
d = signup("bld", nickname="Dee")
a.drain()
d.drain()
r = a.post("friends/requests", {"to": d.name})
eq(r.status, 201, "ask d")
rid = (r.json or {}).get("id")
expect_error(d.delete("friends/requests/%d" % rid), 404, "not_found",
             "the receiver cannot cancel it")
expect_error(c.delete("friends/requests/%d" % rid), 404, "not_found",
             "nor anyone else")
eq(a.delete("friends/requests/%d" % rid).status, 204, "the sender cancels")
e = d.wait_for(lambda e: e.get("type") == "friend_canceled" and
               (e.get("request") or {}).get("id") == rid, timeout=5)
check(e is not None, "the receiver gets friend_canceled")
eq(d.get("friends/requests").json.get("incoming"), [], "their list follows")
eq(a.get("friends/requests").json.get("outgoing"), [], "so does the sender's")
expect_error(a.delete("friends/requests/%d" % rid), 404, "not_found",
             "cancelling twice")
r = a.post("friends/requests", {"to": d.name})
eq(r.status, 201, "a new request after cancelling")

# --- stranger matching passes over blocks, both ways ---------------------------
g1, g2 = guest("Ann"), guest("Ben")
mconv = match_pair(g1, g2)
g2.drain()
r = g1.post("blocks", {"conversation_id": mconv})
eq(r.status, 204, "block a stranger from the chat")
check(g2.wait_for(typed("partner_left"), timeout=5) is not None,
      "the chat ends: the stranger sees them leave")
expect_error(send_msg(g2, "hello?", uniq("c"), conv=mconv), 409, "conflict",
             "the chat is over")
for first, second, what in ((g1, g2, "blocker waits first"),
                            (g2, g1, "blocked waits first")):
    sql("DELETE FROM match_queue")
    first.post("match")
    eq((second.post("match").json or {}).get("status"), "waiting",
       "never matched again: " + what)
g3 = guest("Cy")
eq((g3.post("match").json or {}).get("status"), "matched",
   "a third stranger is matched as usual")
sql("DELETE FROM match_queue")
expect_error(g1.post("blocks", {"conversation_id": conv}), 404, "not_found",
             "blocking by a chat that is not one's stranger chat")

# --- report a stranger ---------------------------------------------------------------
g5, g6 = guest("Rude"), guest("Rep")
rconv = match_pair(g5, g6)
for i in range(25):
    send_msg(g5, "rude line %d" % i, uniq("c"), conv=rconv)
r = g6.post("reports", {"conversation_id": rconv, "reason": "spam and insults"})
eq(r.status, 201, "report")
rows = sql("SELECT reporter_id, reported_id, reported_name, conversation_id, "
           "reason, messages FROM report WHERE conversation_id=%d" % rconv)
eq(len(rows), 1, "one report row")
if rows:
    rep, rpd, rname, rc, reason, msgs = rows[0]
    eq((int(rep), int(rpd), rname, int(rc), reason),
       (uid(g6), uid(g5), g5.name, rconv, "spam and insults"), "who, where, why")
    msgs = json.loads(msgs)
    eq([m.get("body") for m in msgs], ["rude line %d" % i for i in range(5, 25)],
       "the last 20 messages, oldest first")
expect_error(c.post("reports", {"conversation_id": rconv}), 404, "not_found",
             "reporting a chat one is not in")
expect_error(g6.post("reports", {"conversation_id": rconv, "reason": "x" * 501}),
             400, "bad_request", "a reason too long")
statuses = [g6.post("reports", {"conversation_id": rconv}).status
            for _ in range(10)]
# 11 in all: past 5 in one window even if a window ends meanwhile.
eq((statuses[0], 429 in statuses), (201, True), "reports are rate-limited")
g6.drain()
r = g5.post("reports", {"conversation_id": rconv, "block": True})
eq(r.status, 201, "report and block")
eq(sql("SELECT COUNT(*) FROM user_block WHERE user_id=%d AND blocked_id=%d"
       % (uid(g5), uid(g6))), [["1"]], "the stranger is blocked")
check(g6.wait_for(typed("partner_left"), timeout=5) is not None,
      "and the chat ends")

# --- find people by a prefix ---------------------------------------------------------
tag = uniq("fp")[:10]
found = [signup(tag + "a", nickname="Alice Wonder"),
         signup("x" + tag, nickname=tag.capitalize() + " Nick")]
gst = guest(tag + " guest")
r = a.get("users?q=" + tag)
eq(r.status, 200, "find by prefix")
names = sorted(u.get("username") for u in (r.json or {}).get("users", []))
eq(names, sorted(f.name for f in found),
   "user name and nickname prefixes, case-insensitive; no guests")
for u in (r.json or {}).get("users", []):
    check(set(u) >= {"id", "username", "nickname", "avatar_url", "friend"},
          "a found user's fields", u)
    check("bio" not in u and "online" not in u, "nothing private", u)
r = a.get("users?q=" + tag[2:])
eq([u for u in (r.json or {}).get("users", [])
    if u.get("username") in {f.name for f in found}], [],
   "a prefix only, not the middle")
eq(len(a.get("users?q=u_").json.get("users", [])) <= 10, True,
   "a few at a time")
eq(a.get("users?q=%25%25").json, {"users": []}, "% is a character, not a wildcard")
eq(a.get("users?q=__").json, {"users": []}, "so is _")
expect_error(a.get("users?q=a"), 400, "bad_request", "one character")
expect_error(a.get("users"), 400, "bad_request", "no q")
expect_error(a.get("users?q=" + "a" * 33), 400, "bad_request", "too long")
expect_error(g1.get("users?q=" + tag), 403, "forbidden", "guests do not search")
eq(a.get("users/" + found[0].name).status, 200, "the exact lookup stays")
# Past 60 in one minute even if the minute ends meanwhile.
st = [a.get("users?q=" + tag).status for _ in range(125)]
eq((st[0], 429 in st), (200, True), "searches are rate-limited")

# --- privacy: presence and details for friends and group mates only -----------
p = signup("pva", nickname="Pat", bio="my bio", location="Oslo")
q = signup("pvb", nickname="Quin")
w = signup("pvc")
r = q.get("users/" + p.name)
eq(r.status, 200, "a stranger's profile")
u = r.json or {}
eq((u.get("nickname"), u.get("bio"), u.get("location"), u.get("online"),
    u.get("last_seen"), u.get("public_key")),
   ("Pat", None, None, None, None, None), "nickname only, the rest null")
befriend(w, p)
befriend(w, q)
r = w.post("conversations", {"title": "g", "members": [p.name, q.name]})
eq(r.status, 201, "a group of the three")
u = q.get("users/" + p.name).json or {}
eq((u.get("bio"), u.get("location"), isinstance(u.get("online"), bool)),
   ("my bio", "Oslo", True), "a group mate sees the profile")
u = w.get("users/" + p.name).json or {}
eq(u.get("bio"), "my bio", "so does a friend")

# A registered user in a stranger chat: nickname and picture only.
sql("DELETE FROM match_queue")
p.post("match")
r = q.post("match")
eq((r.json or {}).get("status"), "matched", "two registered users matched")
sconv = (r.json or {}).get("conversation_id")
eq((r.json or {}).get("partner", {}).get("username", "absent"), None,
   "the match answer hides the user name")
ev = p.wait_for(typed("match_found"), timeout=5)
eq(((ev or {}).get("partner") or {}).get("nickname"), "Quin", "nickname shown")
eq(((ev or {}).get("partner") or {}).get("username", "absent"), None,
   "match_found hides the user name")
check(p.name not in json.dumps((r.json or {}).get("partner")), "nowhere", r)
item = [x for x in q.get("conversations").json["conversations"]
        if x["id"] == sconv]
eq(((item or [{}])[0].get("peer") or {}).get("username", "absent"), None,
   "the list's peer hides the user name")
eq(((item or [{}])[0].get("peer") or {}).get("online"), False,
   "and the stranger's presence")
# A friend request by the chat, with no user name.
r = q.post("friends/requests", {"conversation_id": sconv, "text": "nice chat"})
eq(r.status, 201, "a friend request by the stranger chat")
ev = p.wait_for(typed("friend_request"), timeout=5)
check(ev is not None, "the stranger gets it")
r = p.post("friends/requests/%d/accept" % ((ev or {}).get("request") or {}).get("id", 0))
eq(r.status, 200, "accepted")
item = [x for x in q.get("conversations").json["conversations"]
        if x["id"] == sconv]
eq(((item or [{}])[0].get("peer") or {}).get("username"), p.name,
   "friends now: the user name shows")
expect_error(q.post("friends/requests", {"conversation_id": conv}), 404,
             "not_found", "by a chat that is not one's stranger chat")
sql("DELETE FROM match_queue")

done()
