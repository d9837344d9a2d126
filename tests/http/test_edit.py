"""Edit, delete and reply (issue 24): one's own messages edited (same id
and seq, edited_at) and deleted (the body gone from the message table),
refused for others' in a direct chat and for a plain member in a group, a
group's admin deleting another's; the other member told live (events
through the pending-ACK table), an offline member reading the final state
in history and in its pending events, the list preview following; a
reply's reply_to checked and shaped."""
import chatlib
from chatlib import (befriend, check, eq, expect_error, pending_events,
                     send_msg, signup, sql)


def uid(c):
    return c.user["id"]


def send(c, conv, body, cid, **extra):
    msg = {"client_id": cid, "body": body, "conversation_id": conv}
    msg.update(extra)
    r = c.post("messages", msg)
    return r


def event_of(type_, mid):
    return lambda e: (e.get("type") == type_
                      and (e.get("message") or {}).get("id") == mid)


def history(c, conv):
    r = c.get("conversations/%d/messages" % conv)
    check(r.status == 200, "history 200", r)
    return {m["id"]: m for m in (r.json or {}).get("messages", [])}


def preview(c, conv):
    r = c.get("conversations")
    for it in (r.json or {}).get("conversations", []):
        if it["id"] == conv:
            return it.get("last_message") or {}
    return {}


a, b = signup("eda"), signup("edb")
direct = befriend(a, b)
b.drain()

# ---- edit one's own: same id and seq, edited_at; b told live ----
r = send(a, direct, "helo wrold", "e1")
eq(r.status, 201, "send")
m1 = r.json
r = a.patch("messages/%d" % m1["id"], {"body": "hello world"})
eq(r.status, 200, "edit own message")
e = r.json or {}
eq((e.get("id"), e.get("seq"), e.get("body")), (m1["id"], m1["seq"], "hello world"),
   "an edit keeps id and seq")
check(isinstance(e.get("edited_at"), int) and e["edited_at"] >= m1["sent_at"],
      "edited_at set", e)
ev = b.wait_for(event_of("message_edited", m1["id"]), timeout=10)
check(ev is not None, "the other member gets message_edited")
eq((ev or {}).get("message", {}).get("body"), "hello world", "event carries the new text")
eq(history(b, direct)[m1["id"]].get("body"), "hello world", "history shows the edit")
check("edited_at" in history(b, direct)[m1["id"]], "history has edited_at")
eq(preview(b, direct).get("body"), "hello world", "list preview follows the edit")

# ---- refusals: someone else's, bad body, no such message ----
expect_error(b.patch("messages/%d" % m1["id"], {"body": "mine now"}), 403, "not_yours",
             "edit another's message")
expect_error(b.delete("messages/%d" % m1["id"]), 403, "not_yours",
             "delete another's message in a direct chat")
expect_error(a.patch("messages/%d" % m1["id"], {"body": "   "}), 400, None, "blank edit")
expect_error(a.patch("messages/%d" % m1["id"], {"body": "x" * 4001}), 400, None,
             "edit over the body limit")
expect_error(a.patch("messages/999999999", {"body": "x"}), 404, "not_found", "no such message")
outsider = signup("edo")
expect_error(outsider.delete("messages/%d" % m1["id"]), 404, "not_found",
             "a non-member learns nothing")
eq(sql("SELECT body FROM message WHERE id=%d" % m1["id"]), [["hello world"]],
   "refusals changed nothing")

# ---- delete one's own while b is offline: gone from the database ----
b.drain()
secret = "my secret number is 4242"
m2 = send(a, direct, secret, "e2").json
r = a.delete("messages/%d" % m2["id"])
eq(r.status, 200, "delete own message")
eq(((r.json or {}).get("deleted"), (r.json or {}).get("body")), (True, ""), "answer: deleted, no body")
eq(sql("SELECT body, deleted_at IS NOT NULL FROM message WHERE id=%d" % m2["id"]), [["", "1"]],
   "the body is gone from the message table")
pend = pending_events(uid(b))
check(not any(secret in str(p) for _, _, p in pend), "no pending event keeps the text", pend)
types = [t for _, t, p in pend if (p.get("message") or {}).get("id") == m2["id"]]
eq(types, ["message", "message_deleted"], "offline b has the message (as it is now) and the deletion")
h = history(b, direct)[m2["id"]]
eq((h.get("body"), h.get("deleted"), h.get("seq")), ("", True, m2["seq"]), "history: final state")
eq(preview(b, direct).get("deleted"), True, "list preview follows the deletion")
expect_error(a.patch("messages/%d" % m2["id"], {"body": "back"}), 409, "deleted",
             "a deleted message cannot be edited")
