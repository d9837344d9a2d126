// chat-typing.js: who is typing (issue 25), for chat.js. The server's
// `typing` events (no id: never acked, never sent again) say "Ann is
// typing" in a conversation; the line shows for SHOW_MS after the last
// one, or until Ann's message arrives. This tab's own typing is said at
// most every EVERY_MS while keys are pressed, the first WAIT_MS after the
// first key (POST .../typing; the server refuses more than 3 a second).

import { api } from './api.js';
import { S } from './state.js';

const SHOW_MS = 5000;
const EVERY_MS = 3000;
const WAIT_MS = 150;
const typing = new Map();      // conversation id -> Map(user name -> {name, timer})
const said = new Map();        // conversation id -> when this tab last said so
const pending = new Map();     // conversation id -> the timer that will say so
let redraw = () => {};

// What to call when the typing line of a conversation changes.
export function onTypingChange(fn) { redraw = fn; }

function drop(conv, user) {
  const m = typing.get(conv);
  const t = m?.get(user);
  if (!t) return;
  clearTimeout(t.timer);
  m.delete(user);
  if (!m.size) typing.delete(conv);
  redraw(conv);
}

// A typing event: {conversation_id, user, nickname, at}.
export function onTyping(e) {
  const conv = e.conversation_id, user = e.user;
  if (typeof user !== 'string' || !Number.isInteger(conv) || user === S.me?.username) return;
  let m = typing.get(conv);
  if (!m) typing.set(conv, m = new Map());
  const old = m.get(user);
  if (old) clearTimeout(old.timer);
  const f = S.friends.get(user);
  const name = f?.nickname || (typeof e.nickname === 'string' && e.nickname) || user;
  m.set(user, { name, timer: setTimeout(() => drop(conv, user), SHOW_MS) });
  redraw(conv);
}

// Their message came: they are done typing it.
export function typingDone(message) {
  if (message && typeof message.sender === 'string') drop(message.conversation_id, message.sender);
}

// "Ann is typing…", "Ann and Bob are typing…", "Ann, Bob and 2 others are
// typing…", or '' when nobody is.
export function typingText(conv) {
  const names = [...(typing.get(conv)?.values() || [])].map(t => t.name);
  if (!names.length) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} other${names.length > 3 ? 's' : ''} are typing…`;
}

// A key pressed in the composer of conversation conv (with text in it).
// Said WAIT_MS later, not at once: a message sent before then (a paste
// and Enter) needs no signal, its arrival says it all, and a send then
// costs one request, not two.
export function noteTyping(conv) {
  if (!conv || pending.has(conv) || Date.now() - (said.get(conv) || 0) < EVERY_MS) return;
  pending.set(conv, setTimeout(() => {
    pending.delete(conv);
    said.set(conv, Date.now());
    api('POST', `conversations/${conv}/typing`).catch(() => {});
  }, WAIT_MS));
}

// This tab sent its message: a signal not yet said is not, and the next
// key is a new one.
export function typingSent(conv) {
  clearTimeout(pending.get(conv));
  pending.delete(conv);
  said.delete(conv);
}

// Signed out: nothing of it stays.
export function forgetTyping() {
  for (const m of typing.values()) for (const t of m.values()) clearTimeout(t.timer);
  typing.clear();
  said.clear();
  for (const t of pending.values()) clearTimeout(t);
  pending.clear();
}
