"""A shared host for real (issue 20): Debian's Apache 2.4, started here as an
unprivileged process on a free port with the repository's recipe as it is
(deploy/apache/, through scripts/apache.sh: event MPM, 25 workers), in
front of chatd, and a MariaDB account limited to 10 connections
(MAX_USER_CONNECTIONS 10), named only in chat.conf beside chatd: Apache
passes chatd no environment of its own, as under suEXEC.

Plain CGI (mod_cgid): signup and friends; a message wakes a poll held by
another CGI process; the web client in Chromium (tests/www/apache-smoke.mjs)
with the recipe's CSP; Apache's own errors are JSON; then 40 people in 20
pairs, each polling like the web client and sending one message every 5 s
for 30 s, with the sweeper running on the same account: no error, every
message delivered exactly once.  The same run under mod_fcgid.  Last,
.htaccess-only hosting: deploy/apache/htaccess in a document root with
AllowOverride All serves the chat and never the settings file."""
import collections
import http.client
import json
import os
import pwd
import random
import string
import subprocess
import threading
import time

import chatlib
from chatlib import check, eq, expect_error

TOP = chatlib.TOP
APACHE_SH = os.path.join(TOP, "scripts", "apache.sh")
# What an operator uploads: make dist's static chatd (make test builds it).
CHATD = os.environ.get("CHAT_CGI_BIN") or next(
    p for p in (os.path.join(TOP, "dist", "chat", "cgi-bin", "chatd"),
                os.path.join(TOP, "cgi-bin", "chatd")) if os.path.exists(p))
DB = chatlib._db_env()
ACCOUNT = "chat_shared"
PASSWORD = "".join(random.choice(string.ascii_letters) for _ in range(24))
T0 = time.time()


def say(msg):
    print("[%5.1f s] %s" % (time.time() - T0, msg), flush=True)


class Web(chatlib.Client):
    """A browser talking to one Apache: its own cookie, a fresh connection
    per request (HTTP/1.1 keep-alive would only hide the per-request cost)."""

    def __init__(self, port, sid=None):
        super().__init__(sid)
        self.port = port

    def req(self, method, path, body=None, timeout=60, headers=None, **kw):
        h = dict(headers or {})
        data = None
        if body is not None or method in ("POST", "PATCH", "DELETE"):
            data = json.dumps(body if body is not None else {}).encode()
            h["Content-Type"] = "application/json"
        if self.sid:
            h["Cookie"] = "sid=" + self.sid
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path if path.startswith("/") else "/api/" + path,
                      body=data, headers=h)
            r = c.getresponse()
            out = chatlib.Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for k, v in out.headers:
            if k.lower() == "set-cookie" and v.startswith("sid="):
                self.sid = v.split(";", 1)[0][4:] or None
        return out


