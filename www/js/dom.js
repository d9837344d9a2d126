// dom.js: build elements without HTML strings. Everything users wrote goes
// in as text (textContent / text nodes), never as markup.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h('li', {class, text, onclick, dataset, ...attrs}, ...children)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { el.replaceChildren(); return el; }

// Drawing a list again drops the control that had focus with its row, and
// focus falls to the page's body, where a keyboard or screen-reader user
// is lost. Call before clearing the list; call what it returns after
// drawing: focus goes to the same control of the same row (rows matched by
// data-<key>), else to the first control of the row now in that place,
// else to fallback(). Nothing happens if focus was not in the list or has
// been put somewhere since.
const CONTROLS = 'button, input, textarea, select, a[href]';
export function holdFocus(list, key, fallback) {
  const a = document.activeElement;
  const row = a && list.contains(a) ? a.closest('li') : null;
  if (!row || !list.contains(row)) return () => {};
  const at = $$(CONTROLS, row).indexOf(a);
  const place = $$('li', list).indexOf(row);
  const k = row.dataset[key];
  return () => {
    const now = document.activeElement;
    if (now && now !== document.body) return;
    if (a.isConnected) { a.focus(); return; }        // moved (a list drawn again reuses rows)
    const rows = $$('li', list);
    const same = rows.find((r) => r.dataset[key] === k);
    const r = same || rows[Math.min(place, rows.length - 1)];
    const el = r ? (same && $$(CONTROLS, r)[at]) || $(CONTROLS, r) : fallback?.();
    el?.focus();
  };
}
export function show(el, on) { if (el) el.hidden = !on; return el; }

// Line icons (24x24, stroked by CSS).
const ICONS = {
  chat: 'M6.5 3.5h11a2.5 2.5 0 0 1 2.5 2.5v7.5a2.5 2.5 0 0 1-2.5 2.5H11l-4.5 4v-4a2.5 2.5 0 0 1-2.5-2.5V6a2.5 2.5 0 0 1 2.5-2.5zM8.5 9.75h.01M12 9.75h.01M15.5 9.75h.01',
  user: 'M20 21v-1a5 5 0 0 0-5-5H9a5 5 0 0 0-5 5v1M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z',
  x: 'M18 6L6 18M6 6l12 12',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  retry: 'M4 12a8 8 0 0 1 14-5.3M20 4v5h-5M20 12a8 8 0 0 1-14 5.3M4 20v-5h5',
  check2: 'M1.5 12.5l4.5 4.5L15.5 7.5M11 16l1 1 9.5-9.5',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2',
  alert: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7.5v5.5M12 16.5v.5',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0',
  bellOff: 'M6 16V11a6 6 0 0 1 9.5-4.9M18 10.5V16l1.5 2h-15M10 20.5a2 2 0 0 0 4 0M3 3l18 18',
  file: 'M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5',
  download: 'M12 4v11M7 10.5l5 5 5-5M5 20h14',
  dots: 'M6 12h.01M12 12h.01M18 12h.01',
  down: 'M12 5v14M6 13l6 6 6-6',
  clip: 'M20 11.5l-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8',
};
export const iconPath = (name) => ICONS[name] || '';
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[name] || '');
  svg.append(p);
  return svg;
}

export function initials(name) {
  const words = String(name || '?').trim().split(/[\s._-]+/).filter(Boolean);
  const first = words.slice(0, 2).map(w => [...w][0] || '').join('');
  return (first || '?').toUpperCase();
}

export function hue(name) {
  let x = 0;
  for (const ch of String(name || '')) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 8;
}

// A round avatar: the picture (only the server's own, /api/pictures/<hash>:
// an address anywhere else is never requested), or initials on a colour
// chosen from the name. online: true/false adds a presence dot; undefined none.
export const isPictureUrl = (url) => typeof url === 'string' && /^\/api\/pictures\/[0-9a-f]{64}$/.test(url);
export function avatar(name, url, { online, size = '' } = {}) {
  const a = h('span', { class: `avatar c${hue(name)} ${size}`.trim(), 'aria-hidden': 'true' });
  const text = initials(name);
  if (isPictureUrl(url)) {
    const img = h('img', { src: url, alt: '', referrerpolicy: 'no-referrer', loading: 'lazy', decoding: 'async' });
    img.addEventListener('error', () => { img.remove(); a.textContent = text; });
    a.append(img);
  } else {
    a.textContent = text;
  }
  if (online === undefined) return a;
  return h('span', { class: `avatar-wrap ${size}`.trim(), 'aria-hidden': 'true' }, a,
    h('span', { class: online ? 'dot on' : 'dot' }));
}

// ---------- times ----------
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const longDateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();

export function clock(ms) { return ms ? timeFmt.format(new Date(ms)) : ''; }
export function fullTime(ms) { return ms ? fullFmt.format(new Date(ms)) : ''; }

// For the conversation list: 14:05, Yesterday, Tue, Mar 3.
export function shortTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 864e5);
  if (days <= 0) return timeFmt.format(d);
  if (days === 1) return 'Yesterday';
  if (days < 7) return weekdayFmt.format(d);
  return dateFmt.format(d);
}

// For the day separators in a chat.
export function dayLabel(ms) {
  const d = new Date(ms);
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 864e5);
  if (days <= 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return longDateFmt.format(d);
}
export function dayKey(ms) { const d = new Date(ms); return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`; }

// "last seen just now", "last seen 5 minutes ago", "last seen today at
// 14:02", "last seen yesterday at 14:02", "last seen Mar 3 at 14:02".
export function lastSeen(ms) {
  if (!ms) return 'offline';
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return 'last seen just now';
  const min = Math.floor(s / 60);
  if (s < 3600) return `last seen ${min} minute${min === 1 ? '' : 's'} ago`;
  const d = new Date(ms);
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 864e5);
  const day = days <= 0 ? 'today' : days === 1 ? 'yesterday' : dateFmt.format(d);
  return `last seen ${day} at ${timeFmt.format(d)}`;
}

// A text of one to six emoji and nothing else (shown larger).
const EMOJI_ONLY = /^\s*(?:\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*\s*){1,6}$/u;
export const emojiOnly = (s) => typeof s === 'string' && EMOJI_ONLY.test(s);
