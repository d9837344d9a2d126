"""Two chat nodes on one MariaDB behind HAProxy (issue 22).

Each node is its own chatd, sweeper and lighttpd (scripts/stack.sh with
CHAT_DB_HOST), with its own run folder, over the test stack's MariaDB;
HAProxy sends requests round robin, no stickiness.  What a user notices:

- Signup, login, friends and 200 messages work through the proxy, every
  message arrives once, and an event acked on one node is never handed
  out again by the other (the poll acks what it got with the next poll,
  which lands on the other node).
- A message sent on one node reaches a poll waiting on the other at once:
  the nodes know each other (CHAT_PEERS) and tell each other which users
  to wake, straight over UDP; their watchers look only once a minute
  here, so a wake that came late would show.
- The web client works through the proxy (tests/www/apache-smoke.mjs).
- Behind the proxy, chatd counts the browser's address, not the proxy's
  (lighttpd's mod_extforward for CHAT_TRUSTED_PROXIES), and a browser
  cannot pass off another address in X-Forwarded-For, through the proxy
  or straight to a node.
"""
import http.client
import json
import os
import subprocess
import threading
import time

import chatlib
import clusterlib
from chatlib import Client, check, eq, signup, befriend, send_msg

db = clusterlib.stack_db()
p1, p2, px = chatlib.free_port(), chatlib.free_port(), chatlib.free_port()
# HAProxy runs on this host: the nodes trust it, and only it.
# Both nodes get the same peer list (each skips itself) and key; each
# listens on its own UDP port.
u1, u2 = chatlib.free_port(), chatlib.free_port()
nodes_env = {"CHAT_TRUSTED_PROXIES": "127.0.0.1",
             "CHAT_PEERS": "127.0.0.1:%d,127.0.0.1:%d" % (u1, u2),
             "CHAT_PEER_KEY": "test-peer-key-0123456789",
             "CHAT_WATCH_MS": "60000"}
n1 = clusterlib.node("n1", p1, db, dict(nodes_env, CHAT_PEER_LISTEN="127.0.0.1:%d" % u1))
n2 = clusterlib.node("n2", p2, db, dict(nodes_env, CHAT_PEER_LISTEN="127.0.0.1:%d" % u2))
clusterlib.haproxy(px, [p1, p2])
check(clusterlib.wait_http(px), "the proxy answers")

# --- accounts and friends through the proxy
a = signup("na", port=px)
b = signup("nb", port=px)
r = Client(port=px).post("login", {"username": a.name, "password": a.password})
eq(r.status, 200, "login through the proxy")
conv = befriend(a, b)
eq(a.get("me").status, 200, "a session works on both nodes (1)")
eq(a.get("me").status, 200, "a session works on both nodes (2)")

# --- 200 messages; acks ride on the next poll, which goes to the other node
b.drain()
N = 200
got = {}            # body -> times seen
seen_after_ack = []
acked = set()
stop = threading.Event()


def receive():
    pending = []
    while not stop.is_set() and len(got) < N:
        r = b.get("poll?timeout=5" + ("&ack=" + ",".join(map(str, pending)) if pending else ""),
                  timeout=40)
        if r.status != 200:
            time.sleep(0.2)
            continue
        acked.update(pending)
        pending = []
        for e in r.json["events"]:
            if e["id"] in acked:
                seen_after_ack.append(e["id"])
            pending.append(e["id"])
            if e["type"] == "message":
                body = e["message"]["body"]
                got[body] = got.get(body, 0) + 1
    if pending:
        b.get("poll?timeout=0&ack=" + ",".join(map(str, pending)))


t = threading.Thread(target=receive)
t.start()
statuses = []
for i in range(N):
    statuses.append(send_msg(a, "m%03d" % i, "n-%s-%d" % (a.name, i), conv=conv).status)
t.join(90)
stop.set()
eq(statuses.count(201), N, "every send answered 201 through the proxy")
eq(len(got), N, "every message arrived")
eq([k for k, v in got.items() if v > 1], [], "none arrived twice")
eq(seen_after_ack, [], "no event handed out again after its ack on the other node")
rows = chatlib.sql("SELECT seq FROM message WHERE conv_id = %d ORDER BY seq" % conv)
seqs = [int(x[0]) for x in rows]
eq(seqs, list(range(seqs[0], seqs[0] + len(seqs))) if seqs else [], "seq has no gap")

# --- a send on node 1 wakes a poll waiting on node 2
c1 = Client(sid=a.sid, port=p1)
c2 = Client(sid=b.sid, port=p2)
c2.drain()
lat = []
for i in range(10):
    out = {}

    def wait_one():
        t0 = time.time()
        r = c2.get("poll?timeout=20", timeout=40)
        out["dt"] = time.time() - t0
        out["ev"] = r.json["events"] if r.status == 200 else []
        if out["ev"]:
            c2.post("ack", {"ids": [e["id"] for e in out["ev"]]})
    w = threading.Thread(target=wait_one)
    w.start()
    time.sleep(0.5)  # parked on node 2
    t0 = time.time()
    r = send_msg(c1, "x-node %d" % i, "xn-%s-%d" % (a.name, i), conv=conv)
    w.join(30)
    check(r.status == 201, "cross-node send 201", r)
    # This message, not one left over from a poll that timed out before.
    if any(e.get("message", {}).get("body") == "x-node %d" % i
           for e in out.get("ev", [])):
        lat.append(time.time() - t0)
check(len(lat) == 10, "every cross-node message woke the waiting poll", len(lat))
check(lat and max(lat) < 3, "at once, by the other node's word, not its "
      "watcher (once a minute here)", lat)
print("cross-node delivery: %s" % ", ".join("%.0f ms" % (x * 1000) for x in sorted(lat)))

# --- the browser's address behind the proxy, and no forged one
def failed_login(port, src, forged):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=(src, 0))
    c.request("POST", "/api/login", body=json.dumps({"username": "nobody_" + src, "password": "x" * 8}),
              headers={"Content-Type": "application/json", "X-Forwarded-For": forged})
    st = c.getresponse().status
    c.close()
    return st


def addr_keys():
    return set(r[0] for r in chatlib.sql("SELECT DISTINCT k FROM rate_limit WHERE k LIKE 'login-addr:%'"))


eq(failed_login(px, "127.0.0.2", "6.6.6.6"), 401, "a wrong login through the proxy")
eq(failed_login(p2, "127.0.0.3", "7.7.7.7"), 401, "a wrong login straight to a node")
keys = addr_keys()
check("login-addr:127.0.0.2" in keys, "counted for the browser's address behind the proxy", keys)
check("login-addr:127.0.0.3" in keys, "counted for the address that connected to the node", keys)
check("login-addr:6.6.6.6" not in keys and "login-addr:7.7.7.7" not in keys,
      "never for an address the browser wrote itself", keys)

# --- the web client through the proxy
www = os.path.join(chatlib.TOP, "tests", "www")
if os.path.isdir(os.path.join(www, "node_modules", "playwright-core")):
    env = dict(os.environ, BASE_URL="http://127.0.0.1:%d/" % px)
    p = subprocess.run(["node", os.path.join(www, "apache-smoke.mjs")], env=env,
                       capture_output=True, timeout=240)
    check(p.returncode == 0, "the web client works through the proxy",
          (p.stdout + p.stderr).decode()[-2000:])

chatlib.done()
