// app.js: start-up and the wiring between the parts, and the only module
// that imports the views. Signed out: auth.js. Signed in: the list
// (convlist.js), the chat pane (chat.js), friends, groups (topics.js),
// stranger chat, profile; events from the one poller per browser
// (receiver.js). The views do not import each other: what one asks of
// another (intent.js) is answered here (wire). All user-written text goes
// into the page as text (see dom.js); the page runs under a strict CSP
// (no inline code).

import { api } from './api.js';
import { $, clear, show } from './dom.js';
import { S, resetState } from './state.js';
import { Receiver, broadcast, onBroadcast } from './receiver.js';
import { tablist, initDialogs, netBanner, unreadIndicator, toast, confirmDialog } from './ui.js';
import { provide, unprovided } from './intent.js';
import { initAuth, showAuth } from './auth.js';
import { loadConversations, loadConversationsSoon, renderConversations, renderConversationsSoon, resetConversations, showOlderConversations } from './convlist.js';
import { initChat, openConversation, closeChat, renderHead, loadDetail, syncThread, markRead, onMessage, onRead, onOwnRead, restoreChat, forgetChat, retryUnsent, onTyping, onMessageChanged } from './chat.js';
import { initFriends, loadFriends, renderFriends, chatWith, sendRequest, blockUser, onPresence, onProfile, onFriendEvent } from './friends.js';
import { initTopics, topicDialog, leaveTopic, onConversationUpdated } from './topics.js';
import { initStranger, startMatch, matched, onRevision, onPartnerLeft, setMatchState, nextStranger, leaveMatch, reportStranger, befriendStranger, matchBannerFor, renderWaiting, syncMatchFromList } from './stranger.js';
import { initProfile, renderMe, showUser } from './profile.js';
import { initNotify, notifyMessage } from './notify.js';
import { initSearch, closeChatSearch } from './search.js';
import { showMessage } from './chat.js';

// What each intent of a view does: here, one view's function each.
function wire() {
  provide({
    openConversation, closeChat, renderHead, markRead, loadDetail,
    loadConversations, loadConversationsSoon, renderConversations, renderConversationsSoon,
    chatWith, sendRequest, showUser, blockUser, topicDialog, leaveTopic,
    nextStranger, leaveMatch, reportStranger, befriendStranger, matchBannerFor, renderWaiting, syncMatchFromList,
    signOut: logout,
    openAtMessage: async (id, seq) => {
      if (S.current !== id) { closeChatSearch(); await openConversation(id); }
      return showMessage(id, seq);
    },
  });
  const left = unprovided();
  if (left.length) throw new Error(`app: nothing provides ${left.join(', ')}`);
}

let receiver = null;
let selectSection = null;

// matchNow: a guest who just entered looks for a stranger at once (one
// click, "Chat with a stranger", not two).
function enter(me, fresh, matchNow = false) {
  if (S.me && S.me.id === me.id) return;
  if (S.me) signedOut();
  S.me = me;
  $('#auth').hidden = true;
  $('#app').hidden = false;
  $('#app').classList.toggle('guest', !!me.guest);
  renderMe();
  show($('#nav-friends'), !me.guest);
  show($('#new-topic'), !me.guest);
  setMatchState('idle');
  selectSection(me.guest ? $('#nav-stranger') : $('#nav-chats'));
  if (fresh) broadcast('signedin');
  if (matchNow && me.guest) startMatch();
  receiver = new Receiver({
    onEvents,
    onNet: (online) => {
      S.online = online;
      netBanner(online ? '' : 'Connection lost. Reconnecting…');
      if (online) retryUnsent();
    },
    onReconnected: () => refreshAll(),
    onRevision: () => onRevision(),     // own changes made on another device
    onSignedOut: () => signedOut('Your session has ended. Please log in again.'),
  });
  receiver.start();
  // After a reload: the conversation that was open, with its draft.
  const reopen = restoreChat();
  refreshAll().then(() => {
    if (S.me?.id === me.id && S.current == null && S.convs.has(reopen)) openConversation(reopen);
  });
}

// Everything the list, the friends pane and the open chat show, fetched
// again: at start, after the network comes back, and when the page comes
// back to the front.
let refreshedAt = 0;
async function refreshAll() {
  refreshedAt = Date.now();
  await Promise.all([loadConversations(), loadFriends()]);
  if (S.current != null) { await syncThread(S.current); markRead(); }
}

// Events belong to the user, not to the browser: another device of the
// same user may have taken (and acked) some while this one was behind
// other windows. Coming back to the front, fetch again (at most every 5 s).
function backToFront() {
  if (S.me && receiver && document.visibilityState === 'visible' && Date.now() - refreshedAt > 5000) refreshAll();
}

