// auth.js: the signed-out screen: log in, sign up (every profile field),
// or enter as a guest (a nickname only) for stranger chat; a forgotten
// password: a link by mail (POST /api/password/forgot), and the page that
// link opens, /#reset=TOKEN, to choose a new one (POST /api/password/reset).

import { api, errorText } from './api.js';
import { $ } from './dom.js';
import { tablist } from './ui.js';

// Non-empty fields of a form, as strings.
function fields(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) if (String(v).trim() !== '') out[k] = String(v);
  return out;
}

let selectTab = null;

// The token of a reset link this page was opened with (the fragment never
// reaches a server's logs); taken out of the address bar at once.
let resetToken = null;

// Only one of the login, forgot and reset forms (null: the tabs' own).
function showOnly(form) {
  for (const f of ['#form-forgot', '#form-reset']) $(f).hidden = $(f) !== form;
  $('#auth .tabs').hidden = !!form;
  if (form) {
    for (const p of document.querySelectorAll('#auth [role=tabpanel]')) p.hidden = true;
    form.querySelector('input')?.focus();
  }
}

function backToLogin(message) {
  showOnly(null);
  selectTab?.($('#tab-login'));
  $('#auth-error').textContent = message || '';
}

function initForgot() {
  const m = /^#reset=([A-Za-z0-9_-]{20,100})$/.exec(location.hash);
  if (m) {
    resetToken = m[1];
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('#forgot-open').addEventListener('click', () => {
    $('#form-forgot').reset();
    $('#forgot-done').textContent = '';
    $('#auth-error').textContent = '';
    showOnly($('#form-forgot'));
  });
  for (const b of document.querySelectorAll('#auth [data-back]')) b.addEventListener('click', () => { resetToken = null; backToLogin(); });
  $('#form-forgot').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    $('#auth-error').textContent = '';
    const res = await api('POST', 'password/forgot', { email: f.email.value }).catch(() => null);
    btn.disabled = false;
    if (res?.ok) $('#forgot-done').textContent = 'If that address belongs to an account, a link is on its way. It works once, for 30 minutes.';
    else $('#auth-error').textContent = errorText(res);
  });
  $('#form-reset').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    $('#auth-error').textContent = '';
    const res = await api('POST', 'password/reset', { token: resetToken, password: f.password.value }).catch(() => null);
    btn.disabled = false;
    if (!res?.ok) { $('#auth-error').textContent = errorText(res); return; }
    resetToken = null;
    f.reset();
    backToLogin('Your password is changed, and every device was signed out. Log in with the new one.');
  });
}

export function initAuth(onEnter) {
  const tabs = [$('#tab-login'), $('#tab-signup'), $('#tab-guest')];
  selectTab = tablist(tabs, (t) => {
    $('#auth-error').textContent = '';
    showOnly(null);
    const panel = document.getElementById(t.getAttribute('aria-controls'));
    if (document.activeElement !== t) panel.querySelector('input')?.focus();
  });
  const submit = (form, path, pick) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    $('#auth-error').textContent = '';
    let res = null;
    try { res = await api('POST', path, pick(fields(form))); } catch { res = null; }
    btn.disabled = false;
    if (res?.ok) {
      form.reset();
      onEnter(res.data, true, path === 'guest');   // a guest starts looking at once
    } else {
      $('#auth-error').textContent = errorText(res);
      form.querySelector('input')?.focus();
    }
  });
  submit($('#form-login'), 'login', d => ({ username: d.username || '', password: d.password || '' }));
  submit($('#form-signup'), 'signup', d => d);
  submit($('#form-guest'), 'guest', d => ({ nickname: d.nickname || '' }));
  initForgot();
}

export function showAuth(message) {
  backToLogin(message);
  $('#app').hidden = true;
  $('#auth').hidden = false;
  if (resetToken) { showOnly($('#form-reset')); return; }
  const panel = [...document.querySelectorAll('#auth [role=tabpanel]')].find(p => !p.hidden);
  panel?.querySelector('input')?.focus();
}
