"""Seed 003 over HTTP: POST /api/frame and GET /api/frames driven with the
document's frames (CONTENT as a JSON string and as an object): signup SS/SF,
login LS/LF and its shared throttling, user info, friend request, accept,
reject and delete with the pushes carrying the request's messageId, messages
both ways (MS/MF, idempotent resend), TYPE 5 acks that delete exactly the
acked user's rows, and the native view of the same data."""
import json
import os
import time

import chatlib
from chatlib import Client, check, eq, expect_error, sql, uniq

RESEND_S = int(os.environ.get("CHAT_RESEND_S", "2"))
PASS = "thisisapasswordhash"


def frame(c, type_, content, mid=None, as_string=True):
    """POST /api/frame; CONTENT sent as a JSON string (as the document
    mostly does) or as an object."""
    f = {"CONTENT": json.dumps(content, indent=2) if as_string and
         not isinstance(content, str) else content, "TYPE": type_}
    if mid is not None:
        f["MID"] = mid
    r = c.post("frame", f)
    # Answered in kind: CONTENT sent as a string comes back as one (TYPE 3's
    # string is a user name, and its reply an object).
    r.sent_string = isinstance(f["CONTENT"], str) and str(type_) != "3"
    return r


def content_of(r):
    """A reply frame's CONTENT as an object, whichever form it came in."""
    c = (r.json or {}).get("CONTENT")
    return (json.loads(c) if isinstance(c, str) else c) or {}


def reply(r, what, type_, mid, content=None):
    """r is the 200 reply frame {"CONTENT":{"MessageId","Content"},"TYPE"},
    CONTENT a string holding that object when the frame's was a string."""
    check(r.status == 200, what + ": 200", r)
    j = r.json or {}
    eq(j.get("TYPE"), type_, what + ": TYPE")
    c = j.get("CONTENT")
    if getattr(r, "sent_string", None) is not None:
        eq(isinstance(c, str), r.sent_string, what + ": CONTENT in the frame's form")
    if isinstance(c, str):
        c = json.loads(c)
    c = c or {}
    eq(c.get("MessageId"), mid, what + ": MessageId")
    if content is not None:
        eq(c.get("Content"), content, what + ": Content")
    return c.get("Content")


def frames(c, timeout=0, ack=None, form=None):
    """GET /api/frames; with form "string" each CONTENT comes as a string,
    parsed here back into the object."""
    q = "frames?timeout=%d" % timeout
    if ack:
        q += "&ack=" + ",".join(str(i) for i in ack)
    if form:
        q += "&content=" + form
    r = c.get(q, timeout=timeout + 30)
    check(r.status == 200, "frames poll 200", r)
    out = (r.json or {}).get("frames", [])
    for f in out:
        eq(isinstance(f.get("CONTENT"), str), form == "string",
           "push CONTENT as %s" % (form or "object"))
        if isinstance(f.get("CONTENT"), str):
            f["CONTENT"] = json.loads(f["CONTENT"])
    return out


def signup_frame(name, mid, as_string=True, **over):
    """The document's signup frame for user name."""
    content = {
        "userName": name, "hashValue": PASS,
        "emailAddress": "vincent313@foxmail.com", "nickName": "zhiyong",
        "profilePicture": "personalpicture.com/link", "location": "longyan",
        "personalDescription": "cooking man", "rsaPublicKey": "24sdfqwrwer"}
    content.update(over)
    return mid, content, as_string


def uid_of(name):
    rows = sql("SELECT id FROM user WHERE username='%s'" % name)
    return int(rows[0][0]) if rows else None


def events_of(uid):
    return sql("SELECT id, type FROM event WHERE user_id=%d ORDER BY id" % uid)


# --- signup: SS logs in, SF for a taken name or a bad field -----------------
vname, zname = uniq("vincent"), uniq("zhiyong")
v, z = Client(), Client()
mid, content, s = signup_frame(vname, "signupmessageID001")
r = frame(v, "1", content, mid, as_string=s)
reply(r, "signup vincent (CONTENT as string)", "RE_SIGNUP",
      "signupmessageID001", "SS")
