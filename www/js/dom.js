// dom.js: build elements without HTML strings. Everything users wrote goes
// in as text (textContent), never as markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el) { el.replaceChildren(); return el; }

// A round avatar: the picture, or initials on a colour from the name.
export function avatar(name, url, online, big) {
  const initials = (name || '?').trim().split(/\s+/).map(w => [...w][0] || '').join('').slice(0, 2).toUpperCase();
  let hash = 0;
  for (const ch of name || '') hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const a = h('span', { class: `avatar c${hash % 6}${big ? ' big' : ''}`, 'aria-hidden': 'true' });
  if (url && /^https?:\/\//.test(url)) {
    const img = h('img', { src: url, alt: '', referrerpolicy: 'no-referrer' });
    img.addEventListener('error', () => { img.remove(); a.textContent = initials; });
    a.append(img);
  } else {
    a.textContent = initials;
  }
  if (online === undefined) return a;
  return h('span', { class: 'avatar-wrap' }, a,
    h('span', { class: online ? 'dot on' : 'dot', title: online ? 'online' : 'offline' }));
}

const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function clock(ms) { return ms ? timeFmt.format(new Date(ms)) : ''; }
export function day(ms) { return dayFmt.format(new Date(ms)); }
export function shortTime(ms) {
  if (!ms) return '';
  const d = new Date(ms), now = new Date();
  return d.toDateString() === now.toDateString() ? timeFmt.format(d) : dayFmt.format(d);
}