class Apache:
    """scripts/apache.sh start DIR PORT MODE ... stop DIR."""

    def __init__(self, mode):
        self.mode = mode
        self.dir = os.path.join(chatlib.STACK_DIR, "apache-" + mode)
        self.port = chatlib.free_port()
        self.url = "http://127.0.0.1:%d/" % self.port
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
        env.update({"CHAT_DB_SOCKET": DB["CHAT_DB_SOCKET"],
                    "CHAT_DB_NAME": DB.get("CHAT_DB_NAME", "chat"),
                    "CHAT_DB_USER": ACCOUNT, "CHAT_DB_PASS": PASSWORD,
                    "CHAT_CGI_BIN": CHATD,
                    # Everyone here comes from 127.0.0.1.
                    "CHAT_SIGNUP_LIMIT": "0"})
        self.env = env

    def start(self):
        p = subprocess.run([APACHE_SH, "start", self.dir, str(self.port),
                            self.mode], env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        out = (p.stdout + p.stderr).strip()
        say(out.replace("\n", "\n    "))
        return check(p.returncode == 0, "Apache (%s) starts with the recipe"
                     % self.mode, out)

    def stop(self):
        subprocess.run([APACHE_SH, "stop", self.dir], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
        # Left running, its chatd processes would hold the account's
        # connections for the next run.
        check(chatlib.wait_until(lambda: not self.chatd_pids(), timeout=5),
              "%s: Apache stops with its chatd processes" % self.mode,
              self.chatd_pids())

    def web(self, sid=None):
        return Web(self.port, sid)

    def log_tail(self, n=15):
        try:
            lines = open(os.path.join(self.dir, "log", "error.log"),
                         errors="replace").read().splitlines()
        except OSError:
            return
        for line in lines[-n:]:
            print("    apache " + self.mode + ": " + line, flush=True)

    def chatd_pids(self):
        exe = os.path.join(self.dir, "cgi-bin", "chatd")
        pids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.readlink("/proc/%s/exe" % d) == os.path.realpath(exe):
                        pids.append(int(d))
                except OSError:
                    pass
        return pids


class Sampler:
    """Counts, every 50 ms, the account's MySQL connections and the chatd
    processes of one Apache (a persistent admin client: no process per
    sample); keeps the most seen."""

    def __init__(self, apache):
        me = pwd.getpwuid(os.getuid()).pw_name
        self.apache = apache
        self.p = subprocess.Popen(
            ["mariadb", "--defaults-file=" +
             os.path.join(chatlib.STACK_DIR, "my.cnf"), "-u", me, "--batch",
             "--skip-column-names", "--unbuffered"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.conns = self.procs = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        q = ("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
             "WHERE USER = '%s';\n" % ACCOUNT)
        while not self.stop:
            self.p.stdin.write(q)
            self.p.stdin.flush()
            self.conns = max(self.conns, int(self.p.stdout.readline()))
            self.procs = max(self.procs, len(self.apache.chatd_pids()))
            time.sleep(0.05)

    def end(self):
        self.stop = True
        self.t.join(5)
        self.p.stdin.close()
        self.p.wait(5)


def sweeper(apache):
    """chat-sweep from beside chatd, as cron runs it there: its settings
    from the same chat.conf, as the same user (one connection of the
    account's ten)."""
    prog = os.path.join(apache.dir, "cgi-bin", "chat-sweep")
    if not os.path.exists(prog):
        say("no chat-sweep beside chatd: the run goes without a sweeper")
        return None
    cmd = [prog]
    if os.getuid() == 0:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
               "--init-groups"] + cmd
    log = open(os.path.join(apache.dir, "log", "sweeper.log"), "ab")
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, env={"PATH": "/usr/bin:/bin"},
                            start_new_session=True)


def pairs(n):
    """n pairs of friends (made through lighttpd: only their traffic below
    goes through Apache)."""
    out = []
    for _ in range(n):
        a, b = chatlib.signup("cap"), chatlib.signup("cap")
        chatlib.befriend(a, b)
        a.drain()
        b.drain()
        out.append((a, b))
    return out


def capacity(apache, people=40, every=5.0, length=30.0):
    """people in pairs, each polling like the web client (poll?timeout=25,
    acks on the next poll, waiting poll_after_ms when told) and sending one
    message every `every` s for `length` s, the sweeper running on the
    same account.  Returns (errors, got: receiver -> client_id -> times
    delivered under distinct event ids, sent: client_id -> (receiver,
    time))."""
    say("capacity (%s): making %d people in %d pairs" %
        (apache.mode, people, people // 2))
    ps = pairs(people // 2)
    stop = threading.Event()
    errors = []
    got = collections.defaultdict(collections.Counter)   # who -> client_id -> n
    seen = collections.defaultdict(set)                  # who -> event ids
    sent = {}                                            # client_id -> (to, t)
    lat = []
    polls = collections.Counter()
    mu = threading.Lock()

    def poller(c):
        w = apache.web(c.sid)
        ack = []
        while not stop.is_set():
            q = "poll?timeout=25" + ("&ack=" + ",".join(map(str, ack)) if ack else "")
            try:
                r = w.get(q, timeout=70)
            except OSError as e:
                if not stop.is_set():
                    errors.append((c.name, "poll", repr(e)))
                time.sleep(1)
                continue
            now = time.time()
            with mu:
                polls["answered"] += 1
            if r.status != 200:
                if not stop.is_set():
                    errors.append((c.name, "poll", r.status, r.raw[:200]))
                time.sleep(float(r.header("Retry-After") or 1))
                continue
            evs = r.json.get("events", [])
            ack = [e["id"] for e in evs]
            with mu:
                for e in evs:
                    if e["id"] in seen[c.name]:
                        continue
                    seen[c.name].add(e["id"])
                    if e["type"] == "message":
                        cid = e["message"]["client_id"]
                        got[c.name][cid] += 1
                        if cid in sent and got[c.name][cid] == 1:
                            lat.append(now - sent[cid][1])
                after = r.json.get("poll_after_ms")
                if after:
                    polls["poll_after_ms"] += 1
            if after:
                stop.wait(after / 1000.0)

    def sender(c, to):
        w = apache.web(c.sid)
        # Spread over the period, as people are.
        due = time.time() + random.uniform(0, every)
        for n in range(int(length / every)):
            time.sleep(max(0, due - time.time()))
            due += every
            cid = "%s-%d" % (c.name, n)
            with mu:
                sent[cid] = (to.name, time.time())
            give_up = time.time() + 15    # the web client retries 15 s
            while time.time() < give_up:
                try:
                    r = w.post("messages", {"to": to.name, "client_id": cid,
                                            "body": "message %d" % n})
                except OSError as e:
                    errors.append((c.name, "send", repr(e)))
                    time.sleep(1)
                    continue
                if r.status == 201:
                    break
                errors.append((c.name, "send", r.status, r.raw[:200]))
                time.sleep(float(r.header("Retry-After") or 1))

    sampler = Sampler(apache)
    sweep = sweeper(apache)
    pollers = [threading.Thread(target=poller, args=(c,), daemon=True)
               for pair in ps for c in pair]
    senders = [threading.Thread(target=sender, args=args, daemon=True)
               for a, b in ps for args in ((a, b), (b, a))]
    say("capacity (%s): %d people polling, each sending every %g s for %g s"
        % (apache.mode, people, every, length))
    for t in pollers + senders:
        t.start()
    end = time.time() + length + 60
    for t in senders:
        t.join(max(0, end - time.time()))
    want = len(sent)
    end = time.time() + 20
    while time.time() < end:
        with mu:
            have = sum(1 for cid, (to, _) in sent.items() if got[to][cid])
        if have == want:
            break
        time.sleep(0.2)
    stop.set()
    sampler.end()
    if sweep is not None:
        sweep.terminate()
        sweep.wait(10)
    lat.sort()
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: -1)
    say("capacity (%s): %d messages sent, %d polls answered (%d with "
        "poll_after_ms); delivery p50 %.2f s, p90 %.2f s, max %.2f s; at most "
        "%d MySQL connections of the account at once, %d chatd processes"
        % (apache.mode, want, polls["answered"], polls["poll_after_ms"],
           pct(0.5), pct(0.9), lat[-1] if lat else -1, sampler.conns,
           sampler.procs))
    return errors, got, sent


def check_capacity(apache, errors, got, sent):
    eq(errors[:5], [], "%s: no request failed (of %d failures)" %
       (apache.mode, len(errors)))
    missing = [cid for cid, (to, _) in sent.items() if got[to][cid] == 0]
    twice = [cid for cid, (to, _) in sent.items() if got[to][cid] > 1]
    eq(missing[:5], [], "%s: every message arrived (%d of %d missing)" %
       (apache.mode, len(missing), len(sent)))
    eq(twice[:5], [], "%s: no message arrived twice under two event ids"
       % apache.mode)
    eq(len(sent), 240, "%s: every sender sent its 6 messages" % apache.mode)


def static_and_errors(apache):
    """What a visitor's browser gets from the recipe: the page with the same
    security headers lighttpd sends, kept but revalidated; API answers not
    kept; Apache's own errors in JSON."""
    w = apache.web()
    page = w.get("/")
    eq(page.status, 200, "%s: the page is served" % apache.mode)
    ref = chatlib.Client().get("/")
    for h in ("Content-Security-Policy", "X-Content-Type-Options",
              "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        eq(page.header(h), ref.header(h), "%s: %s as lighttpd sends it"
           % (apache.mode, h))
    eq(page.header("Cache-Control"), "no-cache",
       "%s: the page is revalidated at each use" % apache.mode)
    js = w.get("/js/api.js")
    check((js.header("Content-Type") or "").startswith("text/javascript"),
          "%s: modules are served as JavaScript" % apache.mode, js.header("Content-Type"))
    h = w.get("health")
    eq(h.status, 200, "%s: /api/health through Apache" % apache.mode)
    eq(h.header("Cache-Control"), "no-store", "%s: API answers are not kept"
       % apache.mode)
    check(h.header("Content-Security-Policy") is not None,
          "%s: API answers carry the CSP too" % apache.mode)
    expect_error(w.get("/no-such-page.html"), 404, "not_found",
                 "%s: a missing file is a JSON 404" % apache.mode)
    expect_error(w.get("api/no-such-endpoint"), 404, "not_found",
                 "%s: an unknown endpoint" % apache.mode)
    big = w.post("messages", {"to": "x", "client_id": "big",
                              "body": "x" * 1100000})
    expect_error(big, 413, "too_large", "%s: a body over Apache's limit"
                 % apache.mode)


def first_steps(apache):
    """Signup, friends and a poll woken in another process, all through
    Apache."""
    a, b = apache.web(), apache.web()
    na, nb = chatlib.uniq("apa"), chatlib.uniq("apb")
    r = a.post("signup", {"username": na, "password": "correct horse 1"})
    eq(r.status, 201, "%s: signup through Apache" % apache.mode)
    r = b.post("signup", {"username": nb, "password": "correct horse 1"})
    eq(r.status, 201, "%s: a second signup" % apache.mode)
    r = a.post("friends/requests", {"to": nb, "text": "hi"})
    eq(r.status, 201, "%s: friend request" % apache.mode)
    rid = (r.json or {}).get("id", 0)
    r = b.post("friends/requests/%d/accept" % rid)
    eq(r.status, 200, "%s: accepted" % apache.mode)
    for c in (a, b):
        evs = c.get("poll?timeout=0").json["events"]
        c.get("poll?timeout=0&ack=" + ",".join(str(e["id"]) for e in evs))

    held = chatlib.in_thread(lambda: (b.get("poll?timeout=25", timeout=60),
                                      time.time()))
    time.sleep(1.5)
    check(held.is_alive(), "%s: the poll waits in its own process" % apache.mode)
    t = time.time()
    r = a.post("messages", {"to": nb, "client_id": "wake-1", "body": "wake up"})
    eq(r.status, 201, "%s: message sent" % apache.mode)
    held.join(30)
    res, when = getattr(held, "result", (chatlib.Response(0, [], b""), 0))
    evs = [e for e in (res.json or {}).get("events", []) if e["type"] == "message"]
    eq([e["message"]["body"] for e in evs], ["wake up"],
       "%s: the waiting poll got the message" % apache.mode)
    check(when - t < 3, "%s: within 3 s of the send" % apache.mode,
          "%.2f s" % (when - t))
    say("%s: a poll held in another process woke %.0f ms after the send"
        % (apache.mode, (when - t) * 1000))


def smoke(apache):
    """The web client's smoke test in Chromium, through Apache."""
    www = os.path.join(TOP, "tests", "www")
    if not os.path.isdir(os.path.join(www, "node_modules", "playwright-core")):
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=www,
                           capture_output=True, text=True, timeout=300)
        if not check(p.returncode == 0, "npm ci for the browser test", p.stderr[-500:]):
            return
    env = dict(os.environ, BASE_URL=apache.url)
    p = subprocess.run(["node", os.path.join(www, "apache-smoke.mjs")], env=env,
                       capture_output=True, text=True, timeout=170)
    out = (p.stdout + p.stderr).strip()
    say(out.replace("\n", "\n    "))
    eq(p.returncode, 0, "%s: the web client works through Apache" % apache.mode)


def htaccess():
    """A shared host's account: deploy/apache/htaccess as .htaccess."""
    ap = Apache("htaccess")
    if not ap.start():
        ap.log_tail()
        return
    try:
        w = ap.web()
        eq(w.get("health").status, 200, "htaccess: /api/health runs chatd")
        page = w.get("/")
        eq(page.status, 200, "htaccess: the page is served")
        check("script-src 'self'" in (page.header("Content-Security-Policy") or ""),
              "htaccess: with the CSP", page.headers)
        eq(page.header("Cache-Control"), "no-cache", "htaccess: revalidated")
        for path in ("/cgi-bin/chat.conf", "/cgi-bin/chat-sweep", "/.htaccess",
                     "/cgi-bin/.htaccess"):
            r = w.get(path)
            check(r.status in (403, 404) and PASSWORD.encode() not in r.raw,
                  "htaccess: %s is not served" % path, r)
            check((r.json or {}).get("error") is not None,
                  "htaccess: and the refusal is JSON", r)
        expect_error(w.get("/no-such-page.html"), 404, "not_found",
                     "htaccess: a missing file is a JSON 404")
    finally:
        ap.stop()


def main():
    say("chatd: %s" % CHATD)
    if not check(os.path.exists(os.path.join(chatlib.STACK_DIR, "my.cnf")) and
                 "CHAT_DB_SOCKET" in DB,
                 "the test stack has its private MariaDB (the account is made there)"):
        return
    chatlib.admin("CREATE USER IF NOT EXISTS '%s'@'localhost';"
          "ALTER USER '%s'@'localhost' IDENTIFIED BY '%s' "
          "WITH MAX_USER_CONNECTIONS 10;"
          "GRANT ALL ON `%s`.* TO '%s'@'localhost';"
          % (ACCOUNT, ACCOUNT, PASSWORD, DB.get("CHAT_DB_NAME", "chat"), ACCOUNT))
    say("MariaDB account %s: MAX_USER_CONNECTIONS 10" % ACCOUNT)

    for mode in ("cgi", "fcgid"):
        ap = Apache(mode)
        if not ap.start():
            ap.log_tail()
            continue
        try:
            static_and_errors(ap)
            first_steps(ap)
            if mode == "cgi":
                smoke(ap)
            errors, got, sent = capacity(ap)
            for e in errors[:10]:
                print("    %s error: %r" % (mode, e), flush=True)
            check_capacity(ap, errors, got, sent)
            if mode == "fcgid":
                pids = ap.chatd_pids()
                if pids:
                    pp = int(open("/proc/%d/stat" % pids[0]).read().split(")")[1].split()[1])
                    say("fcgid: chatd %d, parent %s (%s), environment %s" % (
                        pids[0], pp, open("/proc/%d/comm" % pp).read().strip(),
                        open("/proc/%d/environ" % pids[0]).read().replace("\0", " ")))
        finally:
            if chatlib._failures:
                ap.log_tail()
            ap.stop()
    htaccess()


if __name__ == "__main__":
    main()
    say("done")
    chatlib.done()
