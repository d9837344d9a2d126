// topics.js: group chats. Create with a title, a picture (pictures.js)
// and members chosen from friends; rename, change the picture, add and
// remove members, make admins, leave.

import { api, errorText, enc } from './api.js';
import { $, h, clear, show, avatar, holdFocus, lastSeen } from './dom.js';
import { S, isMe } from './state.js';
import { toast, confirmDialog } from './ui.js';
import { uploadPicture } from './pictures.js';
import { ask } from './intent.js';

let editing = null;     // the conversation in the dialog, null when creating

// " · last seen …" for an offline member who is a friend (others' last
// seen is not shown: docs/API.md, the user shape).
function memberSeen(m) {
  const f = !m.online && !isMe(m.username) ? S.friends.get(m.username) : null;
  return f?.last_seen ? ` · ${lastSeen(f.last_seen)}` : '';
}

function memberRow(conv, m, canManage, isOwner) {
  const err = $('#topic-error');
  const act = async (method, path, body) => {
    let r = null;
    try { r = await api(method, path, body); } catch { r = null; }
    if (!r?.ok) { err.textContent = errorText(r); return; }
    await ask.loadDetail(conv.id);
    topicDialog(S.convs.get(conv.id), true);
  };
  // The buttons go together, under the name when the width is short
  // (app.css: .member-actions): the name is never cut for them.
  const buttons = [
    isOwner && m.role !== 'owner' ? h('button', { type: 'button', class: 'small-button',
      text: m.role === 'admin' ? 'Make member' : 'Make admin',
      'aria-label': `${m.role === 'admin' ? 'Make member' : 'Make admin'}: ${m.nickname || m.username} (@${m.username})`,
      onclick: () => act('PATCH', `conversations/${conv.id}/members/${enc(m.username)}`, { role: m.role === 'admin' ? 'member' : 'admin' }) }) : null,
    canManage && m.role !== 'owner' && !isMe(m.username) ? h('button', { type: 'button', class: 'small-button danger',
      text: 'Remove', 'aria-label': `Remove ${m.username} from the group`,
      onclick: async () => {
        if (!await confirmDialog(`Remove ${m.nickname || m.username} (@${m.username}) from “${conv.title}”? They will no longer get its messages.`, 'Remove', true)) return;
        act('DELETE', `conversations/${conv.id}/members/${enc(m.username)}`);
      } }) : null].filter(Boolean);
  return h('li', { dataset: { user: m.username } },
    avatar(m.nickname || m.username, m.avatar_url, { online: !!m.online }),
    h('span', { class: 'item-main' },
      h('span', { class: 'item-title', text: isMe(m.username) ? `${m.nickname} (you)` : m.nickname || m.username }),
      h('span', { class: 'item-sub', text: `@${m.username} · ${m.role}${memberSeen(m)}` })),
    buttons.length ? h('span', { class: 'member-actions' }, ...buttons) : null);
}

// conv: null to create a group, else the conversation (with members_detail).
export async function topicDialog(conv, keepOpen) {
  const d = $('#dlg-topic');
  if (conv && !conv.members_detail) { await ask.loadDetail(conv.id); conv = S.convs.get(conv.id); }
  editing = conv;
  const f = $('#form-topic');
  if (!keepOpen) { f.reset(); $('#topic-error').textContent = ''; }
  const mine = conv?.members_detail?.find(m => isMe(m.username));
  const canManage = !conv || (mine && mine.role !== 'member');
  const isOwner = mine?.role === 'owner';
  $('#dlg-topic-title').textContent = conv ? 'Group details' : 'New group';
  f.title.value = conv ? conv.title : f.title.value;
  f.title.readOnly = !canManage;
  if (!keepOpen) f.avatar_url.value = conv?.avatar_url || '';
  show($('#topic-picture-field'), canManage);
  previewTopic();

  const inGroup = new Set((conv?.members_detail || []).map(m => m.username.toLowerCase()));
  const boxes = clear($('#topic-members'));
  for (const u of [...S.friends.values()].sort((a, b) => a.nickname.localeCompare(b.nickname))) {
    if (inGroup.has(u.username.toLowerCase())) continue;
    boxes.append(h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'member', value: u.username }),
      avatar(u.nickname, u.avatar_url, { size: 'small' }),
      h('span', { text: u.nickname }), h('span', { class: 'muted small', text: '@' + u.username })));
  }
  if (!boxes.children.length) boxes.append(h('p', { class: 'hint', text: conv ? 'All your friends are in this group.' : 'Add friends first; a group is made of friends.' }));
  $('#topic-add-legend').textContent = conv ? 'Add members' : 'Members';
  show($('#topic-add'), canManage);

  const refocus = holdFocus($('#topic-current'), 'user', () => $('#form-topic input[name=title]'));
  const cur = clear($('#topic-current'));
  if (conv) {
    cur.append(h('h3', { class: 'sub', text: `Members (${conv.members_detail.length})` }),
      h('ul', { class: 'list members' }, conv.members_detail.map(m => memberRow(conv, m, canManage, isOwner))));
  }
  refocus();
  $('#topic-save').textContent = conv ? 'Save' : 'Create';
  show($('#topic-save'), canManage);
  show($('#topic-leave'), !!conv);
  if (!d.open) d.showModal();
}

