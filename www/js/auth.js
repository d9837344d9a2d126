// auth.js: the signed-out screen: log in, sign up (every profile field),
// or enter as a guest (a nickname only) for stranger chat.

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

export function initAuth(onEnter) {
  const tabs = [$('#tab-login'), $('#tab-signup'), $('#tab-guest')];
  selectTab = tablist(tabs, (t) => {
    $('#auth-error').textContent = '';
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
      onEnter(res.data, true);
    } else {
      $('#auth-error').textContent = errorText(res);
      form.querySelector('input')?.focus();
    }
  });
  submit($('#form-login'), 'login', d => ({ username: d.username || '', password: d.password || '' }));
  submit($('#form-signup'), 'signup', d => d);
  submit($('#form-guest'), 'guest', d => ({ nickname: d.nickname || '' }));
}

export function showAuth(message) {
  selectTab?.($('#tab-login'));
  $('#auth-error').textContent = message || '';
  $('#app').hidden = true;
  $('#auth').hidden = false;
  const panel = [...document.querySelectorAll('#auth [role=tabpanel]')].find(p => !p.hidden);
  panel?.querySelector('input')?.focus();
}
