"""Message search (issue 24): a Chinese word inside a sentence, English
without regard to case, only the user's own conversations (a removed
member no longer finds the group's messages), one chat, the limits of q
and limit, the rate limit, and a message the sends never indexed found
once the sweeper caught up."""
import time
import urllib.parse

from chatlib import (Client, befriend, check, done, eq, expect_error,
                     send_msg, signup, sql, uniq, wait_until)


def search(c, q, **kw):
    kw["q"] = q
    return c.get("search?" + urllib.parse.urlencode(kw))


def bodies(r):
    return [m["body"] for m in (r.json or {}).get("results", [])]


a, b, c = signup("sa"), signup("sb"), signup("sc")
ab = befriend(a, b)
befriend(a, c)
tag = uniq("k")[-6:]    # makes this run's messages its own

zh = "我们明天讨论离线消息推送的问题" + tag
en = "Hello World from the search test " + tag
eq(send_msg(a, zh, uniq("m"), conv=ab).status, 201, "send Chinese")
eq(send_msg(a, en, uniq("m"), conv=ab).status, 201, "send English")

# --- Chinese inside a sentence, English in any case ------------------------
r = search(b, "消息推送")
eq(r.status, 200, "search 200")
check(zh in bodies(r), "a Chinese word inside a sentence is found", r.json)
hit = next((m for m in r.json["results"] if m["body"] == zh), {})
eq(hit.get("conversation_id"), ab, "hit names its conversation")
eq(hit.get("sender"), a.name, "hit names its sender")
check(isinstance(hit.get("seq"), int) and "title" in hit, "hit has seq, title",
      hit)
check(zh in bodies(search(b, "消息")), "two characters found")
check(en in bodies(search(b, "hello world")), "lower case finds Hello")
check(en in bodies(search(b, "SEARCH TEST " + tag.upper())),
      "upper case finds it too")
check(en in bodies(search(b, "orld")), "a piece of a word is found")
eq(bodies(search(b, "goodbye " + tag)), [], "absent words find nothing")

# --- only one's own conversations --------------------------------------------
eq(bodies(search(c, "消息推送")), [], "a non-member finds nothing")
expect_error(search(c, "消息", conversation_id=ab), 403, "forbidden",
             "searching someone else's chat")

# --- a group: found while a member, not after removal -----------------------
r = a.post("conversations", {"title": "search " + tag,
                              "members": [b.name, c.name]})
eq(r.status, 201, "topic created")
topic = r.json["id"]
secret = "群组暗号是蓝色的海洋 zebra " + tag
eq(send_msg(a, secret, uniq("m"), conv=topic).status, 201, "send in topic")
r = search(c, "暗号")
check(secret in bodies(r), "a member finds the group's message", r.json)
hit = next((m for m in r.json["results"] if m["body"] == secret), {})
eq(hit.get("title"), "search " + tag, "a group hit carries its title")
check(a.delete("conversations/%d/members/%s" % (topic, c.name)).status
      in (200, 204), "member removed")
eq(bodies(search(c, "暗号")), [], "a removed member no longer finds it")

# --- one chat ------------------------------------------------------------------
r = search(b, tag, conversation_id=topic)
eq(bodies(r), [secret], "conversation_id searches that chat only")
r = search(b, tag, conversation_id=ab)
eq(sorted(bodies(r)), sorted([zh, en]), "and the other chat only")
r = search(b, "洋", conversation_id=topic)
eq(bodies(r), [secret], "one character in one chat")
expect_error(search(b, "洋"), 400, "query_too_short",
             "one character across every chat")

# --- paging: newest first, next_before -----------------------------------------
r = search(b, tag, limit=1)
eq(len(bodies(r)), 1, "limit 1")
first = r.json["results"][0]["id"] if r.json["results"] else 0
check(isinstance(r.json.get("next_before"), int), "next_before when full",
      r.json)
r2 = search(b, tag, limit=50, before=r.json.get("next_before") or 0)
check(all(m["id"] < first for m in r2.json["results"]) and
      len(r2.json["results"]) == 2, "before pages on", r2.json)
eq(r2.json.get("next_before"), None, "next_before null at the end")

# --- limits --------------------------------------------------------------------
expect_error(b.get("search"), 400, "bad_request", "no q")
expect_error(search(b, "   "), 400, "bad_request", "blank q")
expect_error(search(b, "x" * 101), 400, "bad_request", "q of 101 characters")
eq(search(b, "消" * 100).status, 200, "q of 100 characters")
expect_error(search(b, "hello", limit=51), 400, "bad_request", "limit 51")
expect_error(search(b, "hello", limit=0), 400, "bad_request", "limit 0")
expect_error(search(b, "hello", conversation_id="x"), 400, "bad_request",
             "conversation_id not a number")
expect_error(Client().get("search?q=hello"), 401, None, "no session")

# --- a message stored without grams is found once the sweeper caught up ------
late = "迟到的消息也能找到 latecomer " + tag
sql("INSERT INTO message (conv_id, seq, sender_id, client_id, body, sent_at)"
    " VALUES (%d, 1000000, %d, '%s', '%s', NOW(3) - INTERVAL 10 MINUTE)" %
    (ab, a.user["id"], uniq("m"), late))
check(wait_until(lambda: late in bodies(search(b, "latecomer")), 15, 1),
      "the sweeper indexes a message the sends did not")

# --- 30 searches a minute --------------------------------------------------------
d = signup("sd")
codes = []
for _ in range(70):     # a new minute may start on the way: then 30 more
    codes.append(search(d, "hello").status)
    if codes[-1] != 200:
        break
eq(codes[-1], 429, "past 30 searches a minute")
check(len(codes) > 30, "30 searches answered first", codes)
r = search(d, "hello")
expect_error(r, 429, None, "past 30 a minute")
check(r.header("Retry-After"), "429 says when", r)

done()
