// receiver.js: one long-poll per browser, however many tabs (seed 002:
// "several chat windows share one connection").
//
// - Tabs elect one poller with the Web Locks API ('chat-poll'); without it
//   (plain http on a non-local host) a lease in localStorage does the same.
//   When the poller tab closes, a waiting tab gets the lock and takes over.
// - The poller shares every answer with the other tabs over a
//   BroadcastChannel; each tab drops repeats by event id.
// - Acks ride on the next poll (?ack=1,2,3); what is left when the tab
//   goes is sent with a keepalive POST /api/ack.
// - A server that cannot hold the poll (plain CGI on a shared host) says
//   when to poll again (poll_after_ms); one that is busy answers 503
//   "busy" with Retry-After: neither is "offline".
// - Errors back off exponentially with jitter (Retry-After respected);
//   the browser's "online" event retries at once. The first poll after a
//   failure asks with timeout=0, so its answer comes at once and reports
//   "reconnected": the banner goes and the app re-fetches what it may have
//   missed (conversation list, history after the last seq held) without
//   waiting for the server's long-poll timeout.
//
// The same channel carries what one tab did that the server does not echo
// back to the same user: own sent messages, own read marks, sign-in/out.

import { api } from './api.js';

const LOCK = 'chat-poll';
const TIMEOUT = 25;                     // seconds the server may hold a poll
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('chat') : null;
const listeners = new Set();
if (channel) {
  channel.onmessage = (m) => {
    for (const fn of listeners) {
      try { fn(m.data || {}); } catch (e) { console.error('chat: tab message', e); }
    }
  };
}