check(v.sid is not None, "signup sets the sid cookie", r.headers)
mid, content, s = signup_frame(zname, "signupmessageID003", as_string=False)
r = frame(z, "1", content, mid, as_string=s)
reply(r, "signup zhiyong (CONTENT as object)", "RE_SIGNUP",
      "signupmessageID003", "SS")
vid, zid = uid_of(vname), uid_of(zname)
row = sql("SELECT password_hash, email, nickname, avatar_url, location, bio, "
          "public_key, guest FROM user WHERE id=%d" % vid)[0]
check(row[0].startswith("$argon2id$"), "hashValue stored through the KDF",
      row[0])
eq(row[1:], ["vincent313@foxmail.com", "zhiyong",
             "", "longyan", "cooking man",
             "24sdfqwrwer", "0"], "signup fields stored")
r = v.get("me")
eq((r.json or {}).get("username"), vname, "the signup cookie is a session")

other = Client()
mid, content, s = signup_frame(zname, "signupmessageID004")
r = frame(other, "1", content, mid, as_string=s)
reply(r, "signup with a taken name", "RE_SIGNUP", "signupmessageID004", "SF")
check(other.sid is None, "SF sets no cookie", r.headers)
n = uniq("bad")
mid, content, s = signup_frame(n, "su5", emailAddress="not an email")
reply(frame(other, "1", content, mid), "signup with a bad email",
      "RE_SIGNUP", "su5", "SF")
mid, content, s = signup_frame(n, "su6", hashValue="short")
reply(frame(other, "1", content, mid), "signup with a short password",
      "RE_SIGNUP", "su6", "SF")
mid, content, s = signup_frame("x y", "su7")
reply(frame(other, "1", content, mid), "signup with a bad user name",
      "RE_SIGNUP", "su7", "SF")
# The document's picture link (anywhere) is taken but not stored: only
# the server's own pictures are shown (issue 21); a NUL inside it is
# refused as on the native signup (it used to cut the link short).
mid, content, s = signup_frame(n, "su8",
                               profilePicture="example.com/pic\u0000\"><b>")
reply(frame(other, "1", content, mid), "signup with a NUL in the picture",
      "RE_SIGNUP", "su8", "SF")
eq(sql("SELECT COUNT(*) FROM user WHERE username='%s'" % n), [["0"]],
   "refused signups stored nothing")
pn = uniq("pic")
pic = "/api/pictures/" + "ab" * 32
mid, content, s = signup_frame(pn, "su9", profilePicture=pic)
reply(frame(Client(), "1", content, mid), "signup with a server picture",
      "RE_SIGNUP", "su9", "SS")
eq(sql("SELECT avatar_url FROM user WHERE username='%s'" % pn), [[pic]],
   "the server's own picture is stored")

# --- bad frames: 400 --------------------------------------------------------
for body, what in [
        ({"MID": "m", "CONTENT": {}}, "no TYPE"),
        ({"MID": "m", "CONTENT": {}, "TYPE": "9"}, "TYPE 9"),
        ({"MID": "m", "TYPE": "2"}, "no CONTENT"),
        ({"MID": "m", "CONTENT": "{not json", "TYPE": "2"}, "CONTENT not JSON"),
        ({"MID": "m", "CONTENT": "[1]", "TYPE": "2"}, "CONTENT an array"),
        ({"MID": "m", "CONTENT": 5, "TYPE": "2"}, "CONTENT a number"),
        ({"CONTENT": {"USER": "a", "PASS": "b"}, "TYPE": "2"}, "no MID"),
        ({"CONTENT": {"sender": vname}, "TYPE": "4"}, "message without id")]:
    r = v.post("frame", body)
    eq(r.status, 400, "bad frame: " + what)
    check(((r.json or {}).get("error") or {}).get("code") == "bad_request",
          "bad frame answers the error JSON: " + what, r)

# --- login: LF / LS, throttling shared with POST /api/login -----------------
v2 = Client()
r = frame(v2, "2", {"PASS": "wrong password", "USER": vname},
          "loginmessage0001", as_string=False)
