// app.js: the messenger. Signed out: log in, sign up, or enter as a guest.
// Signed in: conversation list with unread badges, chat pane with history,
// live messages and read receipts, friends, groups, stranger chat, profile.
// All user-written text is set with textContent (see dom.js).

import { api, errorText } from './api.js';
import { $, h, clear, avatar, clock, day, shortTime } from './dom.js';
import { Receiver } from './receiver.js';

const S = {
  me: null,
  convs: new Map(),        // id -> conversation list item
  order: [],               // conversation ids, newest activity first
  friends: new Map(),      // username -> user
  incoming: [], outgoing: [],
  current: null,           // open conversation id
  msgs: new Map(),         // conversation id -> Map(seq or client_id -> message)
  detail: null,            // GET /api/conversations/{id} of the open one
  loadingOlder: false,
  receiver: null,
  match: null,             // {conversation_id, partner} of the live stranger chat
};

// ---------- small helpers ----------
const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join(''));

function show(el, on) { el.hidden = !on; }

function selectTab(tabs, chosen) {
  for (const t of tabs) {
    const on = t === chosen;
    t.setAttribute('aria-selected', String(on));
    show(document.getElementById(t.getAttribute('aria-controls')), on);
  }
}

function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) if (String(v).length) out[k] = String(v);
  return out;
}

// ---------- signed out ----------
function initAuth() {
  const tabs = [$('#tab-login'), $('#tab-signup'), $('#tab-guest')];
  tabs.forEach(t => t.addEventListener('click', () => { selectTab(tabs, t); $('#auth-error').textContent = ''; }));
  const submit = (form, path, pick) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const res = await api('POST', path, pick(formData(form)));
      if (res.ok) { form.reset(); enter(res.data); }
      else $('#auth-error').textContent = errorText(res);
    } catch {
      $('#auth-error').textContent = 'No connection to the server.';
    } finally { btn.disabled = false; }
  });
  submit($('#form-login'), 'login', d => d);
  submit($('#form-signup'), 'signup', d => d);
  submit($('#form-guest'), 'guest', d => ({ nickname: d.nickname }));
}

function signedOut() {
  S.receiver?.stop();
  S.receiver = null;
  S.me = null;
  S.convs.clear(); S.order = []; S.msgs.clear(); S.current = null; S.match = null;
  document.title = 'Chat';
  show($('#app'), false);
  show($('#auth'), true);
  $('#form-login input[name=username]').focus();
}

// ---------- signed in ----------
function enter(me) {
  S.me = me;
  show($('#auth'), false);
  show($('#app'), true);
  renderMe();
  const guest = me.guest;
  show($('#nav-friends'), !guest);
  show($('#new-topic'), !guest);
  selectTab(navTabs(), guest ? $('#nav-stranger') : $('#nav-chats'));
  S.receiver = new Receiver(onEvents, onReceiverState);
  S.receiver.start();
  refreshAll();
}

const navTabs = () => [$('#nav-chats'), $('#nav-friends'), $('#nav-stranger')];

function renderMe() {
  const b = clear($('#me-button'));
  b.append(avatar(S.me.nickname, S.me.avatar_url));
  $('#me-name').textContent = S.me.nickname;
  $('#me-user').textContent = S.me.guest ? 'guest' : '@' + S.me.username;
}

async function refreshAll() {
  await Promise.all([loadConversations(), S.me?.guest ? null : loadFriends()]);
  if (S.current) await catchUp(S.current);
}

function onReceiverState(state, detail) {
  if (state === 'signedout') return signedOut();
  if (state === 'offline' && detail === 1) banner('Connection lost. Reconnecting…', true, 'net');
  if (state === 'polling' && detail === 'reconnected') {
    clearBanner('net');
    refreshAll();   // catch up on what the list and the open chat missed
  }
}

// ---------- conversations list ----------
async function loadConversations() {
  const res = await api('GET', 'conversations');
  if (!res.ok) return;
  S.convs.clear();
  S.order = [];
  for (const c of res.data.conversations) { S.convs.set(c.id, c); S.order.push(c.id); }
  const live = res.data.conversations.find(c => c.kind === 'match' && !c.ended);
  if (live && !S.match) S.match = { conversation_id: live.id };
  renderConversations();
}

