"""Connections per client address are capped (issue 21, item 3): 15,000
idle TCP connections from one address (127.0.0.2) get at most
CHAT_CONNS_PER_ADDR (256) accepted and the rest refused at once with a
reset, and while they are held every request from another address
(127.0.0.1) is answered within 100 ms, a static file and the API alike.
Once they are closed, 127.0.0.2 is served again.  The cap is the kernel's
(stack.sh's nftables table chat_PORT): as root with nft only, else
skipped.  Runs late, but leaves lighttpd as it found it: the sockets are
closed at the end (and lighttpd drops idle ones after 20 s anyway)."""
import errno
import http.client
import os
import resource
import select
import shutil
import socket
import sys
import time

import chatlib
from chatlib import check, eq

ATTACKER = "127.0.0.2"
TOTAL = 15000
BATCH = 1000            # connects in flight at once
CONNECT_S = 3           # a connect neither done nor refused by then: counted apart
ANSWER_S = 0.100
REQUESTS = 20

if os.geteuid() != 0:
    print("skipped: not root (the per-address cap needs root for nftables)")
    sys.exit(0)
if shutil.which("nft") is None:
    print("skipped: no nft (apt-get install nftables)")
    sys.exit(0)

# The stack's setting: the test stack uses the default.
cap = int(os.environ.get("CHAT_CONNS_PER_ADDR", "256"))
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if not check(hard > TOTAL + 100, "open files allow %d sockets" % TOTAL, hard):
    chatlib.done()


def connect_batch(n):
    """n non-blocking connects from ATTACKER: (accepted sockets, refused
    count, count of those neither accepted nor refused within CONNECT_S)."""
    pending, accepted, refused = {}, [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The source port at connect(), not bind(): bound sockets do not
        # use up the ephemeral port range.
        s.setsockopt(socket.IPPROTO_IP,
                     getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
        s.bind((ATTACKER, 0))
        s.setblocking(False)
        err = s.connect_ex((chatlib.HOST, chatlib.PORT))
        if err == errno.EINPROGRESS:
            pending[s.fileno()] = s
        elif err == 0:
            accepted.append(s)
        else:
            refused += err == errno.ECONNREFUSED
            s.close()
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    end = time.monotonic() + CONNECT_S
    while pending and time.monotonic() < end:
        for fd, _ in poller.poll(max(1, int((end - time.monotonic()) * 1000))):
            s = pending.pop(fd)
            poller.unregister(fd)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err == 0:
                accepted.append(s)
            else:
                refused += err == errno.ECONNREFUSED
                s.close()
    stuck = n - len(accepted) - refused
    for s in pending.values():
        s.close()
    return accepted, refused, stuck


def timed_get(source, path):
    """(status or error, seconds) of one GET from address source on a fresh
    connection, as a browser's first request."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection(chatlib.HOST, chatlib.PORT, timeout=2,
                                   source_address=(source, 0))
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        got = r.status
    except (OSError, http.client.HTTPException) as ex:
        got = repr(ex)
    finally:
        c.close()
    return got, time.monotonic() - t0


held = []
try:
    refused = stuck = 0
    t0 = time.monotonic()
    while len(held) + refused + stuck < TOTAL:
        acc, ref, st = connect_batch(min(BATCH, TOTAL - len(held) - refused - stuck))
        held += acc
        refused += ref
        stuck += st
    print("%s: %d connections tried in %.1f s: %d accepted, %d refused, "
          "%d neither" % (ATTACKER, TOTAL, time.monotonic() - t0, len(held),
                          refused, stuck))
    eq(len(held), cap, "connections accepted from one address (the cap)")
    eq(refused, TOTAL - len(held), "the rest refused at once (TCP reset)")

    # While those are held: another address is served, and quickly.
    slow, most = [], 0
    for i in range(REQUESTS):
        path = "/" if i % 2 == 0 else "/api/health"
        got, secs = timed_get("127.0.0.1", path)
        eq(got, 200, "GET %s from 127.0.0.1 while %d are held" % (path, len(held)))
        most = max(most, secs)
        if secs > ANSWER_S:
            slow.append("%s %.0f ms" % (path, secs * 1000))
    print("127.0.0.1: %d requests, the slowest answered in %.1f ms"
          % (REQUESTS, most * 1000))
    check(not slow, "every answer within %d ms" % (ANSWER_S * 1000), slow)
finally:
    for s in held:
        s.close()
    held = []

# What counts is connections open now: once closed, the address is served.
eq(chatlib.wait_until(lambda: timed_get(ATTACKER, "/api/health")[0] == 200,
                      timeout=10), True,
   "%s served again once its connections are closed" % ATTACKER)
chatlib.done()
