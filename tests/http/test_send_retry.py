"""A retried send (same client_id) answers the first copy even when the
sender may no longer post there: the contract's "the same client_id from
the same sender again -> 200 with the first message" holds when the
friendship, the topic membership or the stranger chat ended between the
send and its retry (the first answer was lost)."""
from chatlib import (Client, befriend, check, done, eq, expect_error,
                     send_msg, signup)

# A direct message, then the friendship ends, then the retry.
a = signup("rt")
b = signup("rt")
conv = befriend(a, b)
first = send_msg(a, "stored before the unfriend", "retry-1", to=b.name)
eq(first.status, 201, "first send")
eq(a.delete("friends/" + b.name).status, 204, "unfriend")
for how, kw in (("by name", {"to": b.name}), ("by conversation", {"conv": conv})):
    r = send_msg(a, "stored before the unfriend", "retry-1", **kw)
    eq(r.status, 200, "retry %s after the unfriend: the first copy" % how)
    if r.status == 200:
        eq(r.json["id"], first.json["id"], "retry %s: same message" % how)
        eq(r.json["seq"], first.json["seq"], "retry %s: same seq" % how)
# A new client_id is still refused.
r = send_msg(a, "new", "retry-2", to=b.name)
expect_error(r, 403, "not_friends", "a new send after the unfriend")

# A topic member removed between a send and its retry.
o = signup("rt")
m = signup("rt")
befriend(o, m)
t = o.post("conversations", {"title": "retry", "members": [m.name]})
eq(t.status, 201, "topic")
first = send_msg(m, "in the topic", "retry-3", conv=t.json["id"])
eq(first.status, 201, "topic send")
eq(o.delete("conversations/%d/members/%s" % (t.json["id"], m.name)).status,
   204, "remove member")
r = send_msg(m, "in the topic", "retry-3", conv=t.json["id"])
eq(r.status, 200, "retry after removal: the first copy")
r = send_msg(m, "new", "retry-4", conv=t.json["id"])
expect_error(r, 403, "forbidden", "a new send after the removal")

# A stranger chat that ended between a send and its retry.
g1 = Client()
g2 = Client()
g1.post("guest", {"nickname": "One"})
g2.post("guest", {"nickname": "Two"})
g1.post("match")
mt = g2.post("match")
check(mt.json and mt.json.get("status") == "matched", "matched", mt)
cid = mt.json["conversation_id"]
first = send_msg(g1, "hello", "retry-5", conv=cid)
eq(first.status, 201, "match send")
eq(g2.post("conversations/%d/leave" % cid).status, 204, "partner leaves")
r = send_msg(g1, "hello", "retry-5", conv=cid)
eq(r.status, 200, "retry after the chat ended: the first copy")
r = send_msg(g1, "new", "retry-6", conv=cid)
expect_error(r, 409, "conflict", "a new send after the chat ended")
done()
