// search.js: message search (GET /api/search, issue 24). The list's
// search field also finds messages in all chats (under the matching
// chats); the chat header's search looks in the open chat. A result shows
// the chat, the sender, the date and the text with what matched marked
// (text nodes and <mark>, never markup); a click opens the chat at that
// message (ask.openAtMessage).

import { api } from './api.js';
import { $, h, clear, show, shortTime, fullTime } from './dom.js';
import { S, convTitle, memberName } from './state.js';
import { ask } from './intent.js';

const WAIT_MS = 300;        // typing pauses this long before a search
const SNIP = 120;           // characters of a long message shown

// body as text nodes with each case-insensitive occurrence of q in <mark>,
// cut to about SNIP characters around the first one.
export function marked(body, q) {
  let text = body;
  let low = text.toLowerCase();
  const needle = q.toLowerCase();
  let at = low.indexOf(needle);
  // Lower-casing can change a string's length (rare letters): mark nothing.
  if (low.length !== text.length) { low = text; at = -1; }
  if (text.length > SNIP) {
    const from = Math.max(0, (at < 0 ? 0 : at) - 40);
    const cut = text.slice(from, from + SNIP);
    text = (from > 0 ? '…' : '') + cut + (from + SNIP < body.length ? '…' : '');
    low = text.toLowerCase();
    if (low.length !== text.length) low = text;
  }
  const out = [];
  let i = 0;
  if (needle) {
    for (let j = low.indexOf(needle); j >= 0; j = low.indexOf(needle, i)) {
      if (j > i) out.push(document.createTextNode(text.slice(i, j)));
      out.push(h('mark', { text: text.slice(j, j + needle.length) }));
      i = j + needle.length;
    }
  }
  if (i < text.length) out.push(document.createTextNode(text.slice(i)));
  return out;
}

function resultItem(m, q, inChat) {
  const c = S.convs.get(m.conversation_id);
  const title = c ? convTitle(c) : m.title || (m.conversation_kind === 'match' ? 'Stranger' : m.sender);
  const who = c ? memberName(c, m.sender) : m.sender;
  return h('li', { dataset: { id: String(m.id) } },
    h('button', {
      type: 'button', class: 'item result',
      onclick: () => ask.openAtMessage(m.conversation_id, m.seq),
    },
    h('span', { class: 'result-main' },
      h('span', { class: 'result-head' },
        inChat ? null : h('strong', { class: 'result-title', dir: 'auto', text: title }),
        h('time', { class: 'muted small', text: shortTime(m.sent_at), title: fullTime(m.sent_at) })),
      h('span', { class: 'result-text', dir: 'auto' },
        h('span', { class: 'result-sender', text: who + ': ' }), marked(m.body, q)))));
}

// One search box: its input, its list, its note, the conversation (0: all).
function searcher(input, list, note, convOf, onShow) {
  let timer = 0, asked = 0;
  const run = async () => {
    const q = input.value.trim();
    const conv = convOf();
    const mine = ++asked;
    // One character is looked for in one chat only (API.md).
    if (!q || (!conv && [...q].length < 2)) { clear(list); note.textContent = ''; onShow(false); return; }
    let res = null;
    const p = new URLSearchParams({ q, limit: '20' });
    if (conv) p.set('conversation_id', String(conv));
    try { res = await api('GET', `search?${p}`); } catch { res = null; }
    if (mine !== asked) return;                   // a newer search is under way
    onShow(true);
    clear(list);
    if (!res?.ok) {
      note.textContent = res?.status === 429 ? 'Too many searches: wait a moment.' : 'The search failed.';
      return;
    }
    const rs = res.data.results || [];
    for (const m of rs) list.append(resultItem(m, q, !!conv));
    note.textContent = rs.length ? '' : 'No messages found.';
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, WAIT_MS); });
  return { run, reset() { asked++; clearTimeout(timer); clear(list); note.textContent = ''; } };
}

let inChat = null, chatConv = null;

export function closeChatSearch() {
  if (!inChat) return;
  show($('#chat-search'), false);
  $('#chat-search-open').setAttribute('aria-expanded', 'false');
  $('#chat-search-q').value = '';
  inChat.reset();
}

export function initSearch() {
  const all = searcher($('#conv-filter'), $('#msg-results'), $('#msg-search-note'), () => 0,
    (on) => show($('#msg-search'), on));
  $('#conv-filter').addEventListener('input', () => {
    if (!$('#conv-filter').value.trim()) { all.reset(); show($('#msg-search'), false); }
  });
  inChat = searcher($('#chat-search-q'), $('#chat-search-results'), $('#chat-search-note'), () => chatConv, () => {});
  $('#chat-search-open').addEventListener('click', () => {
    const open = $('#chat-search').hidden;
    if (!open) { closeChatSearch(); return; }
    chatConv = S.current;
    inChat.reset();
    show($('#chat-search'), true);
    $('#chat-search-open').setAttribute('aria-expanded', 'true');
    $('#chat-search-q').focus();
  });
  $('#chat-search-close').addEventListener('click', () => { closeChatSearch(); $('#chat-search-open').focus(); });
  $('#chat-search').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); closeChatSearch(); $('#chat-search-open').focus(); }
  });
  // Another chat opened: this chat's search goes.
  $('#conv-list').addEventListener('click', () => { if (S.current !== chatConv) closeChatSearch(); });
}
