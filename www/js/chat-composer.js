// chat-composer.js: writing and sending, for chat.js. The text box grows
// with its text, counts characters near the limit, keeps a draft per
// conversation (chat-drafts.js); Enter sends. Sends of one conversation go
// out one after the other; a failed one shows its Retry (chat-thread.js
// draws it), which reuses the same client_id.

import { api, errorText, uuid } from './api.js';
import { $, h, show } from './dom.js';
import { S, thread } from './state.js';
import { broadcastToPeers } from './receiver.js';
import { chatBanner, hideChatBanner } from './ui.js';
import { drafts, persist, persistSoon } from './chat-drafts.js';
import { renderHead } from './chat-head.js';
import { renderMessages, onMessage } from './chat-thread.js';
import { prepare, upload } from './chat-files.js';
import { noteTyping, typingSent } from './chat-typing.js';
import { takeCompose } from './chat-actions.js';

const MAX_CHARS = 4000;            // a message body, in code points (docs/API.md)

// The open conversation's draft, kept as it is now (stored at once, or
// soon: a key pressed).
export function saveDraft(soon) {
  if (S.current == null) return;
  const v = $('#composer-text').value;
  if (v) drafts.set(S.current, v); else drafts.delete(S.current);
  if (soon) persistSoon(); else persist();
}

// The text box shows conversation id's draft.
export function showDraft(id) {
  $('#composer-text').value = drafts.get(id) || '';
  autosize();
  countChars();
}

// At sign-out: the text box empty.
export function forgetComposer() {
  $('#composer-text').value = '';
  countChars();
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
// reply: the message it answers ({id, seq, sender, snippet}), or none.
function send(id, body, clientId, reply) {
  const t = thread(id);
  const client_id = clientId || uuid();
  const old = t.local(client_id);
  t.putLocal({ local: true, state: 'sending', client_id, body, sender: S.me.username,
    conversation_id: id, t: old?.t || Date.now(), sent_at: 0, reply_to: reply || undefined });
  persistSoon();                    // (at once if the page goes first)
  if (S.current === id) renderMessages({ bottom: true });
  const p = (sendQueues.get(id) || Promise.resolve()).then(() => post(id, t, body, client_id, reply));
  sendQueues.set(id, p);
  p.finally(() => { if (sendQueues.get(id) === p) sendQueues.delete(id); });
  return p;
}

async function post(id, t, body, client_id, reply) {
  if (!S.me) return;                                // signed out meanwhile
  let res = null;
  // (A timer of our own: AbortSignal.timeout cost half a millisecond a send.)
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), SEND_TIMEOUT);
  const until = Date.now() + SEND_TIMEOUT;
  for (;;) {
    try { res = await api('POST', 'messages', { conversation_id: id, client_id, body, reply_to: reply?.id }, { signal: ctl.signal }); } catch { res = null; }
    // A busy server (a shared host's few connections) asks to come back in
    // a moment: the same client_id again is safe, within the send's time.
    const wait = (res?.retryAfter || 1) * 1000;
    if (res?.status !== 503 || res.data?.error?.code !== 'busy' || Date.now() + wait >= until) break;
    await new Promise(ok => setTimeout(ok, wait));
  }
  clearTimeout(timer);
  if (res?.ok && res.data?.id) {
    const m = { sender: S.me.username, body, client_id, conversation_id: id, ...res.data };
    t.put(m);                                         // replaces the local copy
    onMessage(m);                                     // draws it
    broadcastToPeers('sent', { message: m });
    persistSoon();                                    // (a reload meanwhile: history has it)
    return;                                           // (send() took the view to the end)
  } else {
    const item = t.local(client_id);
    if (item) {
      item.state = 'failed';
      item.offline = !res;                          // sent again when it comes back
      item.error = !res ? 'Not sent: no connection. It goes when the connection is back.' : res.status === 429 ? 'Not sent: sending too fast.' : 'Not sent: ' + errorText(res);
    }
    if (res?.status === 409) { const c = S.convs.get(id); if (c?.kind === 'match') { c.ended = true; renderHead(); } }
  }
  persist();
  if (S.current === id) renderMessages({ bottom: true });
}

// The connection is back: messages that failed for want of it go again,
// oldest first, each with its client_id (the server never stores one
// twice). Those the server refused stay failed, with their Retry.
export function retryUnsent() {
  for (const [id, t] of S.threads) {
    const failed = [...t.locals()].filter(m => m.state === 'failed' && m.offline);
    failed.sort((a, b) => (a.t || 0) - (b.t || 0));
    for (const m of failed) send(id, m.body, m.client_id, m.reply_to);
  }
}

// ---------- pictures and files ----------
// Each file goes up on its own (chat-files.js), with a progress bar and
// Cancel above the composer; its message comes back in the answer and is
// drawn like a sent one. A refusal (too large, quota, too many) shows in
// the chat's banner.
async function sendFile(id, file) {
  const bar = h('progress', { max: '1', value: '0', 'aria-label': `Sending ${file.name}` });
  const cancel = h('button', { type: 'button', class: 'ghost upload-cancel' }, 'Cancel');
  const row = h('div', { class: 'upload' }, h('span', { class: 'upload-name', dir: 'auto', text: file.name }), bar, cancel);
  const box = $('#uploads');
  box.append(row);
  show(box, true);
  let up = null, cancelled = false;
  cancel.addEventListener('click', () => { cancelled = true; up?.abort(); });
  const prep = await prepare(file);
  const res = cancelled ? null : await (up = upload(id, file.name, prep, (x) => { bar.value = x; })).promise;
  row.remove();
  show(box, !!box.firstElementChild);
  if (res?.ok && res.data?.id) {
    const m = { ...res.data };
    thread(id).put(m);
    onMessage(m);
    broadcastToPeers('sent', { message: m });
    persist();
    if (S.current === id) { const sc = $('#scroller'); sc.scrollTop = sc.scrollHeight; }
  } else if (!cancelled && S.current === id) chatBanner(`Not sent: ${file.name}. ${errorText(res)}`, 'warn');
}

