"""A burst of connections (every browser reconnecting at once after a
restart, say) is answered, not refused: with chatd's listen queue cut to
128 and only 2 workers, 300 requests sent at once all get their 200.
Without the spill thread 20-32 of them get a 500 (lighttpd retries a full
queue a few times at once, then gives up); with it none, also with a
process spinning on one of the two cores.  (A queue of 32 failed now and
then under such a load: the spill needs a wake-up before it accepts.)
Runs late: it restarts the stack twice (with those settings, then
without)."""
import os
import threading

import chatlib
from chatlib import check, eq, signup

N = 300
saved = {k: os.environ.get(k) for k in ("CHAT_THREADS", "CHAT_FCGI_BACKLOG")}
os.environ.update(CHAT_THREADS="2", CHAT_FCGI_BACKLOG="128")
chatlib.restart()
try:
    a = signup("burst")
    statuses = []
    lock = threading.Lock()
    go = threading.Barrier(N)

    def one():
        c = chatlib.Client(a.sid)
        go.wait()
        try:
            r = c.get("conversations")
            st = r.status if isinstance(r.json, dict) and \
                "conversations" in r.json else "%d %r" % (r.status, r.raw[:80])
        except Exception as ex:     # noqa: BLE001
            st = repr(ex)
        with lock:
            statuses.append(st)

    ts = [threading.Thread(target=one) for _ in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    bad = [s for s in statuses if s != 200]
    eq(len(statuses), N, "every request answered")
    check(not bad, "all %d answered 200 with the list (%d were not)"
          % (N, len(bad)), sorted(set(map(str, bad)))[:5])
finally:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    chatlib.restart()

chatlib.done()
