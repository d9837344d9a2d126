// notify.js: desktop notifications and a sound for new messages (issue 25),
// opt-in in the profile dialog ("Desktop notifications", "Sound"; kept in
// localStorage, so per browser). Shown only while no tab of the app is in
// front, one per conversation (tag = its id; "3 new messages" once there
// are several), never for one's own messages, group notices or a muted
// chat. A click brings the window to the front and opens that chat.
//
// Exactly one notification per message however many tabs are open: every
// tab gets every event (receiver.js: one tab polls and shares each answer
// over a BroadcastChannel), but only the tab that holds the poll (the Web
// Lock, or the localStorage lease) notifies. There is one such tab at a
// time, and it sees each event once (receiver.js drops repeats by id).
// Whether another tab is in front comes over the same channel: each tab
// says when it comes to the front or goes behind ('vis'), and a new tab
// asks the others ('vis-ask').

import { $ } from './dom.js';
import { S, isMe, convTitle, memberName } from './state.js';
import { broadcast, onBroadcast } from './receiver.js';
import { ask } from './intent.js';

const KEY = 'chat-notify';
const me = Math.random().toString(36).slice(2);
const frontTabs = new Set();            // other tabs of the app in front
const counts = new Map();               // conversation id -> messages not seen
let audio = null;

function settings() {
  try { return { desktop: false, sound: false, ...JSON.parse(localStorage.getItem(KEY) || '{}') }; } catch { return { desktop: false, sound: false }; }
}
function save(s) { try { localStorage.setItem(KEY, JSON.stringify(s)); } catch { /* private mode: this page only */ } }

const inFront = () => document.visibilityState === 'visible';
const anyInFront = () => inFront() || frontTabs.size > 0;

function tellTabs() { broadcast('vis', { tab: me, front: inFront() }); }

// A short two-note chime made here (no sound file fetched).
function chime() {
  try {
    audio ||= new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
    const t = audio.currentTime;
    for (const [i, f] of [[0, 880], [1, 1320]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t + i * 0.12);
      g.gain.exponentialRampToValueAtTime(0.08, t + i * 0.12 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.25);
      o.connect(g).connect(audio.destination);
      o.start(t + i * 0.12);
      o.stop(t + i * 0.12 + 0.3);
    }
  } catch { /* no audio: silence */ }
}

// A message event arrived in this tab; polling: this tab holds the poll.
export function notifyMessage(m, polling) {
  if (!polling || !m || m.kind === 'notice' || isMe(m.sender) || anyInFront()) return;
  const id = m.conversation_id;
  const c = S.convs.get(id);
  if (c?.muted) return;
  const s = settings();
  const n = (counts.get(id) || 0) + 1;
  counts.set(id, n);
  if (s.sound) chime();
  if (!s.desktop || !('Notification' in self) || Notification.permission !== 'granted') return;
  const who = memberName(c, m.sender);
  const text = String(m.body || '').replace(/\s+/g, ' ').slice(0, 140);
  try {
    const note = new Notification(c ? convTitle(c) : who, {
      body: n > 1 ? `${n} new messages` : c?.kind === 'topic' ? `${who}: ${text}` : text,
      tag: String(id), renotify: true,
    });
    note.onclick = () => {
      try { self.focus(); } catch { /* not allowed: the chat opens anyway */ }
      ask.openConversation(id);
      note.close();
    };
  } catch { /* a browser that allows notifications only from a service worker */ }
}

function syncSwitches() {
  const s = settings();
  const granted = 'Notification' in self && Notification.permission === 'granted';
  $('#notify-desktop').checked = s.desktop && granted;
  $('#notify-sound').checked = s.sound;
  $('#notify-hint').textContent = !('Notification' in self) ? 'This browser shows no notifications.'
    : Notification.permission === 'denied' ? 'Notifications are blocked for this site in the browser\u2019s settings.'
      : 'Shown only while the chat is not in front. Mute a chat from its header.';
}

export function initNotify() {
  onBroadcast((m) => {
    if (m.kind === 'vis-ask') tellTabs();
    else if (m.kind === 'vis' && m.tab !== me) {
      if (m.front) { frontTabs.add(m.tab); counts.clear(); } else frontTabs.delete(m.tab);
    }
  });
  document.addEventListener('visibilitychange', () => { if (inFront()) counts.clear(); tellTabs(); });
  addEventListener('pagehide', () => broadcast('vis', { tab: me, front: false }));
  broadcast('vis-ask');
  tellTabs();
  $('#notify-desktop').addEventListener('change', async (e) => {
    const box = e.currentTarget;
    const s = settings();
    s.desktop = box.checked;
    if (box.checked && 'Notification' in self && Notification.permission !== 'granted') {
      let p = 'denied';
      try { p = await Notification.requestPermission(); } catch { /* refused */ }
      s.desktop = p === 'granted';
    }
    save(s);
    syncSwitches();
  });
  $('#notify-sound').addEventListener('change', (e) => {
    const s = settings();
    s.sound = e.currentTarget.checked;
    save(s);
    if (s.sound) chime();              // a sample, and the click unlocks audio
  });
  // The profile form's reset (sign-out) must not show the switches off.
  $('#form-profile').addEventListener('reset', () => setTimeout(syncSwitches));
  syncSwitches();
}
