// convlist.js: the conversation list: avatar (picture or initials), title,
// last message, time, unread badge, newest activity first; the total unread
// count on the Chats tab, in the tab title and as a dot on the favicon.

import { api } from './api.js';
import { $, h, show, avatar, shortTime, fullTime, holdFocus, icon } from './dom.js';
import { S, isMe, convTitle, memberName, peerOnline, keepPartner, noticeText } from './state.js';
import { unreadIndicator, coalesce } from './ui.js';
import { ask } from './intent.js';

// The list comes in pages of LIST_PAGE, newest activity first; "Show
// older conversations" asks for one page more, and every reload of the
// list fetches as many as were shown.
const LIST_PAGE = 500;
let wanted = LIST_PAGE;

// GET /api/conversations, page after page until `wanted` are held (or
// there are no more): {res (the last answer), items, more}.
async function fetchList() {
  const items = [];
  let q = '', res = null, more = false;
  for (;;) {
    try { res = await api('GET', `conversations?limit=${LIST_PAGE}${q}`); } catch { res = null; }
    if (!res?.ok) return { res, items: null, more };
    const page = res.data.conversations || [];
    items.push(...page);
    more = page.length === LIST_PAGE;
    if (!more || items.length >= wanted) return { res, items, more };
    const last = page.at(-1);
    q = `&before=${last.updated_at}&before_id=${last.id}`;
  }
}

let loading = null;
export async function loadConversations() {
  // Calls while one is under way share its answer, then one more runs.
  if (loading) { loading.again = true; return loading.p; }
  loading = { again: false, p: null };
  loading.p = (async () => {
    const uid = S.me?.id;
    const { res, items, more } = await fetchList();
    if (items && S.me && S.me.id === uid) {        // not for a user signed out meanwhile
      const next = new Map();
      for (const c of items) {
        if (next.has(c.id)) continue;              // one item per id, whatever the pages say
        const prev = S.convs.get(c.id);
        const item = keepPartner(prev, c);
        // Keep what only GET /conversations/{id} gives (members_detail),
        // and the higher of the known read marks.
        next.set(c.id, prev?.members_detail ? { ...item, members_detail: prev.members_detail } : item);
      }
      S.convs = next;
      S.convsMore = more;
      ask.syncMatchFromList();
      renderConversations();
      fetchTopicDetails();
      if (S.current && S.convs.has(S.current)) { ask.renderHead(); ask.markRead(); }
    }
    return res;
  })();
  const mine = loading;
  const res = await mine.p;
  loading = null;
  if (mine.again) return loadConversations();
  return res;
}
export const loadConversationsSoon = coalesce(loadConversations, 50);

// Group members' nicknames (for "Cy: hello" previews), fetched once per group
// and signed-in user.
const detailAsked = new Set();
export function resetConversations() { detailAsked.clear(); rows.clear(); $('#conv-filter').value = ''; wanted = LIST_PAGE; }

// One page more of the list, older ones.
export async function showOlderConversations() {
  const btn = $('#conv-more');
  const n = $('#conv-list').children.length;
  wanted = S.convs.size + LIST_PAGE;
  btn.disabled = true;
  await loadConversations();
  btn.disabled = false;
  // Focus on the first of the older ones (the button may be gone).
  if (btn.hidden || document.activeElement === btn) $(`#conv-list > li:nth-child(${n + 1}) button`)?.focus();
}

function fetchTopicDetails() {
  for (const c of S.convs.values()) {
    if (c.kind !== 'topic' || c.members_detail || detailAsked.has(c.id) || detailAsked.size >= 100) continue;
    detailAsked.add(c.id);
    ask.loadDetail(c.id).then(() => renderConversationsSoon());
  }
}

// The last message under the title: "Who: text", each part isolated (<bdi>)
// so that right-to-left names and text keep their order.
function preview(c) {
  const last = c.last_message;
  if (!last) return c.kind === 'match' ? 'Say hi to your stranger' : 'No messages yet';
  if (last.kind === 'notice') return [h('bdi', { text: noticeText(c, last) })];
  const text = last.deleted ? h('bdi', { class: 'deleted', text: 'message deleted' })
    : h('bdi', { text: String(last.body).replace(/\s+/g, ' ').slice(0, 120) });
  if (isMe(last.sender)) return ['You: ', text];
  if (c.kind === 'topic') return [h('bdi', { text: memberName(c, last.sender) }), ': ', text];
  return [text];
}

export function sortedConversations() {
  return [...S.convs.values()].sort((a, b) => (b.updated_at || 0) - (a.updated_at || 0) || b.id - a.id);
}

export function totalUnread() {
  let n = 0;
  for (const c of S.convs.values()) if (!c.muted) n += c.unread || 0;     // a muted chat counts nowhere
  return n;
}

