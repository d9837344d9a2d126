// friends.js: find people (by the start of a name, as you type, or a user
// name exactly) and see the profile, send a request with a note, take it
// back, accept or reject incoming ones (badge count), remove, block and
// unblock, presence dots.

import { api, errorText, enc } from './api.js';
import { $, h, clear, show, avatar, icon, lastSeen, holdFocus } from './dom.js';
import { S, isMe } from './state.js';
import { toast, confirmDialog } from './ui.js';
import { ask } from './intent.js';

export async function loadFriends() {
  if (!S.me || S.me.guest) return;
  const uid = S.me.id;
  let f = null, r = null, k = null;
  try { [f, r, k] = await Promise.all([api('GET', 'friends'), api('GET', 'friends/requests'), api('GET', 'blocks')]); } catch { return; }
  if (S.me?.id !== uid) return;                   // signed out meanwhile
  if (f.ok) { S.friends.clear(); for (const u of f.data.friends || []) S.friends.set(u.username, u); S.friendsLoaded = true; }
  if (r.ok) { S.incoming = r.data.incoming || []; S.outgoing = r.data.outgoing || []; }
  if (k.ok) S.blocks = k.data.blocks || [];
  renderFriends();
  // Who is a friend decides whose presence shows (an ex-friend's does not).
  ask.renderConversations();
  if (S.current != null) ask.renderHead();
}

// Open the direct chat with a friend.
export async function chatWith(username) {
  const u = S.friends.get(username);
  let id = u?.conversation_id;
  if (!id) { await loadFriends(); id = S.friends.get(username)?.conversation_id; }
  if (!id) return;
  if (!S.convs.has(id)) await ask.loadConversations();
  if (S.convs.has(id)) ask.openConversation(id);
}

function requestItem(q, incoming) {
  const who = incoming ? q.from : q.to;
  const nick = (incoming ? q.from_nickname : q.to_nickname) || who;
  return h('li', { class: 'req', dataset: { user: who, id: String(q.id) } },
    h('button', { type: 'button', class: 'item', 'aria-label': `${nick} (@${who}): profile`, onclick: () => ask.showUser(who) },
      avatar(nick, null),
      h('span', { class: 'item-main' },
        h('span', { class: 'item-title', dir: 'auto', text: nick }),
        h('span', { class: 'item-sub', text: q.text ? `“${q.text}”` : (incoming ? `@${who} wants to be friends` : `@${who} · waiting for an answer`) }))),
    incoming ? h('span', { class: 'actions' },
      h('button', { type: 'button', class: 'primary small-button', text: 'Accept', 'aria-label': `Accept ${who}`, onclick: () => answer(q, 'accept') }),
      h('button', { type: 'button', class: 'small-button', text: 'Reject', 'aria-label': `Reject ${who}`, onclick: () => answer(q, 'reject') }),
      h('button', { type: 'button', class: 'small-button danger', text: 'Block', 'aria-label': `Block ${who}`, onclick: () => blockUser({ username: who }, nick) }))
      : h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'small-button', text: 'Cancel', 'aria-label': `Cancel the request to ${who}`, onclick: () => cancelRequest(q) })));
}

// Take back a request sent (DELETE /api/friends/requests/{id}).
async function cancelRequest(q) {
  let res = null;
  try { res = await api('DELETE', `friends/requests/${q.id}`); } catch { res = null; }
  if (!res?.ok && res?.status !== 404) toast(errorText(res), 'error');
  await loadFriends();
}

// Block a user: target is {username} or, in a stranger chat, {conversation_id}.
// They are not told; the lists follow. true when blocked.
export async function blockUser(target, name) {
  if (!await confirmDialog(`Block ${name}? They can no longer write to you, ask to be your friend, add you to a group or meet you as a stranger. They are not told.`, 'Block', true)) return false;
  let res = null;
  try { res = await api('POST', 'blocks', target); } catch { res = null; }
  if (!res?.ok) { toast(errorText(res), 'error'); return false; }
  toast(`${name} is blocked.`);
  await Promise.all([loadFriends(), ask.loadConversations()]);
  return true;
}

async function unblock(u) {
  let res = null;
  try { res = await api('DELETE', `blocks/${u.id}`); } catch { res = null; }
  if (!res?.ok && res?.status !== 404) toast(errorText(res), 'error');
  else toast(`${u.nickname} is no longer blocked.`);
  await loadFriends();
}

