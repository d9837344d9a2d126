// profile.js: edit your own profile (PATCH /api/me) and view others'
// (GET /api/users/{name}). The picture is chosen from a file, scaled down
// and uploaded at once (pictures.js); Save stores its address.

import { api, errorText, enc } from './api.js';
import { $, h, clear, show, avatar, lastSeen } from './dom.js';
import { S, isMe } from './state.js';
import { toast, confirmDialog } from './ui.js';
import { broadcast } from './receiver.js';
import { uploadPicture } from './pictures.js';
import { ask } from './intent.js';
import { initAccount, loadDevices } from './profile-account.js';

const FIELDS = ['nickname', 'email', 'avatar_url', 'location', 'bio', 'public_key'];

export function renderMe() {
  if (!S.me) return;
  clear($('#me-button')).append(avatar(S.me.nickname, S.me.avatar_url, { online: true }));
  $('#me-name').textContent = S.me.nickname;
  $('#me-user').textContent = S.me.guest ? 'guest' : '@' + S.me.username;
}

function previewAvatar() {
  const f = $('#form-profile');
  clear($('#profile-avatar')).append(avatar(f.nickname.value || S.me.nickname, f.avatar_url.value, { size: 'big' }));
}

export function profileDialog() {
  const f = $('#form-profile');
  f.reset();
  for (const k of FIELDS) f[k].value = S.me[k] || '';
  show($('#pw-fields'), !S.me.guest);
  show($('#everywhere-row'), !S.me.guest);
  show($('#devices-fields'), !S.me.guest);
  show($('#remove-row'), !S.me.guest);
  if (!S.me.guest) loadDevices();
  for (const k of ['email', 'public_key']) f[k].closest('label').hidden = !!S.me.guest;
  $('#profile-error').textContent = '';
  previewAvatar();
  $('#dlg-profile').showModal();
}

async function saveProfile(e) {
  e.preventDefault();
  const f = $('#form-profile');
  const body = {};
  for (const k of FIELDS) if (f[k].value !== (S.me[k] || '')) body[k] = f[k].value;
  if (f.password.value) {
    if (!f.current_password.value) { $('#profile-error').textContent = 'To change the password, enter the current one too.'; f.current_password.focus(); return; }
    body.password = f.password.value;
    body.current_password = f.current_password.value;
  }
  if (!Object.keys(body).length) { $('#dlg-profile').close(); return; }
  const btn = f.querySelector('button[type=submit]');
  btn.disabled = true;
  let res = null;
  try { res = await api('PATCH', 'me', body); } catch { res = null; }
  btn.disabled = false;
  if (!res?.ok) { $('#profile-error').textContent = errorText(res); return; }
  S.me = res.data;
  renderMe();
  broadcast('me', { me: res.data });
  $('#dlg-profile').close();
  toast(body.password ? 'Profile and password saved.' : 'Profile saved.');
}

export async function showUser(name) {
  let res = null;
  try { res = await api('GET', `users/${enc(name)}`); } catch { res = null; }
  if (!res?.ok) { toast(res?.status === 404 ? 'No such user.' : errorText(res), 'error'); return; }
  const u = res.data;
  clear($('#dlg-user-avatar')).append(avatar(u.nickname, u.avatar_url, { online: !!u.online, size: 'big' }));
  $('#dlg-user-name').textContent = u.nickname;
  // Presence and details are for friends and group mates (null for others).
  const seen = u.online ? 'online' : u.online === false ? lastSeen(u.last_seen) : '';
  $('#dlg-user-handle').textContent = `${u.guest ? 'guest' : '@' + u.username}${seen ? ' · ' + seen : ''}`;
  const dl = clear($('#dlg-user-fields'));
  for (const [k, label] of [['location', 'Location'], ['bio', 'About'], ['email', 'Email'], ['public_key', 'Public key']]) {
    if (u[k]) dl.append(h('dt', { text: label }), h('dd', { class: k === 'public_key' ? 'mono key' : '', text: u[k] }));
  }
  if (!dl.children.length) dl.append(h('dd', { class: 'muted', text: u.online === null ? 'Only friends see more.' : 'Nothing shared yet.' }));
  const actions = clear($('#dlg-user-actions'));
  const d = $('#dlg-user');
  if (u.friend) {
    actions.append(h('button', { type: 'button', class: 'primary', text: 'Message', onclick: () => { d.close(); ask.chatWith(u.username); } }));
  } else if (!isMe(u.username) && !u.guest && !S.me.guest) {
    const b = h('button', { type: 'button', class: 'primary', text: 'Add friend' });
    b.addEventListener('click', async () => {
      b.disabled = true;
      const r = await ask.sendRequest(u.username, '');
      b.textContent = r?.ok ? (r.data.status === 'accepted' ? 'Friends now' : 'Request sent') : errorText(r);
    });
    actions.append(b);
  }
  if (!isMe(u.username)) {
    actions.append(h('button', { type: 'button', class: 'ghost danger push-left', text: 'Block',
      onclick: async () => { if (await ask.blockUser({ username: u.username }, u.nickname)) d.close(); } }));
  }
  actions.append(h('button', { type: 'button', class: 'ghost', text: 'Close', onclick: () => d.close() }));
  d.showModal();
}

// A file chosen: upload it now (scaled down); Save keeps its address.
async function pickPicture() {
  const input = $('#profile-picture');
  const file = input.files?.[0];
  if (!file) return;
  const f = $('#form-profile');
  const btn = f.querySelector('button[type=submit]');
  $('#profile-error').textContent = '';
  btn.disabled = true;
  const r = await uploadPicture(file);
  btn.disabled = false;
  input.value = '';
  if (!r.ok) { $('#profile-error').textContent = r.error; return; }
  f.avatar_url.value = r.url;
  previewAvatar();
}

// Every session of this account ends at once, this one too (a lost phone,
// a shared computer): POST /api/logout {"all": true}.
async function signOutEverywhere() {
  if (!await confirmDialog('Sign out on every device, this one too? You will need your password to sign in again.',
    'Sign out everywhere', true)) return;
  $('#dlg-profile').close();
  ask.signOut({ everywhere: true });
}

export function initProfile() {
  $('#logout-everywhere').addEventListener('click', signOutEverywhere);
  initAccount();
  $('#me-button').addEventListener('click', profileDialog);
  $('#form-profile').addEventListener('submit', saveProfile);
  $('#form-profile').nickname.addEventListener('input', previewAvatar);
  $('#profile-picture').addEventListener('change', pickPicture);
  $('#profile-picture-remove').addEventListener('click', () => { $('#form-profile').avatar_url.value = ''; previewAvatar(); });
}
