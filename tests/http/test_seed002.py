"""Seed 002 over HTTP: POST /api/cmd and GET /api/cmds driven with the
document's commands: CRT_ACCOUNT makes a logged-in guest, MATCH pairs two
strangers (NewSession pushes, a parked cmds poll wakes), DIALOGUE reaches
the partner as PUSH_DIALOGUE and shows in the native history, a cmds poll
acks what an earlier one handed out, LOGOUT ends the session and the
partner gets PartnerExit; refusals carry cmd and a nonzero code."""
import time

import chatlib
from chatlib import Client, check, eq, sql, uniq


def cmd(c, body):
    return c.post("cmd", body)


def cmds(c, timeout=0, ack=None):
    q = "cmds?timeout=%d" % timeout
    if ack:
        q += "&ack=" + ",".join(str(i) for i in ack)
    r = c.get(q, timeout=timeout + 30)
    check(r.status == 200, "cmds poll 200", r)
    return (r.json or {}).get("cmds", [])


def refused(r, status, name, what):
    """A refusal: the HTTP status, the contract's error, cmd and code."""
    eq(r.status, status, what)
    j = r.json or {}
    eq((j.get("cmd"), j.get("code")), (name, status), what + ": cmd, code")
    check("code" in (j.get("error") or {}), what + ": error object", j)


def strip(items):
    """Pushes without their eventId, for comparing."""
    return [{k: v for k, v in i.items() if k != "eventId"} for i in items]


# --- CRT_ACCOUNT -------------------------------------------------------------
g1, g2 = Client(), Client()
r = cmd(g1, {"cmd": "CRT_ACCOUNT", "nickName": "zhangsan"})
eq(r.status, 200, "CRT_ACCOUNT")
j = r.json or {}
eq((j.get("cmd"), j.get("nickName")), ("CRT_ACCOUNT", "zhangsan"),
   "CRT_ACCOUNT answer")
a1 = j.get("accountId")
check(isinstance(a1, int) and g1.sid, "an accountId and a session", r)
eq(sql("SELECT guest, nickname FROM user WHERE id=%d" % a1),
   [["1", "zhangsan"]], "the account is a guest")
eq((g1.get("me").json or {}).get("id"), a1, "the cookie is a session")
a2 = (cmd(g2, {"cmd": "CRT_ACCOUNT", "nickName": "lisi"}).json or {}).get(
    "accountId")
refused(cmd(Client(), {"cmd": "CRT_ACCOUNT", "nickName": ""}), 400,
        "CRT_ACCOUNT", "an empty nickName")
refused(cmd(Client(), {"cmd": "CRT_ACCOUNT"}), 400, "CRT_ACCOUNT",
        "no nickName")
r = cmd(Client(), {"cmd": "NOPE"})
eq((r.status, (r.json or {}).get("code")), (400, 400), "an unknown cmd")
eq(cmd(Client(), {"cmd": "MATCH", "accountId": a1}).status, 401,
   "MATCH without a session")

# --- MATCH ------------------------------------------------------------------
refused(cmd(g1, {"cmd": "MATCH", "accountId": a2}), 403, "MATCH",
        "MATCH as someone else")
r = cmd(g1, {"cmd": "MATCH", "accountId": a1})
eq(r.json, {"cmd": "MATCH", "code": 2, "status": "waiting"},
   "the first MATCH waits")
t = chatlib.in_thread(cmds, g1, 15)
time.sleep(1)
start = time.time()
r = cmd(g2, {"cmd": "MATCH", "accountId": str(a2)})
j = r.json or {}
session = j.get("sessionId")
eq((r.status, j.get("cmd"), j.get("partnerId"), j.get("partnerName"),
    j.get("code")), (200, "MATCH", a1, "zhangsan", 0), "the second MATCH pairs")
t.join(20)
check(time.time() - start < 5, "a parked cmds poll wakes on the match")
eq(strip(t.result or []),
   [{"cmd": "PUSH_SIGNAL", "signalType": "NewSession", "senderId": a2,
     "sessionId": session, "receiverId": a1,
     "data": {"accountId": a2, "nickName": "lisi"}}],
   "NewSession for the one who waited")
eq(strip(cmds(g2)),
   [{"cmd": "PUSH_SIGNAL", "signalType": "NewSession", "senderId": a1,
     "sessionId": session, "receiverId": a2,
     "data": {"accountId": a1, "nickName": "zhangsan"}}],
   "NewSession for the one who matched")

# --- DIALOGUE ---------------------------------------------------------------
r = cmd(g1, {"cmd": "DIALOGUE", "senderId": a1, "sessionId": session,
             "content": "hello world"})
eq((r.status, (r.json or {}).get("code")), (200, 0), "DIALOGUE")
got = cmds(g2, 5)
sent = sql("SELECT CAST(UNIX_TIMESTAMP(sent_at) * 1000 AS SIGNED) FROM message "
           "WHERE conv_id=%d" % session)
eq(strip(got), [{"cmd": "PUSH_DIALOGUE", "senderId": a1, "sessionId": session,
                 "content": "hello world",
                 "createdAt": int(sent[0][0]) if sent else None}],
   "PUSH_DIALOGUE to the partner, createdAt the stored time in ms")
handed = [i["eventId"] for i in got]
eq(len(sql("SELECT id FROM event WHERE id=%d" % handed[0])) if handed else 0,
   1, "handed out, not acked yet")