eq(a.delete("messages/%d" % m2["id"]).status, 200, "deleting again is harmless")

# ---- a file message deleted: its bytes go too ----
r = a.req("POST", "conversations/%d/files?name=notes.txt" % direct, raw=b"secret file",
          ctype="application/octet-stream")
eq(r.status, 201, "file sent")
fm = r.json or {}
fid = (fm.get("file") or {}).get("id", 0)
eq(a.delete("messages/%d" % fm.get("id", 0)).status, 200, "file message deleted")
eq(sql("SELECT COUNT(*) FROM file WHERE id=%d" % fid), [["0"]], "its file is gone from the database")
eq(sql("SELECT COUNT(*) FROM file_chunk WHERE file_id=%d" % fid), [["0"]], "and its bytes")
eq(b.get("files/%d" % fid).status, 404, "and it is no longer served")

# ---- reply: validated and shaped ----
orig = send(b, direct, "what time is it? " + "z" * 150, "e3").json
r = send(a, direct, "noon", "e4", reply_to=orig["id"])
eq(r.status, 201, "reply sent")
rt = (r.json or {}).get("reply_to") or {}
eq((rt.get("id"), rt.get("seq"), rt.get("sender")), (orig["id"], orig["seq"], b.name),
   "reply_to names the original")
eq(rt.get("snippet"), ("what time is it? " + "z" * 150)[:100], "snippet: the first 100 characters")
reply_id = (r.json or {}).get("id")
ev = b.wait_for(lambda e: e.get("type") == "message"
                and (e.get("message") or {}).get("id") == reply_id, timeout=10)
eq(((ev or {}).get("message") or {}).get("reply_to", {}).get("id"), orig["id"],
   "the message event carries reply_to")
eq(history(b, direct)[reply_id].get("reply_to", {}).get("id"), orig["id"], "history has reply_to")
r2 = send(a, direct, "noon", "e4", reply_to=orig["id"])
eq((r2.status, (r2.json or {}).get("id")), (200, reply_id), "a repeat answers the first copy")
other = signup("edc")
conv2 = befriend(a, other)
expect_error(send(a, conv2, "x", "e5", reply_to=orig["id"]), 400, "bad_reply_to",
             "reply_to of another conversation")
expect_error(send(a, direct, "x", "e6", reply_to="7"), 400, "bad_reply_to", "reply_to not a number")
expect_error(send(a, direct, "x", "e7", reply_to=999999999), 400, "bad_reply_to", "reply_to unknown")
eq(sql("SELECT COUNT(*) FROM message WHERE sender_id=%d AND client_id IN ('e5','e6','e7')"
       % uid(a)), [["0"]], "refused replies stored nothing")
b.delete("messages/%d" % orig["id"])
rt = history(a, direct)[reply_id].get("reply_to") or {}
eq((rt.get("snippet"), rt.get("deleted")), ("", True), "a deleted original: empty snippet, deleted")

# ---- a group: a member may not delete others', an admin may ----
c = signup("edm")
befriend(a, c)
r = a.post("conversations", {"title": "edits", "members": [b.name, c.name]})
eq(r.status, 201, "group made")
topic = (r.json or {}).get("id")
gm = send(c, topic, "spam spam", "g1").json
expect_error(b.delete("messages/%d" % gm["id"]), 403, "not_yours", "a plain member deletes another's")
expect_error(a.patch("messages/%d" % gm["id"], {"body": "x"}), 403, "not_yours",
             "the owner cannot edit another's")
eq(a.patch("conversations/%d/members/%s" % (topic, b.name), {"role": "admin"}).status, 200,
   "b made admin")
c.drain()
r = b.delete("messages/%d" % gm["id"])
eq(r.status, 200, "an admin deletes another's message")
ev = c.wait_for(event_of("message_deleted", gm["id"]), timeout=10)
check(ev is not None and ev["message"].get("deleted") is True, "its sender is told", ev)
eq(sql("SELECT body FROM message WHERE id=%d" % gm["id"]), [[""]], "group message body gone")

chatlib.done()
