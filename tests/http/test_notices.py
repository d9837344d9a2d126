"""Group notices (issue 25): adding, removing, a member leaving, a rename and
a role change are stored as messages of the group (kind "notice", a notice
object, a plain-language body), in seq order, found by a member catching up
from history, delivered as message events, never unread.  Muting a
conversation: stored per member, listed, told to the user's other devices,
refused to a non-member."""
import chatlib
from chatlib import (befriend, check, eq, expect_error, send_msg, signup)


def is_msg(conv, action):
    return lambda e: (e.get("type") == "message"
                      and (e.get("message") or {}).get("conversation_id") == conv
                      and ((e["message"].get("notice") or {}).get("action")
                           == action))


def item(c, conv):
    r = c.get("conversations")
    check(r.status == 200, "GET /api/conversations", r)
    for x in (r.json or {}).get("conversations", []):
        if x["id"] == conv:
            return x
    return {}


o = signup("no")
a, b, z = signup("na"), signup("nb"), signup("nz")
for f in (a, b):
    befriend(o, f)
for c in (o, a, b, z):
    c.drain()

r = o.post("conversations", {"title": "Trip", "members": [a.name]})
eq(r.status, 201, "create a group")
conv = (r.json or {}).get("id")
eq((r.json or {}).get("last_message"), None, "no notice at creation")
r = send_msg(o, "hello", chatlib.uniq("c"), conv=conv)
eq(r.status, 201, "a message before the changes")
a.drain()

# --- each change is a notice, in order ----------------------------------------
eq(o.post("conversations/%d/members" % conv, {"members": [b.name]}).status,
   200, "add b")
ev = a.wait_for(is_msg(conv, "added"), timeout=10)
check(ev is not None, "a member gets the 'added' notice as a message event")
m = (ev or {}).get("message", {})
eq(m.get("kind"), "notice", "its kind")
eq(m.get("notice"), {"action": "added", "actor": o.name, "target": b.name},
   "its notice object")
eq(m.get("body"), "%s added %s" % (o.name, b.name), "its fallback body")
check(o.wait_for(is_msg(conv, "added"), timeout=10) is not None,
      "the actor's own devices get it too")

eq(o.patch("conversations/%d" % conv, {"title": "Trip 2"}).status, 200,
   "rename")
eq(o.patch("conversations/%d" % conv, {"title": "Trip 2"}).status, 200,
   "the same title again")
eq(o.patch("conversations/%d/members/%s" % (conv, a.name),
           {"role": "admin"}).status, 200, "make a an admin")
eq(o.patch("conversations/%d/members/%s" % (conv, a.name),
           {"role": "admin"}).status, 200, "admin again: no change")
eq(o.delete("conversations/%d/members/%s" % (conv, b.name.upper())).status,
   204, "remove b (named in capitals)")
eq(o.post("conversations/%d/members" % conv, {"members": [b.name]}).status,
   200, "add b again")
eq(b.post("conversations/%d/leave" % conv).status, 204, "b leaves")
d, e = signup("nd"), signup("ne")
for f in (d, e):
    befriend(o, f)
eq(o.post("conversations/%d/members" % conv,
          {"members": [e.name, a.name, d.name]}).status, 200,
   "add two (and a, already in) at once")

r = a.get("conversations/%d/messages?after=0" % conv)
eq(r.status, 200, "a catches up from history")
hist = (r.json or {}).get("messages", [])
eq([x["seq"] for x in hist], list(range(1, len(hist) + 1)),
   "notices take seqs like messages, without gaps")
eq([(x.get("kind"), (x.get("notice") or {}).get("action")) for x in hist],
   [(None, None), ("notice", "added"), ("notice", "renamed"),
    ("notice", "role"), ("notice", "removed"), ("notice", "added"),
    ("notice", "left"), ("notice", "added")],
   "the message, then one notice per change (none for no change), in order")
if len(hist) == 8:
    eq(hist[7]["notice"], {"action": "added", "actor": o.name,
                           "targets": sorted([d.name, e.name])},
       "one notice for an addition of several: targets, not who was in")
    eq(hist[2]["notice"], {"action": "renamed", "actor": o.name,
                           "title": "Trip 2"}, "the rename's notice")
    eq(hist[2]["body"], "%s renamed the group to \u201cTrip 2\u201d" % o.name,
       "the rename's body")
    eq(hist[3]["notice"], {"action": "role", "actor": o.name,
                           "target": a.name, "role": "admin"},
       "the role's notice")
    eq(hist[4]["notice"], {"action": "removed", "actor": o.name,
                           "target": b.name}, "the removal names b as stored")
    eq(hist[6]["notice"], {"action": "left", "actor": b.name}, "the leave")
    eq(hist[6]["sender"], b.name, "a notice's sender is its actor")
    check("kind" not in hist[0] and "notice" not in hist[0],
          "a plain message has no kind or notice")

# --- never unread; the list shows the last one --------------------------------
it = item(a, conv)
eq(it.get("unread"), 1, "a's unread: o's message, none of the notices")
eq((it.get("last_message") or {}).get("kind"), "notice",
   "the list's last message may be a notice")
r = send_msg(o, "back", chatlib.uniq("c"), conv=conv)
eq(item(a, conv).get("unread"), 2, "a message from another still counts")

# --- mute ---------------------------------------------------------------------
a2 = chatlib.Client()
r = a2.post("login", {"username": a.name, "password": a.password})
eq(r.status, 200, "a second device of a")
a2.drain()
check("muted" not in item(a, conv), "not muted at first: no muted key")
r = a.post("conversations/%d/mute" % conv, {"muted": True})
eq(r.status, 200, "mute")
eq(r.json, {"conversation_id": conv, "muted": True}, "its answer")
eq(item(a, conv).get("muted"), True, "listed as muted")
check("muted" not in item(o, conv), "muted for a only, not for o")
ev = a2.wait_for(lambda e: e.get("type") == "conversation_updated"
                 and e.get("conversation_id") == conv
                 and e.get("change") == "muted", timeout=10)
check(ev is not None, "the other device is told")
eq((ev or {}).get("muted"), True, "with the new state")
eq(a2.get("conversations/%d" % conv).json.get("muted"), True,
   "and reads it in the conversation too")
eq(a.post("conversations/%d/mute" % conv, {"muted": False}).status, 200,
   "unmute")
check("muted" not in item(a2, conv), "unmuted everywhere")
expect_error(z.post("conversations/%d/mute" % conv, {"muted": True}), 403,
             "forbidden", "a non-member cannot mute")
expect_error(a.post("conversations/%d/mute" % conv, {"muted": "yes"}), 400,
             "bad_request", "muted must be a boolean")
expect_error(a.post("conversations/999999999/mute", {"muted": True}), 404,
             "not_found", "no such conversation")
check("muted" not in item(a, conv), "a refused mute changed nothing")

chatlib.done()