function sortConversations() {
  S.order = [...S.convs.values()].sort((a, b) => b.updated_at - a.updated_at || b.id - a.id).map(c => c.id);
}

function renderConversations() {
  const ul = clear($('#conv-list'));
  let total = 0;
  for (const id of S.order) {
    const c = S.convs.get(id);
    total += c.unread;
    const last = c.last_message;
    const preview = last ? (last.sender === S.me.username ? 'You: ' : (c.kind === 'topic' ? last.sender + ': ' : '')) + last.body : (c.kind === 'match' ? 'Stranger chat' : 'No messages yet');
    const online = c.peer ? c.peer.online : undefined;
    const li = h('li', {
      class: `clickable${c.unread ? ' unread' : ''}${id === S.current ? ' active' : ''}`,
      tabindex: 0, role: 'button', dataset: { id: String(id) },
      'aria-label': `${c.title || 'Conversation'}${c.unread ? `, ${c.unread} unread` : ''}`,
      onclick: () => openConversation(id),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openConversation(id); } },
    },
    avatar(c.title, c.avatar_url, c.kind === 'topic' ? undefined : online),
    h('div', { class: 'item-main' },
      h('div', { class: 'item-top' },
        h('span', { class: 'item-title', text: c.title || (c.kind === 'topic' ? 'Group' : 'Chat') }),
        h('span', { class: 'item-time', text: shortTime(last ? last.sent_at : c.updated_at) })),
      h('div', { class: 'item-bottom' },
        h('span', { class: 'item-sub', text: (c.ended ? '(ended) ' : '') + preview }),
        c.unread ? h('span', { class: 'badge unread-badge', text: String(c.unread) }) : null)));
    ul.append(li);
  }
  show($('#conv-empty'), S.order.length === 0);
  const badge = $('#badge-chats');
  badge.textContent = String(total);
  show(badge, total > 0);
  document.title = total > 0 ? `(${total}) Chat` : 'Chat';
}

// ---------- chat pane ----------
async function openConversation(id, note) {
  S.current = id;
  S.detail = null;
  $('#app').classList.add('chat-open');
  show($('#chat-empty'), false);
  show($('#chat-head'), true);
  show($('#composer'), true);
  clearBanner();
  if (note) banner(note, false, 'match');
  if (!S.msgs.has(id)) S.msgs.set(id, new Map());
  renderHead();
  renderMessages(true);
  renderConversations();
  const [hist, detail] = await Promise.all([
    api('GET', `conversations/${id}/messages?limit=50`),
    api('GET', `conversations/${id}`),
  ]);
  if (S.current !== id) return;
  if (hist.ok) for (const m of hist.data.messages) putMessage(m);
  if (detail.ok) { S.detail = detail.data; S.convs.set(id, { ...S.convs.get(id), ...detail.data }); }
  renderHead();
  renderMessages(true);
  markRead();
  $('#composer-text').focus();
}

// After a reconnect: everything after the highest seq held.
async function catchUp(id) {
  const have = [...(S.msgs.get(id)?.values() || [])].filter(m => m.seq).map(m => m.seq);
  const after = have.length ? Math.max(...have) : 0;
  for (let from = after, guard = 0; guard < 20; guard++) {
    const res = await api('GET', `conversations/${id}/messages?after=${from}&limit=200`);
    if (!res.ok) return;
    for (const m of res.data.messages) putMessage(m);
    if (res.data.messages.length < 200) break;
    from = res.data.messages.at(-1).seq;
  }
  if (S.current === id) { renderMessages(false); markRead(); }
}

function renderHead() {
  const c = S.convs.get(S.current);
  if (!c) return;
  $('#chat-title').textContent = c.title || (c.kind === 'topic' ? 'Group' : 'Chat');
  const av = clear($('#chat-avatar'));
  av.className = '';
  av.append(avatar(c.title, c.avatar_url, c.peer ? c.peer.online : undefined));
  let sub = '';
  if (c.kind === 'topic') sub = `${(c.members || []).length} members`;
  else if (c.kind === 'match') sub = c.ended ? 'Stranger chat ended' : 'Stranger chat';
  else if (c.peer) sub = c.peer.online ? 'online' : 'offline';
  $('#chat-sub').textContent = sub;
  show($('#chat-info'), c.kind === 'topic');
  show($('#chat-leave'), c.kind !== 'direct');
  show($('#chat-next'), c.kind === 'match');
  $('#composer-text').disabled = !!c.ended;
  if (c.ended) banner('Your partner left this chat.', true, 'left');
}

