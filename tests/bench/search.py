#!/usr/bin/python3
"""search.py: message search with many stored messages (issue 24).

Fills N messages (default 1,000,000; Chinese and English sentences of
realistic lengths, spread over conversations; one user, the searcher, in
CONVS_IN of them) as fast as it can: users, conversations, members and
messages as TSV files bulk-loaded with LOAD DATA LOCAL INFILE, and the
search index (msg_gram) generated here by grams() below, which mirrors
core_search.c's search_grams (the sweeper would index them the same way,
a second at a time); then the mark (search_state) set past them.  Then it
times GET /api/search through the stack's front, end to end, for each kind
of query in all chats and in one chat, and prints p50/p99 per kind.

  search.py [--stack DIR] [--url URL] [--messages N] [--runs R]

--stack: the stack's folder (its my.cnf and db.env; default $BENCH_STACK
or $STACK_DIR), --url: its front (default $BENCH_URL or $BASE_URL).  The
rows it adds stay (tagged bench-search-*): run it on a throw-away stack.
The search limit (30 a minute) is lifted between searches by deleting the
user's rate_limit rows.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ZH = ("我们 你们 他们 今天 明天 昨天 消息 推送 离线 服务器 数据库 客户端 网络 "
      "问题 设计 讨论 会议 项目 进度 测试 发布 版本 用户 朋友 群组 聊天 图片 文件 "
      "时间 地点 晚饭 午饭 周末 天气 下雨 晴天 出去 回家 工作 学习 手机 电脑 "
      "已经 还是 可以 需要 觉得 知道 看看 一下 什么 怎么 为什么 因为 所以 但是 "
      "如果 这个 那个 一起 大家 非常 真的 好的 谢谢 没问题 等等 马上 稍后").split()
EN = ("the a to and of is in it you that for on we this be are with have not "
      "can will do just so but what about all get at our meeting tomorrow today "
      "server database client message push offline design review release "
      "version user friend group chat picture file time place dinner lunch "
      "weekend weather rain sunny home work study phone laptop already still "
      "need think know look why because if really thanks okay wait soon later "
      "project progress test deploy fix bug issue plan idea great good").split()
RARE_EN, RARE_ZH = "xylophone", "蝾螈"          # in about 1 in 20,000


def gram_class(c):
    """core_search.c's gram_class: 0 separator, 1 word, 2 pairs, 3 skip."""
    o = ord(c)
    if o < 0x80:
        return 1 if c.isascii() and c.isalnum() else 0
    if 0xFE00 <= o <= 0xFE0F or 0x200B <= o <= 0x200F:
        return 3
    if (o < 0xC0 or o in (0xD7, 0xF7) or 0x2000 <= o <= 0x206F or
            0x3000 <= o <= 0x303F or 0xFE10 <= o <= 0xFE1F or
            0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFF0F or
            0xFF1A <= o <= 0xFF20 or 0xFF3B <= o <= 0xFF40 or
            0xFF5B <= o <= 0xFF65):
        return 0
    if o <= 0x058F or 0x1E00 <= o <= 0x1FFF:
        return 1
    return 2


def grams(text):
    """The set of grams of a message, as core_search.c writes them."""
    out, run, cls = set(), [], 0
    for c in text + " ":
        k = gram_class(c)
        if k == 3:
            continue
        if k == 1:
            low = c.lower()
            c = low if len(low) == 1 else c
        if k != cls:
            if cls == 1 and len(run) == 2:
                out.add("".join(run))
            run, cls = [], k
        if k == 0:
            continue
        run.append(c)
        w = 3 if k == 1 else 2
        if len(run) >= w:
            out.add("".join(run[-w:]))
    return out


def sentence(rng, i):
    if rng.random() < 0.5:
        words = [rng.choice(ZH) for _ in range(rng.randint(3, 14))]
        if i % 20000 == 7:
            words.insert(rng.randint(0, len(words)), RARE_ZH)
        s = "".join(words)
        return s + rng.choice(["。", "！", "？", "", "，好吗"])
    words = [rng.choice(EN) for _ in range(rng.randint(3, 18))]
    if i % 20000 == 13:
        words.insert(rng.randint(0, len(words)), RARE_EN)
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", "!", "?", ""])


