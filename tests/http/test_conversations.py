"""The conversation list: newest activity first, kind, title, avatar,
members, last message, unread counts (my own messages never count), read
marks that only move forward and the `read` event, and a list of ~30
conversations that is right in every item."""
import random
import time

import chatlib
from chatlib import (befriend, check, eq, err_code, pending_events, send_msg,
                     signup, sql)


def uid(c):
    return c.user["id"]


def convs(c, q=""):
    r = c.get("conversations" + q)
    check(r.status == 200, "GET /api/conversations" + q, r)
    return (r.json or {}).get("conversations", [])


def item(c, conv):
    for x in convs(c):
        if x["id"] == conv:
            return x
    check(False, "conversation %d in %s's list" % (conv, c.name))
    return {}


def read_event(conv, user, seq=None):
    return lambda e: (e.get("type") == "read" and e.get("conversation_id") == conv
                      and e.get("user") == user
                      and (seq is None or e.get("seq") == seq))


# --- the items -------------------------------------------------------------------
a = signup("ca", nickname="Alice A")
b = signup("cb", nickname="Bob B", avatar_url="/api/pictures/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd")
c = signup("cc", nickname="Carol C")
d = signup("cd", nickname="Dave D")
ab = befriend(a, b)
ac = befriend(a, c)
ad = befriend(a, d)
for u in (a, b, c, d):
    u.drain()

lst = convs(a)
eq(sorted(x["id"] for x in lst), sorted([ab, ac, ad]), "three direct conversations")
x = item(a, ab)
for k in ("id", "kind", "title", "avatar_url", "members", "last_message",
          "unread", "updated_at"):
    check(k in x, "list item has " + k, x)
eq(x.get("kind"), "direct", "kind direct")
eq(x.get("title"), "Bob B", "a direct conversation is titled with the friend's nickname")
eq(x.get("avatar_url"), "/api/pictures/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", "and shows the friend's avatar")
eq(sorted(x.get("members", [])), sorted([a.name, b.name]), "members")
eq(x.get("last_message"), None, "no message yet")
eq(x.get("unread"), 0, "nothing unread")
eq(item(b, ab).get("title"), "Alice A", "B sees A's nickname")

# B sends 3 to A: A has 3 unread.
for i in range(3):
    eq(send_msg(b, "b%d" % (i + 1), "cb-%d" % i, to=a.name).status, 201, "B sends")
x = item(a, ab)
eq(x.get("unread"), 3, "A: 3 unread from B")
lm = x.get("last_message") or {}
eq(lm.get("sender"), b.name, "last_message sender")
eq(lm.get("body"), "b3", "last_message body")
eq(lm.get("seq"), 3, "last_message seq")
eq(lm.get("conversation_id"), ab, "last_message conversation_id")
eq(item(b, ab).get("unread"), 0, "B's own messages are not unread for B")

# A answers twice: A's own messages do not count for A.
for i in range(2):
    eq(send_msg(a, "a%d" % (i + 1), "ca-%d" % i, to=b.name).status, 201, "A sends")
x = item(a, ab)
eq(x.get("unread"), 3, "A's own messages do not add to A's unread")
eq((x.get("last_message") or {}).get("body"), "a2", "last_message is A's now")
eq((x.get("last_message") or {}).get("sender"), a.name, "sender A")
eq(item(b, ab).get("unread"), 2, "B: 2 unread from A")

# --- ordering: newest activity first ----------------------------------------------
time.sleep(0.01)
eq(send_msg(c, "from carol", "cc-1", to=a.name).status, 201, "C sends")
time.sleep(0.01)
eq(send_msg(d, "from dave", "cd-1", to=a.name).status, 201, "D sends")
eq([x["id"] for x in convs(a)], [ad, ac, ab], "newest activity first")
time.sleep(0.01)
eq(send_msg(a, "back to bob", "ca-9", to=b.name).status, 201, "A writes to B")
eq([x["id"] for x in convs(a)], [ab, ad, ac], "a new message moves it to the top")
ups = [x["updated_at"] for x in convs(a)]
eq(ups, sorted(ups, reverse=True), "updated_at descending")
check(all(isinstance(u, int) and u > 1e12 for u in ups), "updated_at in ms", ups)

