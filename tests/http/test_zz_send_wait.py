"""Sends that wait for the database do not hold up everything else: with 3
workers, and a conversation's row locked by an admin's open transaction,
4 sends to it wait (two batches blocked on the lock, two queued), and
meanwhile the conversation list still loads; once the lock goes, every
send is stored and answered, seqs without a gap.  (When every waiting send
held a worker, the list waited for the lock too.)  A send of the seed 003
adapter, which waits on its own worker, queued behind them is stored too.  Runs late: it restarts
the stack twice (with 3 workers, then without)."""
import os
import threading
import time

import chatlib
from chatlib import befriend, check, eq, lock_row, signup, unlock

saved = os.environ.get("CHAT_THREADS")
os.environ["CHAT_THREADS"] = "3"
chatlib.restart()
locker = None
try:
    a, b = signup("sw"), signup("sw")
    conv = befriend(a, b)
    eq(chatlib.send_msg(a, "before", "w-before", conv=conv).status, 201,
       "a send with nothing in the way")

    # An admin's transaction holds the conversation's row.
    locker = lock_row("conversation", conv, "the row is locked")

    sends = [chatlib.in_thread(chatlib.send_msg, a, "waiting %d" % i,
                               "w-%d" % i, None, conv) for i in range(4)]
    time.sleep(1.5)
    check(all(t.is_alive() for t in sends),
          "the sends wait for the lock", [t.is_alive() for t in sends])

    listed = chatlib.in_thread(b.get, "conversations")
    listed.join(15)
    check(not listed.is_alive(),
          "the conversation list loads while the sends wait")
    if not listed.is_alive():
        eq(listed.result.status, 200, "the list answered 200")
    check(all(t.is_alive() for t in sends), "the sends still wait")

    unlock(locker)
    locker = None
    for t in sends:
        t.join(30)
    eq([t.result.status if not t.is_alive() else "waiting" for t in sends],
       [201] * 4, "every send stored once the lock is gone")
    eq(sorted(t.result.json["seq"] for t in sends if not t.is_alive()),
       [2, 3, 4, 5], "seqs 2-5: no gap, none twice")
    listed.join(30)

    # A send of the seed 003 adapter waits on its own worker (msg_send);
    # queued behind requests' sends, it is stored by whoever runs the
    # next batch and its worker woken.
    c, d = signup("sw"), signup("sw")
    conv2 = befriend(c, d)
    locker = lock_row("conversation", conv, "locked again")
    sends = [chatlib.in_thread(chatlib.send_msg, a, "blocked %d" % i,
                               "w-b%d" % i, None, conv) for i in range(2)]
    time.sleep(1)
    framed = chatlib.in_thread(c.post, "frame", {
        "TYPE": "4", "MID": "w-frame",
        "CONTENT": {"messageId": "w-frame", "sender": c.name,
                    "receiver": d.name, "content": "by the adapter"}})
    time.sleep(1)
    check(framed.is_alive(), "the adapter's send waits for a slot")
    unlock(locker)
    locker = None
    for t in sends + [framed]:
        t.join(30)
    eq(sorted(t.result.json["seq"] for t in sends if not t.is_alive()),
       [6, 7], "the requests' sends stored")
    eq(((framed.result.json or {}).get("CONTENT") or {}).get("Content")
       if not framed.is_alive() else "waiting", "MS",
       "the adapter's send stored (MS)")
    h = d.get("conversations/%d/messages?after=0&limit=10" % conv2)
    eq([m["body"] for m in (h.json or {}).get("messages", [])],
       ["by the adapter"], "and its receiver has it")
finally:
    if locker is not None:
        locker.kill()
    if saved is None:
        os.environ.pop("CHAT_THREADS", None)
    else:
        os.environ["CHAT_THREADS"] = saved
    chatlib.restart()

chatlib.done()
