// stranger.js: talk to strangers (seed 002). POST /api/match answers
// "waiting" (a match_found event follows) or "matched" at once; either
// side can leave (the other gets partner_left). Several stranger chats can
// be open at once (up to 5, each in the list): "Find another stranger"
// looks for one more, "Next stranger" in a chat ends that one and looks
// for another. Closing or reloading the page while waiting leaves the
// queue. A page that goes with stranger chats open says so (POST
// /api/match/away): unless this user comes back within 10 s (the reloaded
// page, or another tab of this browser, says DELETE /api/match/away), the
// server ends them and the partners hear "left" (seed 002: a closed page
// is a partner gone).

import { api, errorText } from './api.js';
import { $, show } from './dom.js';
import { S, convTitle } from './state.js';
import { broadcast, onBroadcast } from './receiver.js';
import { chatBanner, toast, confirmDialog } from './ui.js';
import { ask } from './intent.js';

const nick = (p) => p?.nickname || 'a stranger';
const liveMatches = () => [...S.convs.values()].filter((c) => c.kind === 'match' && !c.ended);
const partnerOf = (c) => ({ nickname: c.title, username: c.peer?.username });

export function setMatchState(state, partner) {
  S.matchState = state;
  const st = $('#match-status');
  show($('#match-cancel'), state === 'waiting');
  $('#match-start').textContent = state === 'idle' ? 'Find a stranger' : 'Find another stranger';
  $('#pane-stranger').classList.toggle('waiting', state === 'waiting');
  // A registered user is told before joining what the stranger sees.
  show($('#match-note'), !!S.me && !S.me.guest);
  const n = liveMatches().length;
  st.textContent = state === 'waiting' ? 'Looking for someone to talk to…'
    : state === 'matched' ? (n > 1 ? `You are talking to ${n} strangers.` : `You are talking to ${nick(partner)}.`)
      : state === 'left' ? 'Your partner left.' : '';
  renderWaiting();
}

// The empty chat pane says so while waiting.
export function renderWaiting() {
  const waiting = S.matchState === 'waiting';
  paneButton();
  $('#chat-empty').classList.toggle('waiting', waiting);
  $('#chat-empty-text').textContent = waiting ? 'Looking for a stranger to talk to…' : 'Select a conversation to start chatting.';
}

// One "find someone new" at a time: while an ended stranger chat is open,
// its header's button says so (chat-head.js) and the pane's goes.
function paneButton() {
  const c = S.convs.get(S.current);
  show($('#match-start'), S.matchState !== 'waiting' && !(c?.kind === 'match' && c.ended));
}

// Look for one more stranger; the chats open stay open.
export async function startMatch() {
  if (S.matchState === 'waiting') return;
  setMatchState('waiting');
  if (getComputedStyle($('.side')).display !== 'none') $('#nav-stranger').click();
  let res = null;
  try { res = await api('POST', 'match'); } catch { res = null; }
  if (!res?.ok) {
    S.matchState = 'idle';
    afterEnd('idle');
    $('#match-status').textContent = errorText(res);
    return;
  }
  if (res.data.status === 'matched') await matched(res.data.conversation_id, res.data.partner);
}

// "Next stranger" in a stranger chat: end this one, look for another.
export async function nextStranger() {
  const c = S.convs.get(S.current);
  if (c?.kind === 'match' && !c.ended) {
    try { await api('POST', `conversations/${c.id}/leave`); } catch { /* it ends anyway when idle */ }
    c.ended = true;
    if (S.match?.conversation_id === c.id) S.match = null;
  }
  if (c?.kind === 'match') ask.closeChat();
  ask.renderConversations();
  return startMatch();
}

export async function cancelMatch() {
  try { await api('DELETE', 'match'); } catch { /* ignore */ }
  S.matchState = 'idle';
  afterEnd('idle');
}

// After a stranger chat ended (or a search stopped): a search going on
// stays on (its pagehide must still leave the queue); else "matched" while
// another chat is open, else state.
function afterEnd(state) {
  if (S.match && S.convs.get(S.match.conversation_id)?.ended) S.match = null;
  const other = liveMatches()[0];
  if (!S.match && other) S.match = { conversation_id: other.id, partner: partnerOf(other) };
  if (S.matchState === 'waiting') { setMatchState('waiting'); return; }
  if (S.match) setMatchState('matched', S.match.partner);
  else setMatchState(state);
}

// From the immediate answer or the match_found event (both may come).
// Only the page that asked for a stranger switches to the chat: a match
// found for another device or tab of this user (its event may come here)
// shows up in the list, and says so, but never takes over the open chat.
export async function matched(id, partner, fromEvent = false) {
  if (fromEvent && S.matchState !== 'waiting') {
    if (S.convs.has(id)) return;
    await ask.loadConversations();
    toast(`A stranger chat with ${nick(partner)} began on another device or tab.`);
    return;
  }
  const again = S.match?.conversation_id === id;
  S.match = { conversation_id: id, partner };
  if (again && S.current === id) return;
  await ask.loadConversations();
  setMatchState('matched', partner);
  ask.openConversation(id, { banner: `You're now chatting with ${nick(partner)}. Say hi!` });
}

