// chat-head.js: the open chat's header, for chat.js: picture, title, and
// under it who is online, how many are in a group, or that a stranger
// chat ended; whether the composer may write (not in an ended chat, nor
// to an ex-friend). Its buttons ask (intent.js) for a profile, a group's
// dialog, the next stranger, leaving, blocking, reporting a stranger or
// befriending one.

import { api } from './api.js';
import { $, clear, show, avatar, lastSeen } from './dom.js';
import { toast } from './ui.js';
import { S, isMe, convTitle, peerOnline } from './state.js';
import { ask } from './intent.js';
import { typingText } from './chat-typing.js';

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
    // You are online too (you are looking): counted, as members are.
    const on = c.members_detail ? c.members_detail.filter(m => m.online || isMe(m.username)).length : 0;
    sub = `${n} member${n === 1 ? '' : 's'}${on ? `, ${on} online` : ''}`;
  } else if (c.kind === 'match') {
    sub = c.ended ? 'Stranger chat · ended' : 'Stranger chat';
  } else if (c.peer) {
    sub = online === undefined ? 'no longer friends' : online ? 'online' : lastSeen(S.friends.get(c.peer.username)?.last_seen);
  }
  // Someone typing here says so instead, for as long as they type.
  const typing = typingText(c.id);
  $('#chat-sub').textContent = typing || sub;
  $('#chat-sub').classList.toggle('typing', !!typing);
  $('#chat-who').setAttribute('aria-label', `${title}: ${c.kind === 'topic' ? 'group details' : 'profile'}`);
  show($('#chat-info'), c.kind === 'topic');
  // Mute (issue 25): per user, on every device; no notification, no count.
  const mute = $('#chat-mute');
  mute.textContent = c.muted ? 'Unmute' : 'Mute';
  mute.setAttribute('aria-pressed', c.muted ? 'true' : 'false');
  mute.title = c.muted ? 'Muted: no notifications, not counted in the title' : 'No notifications from this chat';
  show(mute, !c.ended);
  show($('#chat-next'), c.kind === 'match');
  // Ended, it is the chat's one "Find someone new" (index.html's spans).
  $('#chat-next').classList.toggle('ended', !!c.ended);
  show($('#chat-leave'), c.kind === 'topic' || (c.kind === 'match' && !c.ended));
  // Safety: block the other person (a friend or a stranger); report a
  // stranger; befriend a stranger (registered users, by the chat: their
  // user name is not shown).
  const stranger = c.kind === 'match' && !c.peer?.username;
  show($('#chat-block'), c.kind === 'direct' || stranger);
  show($('#chat-report'), stranger);
  show($('#chat-friend'), stranger && !c.ended && !S.me?.guest && !c.requested);
  // A direct chat whose friendship ended stays readable; writing waits
  // for a new friendship (the server would refuse: not_friends).
  const exFriend = c.kind === 'direct' && !!c.peer && S.friendsLoaded && !S.friends.has(c.peer.username);
  const box = $('#composer-text');
  box.disabled = !!c.ended || exFriend;
  $('#send').disabled = box.disabled;
  // Nothing to attach or insert where nothing can be written; and the
  // reason why gets the width (at phone width it needs it).
  show($('#attach'), !box.disabled);
  show($('#emoji-open'), !box.disabled);
  box.placeholder = c.ended ? 'This chat has ended'
    : exFriend ? 'You are no longer friends: add them again to write' : 'Write a message…';
}

export function initHead() {
  $('#chat-who').addEventListener('click', () => {
    const c = S.convs.get(S.current);
    if (!c) return;
    if (c.kind === 'topic') ask.topicDialog(c);
    else if (c.peer?.username) ask.showUser(c.peer.username);
  });
  $('#chat-block').addEventListener('click', () => {
    const c = S.convs.get(S.current);
    if (c?.kind === 'match') ask.blockUser({ conversation_id: c.id }, convTitle(c));
    else if (c?.peer?.username) ask.blockUser({ username: c.peer.username }, convTitle(c));
  });
  $('#chat-report').addEventListener('click', () => { const c = S.convs.get(S.current); if (c) ask.reportStranger(c); });
  $('#chat-friend').addEventListener('click', () => { const c = S.convs.get(S.current); if (c) ask.befriendStranger(c); });
  $('#chat-info').addEventListener('click', () => { const c = S.convs.get(S.current); if (c) ask.topicDialog(c); });
  $('#chat-leave').addEventListener('click', () => {
    const c = S.convs.get(S.current);
    if (c?.kind === 'topic') ask.leaveTopic(c);
    else if (c?.kind === 'match') ask.leaveMatch(c);
  });
  $('#chat-next').addEventListener('click', () => ask.nextStranger());
  $('#chat-mute').addEventListener('click', async () => {
    const c = S.convs.get(S.current);
    if (!c) return;
    let res = null;
    try { res = await api('POST', `conversations/${c.id}/mute`, { muted: !c.muted }); } catch { res = null; }
    if (!res?.ok) { toast(res?.data?.error?.message || 'Could not change that. Try again.', 'error'); return; }
    c.muted = !!res.data.muted;
    renderHead();
    ask.renderConversations();
  });
}