export function renderFriends() {
  // A request answered or a friend removed takes its row, which may have
  // had focus: it moves on to the next row, or to the friends list.
  const friendsOrSearch = () => $('#friend-list button') || $('#find-user input[name=username]');
  const held = [holdFocus($('#incoming'), 'id', friendsOrSearch), holdFocus($('#outgoing'), 'id', friendsOrSearch),
    holdFocus($('#friend-list'), 'user', () => $('#find-user input[name=username]'))];
  const inc = clear($('#incoming'));
  for (const q of S.incoming) inc.append(requestItem(q, true));
  show($('#incoming-title'), S.incoming.length > 0);
  const out = clear($('#outgoing'));
  for (const q of S.outgoing) out.append(requestItem(q, false));
  show($('#outgoing-title'), S.outgoing.length > 0);

  const badge = $('#badge-requests');
  badge.textContent = String(S.incoming.length);
  badge.setAttribute('aria-label', `${S.incoming.length} friend requests`);
  show(badge, S.incoming.length > 0);

  const ul = clear($('#friend-list'));
  const list = [...S.friends.values()].sort((a, b) => (b.online - a.online) || a.nickname.localeCompare(b.nickname));
  for (const u of list) {
    ul.append(h('li', { class: 'friend', dataset: { user: u.username, online: String(!!u.online) } },
      h('button', { type: 'button', class: 'item', 'aria-label': `Chat with ${u.nickname}, ${u.online ? 'online' : 'offline'}`, onclick: () => chatWith(u.username) },
        avatar(u.nickname, u.avatar_url, { online: !!u.online }),
        h('span', { class: 'item-main' },
          h('span', { class: 'item-title', dir: 'auto', text: u.nickname }),
          h('span', { class: `item-sub${u.online ? ' online' : ''}`, text: u.online ? 'online' : lastSeen(u.last_seen) }))),
      h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'icon-button', title: 'Profile', 'aria-label': `Profile of ${u.username}`, onclick: () => ask.showUser(u.username) }, icon('user')),
        h('button', { type: 'button', class: 'icon-button danger', title: 'Remove friend', 'aria-label': `Remove ${u.username}`, onclick: () => removeFriend(u) }, icon('x')))));
  }
  $('#friends-title').textContent = `Friends${list.length ? ` (${list.filter(u => u.online).length} online)` : ''}`;
  show($('#friends-empty'), list.length === 0);
  const bl = clear($('#blocked'));
  for (const u of S.blocks) {
    bl.append(h('li', { class: 'blocked', dataset: { id: String(u.id) } },
      h('span', { class: 'item' }, avatar(u.nickname, u.avatar_url),
        h('span', { class: 'item-main' }, h('span', { class: 'item-title', dir: 'auto', text: u.nickname }))),
      h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'small-button', text: 'Unblock', 'aria-label': `Unblock ${u.nickname}`, onclick: () => unblock(u) }))));
  }
  show($('#blocked-title'), S.blocks.length > 0);
  for (const refocus of held) refocus();
  renderFound();
}

async function answer(q, how) {
  let res = null;
  try { res = await api('POST', `friends/requests/${q.id}/${how}`); } catch { res = null; }
  if (!res?.ok) toast(errorText(res), 'error');
  else if (how === 'accept') toast(`You and ${q.from_nickname || q.from} are now friends.`);
  await Promise.all([loadFriends(), ask.loadConversations()]);
}

async function removeFriend(u) {
  if (!await confirmDialog(`Remove ${u.nickname} (@${u.username}) from your friends? Your chat history stays.`, 'Remove', true)) return;
  let res = null;
  try { res = await api('DELETE', `friends/${enc(u.username)}`); } catch { res = null; }
  if (!res?.ok) toast(errorText(res), 'error');
  await loadFriends();
}

export async function sendRequest(username, text) {
  let res = null;
  try { res = await api('POST', 'friends/requests', { to: username, text: text || '' }); } catch { res = null; }
  if (res?.ok) await Promise.all([loadFriends(), res.data.status === 'accepted' ? ask.loadConversations() : null]);
  return res;
}