export function onPartnerLeft(e) {
  const c = S.convs.get(e.conversation_id);
  if (c) { c.ended = true; c.partnerLeft = true; }
  const who = c ? convTitle(c) : 'Your partner';
  if (S.match?.conversation_id === e.conversation_id) { S.match = null; afterEnd('left'); }
  else if (S.matchState === 'matched') afterEnd('left');
  if (S.current === e.conversation_id) { ask.renderHead(); matchBannerFor(c); }
  else toast(`${who} left the chat.`);
  ask.renderConversations();
}

// The user's own state changed on another device (receiver.js: the poll's
// rev): the list again. A stranger chat left there is no longer in it,
// and one whose partner left is ended: either shows as ended here, with
// no Leave button (and one ended here before stays, as after a leave).
export async function onRevision() {
  const before = [...S.convs.values()].filter((c) => c.kind === 'match');
  await ask.loadConversations();
  let ended = false;
  for (const c of before) {
    const now = S.convs.get(c.id);
    if (!now) { S.convs.set(c.id, c); if (c.ended) continue; c.ended = true; }
    else if (c.ended || !now.ended) continue;
    ended = true;
    if (S.current === c.id) { ask.renderHead(); matchBannerFor(S.convs.get(c.id)); }
  }
  if (ended) afterEnd('idle');
  ask.renderConversations();
}

// The banner of an ended stranger chat (shown when opened).
export function matchBannerFor(c) {
  paneButton();
  if (c?.kind !== 'match' || !c.ended) return;
  chatBanner(c.partnerLeft ? `${convTitle(c)} left the chat.` : 'This stranger chat has ended.', 'warn');
}

export async function leaveMatch(c) {
  if (!await confirmDialog(`End the chat with ${convTitle(c)}?`, 'End chat', true)) return;
  let res = null;
  try { res = await api('POST', `conversations/${c.id}/leave`); } catch { res = null; }
  if (!res?.ok && res?.status !== 409) { toast(errorText(res), 'error'); return; }
  c.ended = true;
  if (S.match?.conversation_id === c.id) S.match = null;
  afterEnd('idle');
  ask.renderHead();
  chatBanner('You ended this chat.', 'warn');
  paneButton();
  ask.renderConversations();
}

// Report the stranger of chat c (POST /api/reports): a reason, and unless
// unticked a block too, which ends the chat.
export function reportStranger(c) {
  const d = $('#dlg-report');
  const f = $('#form-report');
  f.reset();
  $('#report-error').textContent = '';
  f.onsubmit = async (e) => {
    e.preventDefault();
    const block = f.block.checked;
    let res = null;
    try { res = await api('POST', 'reports', { conversation_id: c.id, reason: f.reason.value, block }); } catch { res = null; }
    if (!res?.ok) { $('#report-error').textContent = errorText(res); return; }
    d.close();
    toast(block ? 'Reported and blocked. Thank you.' : 'Reported. Thank you.');
    if (block) {
      c.ended = true;
      if (S.match?.conversation_id === c.id) S.match = null;
      afterEnd('idle');
      ask.renderHead();
      ask.loadConversations();
    }
  };
  d.showModal();
}

// A friend request to the stranger of chat c, by the chat: the stranger's
// user name is not shown (POST /api/friends/requests {conversation_id}).
export async function befriendStranger(c) {
  let res = null;
  try { res = await api('POST', 'friends/requests', { conversation_id: c.id, text: '' }); } catch { res = null; }
  if (!res?.ok) { toast(errorText(res), 'error'); return; }
  c.requested = true;
  ask.renderHead();
  toast(res.data.status === 'accepted' ? `You and ${convTitle(c)} are now friends.` : `Friend request sent to ${convTitle(c)}.`);
  if (res.data.status === 'accepted') ask.loadConversations();
}

// This page is here with stranger chats open: cancel a closed or reloaded
// page's word that it went (asked again a moment later, in case that word
// reaches the server after this).
function stillHere() {
  const ask = () => { if (S.me && liveMatches().length) api('DELETE', 'match/away').catch(() => {}); };
  ask();
  setTimeout(ask, 2000);
}

// After loading the list (e.g. a reload): a live stranger chat is "matched".
export function syncMatchFromList() {
  if (!S.backSaid && liveMatches().length) { S.backSaid = true; stillHere(); }
  const live = liveMatches()[0];
  if (live && (!S.match || S.match.conversation_id !== live.id) && S.matchState !== 'waiting') {
    S.match = { conversation_id: live.id, partner: partnerOf(live) };
    setMatchState('matched', S.match.partner);
  } else if (S.match && S.convs.get(S.match.conversation_id)?.ended) {
    S.match = null;
    setMatchState('left');
  }
}

export function initStranger() {
  $('#match-start').addEventListener('click', () => startMatch());
  $('#match-cancel').addEventListener('click', cancelMatch);
  // A page that goes (closed, reloaded, navigated away) while waiting
  // leaves the queue: nobody should be matched with a tab that is gone, and
  // a reloaded tab starts idle.
  addEventListener('pagehide', () => {
    if (S.me && S.matchState === 'waiting') api('DELETE', 'match', null, { keepalive: true }).catch(() => {});
    if (S.me && liveMatches().length) {
      broadcast('away');
      api('POST', 'match/away', null, { keepalive: true }).catch(() => {});
    }
  });
  // Another tab of this browser went: this one is still here.
  onBroadcast((m) => { if (m.kind === 'away') setTimeout(stillHere, 1000); });
  // Back from the browser's page cache after a pagehide.
  addEventListener('pageshow', (e) => { if (e.persisted) stillHere(); });
}