eq(cmds(g2), [], "the next cmds poll does not repeat it")
eq(sql("SELECT id FROM event WHERE id=%d" % handed[0]) if handed else [], [],
   "the next cmds poll acked what the last one handed out")
r = cmd(g2, {"cmd": "DIALOGUE", "senderId": a2, "sessionId": session,
             "content": "hi back"})
eq((r.json or {}).get("code"), 0, "DIALOGUE back")
got = cmds(g1, 5)
eq([(i["cmd"], i["senderId"], i["content"]) for i in got],
   [("PUSH_DIALOGUE", a2, "hi back")], "the reply arrives")
cmds(g1, 0, ack=[i["eventId"] for i in got])
r = g2.get("conversations/%d/messages" % session)
eq([(m["sender"], m["body"])
    for m in (r.json or {}).get("messages", [])],
   [(sql("SELECT username FROM user WHERE id=%d" % a1)[0][0], "hello world"),
    (sql("SELECT username FROM user WHERE id=%d" % a2)[0][0], "hi back")],
   "the native history shows the dialogue")
refused(cmd(g1, {"cmd": "DIALOGUE", "senderId": a2, "sessionId": session,
                 "content": "x"}), 403, "DIALOGUE", "DIALOGUE as someone else")
refused(cmd(g1, {"cmd": "DIALOGUE", "senderId": a1, "sessionId": session,
                 "content": ""}), 400, "DIALOGUE", "an empty DIALOGUE")
g3 = Client()
a3 = (cmd(g3, {"cmd": "CRT_ACCOUNT", "nickName": "wangwu"}).json or {}).get(
    "accountId")
refused(cmd(g3, {"cmd": "DIALOGUE", "senderId": a3, "sessionId": session,
                 "content": "let me in"}), 403, "DIALOGUE",
        "DIALOGUE to someone else's session")
eq(sql("SELECT COUNT(*) FROM message WHERE conv_id=%d" % session), [["2"]],
   "refused DIALOGUEs stored nothing")

# --- the heartbeat, and the client's answer to a push ---------------------------
eq((lambda r: (r.status, r.json))(cmd(g1, {"cmd": "PING"})),
   (200, {"cmd": "PONG", "code": 0}), "PING answers PONG")
eq(cmd(chatlib.Client(), {"cmd": "PING"}).status, 401,
   "PING needs a session like the other commands")
eq((lambda r: (r.status, r.json))(cmd(g2, {"code": 0})), (200, {"code": 0}),
   "the document's {code: 0} answer to a push is taken")
r = cmd(g1, {"cmd": "LOGOUT\u0000junk"})
refused(r, 400, None, "a command name with a NUL inside is not LOGOUT")
check(g1.sid is not None and cmd(g1, {"cmd": "PING"}).status == 200,
      "and the session is still there")

# --- LOGOUT -> PartnerExit ----------------------------------------------------
r = cmd(g1, {"cmd": "LOGOUT"})
eq((r.status, r.json), (200, {"cmd": "LOGOUT", "code": 0}), "LOGOUT")
check(g1.sid is None, "LOGOUT expires the cookie", r.headers)
got = cmds(g2, 5)
eq(strip(got), [{"cmd": "PUSH_SIGNAL", "signalType": "PartnerExit",
                 "senderId": a1, "sessionId": session, "receiverId": a2,
                 "data": {"accountId": a1}}], "PartnerExit for the partner")
refused(cmd(g2, {"cmd": "DIALOGUE", "senderId": a2, "sessionId": session,
                 "content": "still there?"}), 409, "DIALOGUE",
        "DIALOGUE after the partner left")
g1.sid = None
eq(cmd(g1, {"cmd": "MATCH", "accountId": a1}).status, 401,
   "no session after LOGOUT")

# --- events without a cmd form are acked quietly ------------------------------
u = chatlib.signup("s2")
other = chatlib.signup("s2o")
other.post("friends/requests", {"to": u.name, "text": "hi"})
eq(cmds(u), [], "a friend request has no cmd")
eq(sql("SELECT COUNT(*) FROM event WHERE user_id=%d" % u.user["id"]),
   [["0"]], "the cmds poll acked it")

# MATCH counts with the user's sends (a match tells a stranger): 150 at
# once, the rest refused with 429 in the command's own shape.
gf = Client()
af = (cmd(gf, {"cmd": "CRT_ACCOUNT", "nickName": "flood"}).json or {}).get("accountId")
rs = [x for x in chatlib.all_at_once(
    cmd, [(gf, {"cmd": "MATCH", "accountId": af})] * 150) if x]
late = [r for r in rs if r.status == 429]
check(len(rs) == 150 and late and set(r.status for r in rs) <= {200, 409, 429},
      "150 MATCH at once: the rest 429", sorted(set(r.status for r in rs)))
check(all((r.json or {}).get("cmd") == "MATCH" and (r.json or {}).get("code") == 429
          and r.header("Retry-After") for r in late), "each says MATCH, 429, when to retry",
      late[:1])
# Out of the queue again: the tests after this one match among themselves.
eq(gf.delete("match").status, 204, "out of the queue")
eq(sql("SELECT COUNT(*) FROM match_queue WHERE user_id=%d" % af), [["0"]], "not waiting")

chatlib.done()