export function broadcast(kind, data = {}) { channel?.postMessage({ kind, ...data }); }
export function onBroadcast(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// The other signed-in tabs of this browser, by id: each says so when its
// Receiver starts and goes. What only they use (a message sent, a read
// mark, the poll's events) is not broadcast when there are none: posting
// it cost about a millisecond of each message in a long chat.
const peers = new Set();
export function broadcastToPeers(kind, data) { if (peers.size) broadcast(kind, data); }

const seen = new Set();                 // event ids handled in this tab
const seenOrder = [];
function firstTime(id) {
  if (seen.has(id)) return false;
  seen.add(id);
  seenOrder.push(id);
  if (seenOrder.length > 10000) seen.delete(seenOrder.shift());
  return true;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const done = () => { clearTimeout(t); removeEventListener('online', done); signal?.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  addEventListener('online', done);
  signal?.addEventListener('abort', done);
});

export class Receiver {
  // handlers: onEvents(events), onNet(online: bool), onReconnected(), onSignedOut()
  constructor(handlers) {
    this.h = handlers;
    this.stopped = false;
    this.polling = false;
    this.acks = new Set();
    this.abort = null;                 // the poll in flight
    // The user's revision (GET /api/poll?rev=): a poll answers at once
    // when it changed, e.g. a stranger chat started or left on another
    // device, whose event that device may have taken.
    this.rev = null;
    this.stop$ = new AbortController(); // ends the lock wait and sleeps
    this.unlisten = onBroadcast((m) => {
      if (m.kind === 'events') this.deliver(m.events || []);
      else if (m.kind === 'net') this.h.onNet(m.online);
      else if (m.kind === 'reconnected') this.h.onReconnected();
      else if (m.kind === 'rev') this.h.onRevision?.();
    });
    // Going offline ends the poll in flight at once (it would otherwise
    // hang until the server's timeout); coming back retries at once.
    this.onOffline = () => this.abort?.abort();
    addEventListener('offline', this.onOffline);
    this.onHide = () => this.hide();
    addEventListener('pagehide', this.onHide);
    // Typing signals newer than this were handed out (?typing=, ms).
    this.typingAt = 0;
    // The other tabs of this browser, by id (issue 25): the last page to
    // go says so, and friends see this user offline at once.
    this.me = Math.random().toString(36).slice(2);
    this.tabs = peers;
    peers.clear();
    this.untab = onBroadcast((m) => {
      if (m.kind !== 'tab' || !m.id) return;
      if (m.bye) this.tabs.delete(m.id);
      else this.tabs.add(m.id);
      if (m.hello) broadcast('tab', { id: this.me });
    });
    broadcast('tab', { id: this.me, hello: true });
    // Back from the browser's page cache: here again.
    this.onShow = (e) => { if (e.persisted) broadcast('tab', { id: this.me, hello: true }); };
    addEventListener('pageshow', this.onShow);
  }

  // The page goes (closed, reloaded, left). The last tab of this browser
  // says so (POST /api/presence/gone) with the acks it holds: sent apart,
  // an ack arriving after it would count as activity, online again.
  hide() {
    broadcast('tab', { id: this.me, bye: true });
    if (this.tabs.size) { this.flushAcks(); return; }
    const ids = [...this.acks];
    this.acks.clear();
    api('POST', 'presence/gone', { ids }, { keepalive: true }).catch(() => {});
  }

  deliver(events) {
    // A typing event has no id (docs/API.md): never acked, never again.
    const fresh = events.filter(e => e && (e.id === undefined ? e.type === 'typing' : firstTime(e.id)));
    // A handler's bug must not stop the receive loop (or the acks).
    if (fresh.length) {
      try { this.h.onEvents(fresh); } catch (e) { console.error('chat: event handler', e); }
    }
  }

  start() {
    if (navigator.locks?.request) {
      navigator.locks.request(LOCK, { signal: this.stop$.signal }, () => this.loop())
        .catch(() => {});
    } else {
      this.leaseLoop();
    }
  }

  stop() {
    this.stopped = true;
    this.stop$.abort();
    this.abort?.abort();
    this.unlisten();
    this.untab();
    removeEventListener('pageshow', this.onShow);
    removeEventListener('offline', this.onOffline);
    removeEventListener('pagehide', this.onHide);
  }

  // Acks still held when the tab goes away (or before a sign-out).
  flushAcks() {
    if (!this.acks.size) return;
    const ids = [...this.acks];
    this.acks.clear();
    api('POST', 'ack', { ids }, { keepalive: true }).catch(() => {});
  }

  // Without Web Locks: a lease in localStorage, renewed every 2 s, taken
  // over when 8 s old. A tab that wrote the lease re-reads it after a
  // moment, so two tabs starting together do not both poll.
  async leaseLoop() {
    const me = Math.random().toString(36).slice(2);
    const read = () => { try { return JSON.parse(localStorage.getItem(LOCK) || 'null'); } catch { return null; } };
    const write = () => localStorage.setItem(LOCK, JSON.stringify({ id: me, at: Date.now() }));
    while (!this.stopped) {
      const cur = read();
      if (!cur || cur.id === me || Date.now() - cur.at > 8000) {
        write();
        await sleep(300, this.stop$.signal);
        if (read()?.id === me && !this.stopped) {
          const renew = setInterval(write, 2000);
          const release = () => { if (read()?.id === me) localStorage.removeItem(LOCK); };
          addEventListener('pagehide', release);
          await this.loop();
          clearInterval(renew);
          release();
          removeEventListener('pagehide', release);
          return;
        }
      }
      await sleep(2500 + Math.random() * 1000, this.stop$.signal);
    }
  }

  async loop() {
    let failures = 0;
    this.polling = true;
    while (!this.stopped) {
      if (this.acks.size > 400) this.flushAcks();     // keep the URL short
      const sent = [...this.acks];
      const ctl = new AbortController();
      this.abort = ctl;
      // A watchdog: a poll that outlives the server's timeout by far is dead.
      const watchdog = setTimeout(() => ctl.abort(), (TIMEOUT + 20) * 1000);
      let res = null;
      try {
        if (navigator.onLine === false) throw new Error('offline');
        res = await api('GET', `poll?timeout=${failures ? 0 : TIMEOUT}${sent.length ? '&ack=' + sent.join(',') : ''}&rev=${this.rev ?? 0}&typing=${this.typingAt}`, null, { signal: ctl.signal });
      } catch {
        res = null;
      }
      clearTimeout(watchdog);
      this.abort = null;
      if (this.stopped) break;

      if (res?.status === 200) {
        for (const id of sent) this.acks.delete(id);
        if (failures) {
          failures = 0;
          this.h.onNet(true);
          broadcast('net', { online: true });
          broadcast('reconnected');
          this.h.onReconnected();
        }
        const events = Array.isArray(res.data?.events) ? res.data.events : [];
        if (events.length) {
          broadcastToPeers('events', { events });
          this.deliver(events);
          for (const e of events) {
            if (e.id) this.acks.add(e.id);   // handled: ack on the next poll
            else if (e.type === 'typing' && e.at > this.typingAt) this.typingAt = e.at;   // no id: never acked
          }
        }
        const rev = res.data?.rev;
        if (Number.isSafeInteger(rev) && rev !== this.rev) {
          if (this.rev !== null) { broadcast('rev'); this.h.onRevision?.(); }
          this.rev = rev;
        }
        // A host that cannot hold every poll open (plain CGI) answers at
        // once and says when to come back.
        const after = Number(res.data?.poll_after_ms);
        if (after > 0) await sleep(Math.min(after, 60000), this.stop$.signal);
        continue;
      }
      if (res?.status === 503 && res.data?.error?.code === 'busy') {
        // Up but busy: not offline; come back when it says.
        await sleep(Math.max(1000, res.retryAfter * 1000) * (1 + Math.random() / 2), this.stop$.signal);
        continue;
      }
      if (res?.status === 401) {
        this.acks.clear();
        broadcast('signedout');
        this.h.onSignedOut();
        break;
      }
      // No network, a dead connection or server trouble: keep the acks,
      // wait and try again.
      failures++;
      if (failures === 1 || !res) { this.h.onNet(false); broadcast('net', { online: false }); }
      const base = Math.min(30000, 500 * 2 ** Math.min(failures - 1, 6));
      const wait = Math.max(res?.retryAfter * 1000 || 0, base / 2 + Math.random() * base / 2);
      await sleep(wait, this.stop$.signal);
    }
    this.polling = false;
  }
}
