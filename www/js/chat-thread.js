// chat-thread.js: the open chat's messages, for chat.js. History by seq:
// the newest page first, older pages when scrolled to the top, a missed
// message fetched by seq (syncThread); own and other bubbles, day
// separators, the sending state of own messages (sending → sent → read,
// or failed with a Retry that chat-composer.js answers); new messages live
// (onMessage); read receipts; marking read what is on screen (markRead).

import { api } from './api.js';
import { $, h, show, icon, iconPath, clock, fullTime, dayLabel, dayKey } from './dom.js';
import { S, isMe, thread, convTitle, memberName, keepPartner, noticeText } from './state.js';
import { broadcastToPeers } from './receiver.js';
import { announce, coalesce } from './ui.js';
import { ask } from './intent.js';
import { persist } from './chat-drafts.js';
import { renderHead } from './chat-head.js';
import { fileView } from './chat-files.js';
import { bodyNode, quoteNode, editedMark, actionsButton, actionsSig } from './chat-actions.js';

const PAGE = 50;
let loadingOlder = false;

const chatVisible = () => !!S.current && document.visibilityState === 'visible' && $('#scroller').getClientRects().length > 0;

// ---------- history ----------
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
  ask.renderConversationsSoon();
}

// ---------- messages ----------
// Who has read up to seq: their read mark, or a later message of theirs
// (whoever answers has seen what came before).
let lastBy = new Map();
function readers(c, seq) {
  const others = (c?.members_detail || []).filter(m => !isMe(m.username));
  return others.filter(m => (m.read_seq || 0) >= seq || (lastBy.get(m.username) || 0) > seq);
}

// One of 8 colours for a sender's name, by their user name.
function nameHue(name) {
  let x = 0;
  for (const ch of String(name).toLowerCase()) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 8;
}

// The highest seq someone else has read, per conversation, as this tab
// has seen it: it only goes up, so a message read by a member who then
// left or was removed stays read (their mark left with them).
const readHigh = new Map();
function noteReadHigh(c) {
  if (!c) return 0;
  let high = readHigh.get(c.id) || 0;
  for (const m of c.members_detail || []) {
    if (isMe(m.username)) continue;
    high = Math.max(high, m.read_seq || 0, (lastBy.get(m.username) || 1) - 1);
  }
  readHigh.set(c.id, high);
  return high;
}

// (readers(c, seq) is not empty exactly when seq <= noteReadHigh(c).)
function stateOf(c, m) {
  if (m.state === 'failed') return 'failed';
  if (!m.seq) return 'sending';
  return m.seq <= (readHigh.get(c?.id) || 0) ? 'read' : 'sent';
}

const STATE_ICON = { sending: 'clock', sent: 'check', read: 'check2', failed: 'alert' };
const STATE_TEXT = { sending: 'sending', sent: 'sent', read: 'read', failed: 'not sent' };

function stateLabel(c, m, state) {
  let label = STATE_TEXT[state];
  if (state === 'read' && c?.kind === 'topic') {
    const r = readers(c, m.seq);
    const n = (c.members_detail || []).length - 1;
    label = r.length >= n ? 'read by everyone' : r.length ? `read by ${r.length}` : 'read';
  }
  return label;
}

function stateMark(state, label) {
  return h('span', { class: `msg-state ${state}`, title: label }, icon(STATE_ICON[state]), h('span', { class: 'sr-text', text: label }));
}

