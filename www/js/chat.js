// chat.js: the chat pane. History by seq (older pages load when scrolled
// to the top), own and other bubbles, day separators, the sending state of
// own messages (sending → sent → read; failed with a retry that reuses the
// same client_id), new messages live, read receipts, marking read.

import { api, errorText, uuid } from './api.js';
import { $, h, clear, show, avatar, icon, clock, fullTime, dayLabel, dayKey, lastSeen } from './dom.js';
import { S, isMe, thread } from './state.js';
import { broadcast } from './receiver.js';
import { convTitle, memberName, loadConversations, loadConversationsSoon, renderConversations, renderConversationsSoon } from './convlist.js';
import { chatBanner, hideChatBanner, announce, coalesce } from './ui.js';
import { showUser } from './profile.js';
import { topicDialog, leaveTopic } from './topics.js';
import { startMatch, leaveMatch, matchBannerFor, renderWaiting } from './stranger.js';

const PAGE = 50;
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
  S.current = null;
  $('#app').classList.remove('chat-open');
  show($('#chat-head'), false);
  show($('#composer'), false);
  show($('#jump'), false);
  show($('#history-note'), false);
  hideChatBanner();
  clear($('#messages'));
  show($('#chat-empty'), true);
  renderWaiting();
  renderConversations();
}

function saveDraft() {
  if (S.current == null) return;
  const v = $('#composer-text').value;
  if (v) drafts.set(S.current, v); else drafts.delete(S.current);
}

// GET /api/conversations/{id}: members with roles, presence and read marks.
export async function loadDetail(id) {
  let res = null;
  try { res = await api('GET', `conversations/${id}`); } catch { return null; }
  if (res.ok) {
    const prev = S.convs.get(id) || {};
    S.convs.set(id, { ...prev, ...res.data, unread: prev.unread ?? res.data.unread, read_seq: Math.max(prev.read_seq || 0, res.data.read_seq || 0) });
    if (S.current === id) { renderHead(); renderMessages(); }
  }
  return res;
}