# A topic is a list item too.
time.sleep(0.01)
r = a.post("conversations", {"title": "Trio", "members": [b.name, c.name]})
eq(r.status, 201, "topic")
tp = (r.json or {}).get("id")
x = convs(a)[0]
eq(x.get("id"), tp, "the new topic is newest")
eq((x.get("kind"), x.get("title")), ("topic", "Trio"), "topic kind and title")
eq(sorted(x.get("members", [])), sorted([a.name, b.name, c.name]), "topic members")
eq(send_msg(b, "in the topic", "cb-t", conv=tp).status, 201, "B posts in the topic")
eq(item(c, tp).get("unread"), 1, "C has 1 unread in the topic")
eq(item(a, tp).get("unread"), 1, "A has 1 unread in the topic")
eq(item(b, tp).get("unread"), 0, "the sender has none")

# --- read marks ------------------------------------------------------------------
b.drain()
x = item(a, ab)
last = x.get("last_seq")
eq(last, 6, "six messages between A and B")
eq(x.get("unread"), 3, "still 3 unread before reading")
r = a.post("conversations/%d/read" % ab, {"seq": last})
eq(r.status, 204, "A reads up to the last")
x = item(a, ab)
eq(x.get("unread"), 0, "unread 0 after reading")
eq(x.get("read_seq"), last, "read_seq is the last seq")
ev = b.wait_for(read_event(ab, a.name), timeout=10)
check(ev is not None, "B gets a read event")
if ev:
    eq((ev.get("conversation_id"), ev.get("user"), ev.get("seq")), (ab, a.name, last),
       "read event {conversation_id, user, seq}")
eq(pending_events(uid(a), "read"), [], "the reader gets no read event of its own")

# Never backwards.
r = a.post("conversations/%d/read" % ab, {"seq": 2})
eq(r.status, 204, "reading an older seq answers 204")
eq(item(a, ab).get("read_seq"), last, "the read mark does not move back")
eq(item(a, ab).get("unread"), 0, "and unread stays 0")
eq(pending_events(uid(b), "read"), [], "no read event for a backwards mark")
r = a.post("conversations/%d/read" % ab, {"seq": last})
eq(r.status, 204, "the same mark again")
eq(pending_events(uid(b), "read"), [], "no read event when nothing moved")

# Partial read, then past the end (clamped to the last message).
for i in range(3):
    send_msg(b, "more %d" % i, "cb-m%d" % i, to=a.name)
eq(item(a, ab).get("unread"), 3, "3 new unread")
eq(a.post("conversations/%d/read" % ab, {"seq": last + 1}).status, 204, "read one")
eq(item(a, ab).get("unread"), 2, "2 left unread")
ev = b.wait_for(read_event(ab, a.name), timeout=10)
eq((ev or {}).get("seq"), last + 1, "read event with the new mark")
eq(a.post("conversations/%d/read" % ab, {"seq": 10 ** 6}).status, 204,
   "read past the end")
x = item(a, ab)
eq(x.get("read_seq"), last + 3, "the mark stops at the last message")
eq(x.get("unread"), 0, "nothing unread")
ev = b.wait_for(read_event(ab, a.name), timeout=10)
eq((ev or {}).get("seq"), last + 3,
   "the read event carries the stored mark, not the number asked for")
for bad in ("x", -1, 1.5, None):
    r = a.post("conversations/%d/read" % ab, {"seq": bad})
    eq(r.status, 400, "read with seq %r" % (bad,))
eq(item(a, ab).get("read_seq"), last + 3, "bad reads change nothing")

# Reading the topic tells the other members.
c.drain()
eq(a.post("conversations/%d/read" % tp, {"seq": 1}).status, 204, "A reads the topic")
for u in (b, c):
    check(u.wait_for(read_event(tp, a.name, 1), timeout=10) is not None,
          "%s gets A's topic read event" % u.name)
r = a.get("conversations/%d" % tp)
md = {m["username"]: m.get("read_seq") for m in (r.json or {}).get("members_detail", [])}
eq(md, {a.name: 1, b.name: 0, c.name: 0}, "members_detail shows each read_seq")