reply(r, "login with a bad password", "RE_SIGNUP", "loginmessage0001", "LF")
check(v2.sid is None, "LF sets no cookie", r.headers)
r = frame(v2, "2", {"PASS": PASS, "USER": vname}, "loginmessage0002")
reply(r, "login", "RE_SIGNUP", "loginmessage0002", "LS")
eq((v2.get("me").json or {}).get("username"), vname, "LS cookie is a session")
reply(frame(v2, "2", {"PASS": PASS, "USER": uniq("nobody")}, "l3"),
      "login of an unknown user", "RE_SIGNUP", "l3", "LF")

victim = uniq("throttled")
t = Client()
for i in range(5):
    reply(frame(t, "2", {"USER": victim, "PASS": "guess %d" % i}, "t%d" % i),
          "failed login frame %d" % i, "RE_SIGNUP", "t%d" % i, "LF")
for i in range(4):
    r = t.post("login", {"username": victim, "password": "guess n%d" % i})
    eq(r.status, 401, "failed native login %d" % i)
r = frame(t, "2", {"USER": victim, "PASS": "guess x"}, "t9")
reply(r, "tenth failure", "RE_SIGNUP", "t9", "LF")
r = frame(t, "2", {"USER": victim, "PASS": "guess y"}, "t10")
eq(r.status, 429, "the 11th attempt (frames and native share the count)")
check(r.header("Retry-After") is not None, "429 has Retry-After", r.headers)
eq(t.post("login", {"username": victim, "password": "x" * 9}).status, 429,
   "native login is throttled by frame failures too")

# --- user info (TYPE 3) -----------------------------------------------------
r = frame(Client(), "3", zname, "getuserinfo0010001")
eq(r.status, 401, "user info without a session")
r = frame(v, "3", zname, "getuserinfo0010001")
got = reply(r, "user info", "RE_GETUSER_SUC", "getuserinfo0010001")
eq(got, {"userName": zname, "emailAddress": "", "nickName": "zhiyong",
         "profilePicture": "",
         "location": "longyan", "personalDescription": "cooking man",
         "rsaPublicKey": "24sdfqwrwer"}, "profile of a non-friend (no email)")
got = reply(frame(v, "3", vname, "gi2"), "own info", "RE_GETUSER_SUC", "gi2")
eq((got or {}).get("emailAddress"), "vincent313@foxmail.com",
   "own email shown")
reply(frame(v, "3", uniq("nobody"), "getuserinfo0010001"), "unknown user",
      "RE_GETUSER_FAILED", "getuserinfo0010001", "User could not be found")
expect_error(frame(v, "3\u0000junk", vname, "gi4"), 400, "bad_request",
             "a TYPE with a NUL inside is not TYPE 3")

# --- messages before friendship: MF ----------------------------------------
msg1 = {"messageId": "normalmessage001", "sender": zname, "receiver": vname,
        "content": "first message test 000001"}
r = frame(z, "4", msg1)
reply(r, "message to a non-friend", "RE_MESSAGE", "normalmessage001", "MF")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % zid), [["0"]],
   "MF stored nothing")
r = frame(v, "4", msg1)
reply(r, "message with someone else as sender", "RE_MESSAGE",
      "normalmessage001", "MF")

# --- friend request, ack, accept --------------------------------------------
frames(v, 0)            # nothing yet; presence and the like are acked quietly
expect_error(v.get("frames?timeout=0&content=xml"), 400, "bad_request",
             "frames: content is string or object")
req = {"messageId": "friendsrequest001", "sender": zname, "receiver": vname,
       "content": "tianjiahaoyoushenqing", "type": "1"}
r = frame(z, "6", req)
t_req = reply(r, "friend request", "RE_FRI_REQ", "friendsrequest001")
check((t_req or "").isdigit() and abs(int(t_req) / 1000 - time.time()) < 60,
      "RE_FRI_REQ carries the time in ms as a string", t_req)