function putMessage(m) {
  const box = S.msgs.get(m.conversation_id) || new Map();
  S.msgs.set(m.conversation_id, box);
  // A sent message replaces its local "sending" copy (same client_id).
  for (const [k, v] of box) if (v.local && v.client_id === m.client_id && m.sender === S.me.username) box.delete(k);
  box.set('s' + m.seq, { ...box.get('s' + m.seq), ...m, local: false });
}

function peerReadSeq() {
  const d = S.detail;
  if (!d?.members_detail) return 0;
  const others = d.members_detail.filter(x => x.username !== S.me.username);
  return others.length ? Math.max(...others.map(x => x.read_seq)) : 0;
}

function renderMessages(toBottom) {
  const ol = $('#messages');
  const nearBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 80;
  clear(ol);
  const box = S.msgs.get(S.current);
  if (!box) return;
  const list = [...box.values()].sort((a, b) => (a.seq || 1e15 + a.t) - (b.seq || 1e15 + b.t));
  const c = S.convs.get(S.current);
  const readSeq = peerReadSeq();
  let lastDay = '', lastSender = '';
  for (const m of list) {
    const d = day(m.sent_at || Date.now());
    if (d !== lastDay) { ol.append(h('li', { class: 'day', text: d })); lastDay = d; lastSender = ''; }
    const mine = m.sender === S.me.username;
    let state = '';
    if (mine) state = m.state === 'failed' ? 'failed' : m.local ? 'sending' : (m.seq <= readSeq ? 'read' : 'sent');
    const li = h('li', { class: `${mine ? 'mine' : 'theirs'} state-${state || 'in'}`, dataset: { seq: String(m.seq || ''), id: String(m.id || '') } },
      (!mine && c?.kind === 'topic' && m.sender !== lastSender) ? h('span', { class: 'sender', text: m.sender }) : null,
      h('div', { class: 'bubble', text: m.body }),
      h('div', { class: 'meta' },
        h('time', { text: clock(m.sent_at) }),
        mine ? h('span', { class: 'msg-state', text: state }) : null,
        state === 'failed' ? h('button', { class: 'retry', type: 'button', onclick: () => send(m.body, m.client_id), text: 'Retry' }) : null));
    ol.append(li);
    lastSender = m.sender;
  }
  if (toBottom || nearBottom) ol.scrollTop = ol.scrollHeight;
}

async function loadOlder() {
  if (S.loadingOlder || !S.current) return;
  const box = S.msgs.get(S.current);
  const seqs = [...box.values()].filter(m => m.seq).map(m => m.seq);
  if (!seqs.length || Math.min(...seqs) <= 1) return;
  S.loadingOlder = true;
  const id = S.current;
  const ol = $('#messages');
  const before = ol.scrollHeight;
  const res = await api('GET', `conversations/${id}/messages?before=${Math.min(...seqs)}&limit=50`);
  S.loadingOlder = false;
  if (!res.ok || S.current !== id) return;
  for (const m of res.data.messages) putMessage(m);
  renderMessages(false);
  ol.scrollTop = ol.scrollHeight - before;   // keep the view where it was
}

async function markRead() {
  const c = S.convs.get(S.current);
  if (!c || document.hidden) return;
  const box = S.msgs.get(S.current);
  const seqs = [...(box?.values() || [])].filter(m => m.seq).map(m => m.seq);
  const top = Math.max(c.last_seq || 0, ...seqs, 0);
  if (top > (c.read_seq || 0) || c.unread) {
    c.read_seq = top;
    c.unread = 0;
    renderConversations();
    await api('POST', `conversations/${c.id}/read`, { seq: top });
  }
}

