// chat.js: the chat pane. History by seq (older pages load when scrolled
// to the top), own and other bubbles, day separators, the sending state of
// own messages (sending → sent → read; failed with a retry that reuses the
// same client_id), new messages live (a missed one is fetched by seq), read
// receipts, marking read what is on screen. The open conversation, the
// drafts and own messages not yet sent outlive a reload (sessionStorage,
// per user) but not a sign-out.

import { api, errorText, uuid } from './api.js';
import { $, h, clear, show, avatar, icon, clock, fullTime, dayLabel, dayKey, lastSeen } from './dom.js';
import { S, isMe, thread } from './state.js';
import { broadcast } from './receiver.js';
import { convTitle, memberName, peerOnline, keepPartner, loadConversations, loadConversationsSoon, renderConversations, renderConversationsSoon } from './convlist.js';
import { chatBanner, hideChatBanner, announce, coalesce } from './ui.js';
import { showUser } from './profile.js';
import { topicDialog, leaveTopic } from './topics.js';
import { nextStranger, leaveMatch, matchBannerFor, renderWaiting } from './stranger.js';

const PAGE = 50;
const MAX_CHARS = 4000;            // a message body, in code points (docs/API.md)
const drafts = new Map();          // conversation id -> unsent text
let loadingOlder = false;

const chatVisible = () => !!S.current && document.visibilityState === 'visible' && $('#scroller').getClientRects().length > 0;

// ---------- opening and closing ----------
export async function openConversation(id, { banner } = {}) {
  const c = S.convs.get(id);
  if (S.current !== id) {
    saveDraft();
    hideChatBanner();
    show($('#jump'), false);
  }
  S.current = id;
  $('#app').classList.add('chat-open');
  show($('#chat-empty'), false);
  show($('#chat-head'), true);
  show($('#composer'), true);
  const box = $('#composer-text');
  box.value = drafts.get(id) || '';
  autosize();
  countChars();
  persist();
  renderHead();
  renderMessages({ bottom: true });
  renderConversations();
  if (banner) chatBanner(banner, 'info');
  else if (c) matchBannerFor(c);
  if (!box.disabled && matchMedia('(pointer: fine)').matches) box.focus();

  const [hist, detail] = await Promise.all([syncThread(id), loadDetail(id)]);
  if (S.current !== id) return;
  if (hist && !hist.ok && (hist.status === 403 || hist.status === 404)) {
    closeChat();
    loadConversations();
    return;
  }
  if (detail?.ok === false && hist?.ok === false) return;
  renderHead();
  renderMessages({ bottom: true });
  markRead();
  fillView();
}

export function closeChat() {
  saveDraft();
  // Focus in the pane that goes (or already lost) goes to the list, on
  // this conversation's item if it is still there.
  const a = document.activeElement;
  const lost = !a || a === document.body || $('#chat').contains(a);
  const id = S.current;
  S.current = null;
  $('#app').classList.remove('chat-open');
  show($('#chat-head'), false);
  show($('#composer'), false);
  show($('#jump'), false);
  show($('#history-note'), false);
  hideChatBanner();
  clear($('#messages'));
  show($('#chat-empty'), true);
  persist();
  renderWaiting();
  renderConversations();
  if (lost) ($(`#conv-list li[data-id="${id}"] button`) || $('#conv-list button') || $('#nav-chats')).focus();
}

function saveDraft() {
  if (S.current == null) return;
  const v = $('#composer-text').value;
  if (v) drafts.set(S.current, v); else drafts.delete(S.current);
  persist();
}

// ---------- what outlives a reload ----------
// sessionStorage (this tab only) under chat.<user id>: the open
// conversation, the drafts, and own messages not confirmed by the server
// (failed or still sending), which come back failed with their Retry.
const storeKey = () => `chat.${S.me.id}`;

function persist() {
  if (!S.me) return;
  const unsent = [];
  for (const [c, t] of S.threads) {
    for (const m of t.items.values()) if (m.local) unsent.push({ c, id: m.client_id, body: m.body, t: m.t, error: m.error });
  }
  try {
    sessionStorage.setItem(storeKey(), JSON.stringify({ open: S.current, drafts: [...drafts], unsent }));
  } catch { /* storage off or full: a reload loses them */ }
}