// What the list shows, by key ('d' day, 'm' message id, 'l' client id of
// an own message, sent or not: its bubble stays when the server confirms
// it): {li, sig}. A render builds only the items whose signature (everything
// drawn from them) changed and moves none that stay in order: a message
// sent or received in a chat of a thousand costs one bubble, not a
// thousand (it was 120-250 ms a message after a few hundred); a bubble
// whose state, seq or time changed (confirmed, read) is changed in place
// (patchItem), not drawn anew. The items sit in chunks of CHUNK seqs (a
// day line in the chunk of the message after it; unconfirmed own messages
// in the last one's, where they most likely stay when confirmed): a bubble
// added lays out its chunk and the chunks' boxes, not a thousand siblings
// (5-11 ms a layout with one flat list of a thousand).
// (A render of an unchanged chat of a thousand walks them in about a
// millisecond: an unchanged message object finds its item by itself, no
// key built; nothing is allocated per message; a chunk whose items are
// the same as last time is not walked in the page.)
let drawn = new Map();              // key -> item
let itemOf = new WeakMap();         // message object -> its item, when drawn
let drawnConv = null;
let chunks = new Map();             // chunk number -> its element
let placed = new Map();             // chunk number -> the elements it holds, in order
let gen = 0;                        // the render; each item drawn by it has it
const CHUNK = 64;
const chunkOf = (seq) => Math.floor((seq - 1) / CHUNK);

// Only the last WINDOW chunks are in the page (192-256 messages) while
// the chat is followed at its end: a page open all day holds thousands
// of messages, and every layout and style pass, and the memory, grew with
// them. Scrolling to the top of what is drawn draws the chunk above
// (loadOlder), an older page from the server once all held ones are;
// going to a message (showMessage) or the unread line draws down to it.
// The window snaps back to the last WINDOW chunks when a message comes
// while the end is in view and more than WINDOW + 1 are drawn.
const WINDOW = 4;
let windowFrom = null;              // the first chunk drawn; null: the last WINDOW
let shownFrom = 0;                  // ... as the last render drew it
let allShown = true;                // ... and whether that was every one held

// Whether the view shows the end of the chat, as of the last scroll (the
// scroll handler and each render keep it): a render need not lay out the
// page first to know whether to stay at the bottom.
let pinned = true;

const itemClass = (mine, grouped, state) => `msg ${mine ? 'mine' : 'theirs'}${grouped ? ' grouped' : ''}${state ? ' ' + state : ''}`;

function messageItem(c, m, mine, grouped, state, label, at) {
  return h('li', {
    class: itemClass(mine, grouped, state),
    dataset: { id: m.id ? String(m.id) : '', seq: m.seq ? String(m.seq) : '', clientId: m.client_id || '', state },
  },
  !mine && !grouped && c?.kind === 'topic' ? h('span', { class: `sender n${nameHue(m.sender)}`, dir: 'auto', text: memberName(c, m.sender) }) : null,
  h('div', { class: 'bubble' },
    quoteNode(c, m),
    m.kind === 'file' && m.file && !m.deleted ? fileView(m.file) : bodyNode(m),
    h('span', { class: 'meta' },
      editedMark(m),
      h('time', { text: clock(at), title: fullTime(at) }),
      mine ? stateMark(state, label) : null)),
  actionsButton(m),
  state === 'failed' ? h('div', { class: 'failed-note' },
    h('span', { text: m.error || 'Not sent.' }),
    // chat-composer.js answers its click (the same client_id again)
    h('button', { type: 'button', class: 'retry' }, icon('retry'), 'Retry')) : null);
}

// The same bubble with another seq, id, state or time (its text, place
// in a group, name and failure the same): changed where it is. A new
// element would be styled and laid out whole, and lose the focus.
const patchable = (old, m, grouped, name, acts) => !!old.m && old.body === m.body && old.kind === m.kind && !m.file &&
  !old.m.file && old.grouped === grouped && old.name === name && old.error === m.error && old.acts === acts &&
  !old.m.deleted === !m.deleted && (old.state === 'failed') === (m.state === 'failed');

function patchItem(item, m, mine, state, label, at) {
  const li = item.li;
  li.className = itemClass(mine, item.grouped, state);
  li.dataset.id = m.id ? String(m.id) : '';
  li.dataset.seq = m.seq ? String(m.seq) : '';
  li.dataset.state = state;
  if (at !== item.at) {             // (the same minute, as a sent one nearly always is: the text stays)
    const tm = li.querySelector('.meta time'), text = clock(at);
    if (tm) { if (tm.textContent !== text) tm.textContent = text; tm.title = fullTime(at); }
  }
  // The mark's icon and words changed where they are, not a new mark put in.
  const mark = mine && (state !== item.state || label !== item.label) ? li.querySelector('.msg-state') : null;
  if (mark) {
    mark.className = `msg-state ${state}`; mark.title = label;
    mark.querySelector('path')?.setAttribute('d', iconPath(STATE_ICON[state]));
    mark.querySelector('.sr-text').textContent = label;
  }
  if (m.id && !item.m.id) { const b = actionsButton(m); if (b) li.querySelector('.bubble')?.after(b); }
}