// Send body to the open conversation; a retry reuses its client_id.
async function send(body, clientId) {
  const id = S.current;
  const client_id = clientId || uuid();
  const box = S.msgs.get(id);
  const key = 'l' + client_id;
  box.set(key, { local: true, client_id, body, sender: S.me.username, sent_at: Date.now(), t: Date.now(), state: 'sending', conversation_id: id });
  renderMessages(true);
  let res = null;
  try { res = await api('POST', 'messages', { conversation_id: id, client_id, body }); } catch { res = null; }
  if (res?.ok) {
    box.delete(key);
    putMessage(res.data);
    const c = S.convs.get(id);
    if (c) {
      c.last_message = res.data; c.updated_at = res.data.sent_at;
      c.last_seq = Math.max(c.last_seq || 0, res.data.seq); c.read_seq = c.last_seq;
      sortConversations(); renderConversations();
    }
  } else {
    const m = box.get(key);
    if (m) m.state = 'failed';
    if (res && !res.ok) banner(errorText(res), true, 'send');
  }
  if (S.current === id) renderMessages(true);
}

// ---------- events ----------
function onEvents(events) {
  let relist = false, refriend = false;
  for (const e of events) {
    switch (e.type) {
    case 'message': {
      const m = e.message;
      putMessage(m);
      const c = S.convs.get(m.conversation_id);
      if (!c) { relist = true; break; }
      c.last_message = m; c.updated_at = m.sent_at; c.last_seq = Math.max(c.last_seq || 0, m.seq);
      const looking = S.current === m.conversation_id && !document.hidden;
      if (m.sender !== S.me.username && !looking) c.unread = (c.unread || 0) + 1;
      sortConversations();
      if (S.current === m.conversation_id) { renderMessages(false); if (looking) markRead(); }
      break;
    }
    case 'read':
      if (S.detail && S.detail.id === e.conversation_id) {
        const mem = S.detail.members_detail?.find(x => x.username === e.user);
        if (mem) mem.read_seq = Math.max(mem.read_seq, e.seq);
        renderMessages(false);
      }
      break;
    case 'presence':
      for (const c of S.convs.values()) if (c.peer?.username === e.user) c.peer.online = e.online;
      { const f = S.friends.get(e.user); if (f) { f.online = e.online; refriend = 'render'; } }
      if (S.current) renderHead();
      break;
    case 'friend_request': case 'friend_accepted': case 'friend_rejected': case 'friend_removed':
      refriend = true;
      if (e.type !== 'friend_request') relist = true;
      break;
    case 'match_found':
      S.match = { conversation_id: e.conversation_id, partner: e.partner };
      matchState('matched', e.partner);
      loadConversations().then(() => openConversation(e.conversation_id, matchedText(e.partner)));
      break;
    case 'partner_left': {
      const c = S.convs.get(e.conversation_id);
      if (c) c.ended = true;
      if (S.match?.conversation_id === e.conversation_id) { S.match = null; matchState('left'); }
      if (S.current === e.conversation_id) renderHead();
      break;
    }
    case 'conversation_updated':
      relist = true;
      if (S.current === e.conversation_id) api('GET', `conversations/${e.conversation_id}`).then(r => {
        if (r.ok && S.current === e.conversation_id) { S.detail = r.data; S.convs.set(r.data.id, r.data); renderHead(); }
        else if (r.status === 403) closeChat('You are no longer in this group.');
      });
      break;
    }
  }
  renderConversations();
  if (relist) loadConversations();
  if (refriend === true) loadFriends();
  else if (refriend === 'render') renderFriends();
}

// ---------- banners ----------
function banner(text, warn, tag) {
  const b = $('#banner');
  b.textContent = text;
  b.className = warn ? 'banner warn' : 'banner';
  b.dataset.tag = tag || '';
  show(b, true);
}
function clearBanner(tag) {
  const b = $('#banner');
  if (!tag || b.dataset.tag === tag) show(b, false);
}

function closeChat(msg) {
  S.current = null;
  show($('#chat-head'), false);
  show($('#composer'), false);
  clear($('#messages'));
  show($('#chat-empty'), true);
  $('#app').classList.remove('chat-open');
  if (msg) banner(msg, true);
  loadConversations();
}

// ---------- friends ----------
async function loadFriends() {
  const [f, r] = await Promise.all([api('GET', 'friends'), api('GET', 'friends/requests')]);
  if (f.ok) { S.friends.clear(); for (const u of f.data.friends) S.friends.set(u.username, u); }
  if (r.ok) { S.incoming = r.data.incoming; S.outgoing = r.data.outgoing; }
  renderFriends();
}