// Nothing of the user who leaves stays in the tab for the next one: state,
// drafts (sessionStorage too), search boxes, lists, notices.
function signedOut(message) {
  receiver?.flushAcks();
  receiver?.stop();
  receiver = null;
  if (S.current != null) closeChat();
  forgetChat();
  resetConversations();
  resetState();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  for (const f of ['#find-user', '#form-profile', '#form-topic']) $(f).reset();
  for (const el of ['#conv-list', '#friend-list', '#incoming', '#outgoing', '#found-user', '#toasts', '#announcer',
    '#topic-members', '#topic-current', '#dlg-user-avatar', '#dlg-user-name', '#dlg-user-handle', '#dlg-user-fields', '#dlg-user-actions']) clear($(el));
  netBanner('');
  unreadIndicator(0);
  showAuth(message);
}

async function logout({ everywhere = false } = {}) {
  receiver?.flushAcks();
  try { await api('POST', 'logout', everywhere ? { all: true } : undefined); } catch { /* the cookie goes anyway when it expires */ }
  broadcast('signedout');
  signedOut();
}

function onEvents(events) {
  for (const e of events) {
    try { onEvent(e); } catch (err) { console.error('chat: event', e.type, err); }
  }
}

function onEvent(e) {
  switch (e.type) {
  // Notified by the tab holding the poll only: one per message (notify.js).
  case 'message': if (e.message) { onMessage(e.message); notifyMessage(e.message, !!receiver?.polling); } break;
  case 'read': onRead(e.conversation_id, e.user, e.seq); break;
  case 'message_edited': case 'message_deleted': onMessageChanged(e.message); break;
  case 'presence': onPresence(e.user, !!e.online, e.at); break;
  case 'typing': onTyping(e); break;       // no id: not acked (docs/API.md)
  case 'profile': onProfile(e.user, e.nickname, e.avatar_url); break;
  case 'friend_request': case 'friend_accepted': case 'friend_rejected': case 'friend_removed':
  case 'friend_canceled':     // a request to this user taken back
  case 'friends_changed':     // what this user did on another page or device
    onFriendEvent(e); break;
  case 'match_found': matched(e.conversation_id, e.partner, true); break;
  case 'partner_left': onPartnerLeft(e); break;
  case 'conversation_updated': onConversationUpdated(e); break;
  // The server dropped older events it held for us (too many, or too
  // old): catch up from history and the lists (docs/API.md).
  case 'resync': onResync(e); break;
  // A system notice an admin wrote (README): shown longer than the others.
  case 'notice': if (typeof e.text === 'string' && e.text) toast(`Notice: ${e.text}`, 'notice', 15000); break;
  default: break;     // types added later are ignored
  }
}

// A resync names the conversations whose message events were dropped:
// each held one fetches its history after the last seq it holds (the
// gap-filling of chat-thread.js); the list (unread counts, previews) and
// the friends pane (requests) are fetched again. Once per tab: every tab
// gets the event through the shared poll.
function onResync(e) {
  const ids = Array.isArray(e.conversations) ? e.conversations : [];
  for (const id of ids) {
    const t = S.threads.get(id);
    if (t?.loaded || t?.sync) syncThread(id);       // not held: fetched when opened
  }
  loadConversations();            // marks the open chat read, as always
  loadFriends();
}

// What other tabs of this browser tell us.
function onTabMessage(m) {
  switch (m.kind) {
  case 'sent': if (S.me && m.message) onMessage(m.message); break;
  case 'read': if (S.me) onOwnRead(m.conversation_id, m.seq); break;
  case 'signedout': if (S.me) signedOut(); break;
  case 'signedin':
    if (!S.me) api('GET', 'me').then(r => { if (r.ok && !S.me) enter(r.data, false); }).catch(() => {});
    break;
  case 'me': if (S.me && m.me?.id === S.me.id) { S.me = m.me; renderMe(); } break;
  default: break;
  }
}

function initApp() {
  selectSection = tablist([$('#nav-chats'), $('#nav-friends'), $('#nav-stranger')], (t) => {
    if (t.id === 'nav-friends') renderFriends();
  });
  // A guest who signs out is gone for good (no password to come back
  // with): asked first.
  $('#logout').addEventListener('click', async () => {
    if (S.me?.guest && !await confirmDialog('Sign out? You are a guest: this nickname and your stranger chats are gone for good, with no way back.', 'Sign out', true)) return;
    logout();
  });
  $('#conv-filter').addEventListener('input', renderConversations);
  $('#conv-more').addEventListener('click', showOlderConversations);
  addEventListener('offline', () => { if (S.me) netBanner('You are offline. Reconnecting when the network returns…'); });
  addEventListener('online', () => { if (S.me && S.online) netBanner(''); });
  addEventListener('focus', backToFront);
  document.addEventListener('visibilitychange', backToFront);
  onBroadcast(onTabMessage);
}

async function boot() {
  wire();
  initDialogs();
  initAuth(enter);
  initApp();
  initChat();
  initSearch();
  initFriends();
  initTopics();
  initStranger();
  initProfile();
  initNotify();
  let res = null;
  for (let i = 0; i < 3 && !res; i++) {
    try { res = await api('GET', 'me'); } catch { await new Promise(r => setTimeout(r, 500 * (i + 1))); }
  }
  if (res?.ok) enter(res.data, false);
  else showAuth(res ? '' : 'No connection to the server.');
}

boot();
