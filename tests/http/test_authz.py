"""A user outside a conversation can do nothing to it: not read, send, mark
read, rename, manage members or roles, leave or GET it (403 each, and
nothing changes in MySQL); and nobody acks another user's events."""
import chatlib
from chatlib import (Client, befriend, check, eq, err_code, send_msg, signup,
                     sql)


def uid(c):
    return c.user["id"]


a, b, c = signup("za"), signup("zb"), signup("zc")
e = signup("ze")                 # the outsider
befriend(a, b)
befriend(a, c)
befriend(a, e)                   # E is A's friend, yet in none of these
befriend(e, c)
direct = sql("SELECT conv_id FROM friendship WHERE user_id=%d AND friend_id=%d"
             % (uid(a), uid(b)))[0][0]
direct = int(direct)
r = a.post("conversations", {"title": "Private", "members": [b.name, c.name]})
eq(r.status, 201, "topic")
topic = (r.json or {}).get("id")
eq(send_msg(a, "secret", "z-1", conv=topic).status, 201, "a message in the topic")
eq(send_msg(b, "secret too", "z-2", conv=direct).status, 201, "a direct message")

# A stranger chat between two guests (once nobody else waits in the queue).
chatlib.wait_until(lambda: sql("SELECT COUNT(*) FROM match_queue") == [["0"]], 15)
g1, g2 = Client(), Client()
for g, nick in ((g1, "g one"), (g2, "g two")):
    r = g.post("guest", {"nickname": nick})
    eq(r.status, 201, "guest")
    g.user = r.json or {}
g1.post("match")
r = g2.post("match")
eq((r.json or {}).get("status"), "matched", "guests matched")
match = (r.json or {}).get("conversation_id", 0)
eq(send_msg(g1, "hi stranger", "z-3", conv=match).status, 201, "match message")


def snapshot(conv):
    return (sql("SELECT kind, title, avatar_url, last_seq, ended_at IS NULL "
                "FROM conversation WHERE id=%d" % conv),
            sql("SELECT user_id, role, read_seq FROM conv_member WHERE conv_id=%d "
                "ORDER BY user_id" % conv),
            sql("SELECT id, sender_id, body FROM message WHERE conv_id=%d ORDER BY id"
                % conv),
            sql("SELECT COUNT(*) FROM event WHERE JSON_VALUE(payload,"
                "'$.conversation_id')=%d OR JSON_VALUE(payload,"
                "'$.message.conversation_id')=%d" % (conv, conv)))


def denied(what, r):
    eq(r.status, 403, what)
    eq(err_code(r), "forbidden", what + ": code")


for name, conv in (("topic", topic), ("direct", direct), ("match", match)):
    before = snapshot(conv)
    p = "conversations/%d" % conv
    denied(name + ": GET", e.get(p))
    denied(name + ": history", e.get(p + "/messages"))
    denied(name + ": history after=0", e.get(p + "/messages?after=0"))
    denied(name + ": send", send_msg(e, "let me in", "ze-%s" % name, conv=conv))
    denied(name + ": mark read", e.post(p + "/read", {"seq": 1}))
    denied(name + ": rename", e.patch(p, {"title": "mine"}))
    denied(name + ": add members", e.post(p + "/members", {"members": [c.name]}))
    denied(name + ": remove a member", e.delete(p + "/members/" + b.name))
    denied(name + ": set a role", e.patch(p + "/members/" + b.name, {"role": "admin"}))
    denied(name + ": leave", e.post(p + "/leave"))
    eq(snapshot(conv), before, name + ": nothing changed in MySQL")
    check(conv not in [x["id"] for x in e.get("conversations").json["conversations"]],
          name + ": not in the outsider's list")

# The outsider does not even learn of names: same answers for members.
eq(e.delete("conversations/%d/members/%s" % (topic, chatlib.uniq("nobody"))).status,
   403, "removing an unknown name: 403, not 404")
# Unknown conversations: 404 for anyone.
for what, r in (("GET", e.get("conversations/999999999")),
                ("history", e.get("conversations/999999999/messages")),
                ("read", e.post("conversations/999999999/read", {"seq": 1})),
                ("leave", e.post("conversations/999999999/leave"))):
    eq(r.status, 404, "unknown conversation: " + what)

# A guest is not a topic member either, and cannot make topics.
denied("guest GET topic", g1.get("conversations/%d" % topic))
denied("guest send to the direct chat", send_msg(g1, "x", "zg-1", conv=direct))
r = g1.post("conversations", {"title": "guests", "members": [g2.user.get("username")]})
eq(r.status, 403, "a guest cannot create a topic")

# --- acks: only one's own events --------------------------------------------------
rows = sql("SELECT id FROM event WHERE user_id=%d AND type='message' ORDER BY id"
           % uid(b))
check(rows, "A's topic message is pending for B")
bev = int(rows[0][0]) if rows else 0
r = e.post("ack", {"ids": [bev]})
check(r.status in (204, 403, 404), "E acks B's event: refused or ignored", r)
eq(sql("SELECT COUNT(*) FROM event WHERE id=%d" % bev), [["1"]],
   "B's event is still there after E's ack")
r = e.get("poll?timeout=0&ack=%d" % bev)
eq(r.status, 200, "E's poll with someone else's id answers")
check(all(ev["id"] != bev for ev in (r.json or {}).get("events", [])),
      "E's poll never shows B's event", r)
eq(sql("SELECT COUNT(*) FROM event WHERE id=%d" % bev), [["1"]],
   "B's event is still there after E's poll?ack=")
# Nor does it hide B's event while it is being processed: an admin's lock
# on one of E's own events holds up the deletion of E's acks (E's own id
# and B's that E named), and meanwhile B's poll still gets B's event.
# (Acks were skipped by id alone: anyone acking ids in a loop held back
# everybody's events.)
own = int(sql("SELECT id FROM event WHERE user_id=%d ORDER BY id LIMIT 1"
              % uid(e))[0][0])
locker = chatlib.lock_row("event", own, "an admin locks one of E's events")
try:
    r = e.get("poll?timeout=0&ack=%d,%d" % (own, bev))
    eq(r.status, 200, "E acks its own event and B's")
    evs = b.poll(0)
    check(bev in [ev["id"] for ev in evs],
          "B gets its event while E's ack of that id waits", evs)
finally:
    chatlib.unlock(locker)
eq(chatlib.wait_until(lambda: sql("SELECT COUNT(*) FROM event WHERE id=%d"
                                  % own) == [["0"]]), True,
   "E's own ack is done once the lock goes")
b.post("ack", {"ids": [ev["id"] for ev in evs]})
eq(sql("SELECT COUNT(*) FROM event WHERE id=%d" % bev), [["0"]], "B's own ack works")

# Anonymous: 401 everywhere.
anon = Client()
for what, r in (("GET", anon.get("conversations/%d" % topic)),
                ("list", anon.get("conversations")),
                ("history", anon.get("conversations/%d/messages" % topic)),
                ("send", anon.post("messages", {"conversation_id": topic,
                                                "client_id": "x", "body": "x"}))):
    eq(r.status, 401, "anonymous " + what)

chatlib.done()
