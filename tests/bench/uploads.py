#!/usr/bin/python3
"""uploads.py: files going up while messages flow (issue 24): the load
`make bench` runs beside its message latency measure, so that p99 shows
whether uploads stall messaging.

Signs up two users who become friends, then N threads each upload 1 MB
files (random bytes: 4 chunks of 256 KiB each in MySQL) to their direct
chat in a loop for the given seconds, and prints files/s and MB/s, with
the upload time p50/p99.  A 429 (CHAT_UPLOAD_RATE, 30 a minute) waits
out its Retry-After; a 413 quota_exceeded (CHAT_UPLOAD_QUOTA, 200 MB)
signs up a new pair and goes on.  For a steady load, run the stack with
CHAT_UPLOAD_RATE=0 and CHAT_UPLOAD_QUOTA=0 (or large), and
CHAT_SIGNUP_LIMIT=0.

  uploads.py BASE_URL [N=2] [SECONDS=30] [SIZE_KB=1024]
"""
import http.client
import json
import os
import random
import statistics
import string
import sys
import threading
import time
import urllib.parse

PASS = "bench password 1"


class Front:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port or 80

    def req(self, method, path, body=None, sid=None, raw=None,
            ctype="application/json"):
        h = {"Content-Type": ctype}
        if sid:
            h["Cookie"] = "sid=" + sid
        data = raw if raw is not None else json.dumps(body or {}).encode()
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            c.request(method, "/api/" + path, body=data, headers=h)
            r = c.getresponse()
            out = r.read()
            sid_new = None
            for k, v in r.getheaders():
                if k.lower() == "set-cookie" and v.startswith("sid="):
                    sid_new = v.split(";", 1)[0][4:]
            try:
                j = json.loads(out) if out else None
            except ValueError:
                j = None
            return r.status, j, sid_new, r.getheader("Retry-After")
        finally:
            c.close()


def name():
    return "up_" + "".join(random.choice(string.ascii_lowercase + string.digits)
                           for _ in range(10))


def pair(f):
    """Two new friends: (sid of the first, their conversation id)."""
    sids, names = [], []
    for _ in range(2):
        n = name()
        st, _, sid, _ = f.req("POST", "signup", {"username": n, "password": PASS})
        if st != 201:
            sys.exit("signup: %d" % st)
        sids.append(sid)
        names.append(n)
    st, j, _, _ = f.req("POST", "friends/requests", {"to": names[1]}, sids[0])
    if st != 201:
        sys.exit("friend request: %d" % st)
    st, j, _, _ = f.req("POST", "friends/requests/%d/accept" % j["id"], {}, sids[1])
    if st != 200:
        sys.exit("accept: %d" % st)
    return sids[0], j["conversation_id"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    f = Front(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 30
    size = (int(sys.argv[4]) if len(sys.argv) > 4 else 1024) * 1024
    blob = os.urandom(size)
    times, errors, waits = [], {}, [0]
    lock = threading.Lock()
    end = time.time() + secs

    def run():
        sid, conv = pair(f)
        i = 0
        while time.time() < end:
            i += 1
            t0 = time.time()
            st, j, _, after = f.req("POST", "conversations/%d/files?name=bench-%d.bin"
                                    % (conv, i), sid=sid, raw=blob,
                                    ctype="application/octet-stream")
            dt = time.time() - t0
            with lock:
                if st == 201:
                    times.append(dt)
                else:
                    errors[st] = errors.get(st, 0) + 1
            if st == 429:
                with lock:
                    waits[0] += 1
                time.sleep(min(float(after or 1), max(0, end - time.time())))
            elif st == 413 and (j or {}).get("error", {}).get("code") == "quota_exceeded":
                sid, conv = pair(f)

    t0 = time.time()
    th = [threading.Thread(target=run) for _ in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.time() - t0
    ok = len(times)
    print("uploads: %d threads, %d s, %d KB files: %d stored, %.1f files/s, %.1f MB/s"
          % (n, secs, size // 1024, ok, ok / wall, ok * size / wall / 1048576))
    if times:
        times.sort()
        print("upload time: p50 %.0f ms, p99 %.0f ms" % (
            statistics.median(times) * 1000,
            times[min(len(times) - 1, int(len(times) * 0.99))] * 1000))
    if errors:
        print("not stored: " + ", ".join("%d x %d" % (c, s) for s, c in sorted(errors.items()))
              + (" (429: waited out %d times)" % waits[0] if waits[0] else ""))


if __name__ == "__main__":
    main()