export function renderMessages({ bottom = false, incoming = false } = {}) {
  const sc = $('#scroller');
  const ol = $('#messages');
  const t = S.threads.get(S.current);
  const c = S.convs.get(S.current);
  lastBy = t ? t.lastBy() : new Map();
  noteReadHigh(c);
  if (drawnConv !== S.current || (drawn.size > 0) !== !!ol.firstElementChild) {
    drawn = new Map(); itemOf = new WeakMap(); chunks = new Map(); placed = new Map();
    drawnConv = S.current; ol.replaceChildren();
    pinned = true; windowFrom = null;
  }
  const nearBottom = pinned;
  const last = t ? chunkOf(t.maxSeq() || 1) : 0;
  const auto = Math.max(0, last - (WINDOW - 1));
  if (windowFrom != null && (bottom || incoming) && (bottom || nearBottom) && last - windowFrom >= WINDOW + 2) windowFrom = null;
  if (windowFrom == null && !bottom && !nearBottom && shownFrom < auto && drawn.size) windowFrom = shownFrom;   // read above: it stays
  if (startAtLine && lineAfter != null) windowFrom = Math.min(windowFrom ?? auto, chunkOf(lineAfter + 1));
  const lo = shownFrom = windowFrom ?? auto;
  allShown = !t || lo <= chunkOf(t.minSeq() || 1);
  const g = ++gen;
  const want = [];                  // [chunk number, its items' elements in order], chunks ascending
  let cur = null, curN = -1;
  const add = (n, li) => { if (n !== curN) { curN = n; want.push([n, cur = []]); } cur.push(li); };
  let moved = false;                // anything added, taken out or moved (not only changed in place)
  const keep = (key, item) => {          // item is drawn under key (the one it replaces goes)
    item.gen = g;
    const was = drawn.get(key);
    if (was !== item) { was?.li.remove(); drawn.set(key, item); moved = true; }
    return item;
  };
  let prev = null, lastDay = '', dk = '', dayFrom = Infinity, dayTo = -Infinity, n = 0, lineAt = null;
  for (const m of t ? t.sorted() : []) {
    if (m.seq && m.seq <= lo * CHUNK) continue;   // above the window
    const at = m.sent_at || m.t || Date.now();
    if (at < dayFrom || at >= dayTo) {           // a Date only when the day changes
      const d = new Date(at);
      dk = dayKey(at);
      dayFrom = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
      dayTo = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    }
    if (m.seq) n = chunkOf(m.seq);               // an unconfirmed one: the last one's
    if (dk !== lastDay) {
      const key = 'd' + dk, label = dayLabel(at);
      const old = drawn.get(key);
      const day = old && old.sig === label ? old
        : { li: h('li', { class: 'day', role: 'separator' }, h('span', { text: label })), sig: label };
      add(n, keep(key, day).li);
      lastDay = dk; prev = null;
    }
    if (lineAfter != null && !lineAt && m.seq > lineAfter && m.kind !== 'notice' && !isMe(m.sender)) {
      lineAt = drawn.get('u') || { li: h('li', { class: 'unread-line', role: 'separator' }, h('span', { text: 'New messages' })), sig: '' };
      add(n, keep('u', lineAt).li);   // "New messages" above the first unread (issue 24)
      prev = null;
    }
    if (m.kind === 'notice') {
      // A group notice: a centred grey line, nobody's bubble (issue 25).
      const text = noticeText(c, m), key = 'm' + m.id, old = drawn.get(key);
      const item = old && old.sig === text ? old
        : { li: h('li', { class: 'notice-line', dataset: { id: String(m.id), seq: String(m.seq) } }, h('span', { dir: 'auto', text })), sig: text };
      add(n, keep(key, item).li);
      prev = null;
      continue;
    }
    const mine = isMe(m.sender);
    const grouped = prev !== null && prev.sender === m.sender && at - (prev.sent_at || prev.t || 0) < 5 * 60e3;
    const state = mine ? stateOf(c, m) : '';
    const label = mine ? stateLabel(c, m, state) : '';
    const name = !mine && !grouped && c?.kind === 'topic' ? memberName(c, m.sender) : '';
    const acts = actionsSig(c, m);
    // The same message object drawn with the same context is the same
    // bubble: no key, no signature built.
    let item = itemOf.get(m);
    if (!(item && item.gen !== g && item.at === at && item.grouped === grouped && item.state === state &&
      item.label === label && item.name === name && item.error === m.error && item.acts === acts)) {
      const key = mine && m.client_id ? 'l' + m.client_id : m.id ? 'm' + m.id : 'l' + m.client_id;
      const old = drawn.get(key);
      const sig = [m.id, m.seq, m.client_id, m.body, at, grouped, state, label, name, m.error, acts].join('\u0001');
      if (old && old.gen !== g && old.sig === sig) item = old;
      else if (old && old.gen !== g && patchable(old, m, grouped, name, acts)) { patchItem(old, m, mine, state, label, at); item = old; item.sig = sig; }
      else item = { li: messageItem(c, m, mine, grouped, state, label, at), sig };
      Object.assign(item, { key, m, at, grouped, state, label, name, error: m.error, acts, body: m.body, kind: m.kind });
      itemOf.set(m, item);
    }
    add(n, keep(item.key, item).li);
    prev = m;
  }
  // Out first what goes: chunks no longer wanted (the window moved on:
  // out whole, before their items, and before any chunk is placed, or
  // every chunk after them would be moved up over them and styled anew),
  // then items (gone, or drawn anew). Then each wanted item where it
  // belongs in its chunk: those already in order are not touched, and a
  // chunk holding what it held is not looked at.
  for (const [n, box] of chunks) if (!want.some(w => w[0] === n)) { box.remove(); chunks.delete(n); placed.delete(n); moved = true; }
  for (const [key, item] of drawn) if (item.gen !== g) { item.li.remove(); drawn.delete(key); if (item.m) itemOf.delete(item.m); moved = true; }
  let place = ol.firstElementChild;
  for (const [n, list] of want) {
    let box = chunks.get(n);
    if (!box) chunks.set(n, box = h('div', { class: 'chunk', role: 'none' }));
    if (box === place) place = place.nextElementSibling; else { ol.insertBefore(box, place); moved = true; }
    const was = placed.get(n);
    if (was && was.length === list.length && was.every((li, i) => li === list[i]) && box.childElementCount === list.length) continue;
    placed.set(n, list);
    moved = true;
    let at = box.firstElementChild;
    for (const li of list) {
      if (li === at) at = at.nextElementSibling;
      else box.insertBefore(li, at);
    }
    while (at) { const x = at.nextElementSibling; at.remove(); at = x; }
  }
  while (place) { const x = place.nextElementSibling; place.remove(); place = x; moved = true; }   // (none: not a chunk)
  renderNote(t);
  const line = startAtLine && t?.loaded ? lineAt?.li : null;
  if (line) {                       // opened with unread ones: start at the line, not the bottom
    startAtLine = false;
    sc.scrollTop += line.getBoundingClientRect().top - sc.getBoundingClientRect().top - 8;
    pinned = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
    showJump(sc);
  } else if (bottom || (nearBottom && moved)) {
    // (Bubbles changed only in place keep their height: no layout asked
    // for here, the frame makes it.)
    sc.scrollTop = sc.scrollHeight; pinned = true; newBelow = 0; show($('#jump'), false);
  }
  else if (incoming) { newBelow++; showJump(sc, true); }
}

