"""stack.sh as an operator meets it (runs last: it stops and starts the
whole stack).  A second start on the same folder that fails (another port,
say) stops only what it started itself, never the stack already serving.
A pid file left by a crash or a reboot that names a pid now used by some
other process is not taken for the part (the part is started) and that
process is never signalled.  `stack.sh run` watching a stack `start`
started: lighttpd's master killed with -9 is started again on the same
port, its workers (which outlive it and keep the port) stopped first; the
sweeper's loop killed with -9 is started again, the sweeper run it had
started stopped.  A second `run` on the folder refuses; `stack.sh stop`
from another shell ends the `run` (which would start again what it
stops), and so does a TERM.  A port another program holds is reported
before anything is started.  (test_zz_heal: chatd, MariaDB, the backoff,
Ctrl-C.)"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import chatlib
from chatlib import Client, check, eq

STACK = os.path.join(chatlib.TOP, "scripts", "stack.sh")
RUN = os.path.join(chatlib.STACK_DIR, "run")


def stack_sh(*args, timeout=90):
    with open(os.path.join(chatlib.STACK_DIR, "log", "stack-ops.log"), "ab") as log:
        return subprocess.run([STACK] + list(args), stdin=subprocess.DEVNULL,
                              stdout=log, stderr=log, timeout=timeout).returncode


def health():
    try:
        return Client().get("health", timeout=5).status
    except OSError:
        return "refused"


def pid_of(part):
    try:
        return int(open(os.path.join(RUN, part + ".pid")).read())
    except (OSError, ValueError):
        return None


def lighttpd_group(pgid):
    """The lighttpd processes still in process group pgid."""
    out = subprocess.run(["pgrep", "-g", str(pgid), "-x", "lighttpd"],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


eq(health(), 200, "the stack serves")

# 1. A start on the same folder with another port: lighttpd is already
# there (on the first port), so the health check on the new port fails.
rc = stack_sh("start", chatlib.STACK_DIR, str(chatlib.free_port()), timeout=120)
check(rc != 0, "a start on a port nobody serves fails", rc)
eq(health(), 200, "and the stack that was serving still serves")
if health() != 200:
    chatlib.stack("start")

# 2. Stale pid files: the stack stopped, the sweeper's pid file names a
# process that is not the sweeper (a pid reused after a reboot).
chatlib.stack("stop")
victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
with open(os.path.join(RUN, "sweeper.pid"), "w") as f:
    f.write("%d\n" % victim.pid)
chatlib.stack("start")
eq(health(), 200, "started with a stale sweeper pid file")
check(pid_of("sweeper") not in (None, victim.pid),
      "the sweeper was started (its pid file names it)", pid_of("sweeper"))
chatlib.stack("stop")
time.sleep(0.5)
eq(victim.poll(), None, "the process the stale pid file named was not signalled")
victim.kill()
victim.wait()
chatlib.stack("start")

# 3. lighttpd's master killed with -9 while `make run` (stack.sh run)
# watches a stack it did not start: lighttpd is started again on the same
# port, the old master's workers (they keep the port) stopped first.
log_path = os.path.join(chatlib.STACK_DIR, "log", "run-ops.log")
run, serving = chatlib.stack_run(log_path)
check(serving, "stack.sh run serves the running stack", open(log_path).read())
p = subprocess.run([STACK, "run", chatlib.STACK_DIR, str(chatlib.PORT)],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
check(p.returncode == 1 and "already watches" in p.stderr,
      "a second run on the folder refuses", (p.returncode, p.stderr[-300:]))
master = pid_of("lighttpd")
check(master and lighttpd_group(master), "lighttpd runs in a group of its own", master)
os.kill(master, signal.SIGKILL)
check(chatlib.wait_until(lambda: pid_of("lighttpd") not in (None, master), timeout=20),
      "lighttpd is started again", pid_of("lighttpd"))
eq(lighttpd_group(master), [], "no worker of the old master is left")
check(chatlib.wait_until(lambda: health() == 200, timeout=10), "served on the same port", health())
check("lighttpd (pid %d) went after" % master in open(log_path).read() and
      "starting it again in 1 s" in open(log_path).read(),
      "it says which part went", open(log_path).read())
eq(run.poll(), None, "stack.sh run goes on watching")
# `stack.sh stop` from another shell: the run ends first (it would start
# again what stop stops), then everything stops.
eq(stack_sh("stop", chatlib.STACK_DIR), 0, "stack.sh stop")
eq(chatlib.exit_status(run, timeout=10), 0, "it ends the run")
eq(health(), "refused", "nothing answers on the port")
time.sleep(2.5)
eq(health(), "refused", "and nothing was started again")
chatlib.stack("start")
eq(health(), 200, "started again after")

# 4. A port another program holds: the start says so at once, before it
# starts anything (it used to start MariaDB and the backend, then wait
# 30 s for a lighttpd that could not bind, and blame "lighttpd").
other = socket.socket()
other.bind(("127.0.0.1", 0))
other.listen(8)
taken = other.getsockname()[1]
fresh = tempfile.mkdtemp(prefix="stack-port-")
p = subprocess.run([STACK, "start", fresh, str(taken)], stdin=subprocess.DEVNULL,
                   capture_output=True, text=True, timeout=120)
other.close()
check(p.returncode != 0, "a start on a port another program holds fails", p.returncode)
check("port %d is in use by another program" % taken in p.stderr,
      "it says the port is taken", p.stderr[-500:])
eq(sorted(os.listdir(os.path.join(fresh, "run"))) if os.path.isdir(os.path.join(fresh, "run")) else [],
   [], "and started nothing (no MariaDB, no backend)")
check(not os.path.exists(os.path.join(fresh, "db")), "no database was made", os.listdir(fresh))
shutil.rmtree(fresh, ignore_errors=True)
eq(health(), 200, "the running stack is untouched")

# 5. The sweeper's loop killed with -9 while `make run` watches: the loop
# is started again, and the sweeper run the old loop had started is
# stopped (it went on alone for up to a minute).  A TERM ends the run and
# stops everything, the new loop too.
log_path = os.path.join(chatlib.STACK_DIR, "log", "run-ops-sweeper.log")
run, serving = chatlib.stack_run(log_path)
check(serving, "stack.sh run serves the running stack", open(log_path).read())
loop = pid_of("sweeper")


def sweep_runs():
    out = subprocess.run(["pgrep", "-P", str(loop), "-x", "chat-sweep"],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def running(pid):
    try:
        st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return st != "Z"     # a zombie has stopped


runs = chatlib.wait_until(sweep_runs, timeout=10)
check(runs, "the loop runs the sweeper", runs)
os.kill(loop, signal.SIGKILL)
check(chatlib.wait_until(lambda: pid_of("sweeper") not in (None, loop), timeout=20),
      "the loop is started again", pid_of("sweeper"))
check("sweeper (pid %d) went after" % loop in open(log_path).read(),
      "it says which part went", open(log_path).read())
left = [p for p in runs or [] if chatlib.wait_until(lambda: not running(p), timeout=10) is not True]
eq(left, [], "the sweeper run the old loop had started is stopped")
for p in left:
    os.kill(p, signal.SIGTERM)
eq(health(), 200, "the stack serves on")
new_loop = pid_of("sweeper")
run.send_signal(signal.SIGTERM)
eq(chatlib.exit_status(run), 0, "a TERM ends stack.sh run")
eq(health(), "refused", "and stops the stack")
check(new_loop and not running(new_loop), "the new loop too", new_loop)
chatlib.stack("start")
eq(health(), 200, "started again after")

chatlib.done()