fs = frames(v, 5, form="string")       # CONTENT as a string, as the document writes pushes
eq([(f["TYPE"], f["CONTENT"]) for f in fs],
   [("6", {"messageId": "friendsrequest001", "sender": zname,
           "receiver": vname, "time": t_req,
           "content": "tianjiahaoyoushenqing", "type": "1"})],
   "the receiver gets the request with its messageId")
ev_req = fs[0]["eventId"] if fs else 0
time.sleep(RESEND_S + 0.5)
fs = frames(v, 0)
eq([f["eventId"] for f in fs], [ev_req], "an unacked frame comes back")
r = z.post("frame", {"CONTENT": json.dumps({"MessageId": "friendsrequest001"}),
                     "TYPE": "5"})
reply(r, "someone else's ack", "RE_ACK", "friendsrequest001", "OK")
eq(len(sql("SELECT id FROM event WHERE id=%d" % ev_req)), 1,
   "an ack acks only the acker's events")
r = v.post("frame", {"CONTENT": json.dumps({"MessageId": "friendsrequest001"}),
                     "TYPE": "5"})
reply(r, "ack (the document's frame)", "RE_ACK", "friendsrequest001", "OK")
eq(sql("SELECT id FROM event WHERE id=%d" % ev_req), [],
   "TYPE 5 removed the event from the event table")

acc = dict(req, type="2")
r = frame(v, "6", acc, as_string=False)
t_acc = reply(r, "accept", "RE_FRI_REQ", "friendsrequest001")
check((t_acc or "").isdigit(), "accept answers a time", t_acc)
fs = frames(z, 5)
eq([f["CONTENT"]["time"] for f in fs], [t_acc],
   "the push has the time the accept answered")
got = [(f["TYPE"], dict(f["CONTENT"], time="T")) for f in fs]
eq(got, [("6", {"messageId": "friendsrequest001", "sender": vname,
                "receiver": zname, "time": "T",
                "content": "tianjiahaoyoushenqing", "type": "2"})],
   "the requester hears of the accept, sender = the one who answered")
reply(z.post("frame", {"CONTENT": {"MessageId": "friendsrequest001"},
                       "TYPE": "5"}), "ack of the accept", "RE_ACK",
      "friendsrequest001", "OK")
eq([e for e in events_of(zid) if e[1] == "friend_accepted"], [],
   "the accept's event is gone")
r = z.get("friends")
eq([f["username"] for f in (r.json or {}).get("friends", [])], [vname],
   "native view: they are friends")
conv = [f["conversation_id"] for f in (r.json or {}).get("friends", [])][0]
got = reply(frame(z, "3", vname, "gi3"), "friend's info", "RE_GETUSER_SUC",
            "gi3")
eq((got or {}).get("emailAddress"), "vincent313@foxmail.com",
   "a friend's email is shown")
reply(frame(v, "6", acc), "accepting twice", "RE_FRI_REQ",
      "friendsrequest001", "FAIL")

# --- messages both ways -----------------------------------------------------
r = frame(z, "4", msg1)
reply(r, "message to a friend", "RE_MESSAGE", "normalmessage001", "MS")
r = frame(z, "4", msg1, as_string=False)
reply(r, "the same messageId again", "RE_MESSAGE", "normalmessage001", "MS")
r = frame(z, "4", dict(msg1, content="another text, same messageId"))
got = reply(r, "the same messageId with other content", "RE_MESSAGE",
            "normalmessage001", "MF")
eq(content_of(r).get("reason"),
   "messageId was already used for another message", "... says why")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d" % zid), [["1"]],
   "a resend is stored once")
fs = frames(v, 5, form="string")
eq([(f["TYPE"], f["CONTENT"]["messageId"], f["CONTENT"]["sender"],
     f["CONTENT"]["receiver"], f["CONTENT"]["content"]) for f in fs],
   [("4", "normalmessage001", zname, vname, "first message test 000001")],
   "the receiver gets the message frame once")
sent = sql("SELECT CAST(UNIX_TIMESTAMP(sent_at) * 1000 AS SIGNED) FROM message"
           " WHERE sender_id=%d" % zid)[0][0]
eq(fs[0]["CONTENT"]["time"] if fs else None, sent,
   "time is the stored sent_at in ms")
