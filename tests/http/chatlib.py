"""chatlib: what the end-to-end tests share.

A Client speaks HTTP to the real stack (lighttpd + chatd + MariaDB) and keeps
its sid cookie; sql() reads the real database; cgi() runs chatd as a second,
plain-CGI backend process; restart() stops and starts the whole stack.
Settings come from tests/run.sh: BASE_URL, STACK_DIR, PORT, CHAT_BIN.
"""
import http.client
import json
import os
import pwd
import random
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8080/")
STACK_DIR = os.environ.get("STACK_DIR", "")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAT_BIN = os.environ.get("CHAT_BIN", os.path.join(TOP, "cgi-bin"))
_u = urllib.parse.urlparse(BASE_URL)
HOST, PORT = _u.hostname, _u.port or 80

_failures = []


def uniq(prefix="u"):
    """A fresh user name: tests share one database."""
    tail = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    return (prefix + "_" + tail)[:32]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Client:
    """One browser: a cookie and requests over a fresh connection each."""

    def __init__(self, sid=None, port=None):
        self.sid = sid
        self.user = None
        self.port = port or PORT  # another front (a node, a proxy)

    def req(self, method, path, body=None, ctype="application/json", raw=None,
            headers=None, timeout=90):
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        elif method in ("POST", "PATCH", "DELETE"):
            data = b"{}"
        if data is not None and ctype:
            h["Content-Type"] = ctype
        if self.sid:
            h["Cookie"] = "sid=" + self.sid
        c = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            c.request(method, path if path.startswith("/") else "/api/" + path, body=data, headers=h)
            r = c.getresponse()
            out = Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for k, v in out.headers:
            if k.lower() == "set-cookie" and v.startswith("sid="):
                val = v.split(";", 1)[0][4:]
                self.sid = val or None
        return out

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.req("PATCH", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.req("DELETE", path, body, **kw)

    def poll(self, timeout=0, ack=None):
        q = "poll?timeout=%d" % timeout
        if ack:
            q += "&ack=" + ",".join(str(i) for i in ack)
        r = self.get(q, timeout=timeout + 30)
        check(r.status == 200, "poll answered 200", r)
        return r.json["events"]

    def drain(self):
        """Ack everything pending now."""
        evs = self.poll(0)
        while evs:
            evs = self.poll(0, ack=[e["id"] for e in evs])

    def wait_for(self, pred, timeout=10, ack=True):
        """Poll until an event matching pred arrives; returns it (or None)."""
        end = time.time() + timeout
        pending = []
        while time.time() < end:
            evs = self.poll(max(1, int(min(5, end - time.time()))), ack=pending)
            pending = [e["id"] for e in evs] if ack else []
            for e in evs:
                if pred(e):
                    if ack:
                        self.post("ack", {"ids": pending})
                    return e
        return None


def signup(prefix="u", port=None, **fields):
    c = Client(port=port)
    body = {"username": uniq(prefix), "password": "correct horse 1"}
    body.update(fields)
    r = c.post("signup", body)
    check(r.status == 201, "signup 201", r)
    c.user = r.json
    c.name = body["username"]
    c.password = body["password"]
    return c


def befriend(a, b):
    """Make a and b friends; returns the direct conversation id."""
    for _ in range(100):   # asking counts with a's sends: wait out 429
        r = a.post("friends/requests", {"to": b.name, "text": "hi"})
        if r.status != 429:
            break
        time.sleep(float(r.header("Retry-After") or 1))
    check(r.status == 201, "friend request 201", r)
    r2 = b.post("friends/requests/%d/accept" % r.json["id"])
    check(r2.status == 200, "accept 200", r2)
    return r2.json["conversation_id"]


def check(cond, what, detail=None):
    """Record a failed expectation (with where it was) and go on."""
    if cond:
        return True
    f = sys._getframe(1)
    # Name the test's line, not a helper's here (eq, expect_error...).
    while f.f_back is not None and f.f_code.co_filename == __file__:
        f = f.f_back
    msg = "%s:%d: FAILED: %s" % (os.path.basename(f.f_code.co_filename), f.f_lineno, what)
    if detail is not None:
        msg += "\n    got: %r" % (detail,)
    print(msg, flush=True)
    _failures.append(msg)
    return False


def eq(got, want, what):
    return check(got == want, "%s: want %r" % (what, want), got)


def expect_error(r, status, code=None, what="error"):
    """r is the contract's error answer: status, and exactly
    {"error":{"code":"snake_case","message":"text"}} (code as given)."""
    ok = eq(r.status, status, what + ": status")
    j = r.json
    err = j.get("error") if isinstance(j, dict) else None
    shape = (isinstance(j, dict) and list(j) == ["error"] and
             isinstance(err, dict) and
             isinstance(err.get("code"), str) and
             err["code"].replace("_", "").isalpha() and
             err["code"] == err["code"].lower() and
             isinstance(err.get("message"), str) and err["message"] != "")
    ok = check(shape, what + ": error JSON shape", r) and ok
    if code is not None and shape:
        ok = eq(err["code"], code, what + ": error code") and ok
    return ok


def done():
    """End the test file: exit 1 if anything failed."""
    if _failures:
        print("%d check(s) failed" % len(_failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def _db_env():
    env = {}
    p = os.path.join(STACK_DIR, "db.env")
    if os.path.exists(p):
        for line in open(p):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


def mariadb(*args):
    """The mariadb client's command line, as the application's account
    (the stack's chat.cnf: no password on the command line), batch mode."""
    return ["mariadb", "--defaults-file=" + os.path.join(STACK_DIR, "chat.cnf"),
            "--batch", "--skip-column-names"] + list(args)


def admin(query):
    """Rows (lists of strings) of a query as the database's administrator:
    the stack's MariaDB lets the OS user that started it in over the
    socket, and it sees every account's connections, makes accounts."""
    me = pwd.getpwuid(os.getuid()).pw_name
    p = subprocess.run(["mariadb", "--defaults-file=" + os.path.join(STACK_DIR, "my.cnf"),
                        "-u", me, "--batch", "--skip-column-names", "-e", query],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("admin SQL failed: %s" % p.stderr.strip())
    return [line.split("\t") for line in p.stdout.splitlines()]


def free_port():
    """A TCP port nothing listens on now, on 127.0.0.1."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sql(query):
    """Rows (lists of strings) of a query against the stack's database."""
    cmd = mariadb("--raw", "--default-character-set=utf8mb4", "-e", query)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def lock_row(table, id_, what):
    """An admin's open transaction holding row id_ of table (FOR UPDATE)
    until unlock()."""
    p = subprocess.Popen(mariadb("--unbuffered"), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    p.stdin.write("SET innodb_lock_wait_timeout = 60; BEGIN; "
                  "SELECT id FROM %s WHERE id = %d FOR UPDATE;\n"
                  % (table, id_))
    p.stdin.flush()
    eq(p.stdout.readline().strip(), str(id_), what)
    return p


def unlock(p):
    """Commit the admin's transaction: the row is free again."""
    p.stdin.write("COMMIT;\n")
    p.stdin.close()
    p.wait(10)


def cgi(method, path, body=None, sid=None, run_dir=None, extra_env=None, timeout=60):
    """Run chatd as plain CGI: a second backend process on this host.
    run_dir other than the stack's makes it look like another host."""
    env = dict(os.environ)
    env.update(_db_env())
    env["CHAT_RUN"] = run_dir or os.path.join(STACK_DIR, "run")
    data = json.dumps(body).encode() if body is not None else b""
    env.update({"REQUEST_METHOD": method, "REQUEST_URI": path,
                "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "application/json"})
    if sid:
        env["HTTP_COOKIE"] = "sid=" + sid
    env.update(extra_env or {})
    env.pop("CHAT_FCGI_SOCKET", None)
    p = subprocess.run([os.path.join(CHAT_BIN, "chatd")], input=data, env=env,
                       capture_output=True, timeout=timeout)
    head, _, payload = p.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n")[0].split()[1])
    return Response(status, [], payload)


def stack(cmd):
    """scripts/stack.sh start|stop on the test stack."""
    port = os.environ.get("PORT", str(PORT))
    # Not a pipe: the daemons it starts inherit stdout and would hold a
    # pipe open for ever, so run() would never return.
    os.makedirs(os.path.join(STACK_DIR, "log"), exist_ok=True)
    with open(os.path.join(STACK_DIR, "log", "stack-%s.log" % cmd), "ab") as log:
        subprocess.run([os.path.join(TOP, "scripts", "stack.sh"), cmd, STACK_DIR, port],
                       check=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def restart():
    stack("stop")
    stack("start")


def stack_run(log_path):
    """`scripts/stack.sh run` (what `make run` runs) on the test stack,
    output to log_path; returns (process, whether it said it serves)."""
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            [os.path.join(TOP, "scripts", "stack.sh"), "run", STACK_DIR,
             os.environ.get("PORT", str(PORT))],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    serving = wait_until(lambda: b"Serving on" in open(log_path, "rb").read(),
                         timeout=30)
    return run, serving


def exit_status(proc, timeout=40):
    """proc's exit status, or None (and killed) if it has not ended."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def all_at_once(fn, arg_lists, timeout=120):
    """fn(*args) for every args at the same moment, one thread each: the
    answers in the same order (None for a call still going at timeout)."""
    ts = [in_thread(fn, *args) for args in arg_lists]
    for t in ts:
        t.join(timeout)
    return [None if t.is_alive() else t.result for t in ts]


def in_thread(fn, *args):
    """Run fn(*args) in a thread; returns a joinable with .result."""
    class T(threading.Thread):
        result = None  # also when fn raised (its traceback is printed)

        def run(self):
            self.result = fn(*args)
    t = T()
    t.start()
    return t


# --- shared by test_topics/test_match/test_conversations/test_history/test_authz

def err_code(r):
    """The error code of an answer ({"error":{"code":...}}), or None."""
    return ((r.json or {}).get("error") or {}).get("code")


def send_msg(c, body, cid, to=None, conv=None):
    """POST /api/messages by name (to) or conversation id, waiting out 429."""
    msg = {"client_id": cid, "body": body}
    if conv is not None:
        msg["conversation_id"] = conv
    else:
        msg["to"] = to
    for _ in range(100):
        r = c.post("messages", msg)
        if r.status != 429:
            return r
        time.sleep(float(r.header("Retry-After") or 1))
    return r


def wait_until(fn, timeout=10, step=0.2):
    """Call fn until it returns something true (returned) or time runs out
    (returns the last value)."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() >= end:
            return v
        time.sleep(step)


def pending_events(user_id, type_=None):
    """A user's event rows still in MySQL (not acked): [(id, type, payload)]."""
    q = "SELECT id, type, payload FROM event WHERE user_id=%d" % int(user_id)
    if type_:
        q += " AND type='%s'" % type_
    return [(int(i), t, json.loads(p)) for i, t, p in sql(q + " ORDER BY id")]


class Listener:
    """A client that keeps polling in a thread (so it stays online and
    connected), acks what it gets and records every event once by id.
    wait(pred) returns the first recorded event matching pred."""

    def __init__(self, client, poll_s=1):
        self.c = client
        self.poll_s = poll_s
        self.events = []
        self.statuses = []
        self._ids = set()
        self._cv = threading.Condition()
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        ack = []
        while not self._stop:
            q = "poll?timeout=%d" % self.poll_s
            if ack:
                q += "&ack=" + ",".join(str(i) for i in ack)
            try:
                r = self.c.get(q, timeout=self.poll_s + 30)
            except OSError:
                time.sleep(0.2)
                continue
            self.statuses.append(r.status)
            if r.status != 200:
                if r.status == 401:
                    return
                time.sleep(0.2)
                continue
            evs = (r.json or {}).get("events", [])
            ack = [e["id"] for e in evs]
            with self._cv:
                for e in evs:
                    if e["id"] not in self._ids:
                        self._ids.add(e["id"])
                        self.events.append(e)
                self._cv.notify_all()
        if ack:
            try:
                self.c.post("ack", {"ids": ack})
            except OSError:
                pass

    def find(self, pred):
        with self._cv:
            return [e for e in self.events if pred(e)]

    def wait(self, pred, timeout=10):
        end = time.time() + timeout
        with self._cv:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = end - time.time()
                if left <= 0 or not self._t.is_alive():
                    return None
                self._cv.wait(min(left, 0.5))

    def stop(self):
        self._stop = True
        self._t.join(timeout=self.poll_s + 35)
