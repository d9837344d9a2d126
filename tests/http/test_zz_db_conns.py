"""CHAT_DB_CONNS: the most MySQL connections one FastCGI chatd opens (runs
late: it restarts the stack with CHAT_DB_CONNS=3, then as it was).  Its 32
workers, deliverers, marker and watcher share the three: a burst of
requests, polls parked and woken, sends, all answered, while the database
never sees more than three connections of chatd (and the sweeper's one)."""
import os
import threading
import time

import chatlib
from chatlib import befriend, check, eq, signup

before = os.environ.get("CHAT_DB_CONNS")


def admin_count():
    """Connections of the application's account, as the administrator
    sees them (the account itself sees only its own)."""
    return int(chatlib.admin("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                             "WHERE USER = 'chat'")[0][0])


def restart_with(v):
    if v is None:
        os.environ.pop("CHAT_DB_CONNS", None)
    else:
        os.environ["CHAT_DB_CONNS"] = v
    chatlib.restart()


a, b = signup("dc"), signup("dc")
befriend(a, b)
b.drain()
restart_with("3")
try:
    most = [0]
    sampling = [True]

    def sample():
        while sampling[0]:
            most[0] = max(most[0], admin_count())
            time.sleep(0.05)

    s = threading.Thread(target=sample)
    s.start()
    # Parked polls of ten users hold no connection while they wait.
    users = [signup("dp") for _ in range(10)]
    for u in users:
        befriend(a, u)
        u.drain()
    polls = [chatlib.in_thread(u.poll, 20) for u in users]
    time.sleep(0.5)
    # A burst: 60 requests at once, reads and sends.
    def call(i):
        if i % 3 == 0:
            return a.post("messages", {"to": users[i % 10].name,
                                       "client_id": "dc-%d" % i, "body": "m%d" % i})
        return (a if i % 2 else b).get("me" if i % 3 == 1 else "conversations")
    answers = chatlib.all_at_once(call, [(i,) for i in range(60)])
    codes = sorted(set(r.status if r else None for r in answers))
    check(codes in ([200], [200, 201]), "60 requests at once all answered", codes)
    # Every parked poll woke with a message; then each user has both of
    # theirs (the second may come after the first woke the poll).
    woke = 0
    for t in polls:
        t.join(30)
        evs = getattr(t, "result", None) or []
        woke += any(e["type"] == "message" for e in evs)
    eq(woke, 10, "every parked poll woke with a message")
    seen = set()
    for u in users:
        end, ack = time.time() + 10, []
        mine = set()
        while len(mine) < 2 and time.time() < end:
            evs = u.poll(3, ack=ack)
            ack = [e["id"] for e in evs]
            mine |= {e["message"]["client_id"] for e in evs if e["type"] == "message"}
        if ack:
            u.post("ack", {"ids": ack})
        seen |= mine
    eq(len(seen), 20, "all 20 messages delivered")
    sampling[0] = False
    s.join()
    # chatd's three and the sweeper's one at most.
    check(1 <= most[0] <= 4, "never more than CHAT_DB_CONNS (3) connections of chatd "
          "(+1 sweeper)", most[0])
finally:
    restart_with(before)

chatlib.done()
