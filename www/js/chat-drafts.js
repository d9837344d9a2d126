// chat-drafts.js: what of the chat pane outlives a reload, for chat.js:
// the drafts, the open conversation, and own messages not confirmed by the
// server (failed or still sending), which come back failed with their
// Retry. sessionStorage (this tab only) under chat.<user id>; a sign-out
// takes them all (forgetDrafts).

import { S, thread } from './state.js';

export const drafts = new Map();          // conversation id -> unsent text

const storeKey = () => `chat.${S.me.id}`;

// Store the open conversation, the drafts and the unsent messages now.
export function persist() {
  if (soon) { clearTimeout(soon); soon = 0; }
  if (!S.me) return;
  const unsent = [];
  for (const [c, t] of S.threads) {
    for (const m of t.locals()) unsent.push({ c, id: m.client_id, body: m.body, t: m.t, error: m.error });
  }
  try {
    sessionStorage.setItem(storeKey(), JSON.stringify({ open: S.current, drafts: [...drafts], unsent }));
  } catch { /* storage off or full: a reload loses them */ }
}

// The same a moment later, once for a burst (each key pressed, a send
// confirmed); at once if the page goes first.
let soon = 0;
export function persistSoon() {
  if (!soon) soon = setTimeout(persist, 300);
}
addEventListener('pagehide', () => { if (soon) persist(); });

// At sign-in: the drafts and the unsent messages back; returns the
// conversation that was open (or null).
export function restoreDrafts() {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(storeKey()) || 'null'); } catch { saved = null; }
  drafts.clear();
  for (const [id, text] of Array.isArray(saved?.drafts) ? saved.drafts : []) {
    if (Number.isInteger(id) && typeof text === 'string') drafts.set(id, text);
  }
  // One still sending when the page went may have been stored: its
  // conversation's history then holds it (same client_id) and replaces
  // it, and a Retry is answered with that first copy.
  for (const u of Array.isArray(saved?.unsent) ? saved.unsent : []) {
    if (!Number.isInteger(u?.c) || typeof u.id !== 'string' || typeof u.body !== 'string') continue;
    thread(u.c).putLocal({ local: true, state: 'failed', client_id: u.id, body: u.body, sender: S.me.username,
      conversation_id: u.c, t: Number(u.t) || Date.now(), sent_at: 0,
      error: typeof u.error === 'string' ? u.error : 'Not sent: the page was reloaded before the server answered.' });
  }
  return Number.isInteger(saved?.open) ? saved.open : null;
}

// At sign-out: no draft stays, here or in the storage of any user.
export function forgetDrafts() {
  drafts.clear();
  try {
    for (const k of Object.keys(sessionStorage)) if (k.startsWith('chat.')) sessionStorage.removeItem(k);
  } catch { /* storage off */ }
}