// ---------- the unread line and the jump to the latest ----------
// Opening a chat with unread messages: the line goes above the first of
// them (the read mark as it was then) and the chat starts there.
let lineAfter = null, startAtLine = false;
let newBelow = 0;                   // messages that came in while scrolled up
export function unreadLine(id) {
  const c = S.convs.get(id);
  lineAfter = c?.unread > 0 ? (c.read_seq || 0) : null;
  startAtLine = lineAfter != null;
  newBelow = 0;
  return startAtLine;
}

// The round button, when scrolled up (or a message came): with how many
// came in meanwhile.
function showJump(sc, force) {
  const up = sc.scrollHeight - sc.scrollTop - sc.clientHeight > 200;
  show($('#jump'), up || !!force);
  const n = $('#jump-count');
  n.textContent = newBelow > 99 ? '99+' : String(newBelow);
  show(n, newBelow > 0);
  $('#jump').setAttribute('aria-label', newBelow ? `Jump to the latest message, ${newBelow} new` : 'Jump to the latest message');
}

// The line above the messages: the start reached, or an older page coming.
function renderNote(t) {
  const note = $('#history-note');
  if (t?.loaded && t.atStart && t.items.size && allShown) { note.textContent = 'This is the beginning of the conversation.'; show(note, true); }
  else if (loadingOlder) { note.textContent = 'Loading older messages…'; show(note, true); }
  else show(note, false);
}