class Stack:
    def __init__(self, folder, url):
        self.folder = folder
        env = {}
        for line in open(os.path.join(folder, "db.env")):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
        self.db = env.get("CHAT_DB_NAME", "chat")
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port or 80

    def sql(self, query):
        p = subprocess.run(
            ["mariadb", "--defaults-file=" + os.path.join(self.folder, "my.cnf"),
             "-u", os.environ.get("USER") or subprocess.run(
                 ["id", "-un"], capture_output=True, text=True).stdout.strip(),
             "--local-infile=1", "--batch", "--skip-column-names",
             self.db, "-e", query], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("search.py: SQL failed: " + p.stderr.strip())
        return [line.split("\t") for line in p.stdout.splitlines()]

    def api(self, method, path, body=None, sid=None):
        h = {"Content-Type": "application/json"}
        if sid:
            h["Cookie"] = "sid=" + sid
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.request(method, "/api/" + path,
                  body=json.dumps(body).encode() if body is not None else None,
                  headers=h)
        r = c.getresponse()
        raw = r.read()
        cookie = r.getheader("Set-Cookie") or ""
        c.close()
        return r.status, json.loads(raw) if raw else None, cookie


def tsv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


def fill(st, n, rng):
    tag = "bench-search-%d" % int(time.time())
    status, me, cookie = st.api("POST", "signup", {
        "username": "bs%d" % (int(time.time()) % 10**8),
        "password": "bench password 1", "nickname": "Searcher"})
    if status != 201:
        sys.exit("search.py: signup failed: %s %s" % (status, me))
    sid = cookie.split(";", 1)[0][4:]
    uid = me["id"]
    base_u = int(st.sql("SELECT COALESCE(MAX(id), 0) FROM user")[0][0]) + 1
    base_c = int(st.sql("SELECT COALESCE(MAX(id), 0) FROM conversation")[0][0]) + 1
    base_m = int(st.sql("SELECT COALESCE(MAX(id), 0) FROM message")[0][0]) + 1
    n_users = 200
    n_convs = max(50, n // 100)            # 100 messages a chat on average
    convs_in = min(n_convs, 500)           # the searcher is in these
    t0 = time.time()
    d = tempfile.mkdtemp(prefix="bench-search-")
    users = [(base_u + i, "%s-u%d" % (tag, i), "Bench %d" % i)
             for i in range(n_users)]
    tsv(d + "/user.tsv", users)
    convs = [(base_c + i, "topic", "%s chat %d" % (tag, i), uid)
             for i in range(n_convs)]
    tsv(d + "/conv.tsv", convs)
    members = []
    for i in range(n_convs):
        cid = base_c + i
        who = {base_u + (i * 7 + k) % n_users for k in range(3)}
        if i < convs_in:
            who.add(uid)
        members += [(cid, w) for w in sorted(who)]
    tsv(d + "/member.tsv", members)
    seqs = [0] * n_convs
    msgs, gram_rows = [], []
    now = time.time() - 3600
    # Chats get messages unevenly (a few busy ones), the searcher's too.
    weights = [1.0 / (1 + (i % 97)) for i in range(n_convs)]
    picks = rng.choices(range(n_convs), weights=weights, k=n)
    for i in range(n):
        c = picks[i]
        seqs[c] += 1
        mid = base_m + i
        body = sentence(rng, i)
        sender = uid if c < convs_in and rng.random() < 0.3 else \
            base_u + (c * 7 + rng.randint(0, 2)) % n_users
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - (n - i) * 0.5))
        msgs.append((mid, base_c + c, seqs[c], sender, "b%d" % mid, body, at))
        for g in grams(body):
            gram_rows.append((g, base_c + c, mid))
    tsv(d + "/message.tsv", msgs)
    gram_rows.sort()
    tsv(d + "/gram.tsv", gram_rows)
    made = time.time() - t0
    t1 = time.time()
    st.sql("SET foreign_key_checks = 0; SET unique_checks = 0; "
           "LOAD DATA LOCAL INFILE '%s/user.tsv' INTO TABLE user "
           "CHARACTER SET utf8mb4 (id, username, nickname) "
           ";"
           "LOAD DATA LOCAL INFILE '%s/conv.tsv' INTO TABLE conversation "
           "CHARACTER SET utf8mb4 (id, kind, title, creator_id);"
           "LOAD DATA LOCAL INFILE '%s/member.tsv' INTO TABLE conv_member "
           "(conv_id, user_id);"
           "LOAD DATA LOCAL INFILE '%s/message.tsv' INTO TABLE message "
           "CHARACTER SET utf8mb4 "
           "(id, conv_id, seq, sender_id, client_id, body, sent_at);"
           "LOAD DATA LOCAL INFILE '%s/gram.tsv' INTO TABLE msg_gram "
           "CHARACTER SET utf8mb4 (gram, conv_id, msg_id);"
           "UPDATE conversation c SET last_seq = (SELECT MAX(seq) FROM "
           "message m WHERE m.conv_id = c.id) WHERE c.id >= %d;"
           "UPDATE search_state SET indexed_upto = GREATEST(indexed_upto, "
           "%d) WHERE id = 1;" % (d, d, d, d, d, base_c, base_m + n - 1))
    loaded = time.time() - t1
    print("search: %d messages, %d gram rows, %d chats (the searcher in %d): "
          "made in %.1f s, loaded in %.1f s" % (n, len(gram_rows), n_convs,
                                                 convs_in, made, loaded))
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    os.rmdir(d)
    busiest = base_c + min(range(convs_in), key=lambda c: -seqs[c])
    return uid, sid, busiest, seqs[busiest - base_c]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stack", default=os.environ.get("BENCH_STACK") or
                    os.environ.get("STACK_DIR"))
    ap.add_argument("--url", default=os.environ.get("BENCH_URL") or
                    os.environ.get("BASE_URL") or "http://127.0.0.1:8080/")
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    if not a.stack:
        sys.exit("search.py: give --stack (the stack's folder)")
    st = Stack(a.stack, a.url)
    rng = random.Random(24)
    uid, sid, conv, conv_n = fill(st, a.messages, rng)
    kinds = [("rare word", RARE_EN), ("common word", "meeting"),
             ("Chinese word", "消息"), ("rare Chinese", RARE_ZH),
             ("two words", "database server")]
    print("search: p50/p99 ms over %d runs; one chat: %d messages"
          % (a.runs, conv_n))
    for name, q in kinds:
        for where in ("all chats", "one chat"):
            times, found = [], 0
            for _ in range(a.runs):
                st.sql("DELETE FROM rate_limit WHERE k LIKE 'search:%d:%%'"
                       % uid)
                p = {"q": q, "limit": 20}
                if where == "one chat":
                    p["conversation_id"] = conv
                t = time.perf_counter()
                status, js, _ = st.api("GET", "search?" +
                                       urllib.parse.urlencode(p), sid=sid)
                times.append((time.perf_counter() - t) * 1000)
                if status != 200:
                    sys.exit("search.py: %s: %s %s" % (q, status, js))
                found = len(js["results"])
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print("search: %-13s %-9s p50 %7.1f ms  p99 %7.1f ms  (%d found)"
                  % (name, where, statistics.median(times), p99, found))


if __name__ == "__main__":
    main()
