// receiver.js: one long-poll per browser, however many tabs (seed 002:
// windows share one connection). Tabs elect a poller with the Web Locks API
// (or, without it, a lease in localStorage) and share events over a
// BroadcastChannel. Acks ride on the next poll. Errors back off
// exponentially with jitter; when the network returns, polling resumes at
// once and the app catches up. Repeats are dropped by event id.

import { api } from './api.js';

const LOCK = 'chat-poll';
const seen = new Set();          // event ids already handled in this tab
const seenOrder = [];

function remember(id) {
  if (seen.has(id)) return false;
  seen.add(id);
  seenOrder.push(id);
  if (seenOrder.length > 5000) seen.delete(seenOrder.shift());
  return true;
}

export class Receiver {
  constructor(onEvents, onState) {
    this.onEvents = onEvents;      // (events) => void, new ones only
    this.onState = onState;        // ('polling'|'waiting'|'offline'|'signedout', detail)
    this.channel = 'BroadcastChannel' in self ? new BroadcastChannel('chat-events') : null;
    this.stopped = false;
    this.abort = null;
    this.pendingAcks = [];
    if (this.channel) {
      this.channel.onmessage = (m) => {
        if (m.data?.kind === 'events') this.deliver(m.data.events);
        if (m.data?.kind === 'signedout') this.onState('signedout');
      };
    }
    addEventListener('online', () => this.abort?.abort());
  }

  deliver(events) {
    const fresh = events.filter(e => remember(e.id));
    if (fresh.length) this.onEvents(fresh);
  }

  start() {
    if (navigator.locks?.request) {
      // The lock is held for as long as this tab polls; when the tab goes,
      // another tab waiting on it takes over.
      navigator.locks.request(LOCK, () => this.loop()).catch(() => {});
      this.onState('waiting');
    } else {
      this.leaseLoop();
    }
  }

  stop() {
    this.stopped = true;
    this.abort?.abort();
  }

  // Fallback election: a lease in localStorage renewed every 3 s.
  async leaseLoop() {
    const me = Math.random().toString(36).slice(2);
    while (!this.stopped) {
      const cur = JSON.parse(localStorage.getItem(LOCK) || 'null');
      if (!cur || cur.id === me || Date.now() - cur.at > 10000) {
        localStorage.setItem(LOCK, JSON.stringify({ id: me, at: Date.now() }));
        const renew = setInterval(() =>
          localStorage.setItem(LOCK, JSON.stringify({ id: me, at: Date.now() })), 3000);
        await this.loop();
        clearInterval(renew);
        return;
      }
      await new Promise(r => setTimeout(r, 4000));
    }
  }

  async loop() {
    let failures = 0;
    this.onState('polling');
    while (!this.stopped) {
      const acks = this.pendingAcks;
      const q = `poll?timeout=25${acks.length ? '&ack=' + acks.join(',') : ''}`;
      this.abort = new AbortController();
      let res;
      try {
        res = await api('GET', q, null, { signal: this.abort.signal });
      } catch {
        res = null;
      }
      if (this.stopped) return;
      if (res?.status === 200) {
        this.pendingAcks = [];
        const events = res.data?.events || [];
        if (failures > 0) this.onState('polling', 'reconnected');
        failures = 0;
        if (events.length) {
          this.pendingAcks = events.map(e => e.id);
          this.channel?.postMessage({ kind: 'events', events });
          this.deliver(events);
        }
        continue;
      }
      if (res?.status === 401) {
        this.channel?.postMessage({ kind: 'signedout' });
        this.onState('signedout');
        return;
      }
      // Network gone or server trouble: keep the acks for the next try.
      failures++;
      this.onState('offline', failures);
      const base = Math.min(30000, 500 * 2 ** Math.min(failures, 6));
      const wait = base / 2 + Math.random() * base / 2;
      await new Promise(r => {
        const t = setTimeout(r, wait);
        addEventListener('online', () => { clearTimeout(t); r(); }, { once: true });
      });
    }
  }
}