# --- ~30 conversations, every item right ----------------------------------------------
p = signup("cp")
N = 30
friends = [signup("cf%d" % i) for i in range(N)]
conv_of = {}
for f in friends:
    conv_of[f.name] = befriend(p, f)
rnd = random.Random(7)
want = {}          # conv -> (unread, last body, last sender)
order = []
plan = []
for f in friends:
    for k in range(rnd.randint(0, 4)):
        plan.append((f, k))
rnd.shuffle(plan)
for f, k in plan:
    conv = conv_of[f.name]
    body = "%s says %d" % (f.name, k)
    r = send_msg(f, body, "c30-%s-%d" % (f.name, k), to=p.name)
    check(r.status == 201, "bulk send", r)
    u = want.get(conv, (0, None, None))[0]
    want[conv] = (u + 1, body, f.name)
    if conv in order:
        order.remove(conv)
    order.insert(0, conv)
    time.sleep(0.003)
# P answers a few: P's messages move the item up but do not add unread.
for f in friends[:5]:
    conv = conv_of[f.name]
    body = "p to %s" % f.name
    eq(send_msg(p, body, "c30-p-" + f.name, to=f.name).status, 201, "P answers")
    want[conv] = (want.get(conv, (0,))[0], body, p.name)
    if conv in order:
        order.remove(conv)
    order.insert(0, conv)
    time.sleep(0.003)
silent = [conv_of[f.name] for f in friends if conv_of[f.name] not in want]
lst = convs(p)
eq(len(lst), N, "30 conversations listed")
eq([x["id"] for x in lst[:len(order)]], order, "ordered by newest activity")
eq(sorted(x["id"] for x in lst[len(order):]), sorted(silent),
   "conversations without messages last")
for x in lst:
    u, body, sender = want.get(x["id"], (0, None, None))
    eq(x.get("unread"), u, "unread of conversation %d" % x["id"])
    lm = x.get("last_message")
    if body is None:
        eq(lm, None, "no last message in %d" % x["id"])
    else:
        eq(((lm or {}).get("body"), (lm or {}).get("sender")), (body, sender),
           "last message of %d" % x["id"])
    eq(x.get("kind"), "direct", "kind")
eq([x["id"] for x in convs(p, "?limit=10")], [x["id"] for x in lst[:10]],
   "?limit=10 is the first 10")
eq(p.get("conversations?limit=0").status, 400, "limit=0")

# Read half of them: those drop to 0, the rest stay.
for x in lst[::2]:
    if x["last_seq"]:
        eq(p.post("conversations/%d/read" % x["id"], {"seq": x["last_seq"]}).status,
           204, "read")
after = {x["id"]: x["unread"] for x in convs(p)}
for i, x in enumerate(lst):
    eq(after.get(x["id"]), 0 if i % 2 == 0 else want.get(x["id"], (0,))[0],
       "unread after reading half, conversation %d" % x["id"])
eq(sql("SELECT SUM(read_seq > 0) FROM conv_member WHERE user_id=%d" % uid(p)),
   [[str(sum(1 for x in lst[::2] if x["last_seq"]))]], "read marks stored")

# Past one page: ?before=&before_id= (the last item's updated_at and id)
# gives the next. Paged by 7, every conversation comes once, in the list's
# order, also where ten share one updated_at (the id breaks the tie) and a
# page ends among them.
sql("UPDATE conversation SET updated_at = '2026-01-01 00:00:00.123' "
    "WHERE id IN (%s)" % ",".join(str(x["id"]) for x in lst[10:20]))
full = [x["id"] for x in convs(p)]
got, q = [], "?limit=7"
for _ in range(10):
    page = convs(p, q)
    got += [x["id"] for x in page]
    if len(page) < 7:
        break
    q = "?limit=7&before=%d&before_id=%d" % (page[-1]["updated_at"], page[-1]["id"])
eq(got, full, "paged by 7: each conversation once, in order")
eq(full[-10:], sorted((x["id"] for x in lst[10:20]), reverse=True),
   "the ten with one updated_at last, newest id first")
for q in ("?before=1", "?before_id=1", "?before=x&before_id=1"):
    eq(err_code(p.get("conversations" + q)), "bad_request", q)

chatlib.done()
