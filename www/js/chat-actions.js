// chat-actions.js: a message beyond its text, for chat.js (issue 24).
// Links in a body (http and https only) open in a new tab with no opener
// and no referrer; nothing is fetched for them. A reply shows the quoted
// original, which a click scrolls to and highlights, older pages loaded
// until it is held. Each bubble has an actions button (shown on hover and
// focus, reachable by Tab): Reply; Edit and Delete for one's own; Delete
// for a group's owner and admins. Replying or editing shows a bar above
// the text box with a cancel (Esc too). Edits and deletions arrive live
// (message_edited, message_deleted) and change the bubble, the quotes of
// it and the list's preview.

import { api, errorText } from './api.js';
import { $, h, show, icon, emojiOnly } from './dom.js';
import { S, isMe, memberName } from './state.js';
import { ask } from './intent.js';
import { chatBanner, confirmDialog } from './ui.js';

let render = () => {};              // chat-thread.js's renderMessages (initActions)
let showAt = async () => false;     // and its showMessage
const SNIPPET = 100;                // characters of a quote, as the server cuts them
const snip = (text) => [...String(text || '')].slice(0, SNIPPET).join('');

// ---------- links ----------
// http(s) addresses as links, the rest as text (never markup). A
// sentence's closing punctuation is not part of the address.
const URLS = /\bhttps?:\/\/[^\s<>"]+/gi;
export function linkified(text) {
  const out = [];
  let last = 0;
  for (const hit of text.matchAll(URLS)) {
    const u = hit[0].replace(/[.,;:!?')\]}]+$/, '');
    let url = null;
    try { url = new URL(u); } catch { url = null; }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) continue;
    if (hit.index > last) out.push(text.slice(last, hit.index));
    out.push(h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', text: u }));
    last = hit.index + u.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// The body of a bubble: its text with links, or "message deleted".
export function bodyNode(m) {
  if (m.deleted) return h('span', { class: 'body deleted', text: 'message deleted' });
  // One to six emoji alone: shown larger, in a fixed line height (app.css).
  return h('span', { class: emojiOnly(m.body) ? 'body emoji-only' : 'body', dir: 'auto' }, linkified(String(m.body ?? '')));
}

// The quote of the message m answers (a button: it goes there), or null.
export function quoteNode(c, m) {
  const r = m.reply_to;
  if (!r) return null;
  const who = memberName(c, r.sender);
  return h('button', { type: 'button', class: 'quote', dataset: { replyId: String(r.id), replySeq: String(r.seq) },
    title: 'Go to the message' },
  h('span', { class: 'quote-name', dir: 'auto', text: who }),
  h('span', { class: `quote-text${r.deleted ? ' deleted' : ''}`, dir: 'auto', text: r.deleted ? 'message deleted' : r.snippet }));
}

// "edited" beside the time of an edited message.
export const editedMark = (m) => m.edited_at && !m.deleted ? h('span', { class: 'edited', text: 'edited', title: 'Edited' }) : null;

// The actions button of a stored message (a notice has none).
export function actionsButton(m) {
  if (!m.id || m.kind === 'notice') return null;
  return h('button', { type: 'button', class: 'msg-act', 'aria-label': 'Message actions', 'aria-haspopup': 'menu', 'aria-expanded': 'false' }, icon('dots'));
}

// What the bubble's drawing depends on beyond chat-thread.js's own: its
// signature changes when any of it does.
export const actionsSig = (c, m) => !m.edited_at && !m.deleted && !m.reply_to ? ''
  : [m.edited_at, m.deleted, m.reply_to?.snippet, m.reply_to?.deleted, m.reply_to ? memberName(c, m.reply_to.sender) : ''].join('\u0002');

// ---------- the menu ----------
// It floats above the page (not in the bubble's item, which a read
// receipt or an edit may draw anew while it is open).
let menu = null;
const actButton = (id) => $(`#messages li[data-id="${Number(id)}"] button.msg-act`);
function closeMenu(focusBack) {
  if (!menu) return;
  const btn = actButton(menu.dataset.id);
  menu.remove();
  menu = null;
  btn?.setAttribute('aria-expanded', 'false');
  if (focusBack) btn?.focus();
}

const held = (li) => S.threads.get(S.current)?.items.get('m' + li.dataset.id);

function openMenu(btn) {
  closeMenu();
  const li = btn.closest('li');
  const m = held(li);
  const c = S.convs.get(S.current);
  if (!m) return;
  const mine = isMe(m.sender);
  const admin = c?.kind === 'topic' && (c.role === 'owner' || c.role === 'admin');
  const open = !c?.ended && !$('#composer-text').disabled;
  const items = [];
  if (open && !m.deleted) items.push(['Reply', () => startCompose('reply', m)]);
  if (open && mine && !m.deleted && !m.kind) items.push(['Edit', () => startCompose('edit', m)]);
  if ((mine || admin) && !m.deleted) items.push(['Delete', () => remove(m)]);
  if (!items.length) return;
  menu = h('div', { class: 'msg-menu', role: 'menu', dataset: { id: String(m.id) } }, items.map(([text, fn]) =>
    h('button', { type: 'button', role: 'menuitem', text, onclick: () => { closeMenu(); fn(); } })));
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); closeMenu(true); } });
  menu.dataset.mine = mine ? '1' : '';
  document.body.append(menu);
  placeMenu();
  btn.setAttribute('aria-expanded', 'true');
  menu.firstElementChild.focus();
}

// Beside its button, wherever that is now (the list scrolled, the item
// drawn anew); gone with it.
function placeMenu() {
  const btn = menu && actButton(menu.dataset.id);
  if (!btn) { closeMenu(); return; }
  const r = btn.getBoundingClientRect();
  const w = menu.offsetWidth, hgt = menu.offsetHeight;
  menu.style.left = Math.max(8, Math.min(menu.dataset.mine ? r.right - w : r.left, innerWidth - w - 8)) + 'px';
  menu.style.top = (r.bottom + 4 + hgt > innerHeight ? Math.max(8, r.top - 4 - hgt) : r.bottom + 4) + 'px';
}

// ---------- replying and editing ----------
let composing = null;               // {mode: 'reply' | 'edit', conv, m, draft}

function showBar() {
  const on = !!composing && composing.conv === S.current;
  show($('#compose-bar'), on);
  if (!on) return;
  const { mode, m } = composing;
  const c = S.convs.get(composing.conv);
  $('#compose-bar-label').textContent = mode === 'edit' ? 'Edit message' : `Reply to ${memberName(c, m.sender)}`;
  $('#compose-bar-text').textContent = snip(m.body);
}

function startCompose(mode, m) {
  const box = $('#composer-text');
  if (composing?.mode === 'edit') box.value = composing.draft;
  composing = { mode, conv: S.current, m, draft: mode === 'edit' ? box.value : '' };
  if (mode === 'edit') { box.value = m.body; box.dispatchEvent(new Event('input')); }
  showBar();
  box.focus();
}

// Replying or editing ends (cancel, Esc, another chat): an edit's text
// gives way to the draft that was there before.
export function endCompose() {
  if (!composing) return;
  const was = composing;
  composing = null;
  showBar();
  if (was.mode === 'edit') { $('#composer-text').value = was.draft; $('#composer-text').dispatchEvent(new Event('input')); }
}

// The composer's submit: what it should do with body. {reply} (the
// message it answers, for the send) or {edited: true} (done here).
export function takeCompose(body) {
  const was = composing && composing.conv === S.current ? composing : null;
  composing = null;
  showBar();
  if (!was) return {};
  if (was.mode === 'reply') return { reply: { id: was.m.id, seq: was.m.seq, sender: was.m.sender, snippet: snip(was.m.body) } };
  saveEdit(was.m, body);
  if (was.draft) { $('#composer-text').value = was.draft; queueMicrotask(() => $('#composer-text').dispatchEvent(new Event('input'))); }
  return { edited: true };
}

async function saveEdit(m, body) {
  if (body === m.body) return;
  let res = null;
  try { res = await api('PATCH', `messages/${m.id}`, { body }); } catch { res = null; }
  if (res?.ok) onMessageChanged(res.data);
  else chatBanner(`Not edited: ${errorText(res)}`, 'warn');
}

async function remove(m) {
  const mine = isMe(m.sender);
  if (!await confirmDialog(mine ? 'Delete this message for everyone?' : 'Delete this message of someone else for everyone?', 'Delete', true)) return;
  let res = null;
  try { res = await api('DELETE', `messages/${m.id}`); } catch { res = null; }
  if (res?.ok) onMessageChanged(res.data);
  else chatBanner(`Not deleted: ${errorText(res)}`, 'warn');
}

// ---------- edits and deletions arriving ----------
// m as it is now: the held copy, the quotes of it, the list's preview.
export function onMessageChanged(m) {
  if (!m?.id) return;
  const id = m.conversation_id;
  const t = S.threads.get(id);
  if (t?.items.has('m' + m.id)) t.put(m);
  if (t) {
    for (const x of t.items.values()) {
      if (x.reply_to?.id === m.id) x.reply_to = { ...x.reply_to, snippet: m.deleted ? '' : snip(m.body), deleted: m.deleted || undefined };
    }
  }
  const c = S.convs.get(id);
  if (c?.last_message?.id === m.id) { c.last_message = { ...c.last_message, ...m }; ask.renderConversationsSoon(); }
  if (composing?.m.id === m.id && m.deleted) endCompose();
  if (S.current === id) { render(); if (menu) placeMenu(); }
}

// ---------- going to a quoted message ----------
// chat-thread.js's showMessage loads older pages down to it.
async function goTo(seq) {
  const conv = S.current;
  if (!(await showAt(conv, seq, 'flash')) && S.current === conv)
    chatBanner('That message is not in this chat any more.', 'info');
}

// A sign-out or another chat: no menu, no reply or edit under way.
export function forgetActions() {
  closeMenu();
  endCompose();
}

export function initActions(renderMessages, showMessage) {
  render = renderMessages;
  showAt = showMessage;
  const ol = $('#messages');
  ol.addEventListener('click', (e) => {
    const act = e.target.closest('button.msg-act');
    if (act) { if (act.getAttribute('aria-expanded') === 'true') closeMenu(); else openMenu(act); return; }
    const q = e.target.closest('button.quote');
    if (q) goTo(Number(q.dataset.replySeq));
  });
  // Right-click on a bubble opens its menu too.
  ol.addEventListener('contextmenu', (e) => {
    const li = e.target.closest('li.msg');
    const act = li && !e.target.closest('a') ? li.querySelector('button.msg-act') : null;
    if (act) { e.preventDefault(); openMenu(act); }
  });
  document.addEventListener('click', (e) => { if (menu && !menu.contains(e.target) && !e.target.closest('button.msg-act')) closeMenu(); });
  $('#scroller').addEventListener('scroll', () => { if (menu) placeMenu(); }, { passive: true });
  addEventListener('resize', () => closeMenu());
  $('#compose-bar-cancel').addEventListener('click', () => { endCompose(); $('#composer-text').focus(); });
  $('#composer-text').addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && composing) { e.preventDefault(); e.stopPropagation(); endCompose(); }
  });
}
