"""A user's other devices learn of the user's own changes (issue 25): events
belong to the user, not to a device, so the phone that starts or leaves a
stranger chat may take the only event about it.  Such a change bumps the
user's revision; a poll that passes the revision it knows (?rev=) answers
at once, with the new "rev", when it differs -- also a poll that was
waiting on another device.  Leaving pushes match_ended to the leaver (it
wakes the leaver's other devices).  And error texts a person may see name
no internal field ("field" does, for programs)."""
import json

import chatlib
from chatlib import Client, check, eq, err_code, in_thread, signup


def guest(nick):
    c = Client()
    r = c.post("guest", {"nickname": nick})
    check(r.status == 201, "guest 201", r)
    c.user = r.json or {}
    return c


def poll_rev(c, rev, timeout=0):
    r = c.get("poll?timeout=%d&rev=%d" % (timeout, rev), timeout=timeout + 30)
    check(r.status == 200, "poll with rev answered 200", r)
    return r.json or {}


def ack_all(c):
    evs = c.poll(0)
    while evs:
        evs = c.poll(0, ack=[e["id"] for e in evs])


phone = signup("dsync")
desk = Client()
eq(desk.post("login", {"username": phone.name,
                       "password": phone.password}).status, 200,
   "the same user on a second device")

eq(err_code(desk.get("poll?timeout=0&rev=x")), "bad_request", "rev is a number")

# The revision a device starts from: asked with 0, told at once if not 0.
a = poll_rev(desk, 0)
r0 = a.get("rev", 0)
check(isinstance(r0, int), "an answer that came for rev carries it", a)
ack_all(phone)

# The phone starts a stranger chat and takes match_found; the desk, which
# did not get it, is told by its next poll at once, not at its timeout.
g = guest("Sync guest")
eq(g.post("match").json.get("status"), "waiting", "a guest waits")
m = phone.post("match")
eq(m.json.get("status"), "matched", "the phone meets the guest")
conv = m.json["conversation_id"]
ack_all(phone)
a = poll_rev(desk, r0, timeout=20)
r1 = a.get("rev")
check(r1 is not None and r1 > r0, "the desk learns of the new stranger chat", a)
eq(a.get("events"), [], "by the revision: the phone had the event")
ids = [c["id"] for c in desk.get("conversations").json["conversations"]]
check(conv in ids, "and finds it in its list", ids)

# Nothing new: a poll with the current revision waits as before.
a = poll_rev(desk, r1)
check("rev" not in a, "no change, no rev: an empty timeout answer", a)

# The desk waits in a poll; the phone leaves the chat: the waiting poll
# answers (woken by match_ended, whichever device takes it).
t = in_thread(poll_rev, desk, r1, 20)
eq(phone.post("conversations/%d/leave" % conv).status, 204, "the phone leaves")
t.join(40)
a = t.result or {}
check((a.get("rev") or 0) > r1, "the waiting desk poll answers with a new revision", a)
evs = [e["type"] for e in a.get("events", [])] + \
    [e["type"] for e in phone.poll(0)]
check("match_ended" in evs, "the leaver's devices get match_ended", evs)
ended = [c for c in desk.get("conversations").json["conversations"]
         if c["id"] == conv]
eq(ended, [], "the chat left is gone from the desk's list")

# The guest's side: partner_left, and its revision moved too.
ge = g.poll(0)
check(any(e["type"] == "partner_left" for e in ge), "the partner is told", ge)
a = poll_rev(g, 0)
check((a.get("rev") or 0) >= 2, "the partner's revision counts start and end", a)

# Error texts are for people: no internal field names; codes unchanged,
# and "field" names the field for programs.
r = phone.patch("me", {"password": "a new password 3",
                       "current_password": "not it at all"})
eq((r.status, err_code(r)), (403, "forbidden"), "a wrong current password")
eq(r.json["error"]["message"], "The current password is wrong.", "said plainly")
r = phone.patch("me", {"avatar_url": "https://example.org/x.png"})
eq(err_code(r), "bad_request", "a picture link from elsewhere")
eq(r.json["error"]["message"], "That picture link is not valid.", "said plainly")
eq(r.json["error"].get("field"), "avatar_url", "field names it for programs")

chatlib.done()
