// ui.js: small shared pieces of interface: tabs, toasts, screen-reader
// announcements, a confirm dialog, the connection banner, the favicon dot.

import { $, $$, h, show } from './dom.js';

// A tablist: click or arrow keys select; only the chosen tab is in the tab order.
export function tablist(tabs, onSelect) {
  const select = (t, focus) => {
    for (const x of tabs) {
      const on = x === t;
      x.setAttribute('aria-selected', String(on));
      x.tabIndex = on ? 0 : -1;
      show(document.getElementById(x.getAttribute('aria-controls')), on);
    }
    if (focus) t.focus();
    onSelect?.(t);
  };
  tabs.forEach((t) => {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (e) => {
      const vis = tabs.filter(x => !x.hidden);
      const i = vis.indexOf(t);
      if (e.key === 'ArrowRight') { e.preventDefault(); select(vis[(i + 1) % vis.length], true); }
      if (e.key === 'ArrowLeft') { e.preventDefault(); select(vis[(i - 1 + vis.length) % vis.length], true); }
    });
  });
  return select;
}

// The notices go in the top layer, shown again so that they are the newest
// there, above a modal dialog open now; and inside that dialog, since
// everything outside a modal dialog is inert (no screen reader would hear
// them). When the dialog closes they go back to the page.
function raiseToasts(box) {
  const host = [...document.querySelectorAll('dialog')].filter((d) => d.matches(':modal')).pop() || document.body;
  if (box.matches(':popover-open')) box.hidePopover();
  if (box.parentElement !== host) {
    host.append(box);
    if (host !== document.body) {
      host.addEventListener('close', () => {
        if (box.parentElement === host) raiseToasts(box);
      }, { once: true });
    }
  }
  box.showPopover();
}

export function toast(text, kind = '', ms = 4200) {
  const box = $('#toasts');
  const t = h('div', { class: `toast ${kind}`.trim(), text });
  box.append(t);
  while (box.children.length > 3) box.firstChild.remove();
  raiseToasts(box);
  setTimeout(() => t.classList.add('going'), ms - 400);
  setTimeout(() => t.remove(), ms);
}

let announceTimer = 0;
export function announce(text) {
  const a = $('#announcer');
  a.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { a.textContent = text; }, 50);
}

// A modal yes/no question; resolves true for yes.
export function confirmDialog(text, ok = 'OK', danger = false) {
  const d = $('#dlg-confirm');
  $('#dlg-confirm-text').textContent = text;
  const b = $('#dlg-confirm-ok');
  b.textContent = ok;
  b.className = danger ? 'primary danger-fill' : 'primary';
  d.returnValue = '';
  d.showModal();
  b.focus();
  return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'yes'), { once: true }));
}

// Dialogs: [data-close] buttons close them; a click on the backdrop too.
// The backdrop is the dialog element itself to events, and so is the
// dialog's own padding: only a click that starts and ends outside the
// dialog's box counts (a text selection dragged out of a field does not).
export function initDialogs() {
  for (const d of $$('dialog')) {
    const outside = (e) => {
      const r = d.getBoundingClientRect();
      return e.target === d && (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom);
    };
    let downOutside = false;
    d.addEventListener('pointerdown', (e) => { downOutside = outside(e); });
    d.addEventListener('click', (e) => { if (downOutside && outside(e)) d.close(); downOutside = false; });
    for (const b of $$('[data-close]', d)) b.addEventListener('click', () => d.close());
  }
}

// The connection state, shown app-wide.
export function netBanner(text) {
  const n = $('#net');
  n.textContent = text || '';
  show(n, !!text);
  document.body.classList.toggle('offline', !!text);
}

// The chat pane's banner, with an optional action button.
export function chatBanner(text, kind = 'info', action) {
  const b = $('#chat-banner');
  b.className = `banner ${kind}`;
  $('#chat-banner-text').textContent = text;
  b.querySelector('button')?.remove();
  if (action) b.append(h('button', { type: 'button', class: 'small-button', text: action.label, onclick: action.run }));
  b.dataset.kind = kind;
  show(b, true);
}
export function hideChatBanner() { show($('#chat-banner'), false); }

// The tab title "(3) Chat" and a red dot on the favicon while anything is
// unread (two files: the CSP's img-src allows only the server itself).
export function unreadIndicator(total) {
  document.title = total > 0 ? `(${total > 99 ? '99+' : total}) Chat` : 'Chat';
  const link = $('#favicon');
  const href = total > 0 ? 'img/icon-unread.svg' : 'img/icon.svg';
  if (link.getAttribute('href') !== href) link.setAttribute('href', href);
}

// Run fn at most once per tick, however often it is asked for.
export function coalesce(fn, ms = 0) {
  let t = 0;
  return () => { if (!t) t = setTimeout(() => { t = 0; fn(); }, ms); };
}
