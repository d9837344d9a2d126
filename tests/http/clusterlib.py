"""clusterlib: many chat nodes for the scale-out tests (issue 22).

A node is what scripts/stack.sh starts with CHAT_DB_HOST set: its own chatd,
sweeper and lighttpd (from lighttpd.conf), its own run folder, over a
database it does not own.  HAProxy (Debian's) spreads requests over the
nodes round robin, with no stickiness.  A Galera cluster comes from
scripts/galera.sh.  Everything is stopped by stop_all() (atexit too).
"""
import atexit
import os
import subprocess
import tempfile
import time

import chatlib

TOP = chatlib.TOP
_started = []  # (kind, folder)
root = tempfile.mkdtemp(prefix="chat-nodes.")
os.chmod(root, 0o755)


def _env_of(path):
    env = {}
    for line in open(path):
        if "=" in line:
            k, v = line.strip().split("=", 1)
            env[k] = v
    return env


def stack_db():
    """The settings of the test stack's own MariaDB (one server)."""
    env = chatlib._db_env()
    env["CHAT_DB_HOST"] = "localhost"  # with CHAT_DB_SOCKET: its socket
    return env


def node(name, port, db, extra=None):
    """Start a chat node on port over the database settings db; returns
    its folder.  Its run folder is its own, like a host's."""
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "log"), exist_ok=True)
    env = dict(os.environ)
    for k in ("CHAT_DB_SOCKET", "CHAT_DB_HOST", "CHAT_DB_PORT", "CHAT_RUN",
              "CHAT_HOST_ID", "STACK_DIR", "PORT", "BASE_URL"):
        env.pop(k, None)
    env.update(db)
    env.update(extra or {})
    with open(os.path.join(d, "log", "stack-start.log"), "ab") as log:
        subprocess.run([os.path.join(TOP, "scripts", "stack.sh"), "start", d, str(port)],
                       check=True, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    _started.append(("node", d))
    return d


def node_stop(d):
    subprocess.run([os.path.join(TOP, "scripts", "stack.sh"), "stop", d],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def haproxy(port, backends):
    """HAProxy on port, round robin over the ports in backends, no
    stickiness; returns its folder."""
    d = os.path.join(root, "haproxy-%d" % port)
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n    maxconn 4000\n\n"
                "defaults\n    mode http\n    timeout connect 2s\n"
                "    timeout client 120s\n    timeout server 120s\n"
                "    option forwardfor\n\n"
                "frontend chat\n    bind 127.0.0.1:%d\n    default_backend nodes\n\n"
                "backend nodes\n    balance roundrobin\n" % port)
        for i, p in enumerate(backends):
            f.write("    server n%d 127.0.0.1:%d\n" % (i + 1, p))
    pid = os.path.join(d, "haproxy.pid")
    subprocess.run(["haproxy", "-f", cfg, "-D", "-p", pid], check=True,
                   stdin=subprocess.DEVNULL)
    _started.append(("haproxy", d))
    return d


def free_block(n):
    """A base port for scripts/galera.sh with n nodes: base..base+n-1 and
    the same at +100, +200 and +300 all free now."""
    import random
    import socket
    while True:
        base = random.randrange(20000, 30000)
        ok = True
        for off in (0, 100, 200, 300):
            for i in range(n):
                s = socket.socket()
                try:
                    s.bind(("127.0.0.1", base + off + i))
                except OSError:
                    ok = False
                finally:
                    s.close()
        if ok:
            return base


def galera(n, port):
    """A Galera cluster of n nodes, SQL on port, port+1, ...; returns
    (folder, its chat account settings)."""
    d = os.path.join(root, "galera")
    subprocess.run([os.path.join(TOP, "scripts", "galera.sh"), "start", d, str(n), str(port)],
                   check=True, stdin=subprocess.DEVNULL)
    _started.append(("galera", d))
    return d, _env_of(os.path.join(d, "db.env"))


def galera_cmd(d, *args):
    subprocess.run([os.path.join(TOP, "scripts", "galera.sh"), args[0], d] + list(args[1:]),
                   check=True, stdin=subprocess.DEVNULL)


def stop_all():
    while _started:
        kind, d = _started.pop()
        if kind == "node":
            node_stop(d)
        elif kind == "haproxy":
            try:
                pid = int(open(os.path.join(d, "haproxy.pid")).read().split()[0])
                os.kill(pid, 15)
            except (OSError, ValueError):
                pass
        elif kind == "galera":
            galera_cmd(d, "stop")


atexit.register(stop_all)


def wait_http(port, timeout=20):
    """Wait until something answers HTTP on port."""
    import http.client
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/")
            c.getresponse().read()
            return True
        except OSError:
            time.sleep(0.1)
    return False