function renderFriends() {
  const inc = clear($('#incoming'));
  for (const q of S.incoming) {
    inc.append(h('li', {},
      avatar(q.from_nickname || q.from, null),
      h('div', { class: 'item-main' },
        h('div', { class: 'item-title', text: `${q.from_nickname || q.from} (@${q.from})` }),
        q.text ? h('div', { class: 'item-sub', text: q.text }) : null),
      h('button', { class: 'primary', text: 'Accept', 'aria-label': `Accept ${q.from}`, onclick: () => answer(q.id, 'accept') }),
      h('button', { class: 'ghost', text: 'Reject', 'aria-label': `Reject ${q.from}`, onclick: () => answer(q.id, 'reject') })));
  }
  const out = clear($('#outgoing'));
  for (const q of S.outgoing) {
    out.append(h('li', {}, avatar(q.to_nickname || q.to, null),
      h('div', { class: 'item-main' }, h('div', { class: 'item-title', text: `${q.to_nickname || q.to}` }),
        h('div', { class: 'item-sub', text: 'Request sent' }))));
  }
  const badge = $('#badge-requests');
  badge.textContent = String(S.incoming.length);
  show(badge, S.incoming.length > 0);
  const ul = clear($('#friend-list'));
  for (const u of [...S.friends.values()].sort((a, b) => (b.online - a.online) || a.nickname.localeCompare(b.nickname))) {
    ul.append(h('li', { class: 'clickable', tabindex: 0, dataset: { user: u.username },
      onclick: (e) => { if (e.target.tagName !== 'BUTTON') openConversation(u.conversation_id); },
      onkeydown: (e) => { if (e.key === 'Enter' && e.target.tagName !== 'BUTTON') openConversation(u.conversation_id); } },
    avatar(u.nickname, u.avatar_url, u.online),
    h('div', { class: 'item-main' }, h('div', { class: 'item-title', text: u.nickname }),
      h('div', { class: 'item-sub', text: u.online ? 'online' : 'offline' })),
    h('button', { class: 'ghost', text: 'Profile', onclick: () => showUser(u.username) }),
    h('button', { class: 'ghost danger', text: 'Remove', 'aria-label': `Remove ${u.username}`, onclick: () => removeFriend(u.username) })));
  }
}

async function answer(id, how) {
  const res = await api('POST', `friends/requests/${id}/${how}`);
  if (!res.ok) alert(errorText(res));
  await Promise.all([loadFriends(), loadConversations()]);
}

async function removeFriend(name) {
  if (!confirm(`Remove ${name} from your friends? Your chat history stays.`)) return;
  const res = await api('DELETE', `friends/${encodeURIComponent(name)}`);
  if (!res.ok) alert(errorText(res));
  loadFriends();
}

async function findUser(name) {
  const box = clear($('#found-user'));
  const res = await api('GET', `users/${encodeURIComponent(name)}`);
  if (!res.ok) { box.append(h('p', { class: 'error', text: res.status === 404 ? 'No such user.' : errorText(res) })); return; }
  const u = res.data;
  const note = h('input', { name: 'note', placeholder: 'Say hello (optional)', maxlength: 500, 'aria-label': 'Note with the request' });
  const status = h('p', { class: 'hint', role: 'status' });
  const canAsk = !u.friend && u.username.toLowerCase() !== S.me.username.toLowerCase() && !u.guest;
  box.append(h('div', { class: 'stack found' },
    h('div', { class: 'row' }, avatar(u.nickname, u.avatar_url, u.online),
      h('div', { class: 'grow' }, h('strong', { text: u.nickname }), h('div', { class: 'muted small', text: '@' + u.username })),
      h('button', { class: 'ghost', text: 'Profile', onclick: () => showUser(u.username) })),
    canAsk ? note : null,
    canAsk ? h('button', { class: 'primary', text: 'Send friend request', onclick: async () => {
      const r = await api('POST', 'friends/requests', { to: u.username, text: note.value });
      status.textContent = r.ok ? (r.data.status === 'accepted' ? 'You are now friends.' : 'Request sent.') : errorText(r);
      loadFriends(); if (r.ok && r.data.status === 'accepted') loadConversations();
    } }) : h('p', { class: 'hint', text: u.friend ? 'Already your friend.' : '' }),
    status));
}