async function loadOlder() {
  const id = S.current;
  const t = S.threads.get(id);
  const sc = $('#scroller');
  if (t && drawnConv === id && !allShown) {         // held, not drawn: the chunk above
    const fromBottom = sc.scrollHeight - sc.scrollTop;
    windowFrom = shownFrom - 1;
    renderMessages();
    sc.scrollTop = sc.scrollHeight - fromBottom;    // the view stays where it was
    return;
  }
  if (!t || !t.loaded || t.atStart || loadingOlder) return;
  const min = t.minSeq();
  if (min <= 1) { t.atStart = true; renderMessages(); return; }
  loadingOlder = true;
  renderNote(t);
  let res = null;
  try { res = await api('GET', `conversations/${id}/messages?before=${min}&limit=${PAGE}`); } catch { res = null; }
  loadingOlder = false;
  if (S.current === id) renderNote(t);
  // Not if the held history was started over meanwhile (it would leave a hole).
  if (!res?.ok || S.current !== id || S.threads.get(id) !== t || t.minSeq() !== min) return;
  const fromBottom = sc.scrollHeight - sc.scrollTop;
  for (const m of res.data.messages) t.put(m);
  if (res.data.messages.length < PAGE) t.atStart = true;
  windowFrom = chunkOf(t.minSeq() || 1);
  renderMessages();
  sc.scrollTop = sc.scrollHeight - fromBottom;      // the view stays where it was
  fillView();
}

// Load older pages until the view is full (or the start is reached).
export function fillView() {
  const sc = $('#scroller');
  const t = S.threads.get(S.current);
  if (t?.loaded && (!t.atStart || !allShown) && sc.scrollHeight <= sc.clientHeight + 40) loadOlder();
}

// ---------- read marks ----------
// The highest seq on screen or scrolled past: what the reader has seen. A
// message below the view (the "New messages" button shows) is not.
function shownSeq() {
  const bottom = $('#scroller').getBoundingClientRect().bottom;
  for (let box = $('#messages').lastElementChild; box; box = box.previousElementSibling) {
    if (box.getBoundingClientRect().top >= bottom - 8) continue;
    for (let li = box.lastElementChild; li; li = li.previousElementSibling) {
      const seq = Number(li.dataset.seq);
      if (seq && li.getBoundingClientRect().top < bottom - 8) return seq;
    }
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
    // Only own messages since the mark (one just sent): nothing to tell.
    // The server counts no own message unread, and the others see theirs
    // read by this mark or by a later message of this user's.
    // (Walked from the end: only the messages past the old mark.)
    let theirs = false;
    const o = t.sorted(), mark = c.read_seq || 0;
    for (let i = o.length - 1; i >= 0 && !theirs && !(o[i].seq <= mark); i--) {   // (unconfirmed: no seq)
      theirs = o[i].seq <= seq && !isMe(o[i].sender);
    }
    c.read_seq = seq;
    if (theirs) { unsentReads.set(id, seq); sendReadsSoon(); }
  }
  const read = c.read_seq || 0;
  if (read >= (c.last_seq || 0)) c.unread = 0;
  else if (t.maxSeq() >= c.last_seq && t.minSeq() <= read + 1) {   // all unread ones held: count them
    let n = 0;
    for (const m of t.items.values()) if (m.seq > read && !isMe(m.sender)) n++;
    c.unread = n;
  }
  if (c.unread !== before) ask.renderConversations();
}
const markReadSoon = coalesce(markRead, 100);

