"""`make run` (stack.sh run) keeps serving on its own: a part killed with
-9 is started again, after a wait that grows with each restart and starts
over once the part ran for a while, with one line naming the part and the
signal; the other parts keep serving.  chatd killed: lighttpd answers 503
in JSON meanwhile, then the backend answers again and a message sent
before is still there.  MariaDB killed: it comes back and chatd connects
again by itself.  lighttpd's master killed: its workers go, and a new
lighttpd serves on the same port.  Ctrl-C afterwards still stops every
process, nothing is left behind.

A stack of its own (its folder, a free port), so the shared one is not
touched; CHAT_BACKOFF_RESET_S is short so that the reset is seen."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import chatlib
from chatlib import Client, check, eq, expect_error

STACK = os.path.join(chatlib.TOP, "scripts", "stack.sh")
RESET_S = 12


# The stack's folder beside the shared one (run.sh removes it with its
# own), short enough for unix socket paths.
parent = os.path.dirname(chatlib.STACK_DIR) if chatlib.STACK_DIR else None
folder = tempfile.mkdtemp(prefix="heal-", dir=parent)
run_dir = os.path.join(folder, "run")
port = chatlib.free_port()
chatlib.PORT = port     # Client talks to this stack
log_path = os.path.join(folder, "run.log")


def pid_of(part):
    try:
        return int(open(os.path.join(run_dir, part + ".pid")).read())
    except (OSError, ValueError):
        return None


def health():
    try:
        r = Client().get("health", timeout=5)
        return r.status, r.json
    except OSError:
        return "refused", None


def log():
    return open(log_path).read()


def restarts():
    return [l for l in log().splitlines() if "starting it again" in l]


def wait_restart(n, timeout=20):
    """The n-th restart line, once it is written."""
    lines = chatlib.wait_until(lambda: len(restarts()) >= n and restarts(), timeout=timeout)
    return lines[n - 1] if lines and len(lines) >= n else None


def back(timeout=20):
    """Health answers 200 {"ok":true,"db":true} again, and still does 1.5 s
    on (each lighttpd worker waits 1 s before trying a backend that failed
    again: until then it answers 503 without asking)."""
    ok = (200, {"ok": True, "db": True})
    end = time.time() + timeout
    while time.time() < end:
        if chatlib.wait_until(lambda: health() == ok, timeout=end - time.time(), step=0.1) \
                and all(time.sleep(0.25) or health() == ok for _ in range(6)):
            return True
    return False


def ours():
    """Every process still running for this folder: its path on the command
    line (MariaDB, the sweeper's loop) or in the environment (CHAT_RUN:
    chatd, lighttpd, a sweeper run)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            text = open("/proc/%s/cmdline" % p, "rb").read() + \
                open("/proc/%s/environ" % p, "rb").read()
            state = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if folder.encode() in text and state != "Z":
            found.append((int(p), text.split(b"\0")[0].decode(errors="replace")))
    return found


env = dict(os.environ, CHAT_BACKOFF_RESET_S=str(RESET_S))
with open(log_path, "wb") as out:
    # A session of its own: Ctrl-C signals the terminal's foreground group.
    run = subprocess.Popen([STACK, "run", folder, str(port)], env=env,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                           start_new_session=True)


@atexit.register
def _leave_nothing():
    """A test that stops half-way stops the stack too."""
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGINT)
        chatlib.exit_status(run, timeout=60)


serving = chatlib.wait_until(lambda: "Serving on" in log(), timeout=90)
check(serving, "stack.sh run serves", log())
eq(health(), (200, {"ok": True, "db": True}), "the stack serves")

a = chatlib.signup("heal")
b = chatlib.signup("heal")
conv = chatlib.befriend(a, b)
r = chatlib.send_msg(a, "sent before the kills", "heal-1", to=b.name)
eq(r.status, 201, "a message is sent")


def history():
    try:
        r = b.get("conversations/%d/messages" % conv, timeout=10)
    except OSError as e:
        return e
    return [m["body"] for m in (r.json or {}).get("messages", [])] if r.status == 200 else r