// At sign-in: the drafts back, and the conversation that was open (or null).
export function restoreChat() {
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

// At sign-out (after closeChat): nothing of this user stays in the tab.
export function forgetChat() {
  drafts.clear();
  unsentReads.clear();
  loadingOlder = false;
  $('#composer-text').value = '';
  countChars();
  try {
    for (const k of Object.keys(sessionStorage)) if (k.startsWith('chat.')) sessionStorage.removeItem(k);
  } catch { /* storage off */ }
}

// GET /api/conversations/{id}: members with roles, presence and read marks.
export async function loadDetail(id) {
  const uid = S.me?.id;
  let res = null;
  try { res = await api('GET', `conversations/${id}`); } catch { return null; }
  if (res.ok && S.me && S.me.id === uid) {
    const prev = S.convs.get(id) || {};
    S.convs.set(id, { ...prev, ...keepPartner(prev, res.data), unread: prev.unread ?? res.data.unread, read_seq: Math.max(prev.read_seq || 0, res.data.read_seq || 0) });
    if (S.current === id) { renderHead(); renderMessages(); }
  }
  return res;
}

// Bring the held history up to date: the newest page the first time, then
// everything after the last seq held with nothing missing before it
// (catch-up after a reconnect, or a message whose event never came). Calls
// while one is under way share its answer, and it runs once more after.
// Messages that arrive while the first page loads are kept (onMessage).
// Resolves to the last answer ({status, ok, data}) or null (no network).
export function syncThread(id) {
  const t = thread(id);
  if (t.sync) { t.sync.again = true; return t.sync.p; }
  const run = t.sync = { again: true, p: null };
  run.p = (async () => {
    let res = null;
    while (run.again) {
      run.again = false;
      res = await fetchHistory(id, t);
      if (!res?.ok) break;
    }
    t.sync = null;
    persist();                    // history may have confirmed an unsent one
    if (S.current === id && S.threads.get(id) === t) { renderMessages(); markReadSoon(); }
    return res;
  })();
  return run.p;
}

async function fetchHistory(id, t) {
  const c = S.convs.get(id);
  if (t.loaded && c?.last_seq && c.last_seq - t.contiguous() > 1000) t.reset();   // too far behind: start over
  let res = null;
  try {
    if (!t.loaded) {
      res = await api('GET', `conversations/${id}/messages?limit=${PAGE}`);
      if (!res.ok) return res;
      const ms = res.data.messages;
      if (ms.length < PAGE) t.atStart = true; else t.dropBelow(ms[0].seq);
      for (const m of ms) t.put(m);
      noteLast(id, ms.at(-1));
      t.loaded = true;
      if (t.contiguous() >= t.maxSeq()) return res;
    }
    let after = t.contiguous();
    for (let page = 0; page < 10; page++) {
      res = await api('GET', `conversations/${id}/messages?after=${after}&limit=200`);
      if (!res.ok) return res;
      const ms = res.data.messages;
      for (const m of ms) t.put(m);
      noteLast(id, ms.at(-1));
      if (ms.length < 200) break;
      after = ms.at(-1).seq;
    }
  } catch {
    return null;
  }
  return res;
}

// Keep the list item's last message up to date with what history showed.
function noteLast(id, m) {
  const c = S.convs.get(id);
  if (!c || !m || m.seq <= (c.last_seq || 0)) return;
  c.last_seq = m.seq; c.last_message = m; c.updated_at = Math.max(c.updated_at || 0, m.sent_at);
  renderConversationsSoon();
}

// ---------- header ----------
export function renderHead() {
  const c = S.convs.get(S.current);
  if (!c) return;
  const title = convTitle(c);
  $('#chat-title').textContent = title;
  const person = c.kind !== 'topic';
  const online = person ? peerOnline(c) : undefined;
  clear($('#chat-avatar')).append(avatar(title, c.avatar_url, { online }));
  let sub = '';
  if (c.kind === 'topic') {
    const n = c.members_detail?.length || c.members?.length || 0;
    const on = c.members_detail ? c.members_detail.filter(m => m.online && !isMe(m.username)).length : 0;
    sub = `${n} member${n === 1 ? '' : 's'}${on ? `, ${on} online` : ''}`;
  } else if (c.kind === 'match') {
    sub = c.ended ? 'Stranger chat · ended' : 'Stranger chat';
  } else if (c.peer) {
    sub = online === undefined ? 'no longer friends' : online ? 'online' : lastSeen(S.friends.get(c.peer.username)?.last_seen);
  }
  $('#chat-sub').textContent = sub;
  $('#chat-who').setAttribute('aria-label', `${title}: ${c.kind === 'topic' ? 'group details' : 'profile'}`);
  show($('#chat-info'), c.kind === 'topic');
  show($('#chat-next'), c.kind === 'match');
  show($('#chat-leave'), c.kind === 'topic' || (c.kind === 'match' && !c.ended));
  // A direct chat whose friendship ended stays readable; writing waits
  // for a new friendship (the server would refuse: not_friends).
  const exFriend = c.kind === 'direct' && !!c.peer && S.friendsLoaded && !S.friends.has(c.peer.username);
  const box = $('#composer-text');
  box.disabled = !!c.ended || exFriend;
  $('#send').disabled = box.disabled;
  box.placeholder = c.ended ? 'This chat has ended'
    : exFriend ? 'You are no longer friends: add them again to write' : 'Write a message…';
}

// ---------- messages ----------
// Who has read up to seq: their read mark, or a later message of theirs
// (whoever answers has seen what came before).
let lastBy = new Map();
function readers(c, seq) {
  const others = (c?.members_detail || []).filter(m => !isMe(m.username));
  return others.filter(m => (m.read_seq || 0) >= seq || (lastBy.get(m.username) || 0) > seq);
}

function stateOf(c, m) {
  if (m.state === 'failed') return 'failed';
  if (!m.seq) return 'sending';
  return readers(c, m.seq).length ? 'read' : 'sent';
}

const STATE_ICON = { sending: 'clock', sent: 'check', read: 'check2', failed: 'alert' };
const STATE_TEXT = { sending: 'sending', sent: 'sent', read: 'read', failed: 'not sent' };

function stateMark(c, m, state) {
  let label = STATE_TEXT[state];
  if (state === 'read' && c?.kind === 'topic') {
    const r = readers(c, m.seq);
    const n = (c.members_detail || []).length - 1;
    label = r.length >= n ? 'read by everyone' : `read by ${r.length}`;
  }
  return h('span', { class: `msg-state ${state}`, title: label }, icon(STATE_ICON[state]), h('span', { class: 'sr-text', text: label }));
}

export function renderMessages({ bottom = false, incoming = false } = {}) {
  const sc = $('#scroller');
  const ol = $('#messages');
  const nearBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
  const t = S.threads.get(S.current);
  const c = S.convs.get(S.current);
  const frag = document.createDocumentFragment();
  let prev = null, lastDay = '';
  lastBy = new Map();
  if (t) for (const m of t.items.values()) if (m.seq > (lastBy.get(m.sender) || 0)) lastBy.set(m.sender, m.seq);
  for (const m of t ? t.sorted() : []) {
    const at = m.sent_at || m.t || Date.now();
    const dk = dayKey(at);
    if (dk !== lastDay) {
      frag.append(h('li', { class: 'day', role: 'separator' }, h('span', { text: dayLabel(at) })));
      lastDay = dk; prev = null;
    }
    const mine = isMe(m.sender);
    const grouped = prev && prev.sender === m.sender && at - (prev.sent_at || prev.t || 0) < 5 * 60e3;
    const state = mine ? stateOf(c, m) : '';
    const li = h('li', {
      class: `msg ${mine ? 'mine' : 'theirs'}${grouped ? ' grouped' : ''}${state ? ' ' + state : ''}`,
      dataset: { id: m.id ? String(m.id) : '', seq: m.seq ? String(m.seq) : '', clientId: m.client_id || '', state },
    },
    !mine && !grouped && c?.kind === 'topic' ? h('span', { class: 'sender', dir: 'auto', text: memberName(c, m.sender) }) : null,
    h('div', { class: 'bubble' },
      h('span', { class: 'body', dir: 'auto', text: m.body }),
      h('span', { class: 'meta' },
        h('time', { text: clock(at), title: fullTime(at) }),
        mine ? stateMark(c, m, state) : null)),
    state === 'failed' ? h('div', { class: 'failed-note' },
      h('span', { text: m.error || 'Not sent.' }),
      h('button', { type: 'button', class: 'retry', onclick: () => send(m.conversation_id, m.body, m.client_id) }, icon('retry'), 'Retry')) : null);
    frag.append(li);
    prev = m;
  }
  ol.replaceChildren(frag);
  renderNote(t);
  if (bottom || nearBottom) { sc.scrollTop = sc.scrollHeight; show($('#jump'), false); }
  else if (incoming) show($('#jump'), true);
}

// The line above the messages: the start reached, or an older page coming.
function renderNote(t) {
  const note = $('#history-note');
  if (t?.loaded && t.atStart && t.items.size) { note.textContent = 'This is the beginning of the conversation.'; show(note, true); }
  else if (loadingOlder) { note.textContent = 'Loading older messages…'; show(note, true); }
  else show(note, false);
}

async function loadOlder() {
  const id = S.current;
  const t = S.threads.get(id);
  if (!t || !t.loaded || t.atStart || loadingOlder) return;
  const min = t.minSeq();
  if (min <= 1) { t.atStart = true; renderMessages(); return; }
  loadingOlder = true;
  renderNote(t);
  const sc = $('#scroller');
  let res = null;
  try { res = await api('GET', `conversations/${id}/messages?before=${min}&limit=${PAGE}`); } catch { res = null; }
  loadingOlder = false;
  if (S.current === id) renderNote(t);
  // Not if the held history was started over meanwhile (it would leave a hole).
  if (!res?.ok || S.current !== id || S.threads.get(id) !== t || t.minSeq() !== min) return;
  const fromBottom = sc.scrollHeight - sc.scrollTop;
  for (const m of res.data.messages) t.put(m);
  if (res.data.messages.length < PAGE) t.atStart = true;
  renderMessages();
  sc.scrollTop = sc.scrollHeight - fromBottom;      // the view stays where it was
  fillView();
}

// Load older pages until the view is full (or the start is reached).
function fillView() {
  const sc = $('#scroller');
  const t = S.threads.get(S.current);
  if (t?.loaded && !t.atStart && sc.scrollHeight <= sc.clientHeight + 40) loadOlder();
}

// ---------- read marks ----------
// The highest seq on screen or scrolled past: what the reader has seen. A
// message below the view (the "New messages" button shows) is not.
function shownSeq() {
  const bottom = $('#scroller').getBoundingClientRect().bottom;
  const lis = $('#messages').children;
  for (let i = lis.length - 1; i >= 0; i--) {
    const seq = Number(lis[i].dataset.seq);
    if (seq && lis[i].getBoundingClientRect().top < bottom - 8) return seq;
  }
  return 0;
}

// Mark read what the open chat shows, in a visible tab, up to the first
// message still missing; the unread count follows at once, the server and
// the other tabs are told a moment later (one request for a burst).
export function markRead() {
  const id = S.current;
  const c = S.convs.get(id);
  const t = S.threads.get(id);
  if (!c || !t?.loaded || !chatVisible()) return;
  const seq = Math.min(shownSeq(), t.contiguous());
  const before = c.unread;
  if (seq > (c.read_seq || 0)) {
    c.read_seq = seq;
    unsentReads.set(id, seq);
    sendReadsSoon();
  }
  const read = c.read_seq || 0;
  if (read >= (c.last_seq || 0)) c.unread = 0;
  else if (t.maxSeq() >= c.last_seq && t.minSeq() <= read + 1) {   // all unread ones held: count them
    let n = 0;
    for (const m of t.items.values()) if (m.seq > read && !isMe(m.sender)) n++;
    c.unread = n;
  }
  if (c.unread !== before) renderConversations();
}
const markReadSoon = coalesce(markRead, 100);

const unsentReads = new Map();      // conversation id -> read mark not yet sent
const sendReadsSoon = coalesce(() => {
  for (const [id, seq] of unsentReads) {
    api('POST', `conversations/${id}/read`, { seq }).catch(() => {});
    broadcast('read', { conversation_id: id, seq });
  }
  unsentReads.clear();
}, 100);

// This user read up to seq in another tab.
export function onOwnRead(id, seq) {
  const c = S.convs.get(id);
  if (!c) return;
  c.read_seq = Math.max(c.read_seq || 0, seq);
  if (seq >= (c.last_seq || 0)) c.unread = 0; else loadConversationsSoon();
  renderConversationsSoon();
}

// Another member read up to seq: read receipts.
export function onRead(id, user, seq) {
  const c = S.convs.get(id);
  const m = c?.members_detail?.find(x => x.username === user);
  if (m) m.read_seq = Math.max(m.read_seq || 0, seq);
  else if (c && S.current === id) loadDetail(id);
  if (S.current === id) renderMessages();
}

// ---------- a message arrived (event, or own send from another tab) ----------
export function onMessage(m) {
  const id = m.conversation_id;
  const c = S.convs.get(id);
  if (!c) { loadConversationsSoon(); return; }       // a conversation new to us
  const mine = isMe(m.sender);
  const isNew = m.seq > (c.last_seq || 0);
  if (isNew) {
    c.last_seq = m.seq; c.last_message = m;
    c.updated_at = Math.max(c.updated_at || 0, m.sent_at || 0);
  }
  // Held while the first page loads too: that page may end before it.
  const t = S.threads.get(id);
  let fresh = false;
  if (t && (t.loaded || t.sync)) {
    fresh = t.put(m);
    if (t.loaded && t.contiguous() < t.maxSeq()) syncThread(id);   // something in between was missed
  }
  if (S.current === id) renderMessages({ incoming: fresh && !mine });
  if (!mine && isNew) {
    if (S.current === id && chatVisible() && shownSeq() >= m.seq) markRead();
    else c.unread = (c.unread || 0) + 1;
    announce(`${memberName(c, m.sender)}${c.kind === 'topic' ? ' in ' + convTitle(c) : ''}: ${m.body}`);
  }
  renderConversationsSoon();
}

// ---------- sending ----------
// A retry passes the failed message's client_id: the server answers a
// repeat with the first message, never a second copy.
// Sends of one conversation go one after the other: two requests in flight
// at once may reach the server in either order, and the seqs (the order
// everyone sees) would not be the order they were written in. A send that
// gets no answer within SEND_TIMEOUT counts as failed (Retry is safe).
const SEND_TIMEOUT = 15000;
const sendQueues = new Map();      // conversation id -> the last send's promise
export function send(id, body, clientId) {
  const t = thread(id);
  const client_id = clientId || uuid();
  const old = t.local(client_id);
  t.putLocal({ local: true, state: 'sending', client_id, body, sender: S.me.username,
    conversation_id: id, t: old?.t || Date.now(), sent_at: 0 });
  persist();
  if (S.current === id) renderMessages({ bottom: true });
  const p = (sendQueues.get(id) || Promise.resolve()).then(() => post(id, t, body, client_id));
  sendQueues.set(id, p);
  p.finally(() => { if (sendQueues.get(id) === p) sendQueues.delete(id); });
  return p;
}

async function post(id, t, body, client_id) {
  if (!S.me) return;                                // signed out meanwhile
  let res = null;
  const signal = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(SEND_TIMEOUT) : undefined;
  const until = Date.now() + SEND_TIMEOUT;
  for (;;) {
    try { res = await api('POST', 'messages', { conversation_id: id, client_id, body }, { signal }); } catch { res = null; }
    // A busy server (a shared host's few connections) asks to come back in
    // a moment: the same client_id again is safe, within the send's time.
    const wait = (res?.retryAfter || 1) * 1000;
    if (res?.status !== 503 || res.data?.error?.code !== 'busy' || Date.now() + wait >= until) break;
    await new Promise(ok => setTimeout(ok, wait));
  }
  if (res?.ok && res.data?.id) {
    const m = { sender: S.me.username, body, client_id, conversation_id: id, ...res.data };
    t.put(m);                                         // replaces the local copy
    onMessage(m);
    broadcast('sent', { message: m });
  } else {
    const item = t.local(client_id);
    if (item) {
      item.state = 'failed';
      item.error = !res ? 'Not sent: no connection.' : res.status === 429 ? 'Not sent: sending too fast.' : 'Not sent: ' + errorText(res);
    }
    if (res?.status === 409) { const c = S.convs.get(id); if (c?.kind === 'match') { c.ended = true; renderHead(); } }
  }
  persist();
  if (S.current === id) renderMessages({ bottom: true });
}

// ---------- composer and scrolling ----------
function autosize() {
  const box = $('#composer-text');
  box.style.height = 'auto';
  box.style.height = Math.min(box.scrollHeight + 2, 180) + 'px';
}

// Near the limit a counter shows how many characters (code points, as the
// server counts) the message has; over it, in red. Nothing is cut.
let tooLongShown = false;
function countChars() {
  const box = $('#composer-text');
  const n = [...box.value].length;
  const over = n > MAX_CHARS;
  const count = $('#composer-count');
  count.textContent = `${n} / ${MAX_CHARS}`;
  count.classList.toggle('over', over);
  const near = n > MAX_CHARS - 400;
  show(count, near);
  if (near) box.setAttribute('aria-describedby', 'composer-count'); else box.removeAttribute('aria-describedby');
  if (over) box.setAttribute('aria-invalid', 'true'); else box.removeAttribute('aria-invalid');
  if (!over && tooLongShown) { tooLongShown = false; hideChatBanner(); }
  return n;
}

// Something to see: not only white space and invisible marks (the server
// refuses those as an empty bubble).
const visible = (t) => /[^\s\u200b-\u200f\u2028-\u202f\u205f-\u2064\ufeff]/.test(t);

export function initChat() {
  const box = $('#composer-text');
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = box.value;
    if (!visible(body) || S.current == null || box.disabled) return;
    const n = countChars();
    if (n > MAX_CHARS) {
      chatBanner(`Not sent: this message has ${n} characters, ${n - MAX_CHARS} more than the ${MAX_CHARS} allowed. Shorten it or split it in two.`, 'warn');
      tooLongShown = true;
      return;
    }
    box.value = '';
    drafts.delete(S.current);
    persist();
    autosize();
    countChars();
    send(S.current, body);
    box.focus();
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('#composer').requestSubmit(); }
  });
  box.addEventListener('input', () => { autosize(); countChars(); saveDraft(); });
  const sc = $('#scroller');
  sc.addEventListener('scroll', () => {
    if (sc.scrollTop < 150) loadOlder();
    if (sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60) show($('#jump'), false);
    markReadSoon();
  }, { passive: true });
  $('#jump').addEventListener('click', () => { sc.scrollTop = sc.scrollHeight; show($('#jump'), false); markRead(); box.focus(); });
  $('#back').addEventListener('click', () => { const id = S.current; closeChat(); $(`#conv-list li[data-id="${id}"] button`)?.focus(); });
  $('#chat-who').addEventListener('click', () => {
    const c = S.convs.get(S.current);
    if (!c) return;
    if (c.kind === 'topic') topicDialog(c);
    else if (c.peer) showUser(c.peer.username);
  });
  $('#chat-info').addEventListener('click', () => { const c = S.convs.get(S.current); if (c) topicDialog(c); });
  $('#chat-leave').addEventListener('click', () => {
    const c = S.convs.get(S.current);
    if (c?.kind === 'topic') leaveTopic(c);
    else if (c?.kind === 'match') leaveMatch(c);
  });
  $('#chat-next').addEventListener('click', () => nextStranger());
  document.addEventListener('keydown', (e) => {
    // Esc leaves the chat on a phone (where the chat covers the list).
    if (e.key === 'Escape' && !document.querySelector('dialog[open]') && S.current != null
        && getComputedStyle($('.side')).display === 'none') closeChat();
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') markRead(); });
}
