#!/usr/bin/python3
"""shared.py: the shared-host scenario of `make bench` (docs/BENCHMARKS.md).

People in pairs of friends, each polling like the web client (a 25 s
long-poll that acks what it got, following poll_after_ms, coming back
after Retry-After on 503 busy) and sending one message every 5 s to the
other, through the front given (Apache running chatd as plain CGI).  For
each number of people: delivery latency (send started to message received)
p50/p99, errors (any status but 2xx; a 503 busy counts), requests, and the
CPU and peak memory of the CGI processes.  "most people" is the largest
number with zero errors, nothing lost and median delivery within 2 s.

  shared.py --url APACHE_URL --setup-url LIGHTTPD_URL --levels 25,50,100
            [--seconds 30] [--exe PATH]

--setup-url signs the people up and befriends them (any front of the same
database: the KDF work of signups is not what is measured).  --exe: the
CGI program Apache runs (with its chat.conf beside it): each kind of
request is run 20 times as Apache would start it, for its CPU time, and
its peak memory is sampled while the levels run.  Machine CPU per request
is everything (Apache, the programs, MariaDB, this tool) over the requests.
"""
import argparse
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

    def req(self, method, path, sid=None, body=None, timeout=90):
        h = {"Accept": "application/json"}
        data = None
        if method != "GET":
            data = json.dumps(body or {}).encode()
            h["Content-Type"] = "application/json"
        if sid:
            h["Cookie"] = "sid=" + sid
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request(method, "/api/" + path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
            cookie = r.getheader("Set-Cookie") or ""
            try:
                js = json.loads(raw) if raw else None
            except ValueError:
                js = None
            return r.status, js, cookie, r.getheader("Retry-After")
        except OSError:
            return 0, None, "", None
        finally:
            c.close()


def sid_of(cookie):
    for part in cookie.split(";"):
        k, _, v = part.strip().partition("=")
        if k == "sid":
            return v
    return None


def setup(front, n, odd=()):
    """n people in n/2 pairs of friends, and each one of odd befriended
    with the first (the last of an odd number writes to the first):
    [(name, sid)]."""
    tag = "".join(random.choice(string.ascii_lowercase) for _ in range(5))
    people = [None] * n

    def signup(i):
        name = "sh%s%d" % (tag, i)
        st, js, cookie, _ = front.req("POST", "signup", body={"username": name, "password": PASS})
        if st != 201:
            raise SystemExit("shared: signup failed: %s %s" % (st, js))
        people[i] = (name, sid_of(cookie))

    ts = []
    for i in range(n):
        t = threading.Thread(target=signup, args=(i,))
        t.start()
        ts.append(t)
        if len(ts) >= 4:
            ts.pop(0).join()
    for t in ts:
        t.join()
    pairs = [(i, i + 1) for i in range(0, n, 2)] + [(0, i) for i in odd if i > 1]
    for i, j in pairs:
        a, b = people[i], people[j]
        st, js, _, _ = front.req("POST", "friends/requests", a[1], {"to": b[0]})
        if st != 201:
            raise SystemExit("shared: friend request failed: %s %s" % (st, js))
        st, js, _, _ = front.req("POST", "friends/requests/%d/accept" % js["id"], b[1])
        if st not in (200, 204):
            raise SystemExit("shared: accept failed: %s %s" % (st, js))
    # Empty everyone's queue (friend events) so that only messages count.
    for name, sid in people:
        ack = ""
        for _ in range(5):
            st, js, _, _ = front.req("GET", "poll?timeout=0" + ack, sid)
            evs = (js or {}).get("events", [])
            if not evs:
                break
            ack = "&ack=" + ",".join(str(e["id"]) for e in evs)
    return people


def cgi_cost(exe, people, n=20):
    """CPU ms (median of n) and peak memory of one CGI request of each kind,
    the program started as Apache starts it (its chat.conf beside it)."""
    sid, to = people[0][1], people[1][0]
    out = {}
    for kind, method, uri, body in (
            ("health", "GET", "/api/health", b""),
            ("poll", "GET", "/api/poll?timeout=0", b""),
            ("send", "POST", "/api/messages", None)):
        cpu, rss = [], 0
        for i in range(n):
            data = body if body is not None else json.dumps(
                {"to": to, "client_id": "cost-%d-%f" % (i, time.time()), "body": "x"}).encode()
            env = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "GATEWAY_INTERFACE": "CGI/1.1",
                   "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": "sid=" + sid,
                   "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data))}
            r, w = os.pipe()
            os.write(w, data)
            os.close(w)
            pid = os.posix_spawn(exe, [exe], env, file_actions=[
                (os.POSIX_SPAWN_DUP2, r, 0),
                (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
            os.close(r)
            _, _, ru = os.wait4(pid, 0)
            cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
            time.sleep(0.06)    # within the send limit
        out[kind] = statistics.median(cpu)
    return out


def machine_cpu():
    """CPU seconds the whole machine has spent (every process: Apache,
    the CGI programs, MariaDB, and this load tool too)."""
    f = open("/proc/stat").readline().split()[1:]
    busy = sum(int(x) for i, x in enumerate(f) if i not in (3, 4))    # less idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def peak_chatd_kb(stop, out, exe):
    """Sample the peak memory (VmHWM) of running processes of exe."""
    while not stop.is_set():
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/exe" % d) != exe:
                    continue
                for line in open("/proc/%s/status" % d):
                    if line.startswith("VmHWM:"):
                        out[0] = max(out[0], int(line.split()[1]))
            except OSError:
                pass
        stop.wait(0.2)


def level(front, people, seconds, exe):
    """One run with these people: a dict of what was measured."""
    n = len(people)
    stop = threading.Event()
    stop_send = threading.Event()
    lock = threading.Lock()
    sent = {}           # client_id -> time the send started
    got = {}            # client_id -> latency (s)
    repeats = [0]
    errors = {}
    requests = [0]

    def count(st):
        with lock:
            requests[0] += 1
            if not 200 <= st < 300:
                errors[st] = errors.get(st, 0) + 1

    def poller(i):
        sid = people[i][1]
        ack, seen = [], set()
        while not stop.is_set():
            q = "poll?timeout=25" + ("&ack=" + ",".join(map(str, ack)) if ack else "")
            st, js, _, after = front.req("GET", q, sid)
            count(st)
            if st != 200:
                stop.wait(float(after or 1))
                continue
            evs = js.get("events", [])
            ack = [e["id"] for e in evs]
            now = time.time()
            for e in evs:
                if e.get("type") != "message" or e["id"] in seen:
                    continue
                seen.add(e["id"])
                cid = e["message"]["client_id"]
                with lock:
                    if cid in got:
                        repeats[0] += 1
                    elif cid in sent:
                        got[cid] = now - sent[cid]
            if js.get("poll_after_ms"):
                stop.wait(js["poll_after_ms"] / 1000)
        if ack:
            front.req("POST", "ack", sid, {"ids": ack})

    def sender(i):
        # Pairs; with an odd number the last one writes to the first.
        sid, to = people[i][1], people[i ^ 1 if i ^ 1 < n else 0][0]
        k = 0
        stop_send.wait(random.random() * 5)
        while not stop_send.is_set():
            cid = "%s-%d-%d" % (people[i][0], n, k)     # new at each level
            k += 1
            with lock:
                sent[cid] = time.time()
            st, js, _, after = front.req("POST", "messages", sid,
                                         {"to": to, "client_id": cid, "body": "hello %d" % k})
            count(st)
            if st == 503:       # busy: the web client sends again
                time.sleep(float(after or 1))
                st, js, _, _ = front.req("POST", "messages", sid,
                                         {"to": to, "client_id": cid, "body": "hello %d" % k})
                count(st)
            if st not in (200, 201):
                with lock:
                    sent.pop(cid, None)
            stop_send.wait(5)

    peak = [0]
    hstop = threading.Event()
    ht = threading.Thread(target=peak_chatd_kb, args=(hstop, peak, exe))
    ht.start()
    cpu0 = machine_cpu()
    ts = [threading.Thread(target=poller, args=(i,)) for i in range(n)]
    ts += [threading.Thread(target=sender, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    time.sleep(seconds)
    # Stop sending, then give the last messages time to arrive.
    stop_send.set()
    for t in ts[n:]:
        t.join(30)
    end = time.time() + 8
    while time.time() < end:
        with lock:
            if all(c in got for c in sent):
                break
        time.sleep(0.2)
    stop.set()
    for t in ts:
        t.join(40)
    cpu = machine_cpu() - cpu0
    hstop.set()
    ht.join()
    lat = sorted(got.values())
    lost = len([c for c in sent if c not in got])
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0] * 99
    return {"people": n, "sent": len(sent), "delivered": len(lat), "lost": lost,
            "repeats": repeats[0], "errors": errors, "requests": requests[0],
            "p50": statistics.median(lat) if lat else 0, "p99": q[98],
            "cpu_ms": cpu * 1000 / requests[0] if requests[0] else None,
            "peak_kb": peak[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--setup-url")
    ap.add_argument("--levels", default="25,50,100")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--exe", default="", help="the CGI program, for its peak memory")
    a = ap.parse_args()
    front = Front(a.url)
    setup_front = Front(a.setup_url or a.url)
    levels = [int(x) for x in a.levels.split(",")]
    people = setup(setup_front, max(levels) + max(levels) % 2,
                   [n - 1 for n in levels if n % 2])
    if a.exe:
        c = cgi_cost(a.exe, people)
        print("shared CGI CPU per request (median of 20, exec included): health %.1f ms, "
              "poll %.1f ms, send %.1f ms" % (c["health"], c["poll"], c["send"]), flush=True)
    best, bad = 0, False
    for n in levels:
        r = level(front, people[:n], a.seconds, os.path.realpath(a.exe) if a.exe else "")
        ok = not r["errors"] and not r["lost"] and r["p50"] <= 2.0
        cpu = "%.1f ms" % r["cpu_ms"] if r["cpu_ms"] is not None else "?"
        print("shared %d people: delivery p50 %.0f ms p99 %.0f ms; sent %d delivered %d "
              "lost %d repeats %d; requests %d (%.0f/s), errors %s; machine CPU/request %s, "
              "peak RSS %s; %s"
              % (n, r["p50"] * 1000, r["p99"] * 1000, r["sent"], r["delivered"], r["lost"],
                 r["repeats"], r["requests"], r["requests"] / a.seconds,
                 r["errors"] or "none", cpu,
                 "%.1f MB" % (r["peak_kb"] / 1024) if r["peak_kb"] else "?", "ok" if ok else "MISSED"),
              flush=True)
        if ok and not bad:
            best = n
        bad = bad or not ok
        if r["lost"]:
            print("shared: LOST %d messages" % r["lost"])
    print("shared most people: %d (zero errors, nothing lost, median delivery <= 2 s)" % best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
