// chat-emoji.js: the composer's emoji picker, for chat.js (issue 24): a
// grid of common emoji as plain characters, in groups behind tabs, no
// network and no images. Arrow keys move in the grid, Enter or a click
// puts the emoji at the caret, Esc closes. Without a colour emoji font the
// characters fall back to a monochrome one or a box, in a fixed-size cell
// (app.css), so nothing moves.

import { $, h, clear, show } from './dom.js';

const GROUPS = [
  ['Smileys', '😀 😃 😄 😁 😆 😅 🤣 😂 🙂 🙃 😉 😊 😇 🥰 😍 🤩 😘 😋 😛 😜 🤪 🤗 🤭 🤫 🤔 😐 😑 😶 😏 😒 🙄 😬 😌 😔 😪 😴 😷 🤒 🥵 🥶 🤯 🥳 😎 🤓 😕 🙁 😮 😳 🥺 😢 😭 😱 😩 😤 😡 🤬'],
  ['People', '👍 👎 👌 ✌️ 🤞 🤝 👏 🙌 👋 🙏 💪 👀 🤷 🤦 🙋 🙈 🙉 🙊 👶 🧑 👨 👩 👴 👵'],
  ['Hearts', '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 💔 💕 💯 ✨ 🔥 ⭐ 🌟 💥 ✅ ❌ ❓ ❗ 💤 🎉'],
  ['Nature', '🐶 🐱 🐼 🦊 🐸 🐵 🐧 🦋 🌸 🌹 🌻 🌈 ☀️ 🌙 ⛄ 🌊 ☕ 🍵 🍺 🍰 🎂 🍎 🍉 🍕 🍜 🍚 🥟 🍡'],
  ['Things', '🎁 🎈 🎵 📷 💻 📱 ✈️ 🚗 🚲 🏠 ⏰ 📌 💡 📚 ✏️ 💰 🧧 🏮 ⚽ 🎮 🎨 🔑'],
].map(([name, list]) => [name, list.split(' ')]);
const COLS = 8;

let tab = 0;

function box() { return $('#composer-text'); }

// Put e at the caret (over the selection) and tell the composer (input).
function insert(e) {
  const t = box();
  if (t.disabled) return;
  const start = t.selectionStart ?? t.value.length;
  t.setRangeText(e, start, t.selectionEnd ?? start, 'end');
  t.dispatchEvent(new Event('input', { bubbles: true }));
}

function grid() {
  return h('div', { class: 'emoji-grid', role: 'group', 'aria-label': GROUPS[tab][0] },
    GROUPS[tab][1].map((e, i) => h('button', {
      type: 'button', class: 'emoji', text: e, 'aria-label': e, tabindex: i ? '-1' : '0',
      onclick: () => { insert(e); close(); },
    })));
}

function render() {
  const panel = $('#emoji-panel');
  clear(panel).append(
    h('div', { class: 'emoji-tabs', role: 'tablist', 'aria-label': 'Emoji groups' },
      GROUPS.map(([name, list], i) => h('button', {
        type: 'button', role: 'tab', class: 'emoji-tab', 'aria-selected': String(i === tab),
        tabindex: i === tab ? '0' : '-1', title: name, 'aria-label': name, text: list[0],
        onclick: () => { tab = i; render(); $('.emoji-tab[aria-selected="true"]', panel).focus(); },
      }))),
    grid());
}

function open() {
  render();
  show($('#emoji-panel'), true);
  $('#emoji-open').setAttribute('aria-expanded', 'true');
  $('#emoji-panel .emoji').focus();
}

function close({ focus = true } = {}) {
  if ($('#emoji-panel').hidden) return;
  show($('#emoji-panel'), false);
  $('#emoji-open').setAttribute('aria-expanded', 'false');
  if (focus) box().focus();
}

// Arrows: tabs left and right in the tab list; in the grid, by cell and row.
function onKey(e) {
  if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); return; }
  const panel = $('#emoji-panel');
  const a = document.activeElement;
  const keys = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLS, ArrowDown: COLS, Home: -1e3, End: 1e3 };
  if (!(e.key in keys)) return;
  if (a?.classList.contains('emoji-tab')) {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    tab = (tab + keys[e.key] + GROUPS.length) % GROUPS.length;
    render();
    $('.emoji-tab[aria-selected="true"]', panel).focus();
    return;
  }
  const cells = [...panel.querySelectorAll('.emoji')];
  const i = cells.indexOf(a);
  if (i < 0) return;
  e.preventDefault();
  const j = Math.max(0, Math.min(cells.length - 1, i + keys[e.key]));
  cells[i].tabIndex = -1;
  cells[j].tabIndex = 0;
  cells[j].focus();
}

export function initEmoji() {
  $('#emoji-open').addEventListener('click', () => ($('#emoji-panel').hidden ? open() : close()));
  $('#emoji-panel').addEventListener('keydown', onKey);
  // A click elsewhere closes it, leaving focus where the click put it.
  document.addEventListener('pointerdown', (e) => {
    if (!e.target.closest('#emoji-panel, #emoji-open')) close({ focus: false });
  });
}