async function showUser(name) {
  const res = await api('GET', `users/${encodeURIComponent(name)}`);
  if (!res.ok) return alert(errorText(res));
  const u = res.data;
  clear($('#dlg-user-avatar')).append(avatar(u.nickname, u.avatar_url, u.online, true));
  $('#dlg-user-name').textContent = u.nickname;
  $('#dlg-user-handle').textContent = '@' + u.username + (u.online ? ' · online' : '');
  const dl = clear($('#dlg-user-fields'));
  for (const [k, label] of [['location', 'Location'], ['bio', 'About'], ['email', 'Email'], ['public_key', 'Public key']]) {
    if (u[k]) dl.append(h('dt', { text: label }), h('dd', { text: u[k] }));
  }
  $('#dlg-user').showModal();
}

// ---------- groups ----------
function topicDialog(conv) {
  const f = $('#form-topic');
  f.reset();
  $('#topic-error').textContent = '';
  $('#dlg-topic-title').textContent = conv ? 'Group settings' : 'New group';
  f.title.value = conv ? conv.title : '';
  const inGroup = new Set((conv?.members_detail || []).map(m => m.username));
  const boxes = clear($('#topic-members'));
  for (const u of S.friends.values()) {
    if (inGroup.has(u.username)) continue;
    boxes.append(h('label', {}, h('input', { type: 'checkbox', name: 'member', value: u.username }), u.nickname + ' (@' + u.username + ')'));
  }
  if (!boxes.children.length) boxes.append(h('p', { class: 'hint', text: 'No friends to add.' }));
  const cur = clear($('#topic-current'));
  if (conv) {
    const mine = conv.members_detail.find(m => m.username === S.me.username);
    const admin = mine && mine.role !== 'member';
    cur.append(h('h3', { class: 'sub', text: 'Members' }),
      h('ul', { class: 'list' }, conv.members_detail.map(m => h('li', {},
        avatar(m.nickname, m.avatar_url, m.online),
        h('div', { class: 'item-main' }, h('div', { class: 'item-title', text: m.nickname }), h('div', { class: 'item-sub', text: m.role })),
        admin && m.role !== 'owner' && m.username !== S.me.username ? h('button', { class: 'ghost danger', type: 'button', text: 'Remove',
          'aria-label': `Remove ${m.username} from the group`,
          onclick: async () => {
            const r = await api('DELETE', `conversations/${conv.id}/members/${encodeURIComponent(m.username)}`);
            if (!r.ok) $('#topic-error').textContent = errorText(r);
            else { $('#dlg-topic').close(); openConversation(conv.id); }
          } }) : null,
        mine?.role === 'owner' && m.role !== 'owner' ? h('button', { class: 'ghost', type: 'button', text: m.role === 'admin' ? 'Unmake admin' : 'Make admin',
          onclick: async () => {
            const r = await api('PATCH', `conversations/${conv.id}/members/${encodeURIComponent(m.username)}`, { role: m.role === 'admin' ? 'member' : 'admin' });
            if (!r.ok) $('#topic-error').textContent = errorText(r);
            else { $('#dlg-topic').close(); openConversation(conv.id); }
          } }) : null))));
  }
  $('#topic-save').onclick = async (e) => {
    e.preventDefault();
    const members = [...f.querySelectorAll('input[name=member]:checked')].map(i => i.value);
    let res;
    if (!conv) {
      res = await api('POST', 'conversations', { title: f.title.value, members });
    } else {
      res = { ok: true };
      if (f.title.value !== conv.title) res = await api('PATCH', `conversations/${conv.id}`, { title: f.title.value });
      if (res.ok && members.length) res = await api('POST', `conversations/${conv.id}/members`, { members });
    }
    if (!res.ok) { $('#topic-error').textContent = errorText(res); return; }
    $('#dlg-topic').close();
    await loadConversations();
    openConversation(conv ? conv.id : res.data.id);
  };
  $('#dlg-topic').showModal();
}

