// profile-account.js: the account part of the profile dialog (profile.js):
// the devices signed in (GET /api/sessions), signing out one of them or
// every other (DELETE /api/sessions/{id}, /api/sessions/others), and
// removing the account (DELETE /api/me, with the password).

import { api, errorText } from './api.js';
import { $, h, clear, shortTime } from './dom.js';
import { S } from './state.js';
import { toast, confirmDialog } from './ui.js';
import { ask } from './intent.js';

// "Chrome on Linux" from a User-Agent string; the server keeps it as sent.
export function deviceLabel(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /OPR\/|Opera/.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\/|Chromium\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : 'A browser';
  const os = /iPhone|iPad|iPod/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

function usedLabel(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 300) return 'active now';
  if (s < 3600) return `active ${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `active ${Math.floor(s / 3600)} h ago`;
  return `active ${shortTime(ms)}`;
}

async function signOutDevice(s) {
  const res = await api('DELETE', `sessions/${s.id}`).catch(() => null);
  if (!res?.ok && res?.status !== 404) { toast(errorText(res), 'error'); return; }
  toast(`${deviceLabel(s.user_agent)} is signed out.`);
  loadDevices();
}

// The list, this device first and marked, each other with "Sign out".
export async function loadDevices() {
  const ul = $('#devices');
  if (S.me?.guest) return;
  const res = await api('GET', 'sessions').catch(() => null);
  if (!res?.ok) { clear(ul).append(h('li', { class: 'muted', text: errorText(res) })); return; }
  const list = [...res.data.sessions].sort((a, b) => (b.current - a.current) || (b.used_at - a.used_at));
  clear(ul);
  for (const s of list) {
    const li = h('li', { class: 'device' + (s.current ? ' current' : '') },
      h('div', { class: 'grow' },
        h('strong', { text: deviceLabel(s.user_agent) }),
        h('div', { class: 'muted small', text: `${s.addr || 'unknown address'} · ${s.current ? 'this device' : usedLabel(s.used_at)}` })));
    li.title = s.user_agent || '';
    if (!s.current) li.append(h('button', { type: 'button', class: 'ghost', text: 'Sign out', onclick: () => signOutDevice(s) }));
    ul.append(li);
  }
  $('#devices-others').disabled = list.length < 2;
}

async function signOutOthers() {
  if (!await confirmDialog('Sign out every other device? This one stays signed in.', 'Sign out others', true)) return;
  const res = await api('DELETE', 'sessions/others').catch(() => null);
  if (!res?.ok) { toast(errorText(res), 'error'); return; }
  toast('Every other device is signed out.');
  loadDevices();
}

function removeDialog() {
  const f = $('#form-remove');
  f.reset();
  $('#remove-error').textContent = '';
  $('#dlg-profile').close();
  $('#dlg-remove').showModal();
  f.password.focus();
}

async function removeAccount(e) {
  e.preventDefault();
  const f = $('#form-remove');
  const btn = f.querySelector('button[type=submit]');
  btn.disabled = true;
  const res = await api('DELETE', 'me', { password: f.password.value }).catch(() => null);
  btn.disabled = false;
  if (!res?.ok) {
    $('#remove-error').textContent = errorText(res);
    f.password.select();
    return;
  }
  f.reset();
  $('#dlg-remove').close();
  await ask.signOut({});
  toast('Your account was removed.');
}

export function initAccount() {
  $('#devices-others').addEventListener('click', signOutOthers);
  $('#remove-account').addEventListener('click', removeDialog);
  $('#form-remove').addEventListener('submit', removeAccount);
}