// Find people: the card of the user found. What it offers (message, wait,
// accept, ask) follows the friends lists as they change, whoever changed
// them (this tab, another one, the other person); the rest of the card,
// and a note being written, stay as they are.
let found = null;       // {u: GET /api/users/{name}, card, rel, area, note, status}

async function findUser(name) {
  const box = clear($('#found-user'));
  found = null;
  if (!name) return;
  let res = null;
  try { res = await api('GET', `users/${enc(name)}`); } catch { res = null; }
  if (!res?.ok) {
    box.append(h('p', { class: 'error pad', role: 'alert', text: res?.status === 404 ? `Nobody is called “${name}”.` : errorText(res) }));
    return;
  }
  const u = res.data;
  const card = h('div', { class: 'found card', dataset: { user: u.username } },
    h('div', { class: 'row' },
      avatar(u.nickname, u.avatar_url, { online: !!u.online }),
      h('div', { class: 'grow' },
        h('strong', { text: u.nickname }),
        h('div', { class: 'muted small', text: `@${u.username}${u.location ? ' · ' + u.location : ''}` })),
      h('button', { type: 'button', class: 'small-button', text: 'Profile', onclick: () => ask.showUser(u.username) }),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', title: 'Close', onclick: () => { clear(box); found = null; } }, icon('x'))),
    u.bio ? h('p', { class: 'bio', text: u.bio }) : null);
  const area = h('div');
  const status = h('p', { class: 'hint', role: 'status' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 500, placeholder: 'Add a note (optional)', 'aria-label': 'Note with the request' });
  card.append(area);
  box.append(card);
  found = { u, card, rel: '', area, note, status };
  renderFound();
}

// How the found user stands to me now.
function relation(u) {
  const name = u.username.toLowerCase();
  if (isMe(u.username)) return 'me';
  if (S.friendsLoaded ? [...S.friends.keys()].some(k => k.toLowerCase() === name) : u.friend) return 'friend';
  if (S.outgoing.some(q => q.to.toLowerCase() === name)) return 'asked';
  if (S.incoming.some(q => q.from.toLowerCase() === name)) return 'theyAsked';
  return 'none';
}

function renderFound() {
  if (!found || !found.card.isConnected) { found = null; return; }
  const { u, area, note, status } = found;
  const rel = relation(u);
  if (rel === found.rel) return;
  found.rel = rel;
  if (rel === 'asked' || rel === 'theyAsked') found.pending = true;   // asked while open
  // One current status line (role=status), moved beside the button it
  // goes with: where things stand now, or the last try's error; never an
  // old line beside a new one.
  status.className = 'hint grow';
  status.textContent = rel === 'friend' ? (found.pending ? 'You are now friends.' : 'Already your friend.')
    : rel === 'me' ? 'That is you.' : rel === 'asked' ? 'Request sent; waiting for an answer.' : '';
  const hadFocus = area.contains(document.activeElement);
  clear(area);
  if (rel === 'friend') {
    area.append(h('div', { class: 'row' }, status,
      h('button', { type: 'button', class: 'primary small-button', text: 'Message', onclick: () => chatWith(u.username) })));
  } else if (rel === 'me') {
    area.append(status);
  } else if (rel === 'asked') {
    const q = S.outgoing.find(x => x.to.toLowerCase() === u.username.toLowerCase());
    area.append(h('div', { class: 'row' }, status,
      q ? h('button', { type: 'button', class: 'small-button', text: 'Cancel request', onclick: () => cancelRequest(q) }) : null));
  } else {
    const btn = h('button', { type: 'button', class: 'primary', text: rel === 'theyAsked' ? 'Accept their request' : 'Send friend request' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      status.textContent = '';
      const r = await sendRequest(u.username, note.value);
      btn.disabled = false;
      if (r?.ok) {
        note.value = '';
        renderFound();      // the lists know it now: "Request sent; …" or friends
      } else {
        status.textContent = errorText(r);
        status.className = 'error';      // until the next try or change
      }
    });
    area.append(rel === 'theyAsked' ? null : note, h('div', { class: 'row end' }, btn), status);
  }
  if (hadFocus && !area.contains(document.activeElement)) ($('button, textarea', area) || $('button', found.card)).focus();
}

// presence event
export function onPresence(user, online, at) {
  const f = S.friends.get(user);
  if (f && !online) f.last_seen = at || Date.now();
  updateUser(user, (o) => { o.online = online; });
}

// A friend's new nickname or picture (a profile event): the friends list,
// the chat list and an open chat's header follow.
export function onProfile(user, nickname, avatarUrl) {
  if (typeof user !== 'string' || typeof nickname !== 'string' || typeof avatarUrl !== 'string') return;
  updateUser(user, (o, chat) => {
    o.nickname = nickname;
    o.avatar_url = avatarUrl;
    if (chat) { chat.title = nickname; chat.avatar_url = avatarUrl; }   // as the server gives them
  });
}

// Every copy of user this tab holds (the friend, the other person of a
// chat, a group member) gets set(copy, chat: the chat they are the other
// person of); then the lists and the open chat's header are drawn again.
function updateUser(user, set) {
  const f = S.friends.get(user);
  if (f) set(f, null);
  for (const c of S.convs.values()) {
    if (c.kind !== 'topic' && c.peer?.username === user) set(c.peer, c);
    const m = c.members_detail?.find(x => x.username === user);
    if (m) set(m, null);
  }
  renderFriends();
  ask.renderConversations();
  if (S.current != null) ask.renderHead();
}

// friend_* events
export function onFriendEvent(e) {
  const q = e.request || {};
  if (e.type === 'friend_request') toast(`${q.from_nickname || q.from} wants to be your friend.`);
  if (e.type === 'friend_accepted') toast(`${q.to_nickname || q.to} accepted your friend request.`);
  if (e.type === 'friend_rejected') toast(`${q.to_nickname || q.to} declined your friend request.`);
  loadFriends();
  if (e.type !== 'friend_request') ask.loadConversations();
}

// Find people as you type: GET /api/users?q= (the start of a user name or
// nickname, 2 characters or more), a moment after the last key.
let searchTimer = 0, searchSeq = 0;

function searchSoon(text) {
  clearTimeout(searchTimer);
  searchSeq++;
  const q = text.trim();
  if ([...q].length < 2) { clear($('#find-results')); return; }
  searchTimer = setTimeout(() => search(q), 300);
}

async function search(q) {
  const seq = ++searchSeq;
  let res = null;
  try { res = await api('GET', `users?q=${enc(q)}`); } catch { res = null; }
  if (seq !== searchSeq) return;                  // typed on meanwhile
  const ul = clear($('#find-results'));
  if (!res?.ok) { ul.append(h('li', { class: 'hint pad', text: errorText(res) })); return; }
  const users = res.data.users || [];
  if (!users.length) ul.append(h('li', { class: 'hint pad', text: `No one’s name starts with “${q}”.` }));
  for (const u of users) ul.append(resultItem(u));
}

function resultItem(u) {
  const rel = relation(u);
  const sub = { friend: ' · your friend', asked: ' · request sent', theyAsked: ' · asked you', me: ' · you' }[rel] || '';
  let btn = null;
  if (rel === 'none' || rel === 'theyAsked') {
    btn = h('button', { type: 'button', class: 'primary small-button', text: rel === 'theyAsked' ? 'Accept' : 'Add friend', 'aria-label': `Add ${u.nickname} as a friend` });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      const r = await sendRequest(u.username, '');
      btn.textContent = r?.ok ? (r.data.status === 'accepted' ? 'Friends now' : 'Request sent') : errorText(r);
    });
  }
  return h('li', { class: 'found-item', dataset: { user: u.username } },
    h('button', { type: 'button', class: 'item', 'aria-label': `${u.nickname} (@${u.username}): more`, onclick: () => { searchSoon(''); findUser(u.username); } },
      avatar(u.nickname, u.avatar_url),
      h('span', { class: 'item-main' },
        h('span', { class: 'item-title', dir: 'auto', text: u.nickname }),
        h('span', { class: 'item-sub', text: `@${u.username}${sub}` }))),
    btn ? h('span', { class: 'actions' }, btn) : null);
}

export function initFriends() {
  $('#find-user').addEventListener('submit', (e) => {
    e.preventDefault();
    searchSoon('');
    findUser(e.target.username.value.trim());
  });
  $('#find-user input[name=username]').addEventListener('input', (e) => searchSoon(e.target.value));
}