const unsentReads = new Map();      // conversation id -> read mark not yet sent
const sendReadsSoon = coalesce(() => {
  for (const [id, seq] of unsentReads) {
    api('POST', `conversations/${id}/read`, { seq }).catch(() => {});
    broadcastToPeers('read', { conversation_id: id, seq });
  }
  unsentReads.clear();
}, 100);

// This user read up to seq in another tab.
export function onOwnRead(id, seq) {
  const c = S.convs.get(id);
  if (!c) return;
  c.read_seq = Math.max(c.read_seq || 0, seq);
  if (seq >= (c.last_seq || 0)) c.unread = 0; else ask.loadConversationsSoon();
  ask.renderConversationsSoon();
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
  if (!c) { ask.loadConversationsSoon(); return; }       // a conversation new to us
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
  if (!mine && isNew && m.kind !== 'notice') {     // a notice is never unread
    if (S.current === id && chatVisible() && shownSeq() >= m.seq) markRead();
    else c.unread = (c.unread || 0) + 1;
    announce(`${memberName(c, m.sender)}${c.kind === 'topic' ? ' in ' + convTitle(c) : ''}: ${m.body}`);
  }
  ask.renderConversationsSoon();
}

export function initThread() {
  const sc = $('#scroller');
  sc.addEventListener('scroll', () => {
    pinned = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
    if (sc.scrollTop < 150) loadOlder();
    if (sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60) { newBelow = 0; show($('#jump'), false); }
    else showJump(sc);
    markReadSoon();
  }, { passive: true });
  $('#jump').addEventListener('click', () => { sc.scrollTop = sc.scrollHeight; show($('#jump'), false); markRead(); $('#composer-text').focus(); });
}

// Show message seq of the open chat id (a search result, a reply's
// quote: chat-actions.js): older pages loaded down to it (history has no
// holes), then scrolled to the middle and marked a moment with class
// mark. False if it cannot be shown.
export async function showMessage(id, seq, mark = 'found') {
  const t = S.threads.get(id);
  for (let i = 0; i < 100 && t?.loaded && !t.atStart && t.minSeq() > seq; i++) {
    const min = t.minSeq();
    let res = null;
    try { res = await api('GET', `conversations/${id}/messages?before=${min}&limit=200`); } catch { res = null; }
    // (a loadOlder meanwhile took pages below min too: no hole either way)
    if (!res?.ok || S.current !== id || S.threads.get(id) !== t) return false;
    for (const m of res.data.messages) t.put(m);
    if (res.data.messages.length < 200) t.atStart = true;
  }
  if (S.current !== id) return false;
  if (drawnConv !== id) renderMessages();           // (a chat just opened starts its window)
  windowFrom = Math.min(windowFrom ?? shownFrom, chunkOf(seq));
  renderMessages();
  const li = $(`#messages li[data-seq="${seq}"]`);
  if (!li) return false;
  li.scrollIntoView({ block: 'center' });
  li.classList.add(mark);
  setTimeout(() => li.classList.remove(mark), 2500);
  return true;
}

// At sign-out (after closeChat): read marks not sent yet are dropped, and
// no older page counts as loading.
export function forgetThread() {
  unsentReads.clear();
  loadingOlder = false;
}