// ---------- stranger chat ----------
const matchedText = (p) => `Matched with ${p?.nickname || 'a stranger'}. Say hi!`;

function matchState(state, partner) {
  const st = $('#match-status');
  show($('#match-start'), state !== 'waiting');
  show($('#match-cancel'), state === 'waiting');
  $('#match-start').textContent = state === 'idle' ? 'Find a stranger' : 'Find another stranger';
  if (state === 'waiting') st.textContent = 'Looking for someone…';
  else if (state === 'matched') st.textContent = `You are talking to ${partner?.nickname || 'a stranger'}.`;
  else if (state === 'left') { st.textContent = 'Your partner left.'; banner('Your partner left this chat.', true, 'left'); }
  else st.textContent = '';
}

async function startMatch() {
  if (S.match) {
    await api('POST', `conversations/${S.match.conversation_id}/leave`);
    S.match = null;
  }
  matchState('waiting');
  const res = await api('POST', 'match');
  if (!res.ok) { $('#match-status').textContent = errorText(res); return; }
  if (res.data.status === 'matched') {
    S.match = { conversation_id: res.data.conversation_id, partner: res.data.partner };
    matchState('matched', res.data.partner);
    await loadConversations();
    openConversation(res.data.conversation_id, matchedText(res.data.partner));
  }
}

// ---------- profile ----------
function profileDialog() {
  const f = $('#form-profile');
  f.reset();
  for (const k of ['nickname', 'email', 'avatar_url', 'location', 'bio', 'public_key']) f[k].value = S.me[k] || '';
  show($('#pw-fields'), !S.me.guest);
  $('#profile-error').textContent = '';
  $('#profile-save').onclick = async (e) => {
    e.preventDefault();
    const d = formData(f);
    const body = {};
    for (const k of ['nickname', 'email', 'avatar_url', 'location', 'bio', 'public_key']) body[k] = f[k].value;
    if (d.password) { body.password = d.password; body.current_password = d.current_password || ''; }
    const res = await api('PATCH', 'me', body);
    if (!res.ok) { $('#profile-error').textContent = errorText(res); return; }
    S.me = res.data;
    renderMe();
    $('#dlg-profile').close();
  };
  $('#dlg-profile').showModal();
}

// ---------- wiring ----------
function initApp() {
  const tabs = navTabs();
  tabs.forEach(t => t.addEventListener('click', () => selectTab(tabs, t)));
  $('#logout').addEventListener('click', async () => { await api('POST', 'logout').catch(() => {}); signedOut(); });
  $('#me-button').addEventListener('click', profileDialog);
  $('#find-user').addEventListener('submit', (e) => { e.preventDefault(); findUser(e.target.username.value.trim()); });
  $('#new-topic').addEventListener('click', () => topicDialog(null));
  $('#chat-info').addEventListener('click', () => S.detail && topicDialog(S.detail));
  $('#back').addEventListener('click', () => { $('#app').classList.remove('chat-open'); S.current = null; renderConversations(); });
  $('#chat-leave').addEventListener('click', async () => {
    const c = S.convs.get(S.current);
    if (!c || !confirm(c.kind === 'match' ? 'End this stranger chat?' : 'Leave this group?')) return;
    const res = await api('POST', `conversations/${c.id}/leave`);
    if (!res.ok) return banner(errorText(res), true);
    if (c.kind === 'match') { S.match = null; matchState('idle'); }
    closeChat();
  });
  $('#chat-next').addEventListener('click', () => { selectTab(tabs, $('#nav-stranger')); startMatch(); });
  $('#match-start').addEventListener('click', startMatch);
  $('#match-cancel').addEventListener('click', async () => { await api('DELETE', 'match'); matchState('idle'); });
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('#composer-text');
    const body = t.value;
    if (!body.trim() || !S.current) return;
    t.value = '';
    send(body);
  });
  $('#composer-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('#composer').requestSubmit(); }
  });
  $('#messages').addEventListener('scroll', (e) => { if (e.target.scrollTop < 40) loadOlder(); });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && S.current) markRead(); });
}

async function boot() {
  initAuth();
  initApp();
  let res = null;
  try { res = await api('GET', 'me'); } catch { res = null; }
  if (res?.ok) enter(res.data); else signedOut();
}

boot();