function sendFiles(files) {
  const id = S.current;
  if (id == null || $('#composer-text').disabled) return;
  for (const f of files) sendFile(id, f);
}

// ---------- the text box ----------
// The box grows with its text, taking the height from the messages above:
// if they showed the last one, they still do (it was hidden behind). It
// is measured only when the text may need another size (longer and not
// fitting, or shorter): each measure lays out the page, and a keystroke or
// a send should not cost three layouts of a long chat.
let sizedLen = 0;
function autosize() {
  const box = $('#composer-text');
  const sc = $('#scroller');
  const len = box.value.length;
  if (!len || box.disabled) { box.style.height = ''; sizedLen = 0; return; }   // one line again
  const shorter = len < sizedLen;
  sizedLen = len;
  if (!shorter && box.scrollHeight <= box.clientHeight) return;   // still fits
  const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 8;
  box.style.height = 'auto';
  box.style.height = Math.min(box.scrollHeight + 2, 180) + 'px';
  if (atBottom) sc.scrollTop = sc.scrollHeight;
}

// A key pressed: measured in the next frame, with the layout the frame
// makes anyway (measured at once, it cost a layout of the whole chat).
let sizing = 0;
function autosizeSoon() {
  if (!sizing) sizing = requestAnimationFrame(() => { sizing = 0; autosize(); });
}

// Near the limit a counter shows how many characters (code points, as the
// server counts) the message has; over it, in red. Nothing is cut.
// (Far from the limit, as nearly always, a key changes nothing in the
// page here.)
let tooLongShown = false, countShown = true;
function countChars() {
  const box = $('#composer-text');
  const units = box.value.length;   // UTF-16 units: at least as many as code points
  const n = units > MAX_CHARS - 400 ? [...box.value].length : units;
  const over = n > MAX_CHARS;
  const near = n > MAX_CHARS - 400;
  if (near || countShown) {
    const count = $('#composer-count');
    count.textContent = `${n} / ${MAX_CHARS}`;
    count.classList.toggle('over', over);
    show(count, near);
    if (near) box.setAttribute('aria-describedby', 'composer-count'); else box.removeAttribute('aria-describedby');
    if (over) box.setAttribute('aria-invalid', 'true'); else box.removeAttribute('aria-invalid');
    countShown = near;
  }
  if (!over && tooLongShown) { tooLongShown = false; hideChatBanner(); }
  return n;
}

// Something to see: not only white space and invisible marks (the server
// refuses those as an empty bubble).
const visible = (t) => /[^\s\u200b-\u200f\u2028-\u202f\u205f-\u2064\ufeff]/.test(t);

// The send button, or Enter: what the text box holds goes.
function submit() {
  const box = $('#composer-text');
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
  autosize();
  countChars();
  typingSent(S.current);
  const how = takeCompose(body);      // a reply, or an edit (chat-actions.js)
  if (!how.edited) send(S.current, body, undefined, how.reply);    // (stores the draft's going)
  else persist();
  box.focus();
}

export function initComposer() {
  const box = $('#composer-text');
  $('#composer').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  // Enter sends at once: not through the form's requestSubmit, which costs
  // a few ms of the browser's own (validation) in a long chat.
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  box.addEventListener('input', () => {
    autosizeSoon(); countChars(); saveDraft(true);
    if (box.value.trim() && !box.disabled) noteTyping(S.current);   // the others see "… is typing"
  });
  // Files: the paperclip, a paste, or a drop on the chat.
  const pick = $('#attach-input');
  $('#attach').addEventListener('click', () => pick.click());
  pick.addEventListener('change', () => { sendFiles([...pick.files]); pick.value = ''; });
  box.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) { e.preventDefault(); sendFiles(files); }
  });
  const chat = $('#chat');
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  chat.addEventListener('dragover', (e) => { if (hasFiles(e) && S.current != null) { e.preventDefault(); chat.classList.add('dropping'); } });
  chat.addEventListener('dragleave', (e) => { if (!chat.contains(e.relatedTarget)) chat.classList.remove('dropping'); });
  chat.addEventListener('drop', (e) => {
    chat.classList.remove('dropping');
    if (!hasFiles(e)) return;
    e.preventDefault();
    sendFiles([...e.dataTransfer.files]);
  });
  // The network is back (the browser says so before a poll does).
  addEventListener('online', () => setTimeout(retryUnsent, 300));
  // A failed message's Retry: the same body and client_id again.
  $('#messages').addEventListener('click', (e) => {
    const li = e.target.closest('button.retry')?.closest('li');
    const m = li && S.threads.get(S.current)?.local(li.dataset.clientId);
    if (m) send(m.conversation_id, m.body, m.client_id, m.reply_to);
  });
}