# 1. chatd killed with -9: lighttpd answers 503 in JSON until chatd is
# back (it waits 1 s first), then the backend answers, the message is there.
def refused():
    """chatd's socket takes no connection: chatd has gone (all its threads;
    a request sent before got 500, in JSON too)."""
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(os.path.join(run_dir, "chatd.sock"))
        return False
    except OSError:
        return True
    finally:
        s.close()


old = pid_of("chatd")
os.kill(old, signal.SIGKILL)
t0 = time.time()
chatlib.wait_until(refused, timeout=5, step=0.01)
r = Client().get("health", timeout=5)
expect_error(r, 503, what="chatd down: lighttpd answers 503 in JSON")
check(back(), "chatd answers again", health())
took = time.time() - t0
check(took < 6, "within a few seconds", took)
check(pid_of("chatd") not in (None, old), "a new chatd", pid_of("chatd"))
line = wait_restart(1)
check(line and "chatd (pid %d) was killed by signal 9 (KILL)" % old in line
      and "starting it again in 1 s" in line, "one line says which part and how", line)
eq(history(), ["sent before the kills"], "the message sent before is still there")

# 2. Killed again at once: the wait doubles.
old = pid_of("chatd")
os.kill(old, signal.SIGKILL)
line = wait_restart(2)
check(line and "chatd (pid %d)" % old in line and "again in 2 s" in line,
      "a second restart waits 2 s", line)
check(back(), "chatd answers again", health())
chatd_since = time.time()

# 3. MariaDB killed with -9: chatd says the database is down, MariaDB is
# started again (crash recovery), chatd connects again by itself.
old = pid_of("mariadb")
chatd = pid_of("chatd")
os.kill(old, signal.SIGKILL)
st, j = chatlib.wait_until(lambda: health()[0] != 200 and health(), timeout=5) or (None, None)
eq(st, 503, "the database down: health 503")
check(back(timeout=40), 'health is {"ok":true,"db":true} again', health())
line = wait_restart(3)
check(line and "mariadb (pid %d) was killed by signal 9 (KILL)" % old in line,
      "one line for MariaDB", line)
eq(pid_of("chatd"), chatd, "chatd was not started again for it")
r = chatlib.send_msg(a, "sent after MariaDB came back", "heal-2", to=b.name)
eq(r.status, 201, "a send works again")
eq(history(), ["sent before the kills", "sent after MariaDB came back"],
   "both messages are there")

# 4. lighttpd's master killed with -9: its workers (which keep the port)
# go, and a new lighttpd serves on the same port.
master = pid_of("lighttpd")
os.kill(master, signal.SIGKILL)
line = wait_restart(4)
check(line and "lighttpd (pid %d) was killed by signal 9 (KILL)" % master in line,
      "one line for lighttpd", line)
check(chatlib.wait_until(lambda: pid_of("lighttpd") not in (None, master), timeout=20),
      "a new lighttpd master", pid_of("lighttpd"))
check(back(), "served on the same port again", health())
left = subprocess.run(["pgrep", "-g", str(master), "-x", "lighttpd"],
                      capture_output=True, text=True).stdout.split()
eq(left, [], "no worker of the old master is left")

# 5. chatd ran RESET_S: its wait starts over at 1 s.
time.sleep(max(0, chatd_since + RESET_S + 1 - time.time()))
old = pid_of("chatd")
os.kill(old, signal.SIGKILL)
line = wait_restart(5)
check(line and "chatd (pid %d)" % old in line and "again in 1 s" in line,
      "after running a while, the wait is 1 s again", line)
check(back(), "chatd answers again", health())

eq(len(restarts()), 5, "one line per restart")
check("stopping the rest" not in log(), "nothing else was stopped", log())

# 6. Ctrl-C (INT to the foreground group): everything stops, nothing left.
os.killpg(run.pid, signal.SIGINT)
eq(chatlib.exit_status(run, timeout=60), 0, "stack.sh run ends on Ctrl-C")
eq(health()[0], "refused", "nothing answers on the port")
eq(ours(), [], "no process of the stack is left")
eq(sorted(n for n in os.listdir(run_dir) if n.endswith(".pid")), [], "no pid file is left")

if chatlib._failures:
    print(log())
else:
    shutil.rmtree(folder, ignore_errors=True)
chatlib.done()
