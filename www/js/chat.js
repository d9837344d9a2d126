// chat.js: the chat pane: opening a conversation (its draft, header,
// messages, then what is missing fetched) and closing it; what outlives a
// reload and what a sign-out takes. Its parts: chat-head.js (the header),
// chat-thread.js (the messages, history, read marks), chat-composer.js
// (writing, sending), chat-drafts.js (sessionStorage). app.js reaches
// them all through this file.

import { $, clear, show } from './dom.js';
import { S } from './state.js';
import { chatBanner, hideChatBanner } from './ui.js';
import { ask } from './intent.js';
import { persist, restoreDrafts, forgetDrafts } from './chat-drafts.js';
import { renderHead, initHead } from './chat-head.js';
import { syncThread, loadDetail, renderMessages, fillView, markRead, initThread, forgetThread, showMessage } from './chat-thread.js';
import { saveDraft, showDraft, forgetComposer, initComposer } from './chat-composer.js';
import { initEmoji } from './chat-emoji.js';
import { onTypingChange, typingDone, forgetTyping } from './chat-typing.js';
import { onMessage as threadMessage } from './chat-thread.js';
import { unreadLine } from './chat-thread.js';
import { initActions, forgetActions } from './chat-actions.js';

export { renderHead } from './chat-head.js';
export { retryUnsent } from './chat-composer.js';
export { syncThread, loadDetail, markRead, onRead, onOwnRead } from './chat-thread.js';
export { showMessage } from './chat-thread.js';
export { onTyping } from './chat-typing.js';
export { onMessageChanged } from './chat-actions.js';

// A message: in its thread; its sender is done typing it.
export function onMessage(m) {
  typingDone(m);
  return threadMessage(m);
}

export async function openConversation(id, { banner } = {}) {
  const c = S.convs.get(id);
  let atLine = false;               // unread ones: start at "New messages"
  if (S.current !== id) {
    forgetActions();
    saveDraft();
    hideChatBanner();
    show($('#jump'), false);
    atLine = unreadLine(id);
  }
  S.current = id;
  $('#app').classList.add('chat-open');
  show($('#chat-empty'), false);
  show($('#chat-head'), true);
  show($('#composer'), true);
  showDraft(id);
  persist();
  renderHead();
  renderMessages({ bottom: !atLine });
  ask.renderConversations();
  if (banner) chatBanner(banner, 'info');
  else if (c) ask.matchBannerFor(c);
  const box = $('#composer-text');
  if (!box.disabled && matchMedia('(pointer: fine)').matches) box.focus();

  const [hist, detail] = await Promise.all([syncThread(id), loadDetail(id)]);
  if (S.current !== id) return;
  if (hist && !hist.ok && (hist.status === 403 || hist.status === 404)) {
    closeChat();
    ask.loadConversations();
    return;
  }
  if (detail?.ok === false && hist?.ok === false) return;
  renderHead();
  renderMessages({ bottom: !atLine });
  markRead();
  fillView();
}

export function closeChat() {
  forgetActions();
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
  ask.renderWaiting();
  ask.renderConversations();
  if (lost) ($(`#conv-list li[data-id="${id}"] button`) || $('#conv-list button') || $('#nav-chats')).focus();
}

// At sign-in: the drafts back, and the conversation that was open (or null).
export function restoreChat() {
  return restoreDrafts();
}

// At sign-out (after closeChat): nothing of this user stays in the tab.
export function forgetChat() {
  forgetDrafts();
  forgetThread();
  forgetComposer();
  forgetTyping();
}

export function initChat() {
  initComposer();
  initEmoji();
  initThread();
  initActions(renderMessages, showMessage);
  $('#back').addEventListener('click', () => { const id = S.current; closeChat(); $(`#conv-list li[data-id="${id}"] button`)?.focus(); });
  initHead();
  onTypingChange((conv) => { if (conv === S.current) renderHead(); });
  document.addEventListener('keydown', (e) => {
    // Esc leaves the chat on a phone (where the chat covers the list).
    if (e.key === 'Escape' && !document.querySelector('dialog[open]') && S.current != null
        && getComputedStyle($('.side')).display === 'none') closeChat();
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') markRead(); });
}