// Bring the held history up to date: the newest page the first time, then
// everything after the highest seq held (catch-up after a reconnect).
export async function syncThread(id) {
  const t = thread(id);
  const c = S.convs.get(id);
  if (t.loaded && c?.last_seq && c.last_seq - t.maxSeq() > 1000) {   // too far behind: start over
    S.threads.delete(id);
    return syncThread(id);
  }
  let res = null;
  try {
    if (!t.loaded) {
      res = await api('GET', `conversations/${id}/messages?limit=${PAGE}`);
      if (!res.ok) return res;
      for (const m of res.data.messages) t.put(m);
      if (res.data.messages.length < PAGE) t.atStart = true;
      t.loaded = true;
    } else {
      let after = t.maxSeq();
      for (let page = 0; page < 10; page++) {
        res = await api('GET', `conversations/${id}/messages?after=${after}&limit=200`);
        if (!res.ok) return res;
        const ms = res.data.messages;
        for (const m of ms) t.put(m);
        noteLast(id, ms.at(-1));
        if (ms.length < 200) break;
        after = ms.at(-1).seq;
      }
    }
  } catch {
    return null;
  }
  if (S.current === id) renderMessages();
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
  clear($('#chat-avatar')).append(avatar(title, c.avatar_url, { online: person && c.peer && !c.ended ? !!c.peer.online : undefined }));
  let sub = '';
  if (c.kind === 'topic') {
    const n = c.members_detail?.length || c.members?.length || 0;
    const on = c.members_detail ? c.members_detail.filter(m => m.online && !isMe(m.username)).length : 0;
    sub = `${n} member${n === 1 ? '' : 's'}${on ? `, ${on} online` : ''}`;
  } else if (c.kind === 'match') {
    sub = c.ended ? 'Stranger chat · ended' : 'Stranger chat';
  } else if (c.peer) {
    sub = c.peer.online ? 'online' : lastSeen(S.friends.get(c.peer.username)?.last_seen);
  }
  $('#chat-sub').textContent = sub;
  $('#chat-who').setAttribute('aria-label', `${title}: ${c.kind === 'topic' ? 'group details' : 'profile'}`);
  show($('#chat-info'), c.kind === 'topic');
  show($('#chat-next'), c.kind === 'match');
  show($('#chat-leave'), c.kind === 'topic' || (c.kind === 'match' && !c.ended));
  const box = $('#composer-text');
  box.disabled = !!c.ended;
  $('#send').disabled = !!c.ended;
  box.placeholder = c.ended ? 'This chat has ended' : 'Write a message…';
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
    !mine && !grouped && c?.kind === 'topic' ? h('span', { class: 'sender', text: memberName(c, m.sender) }) : null,
    h('div', { class: 'bubble' },
      h('span', { class: 'body', text: m.body }),
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
  const note = $('#history-note');
  if (t?.loaded && t.atStart && t.items.size) { note.textContent = 'This is the beginning of the conversation.'; show(note, true); }
  else if (loadingOlder) { note.textContent = 'Loading older messages…'; show(note, true); }
  else show(note, false);
  if (bottom || nearBottom) { sc.scrollTop = sc.scrollHeight; show($('#jump'), false); }
  else if (incoming) show($('#jump'), true);
}

async function loadOlder() {
  const id = S.current;
  const t = S.threads.get(id);
  if (!t || !t.loaded || t.atStart || loadingOlder) return;
  const min = t.minSeq();
  if (min <= 1) { t.atStart = true; renderMessages(); return; }
  loadingOlder = true;
  const sc = $('#scroller');
  let res = null;
  try { res = await api('GET', `conversations/${id}/messages?before=${min}&limit=${PAGE}`); } catch { res = null; }
  loadingOlder = false;
  if (!res?.ok || S.current !== id) return;
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
export function markRead() {
  const id = S.current;
  const c = S.convs.get(id);
  const t = S.threads.get(id);
  if (!c || !t?.loaded || !chatVisible()) return;
  const seq = t.maxSeq();
  if (seq <= (c.read_seq || 0) && !c.unread) return;
  if (seq > (c.read_seq || 0)) {
    c.read_seq = seq;
    api('POST', `conversations/${id}/read`, { seq }).catch(() => {});
    broadcast('read', { conversation_id: id, seq });
  }
  if (seq >= (c.last_seq || 0)) c.unread = 0;
  renderConversations();
}
const markReadSoon = coalesce(markRead, 100);

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
  const t = S.threads.get(id);
  let fresh = false;
  if (t?.loaded) {
    const gap = m.seq > t.maxSeq() + 1;
    fresh = t.put(m);
    if (gap) syncThread(id);                          // something in between was missed
  }
  if (!mine && isNew) {
    if (S.current === id && chatVisible()) markReadSoon();
    else c.unread = (c.unread || 0) + 1;
    announce(`${memberName(c, m.sender)}${c.kind === 'topic' ? ' in ' + convTitle(c) : ''}: ${m.body}`);
  }
  if (S.current === id) renderMessages({ incoming: fresh && !mine });
  renderConversationsSoon();
}

// ---------- sending ----------
// A retry passes the failed message's client_id: the server answers a
// repeat with the first message, never a second copy.
export async function send(id, body, clientId) {
  const t = thread(id);
  const client_id = clientId || uuid();
  const old = t.local(client_id);
  t.putLocal({ local: true, state: 'sending', client_id, body, sender: S.me.username,
    conversation_id: id, t: old?.t || Date.now(), sent_at: 0 });
  if (S.current === id) renderMessages({ bottom: true });
  let res = null;
  try { res = await api('POST', 'messages', { conversation_id: id, client_id, body }); } catch { res = null; }
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
  if (S.current === id) renderMessages({ bottom: true });
}

// ---------- composer and scrolling ----------
function autosize() {
  const box = $('#composer-text');
  box.style.height = 'auto';
  box.style.height = Math.min(box.scrollHeight + 2, 180) + 'px';
}

export function initChat() {
  const box = $('#composer-text');
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = box.value;
    if (!body.trim() || S.current == null || box.disabled) return;
    if ([...body].length > 4000) { chatBanner('A message can have at most 4000 characters.', 'warn'); return; }
    box.value = '';
    drafts.delete(S.current);
    autosize();
    send(S.current, body);
    box.focus();
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('#composer').requestSubmit(); }
  });
  box.addEventListener('input', autosize);
  const sc = $('#scroller');
  sc.addEventListener('scroll', () => {
    if (sc.scrollTop < 150) loadOlder();
    if (sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60) show($('#jump'), false);
  }, { passive: true });
  $('#jump').addEventListener('click', () => { sc.scrollTop = sc.scrollHeight; show($('#jump'), false); box.focus(); });
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
  $('#chat-next').addEventListener('click', () => startMatch());
  document.addEventListener('keydown', (e) => {
    // Esc leaves the chat on a phone (where the chat covers the list).
    if (e.key === 'Escape' && !document.querySelector('dialog[open]') && S.current != null
        && getComputedStyle($('.side')).display === 'none') closeChat();
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') markRead(); });
}