ev_msg = fs[0]["eventId"] if fs else 0
r = v.get("conversations/%d/messages" % conv)
eq([(m["sender"], m["body"], m["client_id"])
    for m in (r.json or {}).get("messages", [])],
   [(zname, "first message test 000001", "normalmessage001")],
   "native history shows the frame-sent message")
reply(v.post("frame", {"CONTENT": {"MessageId": "NormalMessage001"},
                       "TYPE": "5"}), "ack in another case", "RE_ACK",
      "NormalMessage001", "OK")
eq(len(sql("SELECT id FROM event WHERE id=%d" % ev_msg)), 1,
   "frame ids are exact: another case acks nothing")
reply(v.post("frame", {"CONTENT": "{\"MessageId\":\"normalmessage001\"}",
                       "TYPE": "5"}), "ack of the message", "RE_ACK",
      "normalmessage001", "OK")
eq(sql("SELECT id FROM event WHERE id=%d" % ev_msg), [],
   "the message's event is gone after TYPE 5")

# Senders choose message ids: an ack takes only what was pushed already.
# Another friend's message of the same id, not pushed yet, stays and comes.
y = chatlib.signup("yfriend")
v.name = vname
chatlib.befriend(y, v)
eq(chatlib.send_msg(y, "from y", "normalmessage001", to=vname).status, 201,
   "another friend sends with the same id")
reply(v.post("frame", {"CONTENT": {"MessageId": "normalmessage001"},
                       "TYPE": "5"}), "the ack again", "RE_ACK",
      "normalmessage001", "OK")
fs = frames(v, 5)
eq([(f["CONTENT"]["sender"], f["CONTENT"]["content"]) for f in fs
    if f["TYPE"] == "4"], [(y.name, "from y")],
   "the other friend's message, never pushed, was not taken by the ack")
frames(v, 0, ack=[f["eventId"] for f in fs])

# The other way, into a parked poll, acked with ?ack=.
t = chatlib.in_thread(frames, z, 15)
time.sleep(1)
start = time.time()
back = {"messageId": "normalmessage002", "sender": vname, "receiver": zname,
        "content": "reply 2"}
reply(frame(v, "4", back), "reply", "RE_MESSAGE", "normalmessage002", "MS")
t.join(20)
fs = t.result or []
check(time.time() - start < 5, "a parked frames poll wakes on a send")
eq([(f["TYPE"], f["CONTENT"]["messageId"], f["CONTENT"]["content"])
    for f in fs], [("4", "normalmessage002", "reply 2")],
   "the parked poll carries the reply")
if fs:
    frames(z, 0, ack=[fs[0]["eventId"]])
    eq(sql("SELECT id FROM event WHERE id=%d" % fs[0]["eventId"]), [],
       "?ack=eventId acks too")
r = z.get("conversations/%d/messages" % conv)
eq([m["body"] for m in (r.json or {}).get("messages", [])],
   ["first message test 000001", "reply 2"], "native history, both ways")

# A topic message has no seed 003 frame: acked quietly, not returned.
r = z.post("conversations", {"title": "group", "members": [vname]})
check(r.status == 201, "native topic", r)
topic = (r.json or {}).get("id")
r = z.post("messages", {"conversation_id": topic, "client_id": "tm1",
                        "body": "to the group"})
check(r.status == 201, "topic message", r)
eq(frames(v, 0), [], "no frame for a topic message")
eq([e for e in events_of(vid) if e[1] in ("message", "conversation_updated")],
   [], "events without a frame were acked by the frames poll")

# --- reject -----------------------------------------------------------------
x = Client()
xname = uniq("asker")
mid, content, s = signup_frame(xname, "sux")
reply(frame(x, "1", content, mid), "signup asker", "RE_SIGNUP", "sux", "SS")
reply(frame(x, "6", {"messageId": "friendsrequest002", "sender": xname,
                     "receiver": vname, "content": "hi", "type": "1"}),
      "request 2", "RE_FRI_REQ", "friendsrequest002")
fs = frames(v, 5)
eq([f["CONTENT"]["messageId"] for f in fs], ["friendsrequest002"],
   "request 2 arrives")