// What a row shows beyond its own fields: the preview's words.
function previewSig(c) {
  const last = c.last_message;
  if (!last) return c.kind;
  return [last.id, last.kind, last.deleted, last.body, last.kind === 'notice' ? noticeText(c, last) : '',
    isMe(last.sender), c.kind === 'topic' ? memberName(c, last.sender) : ''].join('\u0002');
}

// Each row is kept while what it shows is the same (conversation id ->
// {li, head, says, when, at, sub, time}: its element, what it was drawn from,
// and the two parts a new message changes), and only rows out of place
// move: a message in one chat of a hundred draws one row, not a hundred.
const rows = new Map();

export function renderConversations() {
  const ul = $('#conv-list');
  const refocus = holdFocus(ul, 'id', () => $('#conv-filter'));
  const filter = $('#conv-filter').value.trim().toLowerCase();
  const want = [];
  let shown = 0;
  for (const c of sortedConversations()) {
    const title = convTitle(c);
    if (filter && !title.toLowerCase().includes(filter) && !(c.members || []).some(m => m.toLowerCase().includes(filter))) continue;
    shown++;
    const unread = c.unread || 0;
    const last = c.last_message;
    const time = last ? last.sent_at : c.updated_at;
    const online = peerOnline(c);
    const label = `${title}${unread ? `, ${unread} unread` : ''}${c.muted ? ', muted' : ''}${c.ended ? ', ended' : ''}`;
    const head = [label, c.id === S.current, c.kind, c.avatar_url, online].join('\u0001');   // (label: unread, muted, ended)
    const when = shortTime(time), says = previewSig(c);
    const row = rows.get(c.id);
    if (row?.head === head) {
      // Only the last message and its time changed (a message came or
      // went): those two are changed where they are, not the row drawn
      // anew (a new row of 25 elements styled and laid out each message).
      if (row.says !== says) { row.sub.replaceChildren(...preview(c)); row.says = says; }
      if (row.when !== when || row.at !== time) {
        row.time.textContent = when; row.time.title = fullTime(time); row.when = when; row.at = time;
      }
      want.push(row.li);
      continue;
    }
    const sub = h('span', { class: 'item-sub' }, preview(c));
    const tm = h('time', { class: 'item-time', text: when, title: fullTime(time) });
    const li = h('li', { class: `conv${unread ? ' unread' : ''}${c.id === S.current ? ' active' : ''}${c.ended ? ' ended' : ''}`,
      dataset: { id: String(c.id), kind: c.kind } },
    h('button', { type: 'button', class: 'item', 'aria-label': label, 'aria-current': c.id === S.current ? 'true' : null,
      onclick: () => ask.openConversation(c.id) },
    avatar(title, c.avatar_url, { online }),
    h('span', { class: 'item-main' },
      h('span', { class: 'item-top' },
        h('span', { class: 'item-name' },
          h('span', { class: 'item-title', dir: 'auto', text: title }),
          c.kind === 'topic' ? h('span', { class: 'kind', text: 'group' }) : null,
          c.kind === 'match' ? h('span', { class: 'kind', text: c.ended ? 'ended' : 'stranger' }) : null),
        tm),
      h('span', { class: 'item-bottom' },
        sub,
        c.muted ? h('span', { class: 'muted-icon', title: 'Muted' }, icon('bellOff')) : null,
        unread ? h('span', { class: `badge unread-badge${c.muted ? ' muted' : ''}`, text: unread > 99 ? '99+' : String(unread) }) : null))));
    rows.set(c.id, { li, head, says, when, at: time, sub, time: tm });
    want.push(li);
  }
  let at = ul.firstElementChild;
  for (const li of want) {
    if (li === at) at = at.nextElementSibling;
    else ul.insertBefore(li, at);
  }
  while (at) { const x = at.nextElementSibling; at.remove(); at = x; }
  if (rows.size > want.length * 2 + 100) for (const [id, row] of rows) if (!row.li.isConnected) rows.delete(id);
  refocus();
  show($('#conv-empty'), shown === 0 && !S.convsMore);
  show($('#conv-more'), S.convsMore);
  // With a search, "nothing matches" alone: "No conversations yet" above
  // it said there were none at all.
  $('#conv-empty-title').textContent = filter ? 'Nothing matches your search.' : 'No conversations yet.';
  $('#conv-empty-hint').textContent = filter ? 'Search looks in names and group members.'
    : S.me?.guest ? 'Find a stranger to start a conversation.' : 'Add a friend, start a group, or talk to a stranger.';
  const total = totalUnread();
  const badge = $('#badge-chats');
  badge.textContent = total > 99 ? '99+' : String(total);
  badge.setAttribute('aria-label', `${total} unread`);
  show(badge, total > 0);
  unreadIndicator(total);
}
export const renderConversationsSoon = coalesce(renderConversations, 0);