async function saveTopic(e) {
  e.preventDefault();
  const f = $('#form-topic');
  const err = $('#topic-error');
  const title = f.title.value.trim();
  const members = [...f.querySelectorAll('input[name=member]:checked')].map(i => i.value);
  if (!title) { err.textContent = 'Give the group a title.'; return; }
  let res = null;
  try {
    if (!editing) {
      res = await api('POST', 'conversations', { title, members });
      if (res.ok && f.avatar_url.value) {
        const id = res.data.id;
        res = await api('PATCH', `conversations/${id}`, { avatar_url: f.avatar_url.value });
        if (res.ok) res.data = { ...res.data, id };
      }
    } else {
      res = { ok: true, data: editing };
      const change = {};
      if (title !== editing.title) change.title = title;
      if (f.avatar_url.value !== (editing.avatar_url || '')) change.avatar_url = f.avatar_url.value;
      if (Object.keys(change).length) res = await api('PATCH', `conversations/${editing.id}`, change);
      if (res.ok && members.length) res = await api('POST', `conversations/${editing.id}/members`, { members });
    }
  } catch { res = null; }
  if (!res?.ok) { err.textContent = errorText(res); return; }
  const id = editing ? editing.id : res.data.id;
  $('#dlg-topic').close();
  await ask.loadConversations();
  await ask.loadDetail(id);
  ask.openConversation(id);
}

export async function leaveTopic(conv) {
  if (!await confirmDialog(`Leave “${conv.title}”? You will no longer get its messages.`, 'Leave', true)) return;
  let res = null;
  try { res = await api('POST', `conversations/${conv.id}/leave`); } catch { res = null; }
  if (!res?.ok) { toast(errorText(res), 'error'); return; }
  $('#dlg-topic').close();
  S.convs.delete(conv.id);
  S.threads.delete(conv.id);
  if (S.current === conv.id) ask.closeChat();
  toast(`You left “${conv.title}”.`);
  ask.loadConversations();
}

// conversation_updated: created, renamed, members, role, left.
export async function onConversationUpdated(e) {
  const id = e.conversation_id;
  const gone = new Map([[id, S.convs.get(id)?.title]]);
  await ask.loadConversations();
  if (!S.convs.has(id)) {
    // Removed from the group: it is gone from the list.
    S.threads.delete(id);
    // The toast names the group: the list no longer has it, the event may.
    const title = e.title || gone.get(id) || '';
    if (S.current === id) ask.closeChat();
    toast(title ? `You are no longer in “${title}”.` : 'You are no longer in that group.');
    return;
  }
  if (S.current === id || S.convs.get(id).members_detail) await ask.loadDetail(id);
  if (e.change === 'created') toast(`You were added to “${S.convs.get(id).title}”.`);
  if (editing?.id === id && $('#dlg-topic').open) topicDialog(S.convs.get(id), true);
}

function previewTopic() {
  const f = $('#form-topic');
  clear($('#topic-avatar')).append(avatar(f.title.value || 'Group', f.avatar_url.value, { size: 'big' }));
}

// A file chosen: upload it now (scaled down); Create or Save keeps it.
async function pickPicture() {
  const input = $('#topic-picture');
  const file = input.files?.[0];
  if (!file) return;
  const f = $('#form-topic');
  $('#topic-error').textContent = '';
  $('#topic-save').disabled = true;
  const r = await uploadPicture(file);
  $('#topic-save').disabled = false;
  input.value = '';
  if (!r.ok) { $('#topic-error').textContent = r.error; return; }
  f.avatar_url.value = r.url;
  previewTopic();
}

export function initTopics() {
  $('#topic-picture').addEventListener('change', pickPicture);
  $('#topic-picture-remove').addEventListener('click', () => { $('#form-topic').avatar_url.value = ''; previewTopic(); });
  $('#form-topic').title.addEventListener('input', previewTopic);
  $('#new-topic').addEventListener('click', () => topicDialog(null));
  $('#form-topic').addEventListener('submit', saveTopic);
  $('#topic-leave').addEventListener('click', () => editing && leaveTopic(editing));
}