t_rej = reply(frame(v, "6", {"messageId": "friendsrequest002",
                             "sender": xname, "receiver": vname,
                             "content": "hi", "type": "3"}),
              "reject", "RE_FRI_REQ", "friendsrequest002")
fs = frames(x, 5)
eq([f["CONTENT"]["time"] for f in fs], [t_rej],
   "the push has the time the reject answered")
eq([(f["CONTENT"]["messageId"], f["CONTENT"]["sender"],
     f["CONTENT"]["receiver"], f["CONTENT"]["type"]) for f in fs],
   [("friendsrequest002", vname, xname, "3")], "the asker hears of the reject")
reply(x.post("frame", {"CONTENT": {"MessageId": "friendsrequest002"},
                       "TYPE": "5"}), "ack of the reject", "RE_ACK",
      "friendsrequest002", "OK")
eq(frames(x, 0), [], "nothing left for the asker")
r = frame(x, "6", {"messageId": "friendsrequest003", "sender": vname,
                   "receiver": xname, "content": "hi", "type": "1"})
c = content_of(r)
eq((c.get("Content"), "reason" in c), ("FAIL", True),
   "a request in someone else's name: FAIL with a reason")

# A request made natively has no messageId: its frames say fr<id>.
r = x.post("friends/requests", {"to": vname, "text": "native"})
check(r.status == 201, "native request", r)
fs = frames(v, 5)
eq([f["CONTENT"]["messageId"] for f in fs], ["fr%d" % r.json["id"]],
   "a native request's frame id")
reply(v.post("frame", {"CONTENT": {"MessageId": "fr%d" % r.json["id"]},
                       "TYPE": "5"}), "ack by fr<id>", "RE_ACK",
      "fr%d" % r.json["id"], "OK")
eq(frames(v, 0), [], "acked by fr<id>")

# --- delete -----------------------------------------------------------------
r = frame(v, "6", {"messageId": "deletefriend001", "sender": vname,
                   "receiver": zname, "content": "shanchuhaoyou", "type": "4"})
reply(r, "delete friend", "RE_FRI_REQ", "deletefriend001")
fs = frames(z, 5)
eq([(f["TYPE"], f["CONTENT"]["sender"], f["CONTENT"]["receiver"],
     f["CONTENT"]["type"]) for f in fs], [("6", vname, zname, "4")],
   "the other side hears of the delete")
if fs:
    reply(z.post("frame", {"CONTENT": {"MessageId":
                                       fs[0]["CONTENT"]["messageId"]},
                           "TYPE": "5"}), "ack of the delete", "RE_ACK",
          fs[0]["CONTENT"]["messageId"], "OK")
    eq(sql("SELECT id FROM event WHERE id=%d" % fs[0]["eventId"]), [],
       "the delete's event is gone")
r = frame(z, "4", dict(msg1, messageId="normalmessage003"))
reply(r, "message after the delete", "RE_MESSAGE", "normalmessage003", "MF")
reply(frame(v, "6", {"messageId": "deletefriend002", "sender": vname,
                     "receiver": zname, "type": "4"}), "delete again",
      "RE_FRI_REQ", "deletefriend002", "FAIL")

# Guests may not use friend frames.
g = Client()
g.post("guest", {"nickname": "guesty"})
r = frame(g, "6", {"messageId": "g1", "sender": g.get("me").json["username"],
                   "receiver": vname, "type": "1"})
reply(r, "a guest's friend request", "RE_FRI_REQ", "g1", "FAIL")

# Friend request frames count with the user's sends, as the native
# requests do: 150 at once, the rest 429 (and they ask no one).
sts = [x.status for x in chatlib.all_at_once(frame, [
    (z, "6", {"messageId": "flood%03d" % i, "sender": zname,
              "receiver": "nobody_%d" % i, "type": "1"}) for i in range(150)]) if x]
check(len(sts) == 150 and sts.count(200) >= 40 and sts.count(429) >= 1
      and set(sts) <= {200, 429}, "150 friend frames at once: the rest 429",
      sorted(set(sts)))

chatlib.done()
