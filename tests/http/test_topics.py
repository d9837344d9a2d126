"""Topics (group conversations): create with friends, fan-out of messages,
rename, roles (owner, admin, member), adding and removing members, leaving,
ownership passing on, leaves and removals at once (one owner always), and
the 500-member cap (owner included)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import chatlib
from chatlib import (befriend, check, eq, err_code, pending_events, send_msg,
                     signup, sql)


def uid(c):
    return c.user["id"]


def updated(conv, change=None):
    return lambda e: (e.get("type") == "conversation_updated"
                      and e.get("conversation_id") == conv
                      and (change is None or e.get("change") == change))


def msg_event(mid):
    return lambda e: (e.get("type") == "message"
                      and (e.get("message") or {}).get("id") == mid)


def get_conv(c, conv):
    r = c.get("conversations/%d" % conv)
    check(r.status == 200, "GET conversation %d" % conv, r)
    return r.json or {}


def roles(c, conv):
    return {m["username"]: m["role"]
            for m in get_conv(c, conv).get("members_detail", [])}


def members_sql(conv):
    return sorted(r[0] for r in sql(
        "SELECT u.username FROM conv_member m JOIN user u ON u.id=m.user_id "
        "WHERE m.conv_id=%d" % conv))


def message_event_users(mid):
    """Users holding a pending message event for message mid."""
    return sorted(int(r[0]) for r in sql(
        "SELECT user_id FROM event WHERE type='message' AND "
        "JSON_VALUE(payload, '$.message.id')=%d" % mid))


def list_ids(c):
    r = c.get("conversations")
    check(r.status == 200, "GET /api/conversations", r)
    return [x["id"] for x in (r.json or {}).get("conversations", [])]


# --- create: friends only, everyone hears of it ---------------------------------
o = signup("to")
f1, f2, f3 = signup("tf1"), signup("tf2"), signup("tf3")
x = signup("tx")            # a friend of f1, not of o
n = signup("tn")            # nobody's friend
for f in (f1, f2, f3):
    befriend(o, f)
befriend(f1, x)
for c in (o, f1, f2, f3, x, n):
    c.drain()

title = "Weekend " + chatlib.uniq("t")
r = o.post("conversations", {"title": title, "members": [f1.name, n.name]})
eq(r.status, 403, "a topic with a non-friend")
eq(err_code(r), "not_friends", "its code")
eq(sql("SELECT COUNT(*) FROM conversation WHERE title='%s'" % title), [["0"]],
   "no conversation created with a non-friend in it")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id IN (%d,%d) AND "
       "type='conversation_updated'" % (uid(f1), uid(n))), [["0"]],
   "and nobody was told")

# Naming yourself too (a client sending the whole member list) is fine.
r = o.post("conversations", {"title": title + " b",
                             "members": [o.name.upper(), f3.name, o.name]})
eq(r.status, 201, "a topic whose member list names its creator too")
eq(members_sql((r.json or {}).get("id", 0)), sorted([o.name, f3.name]),
   "the creator once, as owner, and the friend")
eq(roles(o, (r.json or {}).get("id", 0)).get(o.name), "owner",
   "the creator is still the owner")
r = o.post("conversations", {"title": title + " c", "members": [o.name]})
eq(r.status, 400, "a topic naming only its creator")
eq(sql("SELECT COUNT(*) FROM conversation WHERE title='%s c'" % title),
   [["0"]], "not created")
f3.drain()

r = o.post("conversations", {"title": title, "members": [f1.name, f2.name]})
eq(r.status, 201, "create a topic with friends")
t = r.json or {}
topic = t.get("id")
eq(t.get("kind"), "topic", "kind")
eq(t.get("title"), title, "title")
eq(sorted(t.get("members", [])), sorted([o.name, f1.name, f2.name]), "members")
eq(t.get("role"), "owner", "the creator owns it")
eq(t.get("last_message"), None, "no message yet")
eq(members_sql(topic), sorted([o.name, f1.name, f2.name]), "members in MySQL")
for c in (f1, f2):
    ev = c.wait_for(updated(topic, "created"), timeout=10)
    check(ev is not None, "%s gets conversation_updated (created)" % c.name)
    check(topic in list_ids(c), "the topic is in %s's list" % c.name)
eq(pending_events(uid(o), "conversation_updated"), [],
   "the creator is not told of its own change")

# --- a message: one event per member but the sender ---------------------------
r = send_msg(o, "hello topic", "tp-1", conv=topic)
eq(r.status, 201, "owner sends to the topic")
m1 = r.json or {}
eq(m1.get("seq"), 1, "first seq in the topic")
eq(message_event_users(m1.get("id", 0)), sorted([uid(f1), uid(f2)]),
   "one pending message event per member but the sender")
for c in (f1, f2):
    ev = c.wait_for(msg_event(m1.get("id")), timeout=10)
    check(ev is not None, "%s receives the topic message by poll" % c.name)
    if ev:
        eq(ev["message"].get("body"), "hello topic", "body in the event")
        eq(ev["message"].get("sender"), o.name, "sender in the event")
r = send_msg(f2, "hi all", "tp-2", conv=topic)
eq(r.status, 201, "a member sends to the topic")
eq(message_event_users((r.json or {}).get("id", 0)), sorted([uid(o), uid(f1)]),
   "the member's message goes to the others")
for c in (o, f1):
    check(c.wait_for(msg_event((r.json or {}).get("id")), timeout=10)
          is not None, "%s receives the member's message" % c.name)

# --- rename: owner yes, plain member no ------------------------------------------
r = o.patch("conversations/%d" % topic, {"title": "Renamed"})
eq(r.status, 200, "the owner renames")
eq((r.json or {}).get("title"), "Renamed", "the answer has the new title")
for c in (f1, f2):
    check(c.wait_for(updated(topic, "renamed"), timeout=10) is not None,
          "%s gets conversation_updated (renamed)" % c.name)
eq(get_conv(f2, topic).get("title"), "Renamed", "members see the new title")
r = f2.patch("conversations/%d" % topic, {"title": "Mine now"})
eq(r.status, 403, "a plain member cannot rename")
eq(sql("SELECT title FROM conversation WHERE id=%d" % topic), [["Renamed"]],
   "title unchanged after the refused rename")
r = f2.post("conversations/%d/members" % topic, {"members": [o.name]})
eq(r.status, 403, "a plain member cannot add members")
r = f2.delete("conversations/%d/members/%s" % (topic, f1.name))
eq(r.status, 403, "a plain member cannot remove members")
eq(members_sql(topic), sorted([o.name, f1.name, f2.name]),
   "members unchanged after refused changes")

# --- roles: the owner makes an admin; the admin adds and removes ---------------
r = f1.patch("conversations/%d/members/%s" % (topic, f2.name), {"role": "admin"})
eq(r.status, 403, "only the owner names admins")
r = o.patch("conversations/%d/members/%s" % (topic, f1.name), {"role": "boss"})
eq(r.status, 400, "role must be admin or member")
r = o.patch("conversations/%d/members/%s" % (topic, f1.name), {"role": "admin"})
eq(r.status, 200, "the owner makes f1 admin")
eq(roles(o, topic).get(f1.name), "admin", "f1 is admin")
check(f1.wait_for(updated(topic, "role"), timeout=10) is not None,
      "f1 gets conversation_updated (role)")

r = f1.post("conversations/%d/members" % topic, {"members": [n.name]})
eq(r.status, 403, "the admin cannot add a non-friend")
eq(err_code(r), "not_friends", "its code")
r = f1.post("conversations/%d/members" % topic, {"members": [f1.name, x.name]})
eq(r.status, 200, "the admin adds a friend of theirs (naming themself too)")
eq(roles(o, topic).get(f1.name), "admin", "the adder is still admin")
eq(sorted((r.json or {}).get("members", [])),
   sorted([o.name, f1.name, f2.name, x.name]), "the answer lists x")
for c in (x, o, f2):
    check(c.wait_for(updated(topic, "members"), timeout=10) is not None,
          "%s gets conversation_updated (members added)" % c.name)
r = x.get("conversations/%d/messages" % topic)
eq(r.status, 200, "a new member reads the history")
eq([m["seq"] for m in (r.json or {}).get("messages", [])
    if m.get("kind") != "notice"], [1, 2],
   "the whole history (and the group's notices: test_notices.py)")
r = f1.delete("conversations/%d/members/%s" % (topic, o.name))
eq(r.status, 403, "the owner cannot be removed")

r = f1.delete("conversations/%d/members/%s" % (topic, f2.name))
eq(r.status, 204, "the admin removes f2")
eq(members_sql(topic), sorted([o.name, f1.name, x.name]), "f2 is out")
check(f2.wait_for(updated(topic, "members"), timeout=10) is not None,
      "the removed member gets conversation_updated")
check(o.wait_for(updated(topic, "members"), timeout=10) is not None,
      "the owner gets conversation_updated (removed)")
r = f1.delete("conversations/%d/members/%s" % (topic, f2.name))
eq(r.status, 404, "removing someone not in it")
f2.drain()

r = send_msg(o, "after f2 left", "tp-3", conv=topic)
eq(r.status, 201, "owner sends after the removal")
m3 = r.json or {}
eq(message_event_users(m3.get("id", 0)), sorted([uid(f1), uid(x)]),
   "events for the remaining members only")
eq(pending_events(uid(f2), "message"), [], "no message event for the removed member")
eq([e for e in f2.poll(1) if e.get("conversation_id") == topic or
    (e.get("message") or {}).get("conversation_id") == topic], [],
   "the removed member's poll has nothing of the topic")
r = f2.get("conversations/%d/messages" % topic)
eq(r.status, 403, "the removed member cannot read the history")
r = send_msg(f2, "still here?", "tp-4", conv=topic)
eq(r.status, 403, "the removed member cannot send")
r = f2.get("conversations/%d" % topic)
eq(r.status, 403, "the removed member cannot GET the topic")
check(topic not in list_ids(f2), "the topic left f2's list")
eq(sql("SELECT last_seq FROM conversation WHERE id=%d" % topic),
   [[str(m3.get("seq"))]], "nothing stored from the removed member")

# --- leave -----------------------------------------------------------------------
for c in (o, f1, x):
    c.drain()
r = x.post("conversations/%d/leave" % topic)
eq(r.status, 204, "x leaves")
mem = get_conv(o, topic).get("members", [])
check(x.name not in mem, "the leaver is gone from the members list", mem)
for c in (o, f1):
    check(c.wait_for(updated(topic, "left"), timeout=10) is not None,
          "%s gets conversation_updated (left)" % c.name)
r = x.get("conversations/%d/messages" % topic)
eq(r.status, 403, "the leaver cannot read any more")
r = x.post("conversations/%d/leave" % topic)
eq(r.status, 403, "leaving twice")

# The owner leaves: the admin becomes owner.
r = o.post("conversations/%d/leave" % topic)
eq(r.status, 204, "the owner leaves")
eq(roles(f1, topic), {f1.name: "owner"}, "ownership passed to the admin")
check(f1.wait_for(updated(topic, "left"), timeout=10) is not None,
      "f1 hears the owner left")
r = f1.patch("conversations/%d" % topic, {"title": "f1's now"})
eq(r.status, 200, "the new owner renames")

# No admin: the longest-standing member inherits.
q = signup("tq")
r1, r2 = signup("tr1"), signup("tr2")
befriend(q, r1)
befriend(q, r2)
r = q.post("conversations", {"title": "solo", "members": [r1.name]})
eq(r.status, 201, "second topic")
t2 = (r.json or {}).get("id")
time.sleep(0.05)
r = q.post("conversations/%d/members" % t2, {"members": [r2.name]})
eq(r.status, 200, "add r2 later")
r = q.post("conversations/%d/leave" % t2)
eq(r.status, 204, "the owner leaves a topic without admins")
eq(roles(r1, t2), {r1.name: "owner", r2.name: "member"},
   "the longest member becomes owner")
r = r2.post("conversations/%d/leave" % t2)
eq(r.status, 204, "a member leaves")
eq(roles(r1, t2), {r1.name: "owner"}, "one left, the owner")

# --- at once: late requests get what they would alone, one owner always ----
def at_once(*calls):
    """Run each (fn, args...) in a thread, all released together; statuses."""
    go = threading.Barrier(len(calls))

    def run(fn, *args):
        go.wait()
        return fn(*args)
    ts = [chatlib.in_thread(run, *c) for c in calls]
    for t in ts:
        t.join(60)
    return [getattr(t, "result", None) and t.result.status for t in ts]


def owners(conv):
    return int(sql("SELECT COUNT(*) FROM conv_member WHERE conv_id=%d AND "
                   "role='owner'" % conv)[0][0])


def role_sql(conv, c):
    r = sql("SELECT role FROM conv_member WHERE conv_id=%d AND user_id=%d"
            % (conv, uid(c)))
    return r[0][0] if r else None


ra, rb, rc, rd = (signup("tra"), signup("trb"), signup("trc"),
                  signup("trd"))
for c in (rb, rc, rd):
    befriend(ra, c)


def race_topic(admins=()):
    # Topic changes count with the owner's sends (20 a second, bursts of
    # 60): a round makes at most 7, so each waits for as many tokens.
    time.sleep(0.4)
    r = ra.post("conversations", {"title": "race",
                                  "members": [rb.name, rc.name, rd.name]})
    check(r.status == 201, "a topic to race in", r)
    conv = (r.json or {}).get("id", 0)
    for c in admins:
        r = ra.patch("conversations/%d/members/%s" % (conv, c.name),
                     {"role": "admin"})
        check(r.status == 200, "%s made admin" % c.name, r)
    return conv


for i in range(5):
    conv = race_topic()
    got = at_once(*[(rb.post, "conversations/%d/leave" % conv)] * 4)
    eq(sorted(got), [204, 403, 403, 403],
       "round %d: one member leaving 4 times at once" % i)
    eq(role_sql(conv, rb), None, "round %d: the member is out" % i)
    got = at_once(*[(ra.delete, "conversations/%d/members/%s"
                     % (conv, rc.name))] * 4)
    eq(sorted(got), [204, 404, 404, 404],
       "round %d: the owner removing one member 4 times at once" % i)
    eq(role_sql(conv, rc), None, "round %d: the removed member is out" % i)
    eq(owners(conv), 1, "round %d: one owner" % i)

for i in range(10):
    # The owner leaves while an admin removes another admin, who may be
    # the new owner by then (403) or not (204).
    conv = race_topic((rb, rc))
    got = at_once((ra.post, "conversations/%d/leave" % conv),
                  (rc.delete, "conversations/%d/members/%s"
                   % (conv, rb.name)))
    eq(got[0], 204, "round %d: the owner leaves" % i)
    check(got[1] in (204, 403), "round %d: an admin removes an admin at "
          "the same time: 204, or 403 if that one owns it now" % i, got)
    eq(owners(conv), 1, "round %d: still one owner" % i)
    if got[1] == 403:
        eq(role_sql(conv, rb), "owner", "round %d: refused: rb owns it" % i)
    else:
        eq(role_sql(conv, rb), None, "round %d: rb is out" % i)

    # The owner and an admin leave at once: someone else owns it.
    conv = race_topic((rb,))
    got = at_once((ra.post, "conversations/%d/leave" % conv),
                  (rb.post, "conversations/%d/leave" % conv))
    eq(got, [204, 204], "round %d: the owner and an admin leave at once" % i)
    eq(owners(conv), 1, "round %d: one owner after both left" % i)
    eq(members_sql(conv), sorted([rc.name, rd.name]),
       "round %d: the others stay" % i)
for c in (ra, rb, rc, rd):
    c.drain()

# --- the cap: 500 members, owner included ------------------------------------------
CAP = 500
t0 = time.time()
big = signup("tbig")
with ThreadPoolExecutor(16) as ex:
    crowd = list(ex.map(lambda i: signup("tc"), range(CAP)))
    # Each asks big (big's own asking would wait on its send rate).
    list(ex.map(lambda c: befriend(c, big), crowd))
print("created and befriended %d users in %.1f s" % (CAP, time.time() - t0),
      flush=True)
names = [c.name for c in crowd]

btitle = "big " + chatlib.uniq("b")
r = big.post("conversations", {"title": btitle, "members": names + ["zz_extra"]})
eq(r.status, 400, "more than 500 names at once")
r = big.post("conversations", {"title": btitle, "members": names})
check(r.status in (400, 409), "500 friends + the owner is 501 members: refused", r)
eq(sql("SELECT COUNT(*) FROM conversation WHERE title='%s'" % btitle), [["0"]],
   "no topic over the cap was created")

r = big.post("conversations", {"title": btitle, "members": names[:CAP - 1]})
eq(r.status, 201, "499 friends + the owner: 500 members")
bt = (r.json or {}).get("id", 0)
eq(len((r.json or {}).get("members", [])), CAP, "500 members listed")
eq(sql("SELECT COUNT(*) FROM conv_member WHERE conv_id=%d" % bt), [[str(CAP)]],
   "500 members in MySQL")

r = big.post("conversations/%d/members" % bt, {"members": [names[-1]]})
check(r.status in (400, 409), "a 501st member is refused", r)
eq(sql("SELECT COUNT(*) FROM conv_member WHERE conv_id=%d" % bt), [[str(CAP)]],
   "still 500 members")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d AND type="
       "'conversation_updated' AND JSON_VALUE(payload,'$.conversation_id')=%d"
       % (uid(crowd[-1]), bt)), [["0"]], "the refused one was not told")

# Two additions at once that fit alone but not together: one is refused.
r = big.post("conversations", {"title": btitle + " 2",
                               "members": names[:CAP - 21]})
eq(r.status, 201, "479 friends + the owner: 480 members")
bt2 = (r.json or {}).get("id", 0)
adds = [chatlib.in_thread(big.post, "conversations/%d/members" % bt2,
                          {"members": part})
        for part in (names[CAP - 21:CAP - 10], names[CAP - 10:])]
for t in adds:
    t.join(60)
eq(sorted(t.result.status for t in adds if not t.is_alive()), [200, 409],
   "11 and 10 more at once: one added, the other refused")
n2 = int(sql("SELECT COUNT(*) FROM conv_member WHERE conv_id=%d" % bt2)[0][0])
check(n2 in (490, 491), "at most 500 members, never 501 (%d)" % n2, n2)

# Fan-out to 499.
t0 = time.time()
r = send_msg(big, "to everyone", "big-1", conv=bt)
eq(r.status, 201, "send to the 500-member topic")
took = time.time() - t0
check(took < 5, "the fan-out send answers quickly (%.2f s)" % took, took)
bm = (r.json or {}).get("id", 0)
got = message_event_users(bm)
eq(len(got), CAP - 1, "499 pending message events")
eq(got, sorted(uid(c) for c in crowd[:CAP - 1]),
   "exactly one per member but the sender")


def receives(c):
    evs = c.poll(5)
    c.post("ack", {"ids": [e["id"] for e in evs]})
    return any(msg_event(bm)(e) for e in evs)


t0 = time.time()
with ThreadPoolExecutor(16) as ex:
    ok = list(ex.map(receives, crowd[:CAP - 1]))
eq(ok.count(False), 0, "every member received it by poll")
print("499 members polled it in %.1f s" % (time.time() - t0), flush=True)
eq(message_event_users(bm), [], "all acked")

# Someone added to a topic starts with nothing unread: what was said before
# they came is history, not news (it counted the whole history).
ua, ub, uc = signup("ur"), signup("ur"), signup("ur")
befriend(ua, ub)
befriend(ua, uc)
r = ua.post("conversations", {"title": "unread from joining", "members": [ub.name]})
eq(r.status, 201, "topic for the unread check")
ut = (r.json or {}).get("id")
for k in range(3):
    eq(send_msg(ua, "before C %d" % k, "ur-%d" % k, conv=ut).status, 201, "sent")
eq(ua.post("conversations/%d/members" % ut, {"members": [uc.name]}).status, 200,
   "C added")


def unread(c, conv):
    r = c.get("conversations")
    return [x.get("unread") for x in (r.json or {}).get("conversations", [])
            if x.get("id") == conv]


eq(unread(uc, ut), [0], "a newcomer has nothing unread")
eq(unread(ub, ut), [3], "a member who was there has the three")
eq(len([m for m in uc.get("conversations/%d/messages" % ut).json.get(
    "messages", []) if m.get("kind") != "notice"]), 3,
   "the newcomer can still read the history")
eq(send_msg(ua, "after C", "ur-9", conv=ut).status, 201, "sent after")
eq(unread(uc, ut), [1], "what comes after counts")

# Renaming in a loop would flood the members: topic changes count with
# the owner's sends (20 a second, bursts of 60), 429 past them, and a
# refused rename is neither stored nor told.
fa, fb = signup("fl"), signup("fl")
befriend(fa, fb)
r = fa.post("conversations", {"title": "flood", "members": [fb.name]})
eq(r.status, 201, "topic for the rename flood")
ft = (r.json or {}).get("id")
fb.drain()
answers = chatlib.all_at_once(
    fa.patch, [("conversations/%d" % ft, {"title": "t%d" % i}) for i in range(150)])
res = [x for x in answers if x]
took = set("t%d" % i for i, x in enumerate(answers) if x and x.status == 200)
refused = [x for x in res if x.status == 429]
check(len(res) == 150 and len(took) >= 40 and refused
      and set(x.status for x in res) <= {200, 429},
      "150 renames at once: some stored, the rest 429",
      sorted(set(x.status for x in res)))
check(all(err_code(x) == "rate_limited" and x.header("Retry-After")
          for x in refused), "a refused rename says why and when to retry")
check(get_conv(fb, ft).get("title") in took, "the title is a stored one")
seen, pend = set(), []
end = time.time() + 15
while len(seen) < len(took) and time.time() < end:
    evs = fb.poll(1, ack=pend)
    pend = [e["id"] for e in evs]
    seen |= set(e["id"] for e in evs if updated(ft, "renamed")(e))
fb.poll(0, ack=pend)
eq(len(seen), len(took), "the member is told of each stored rename, no more")
time.sleep(3)   # the bucket fills again: 20 a second up to 60
eq(fa.patch("conversations/%d" % ft, {"title": "calm"}).status, 200,
   "after a pause a rename goes through")

chatlib.done()
