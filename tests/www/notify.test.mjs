// Group notices, mute and notifications (issue 25). Notices: "Bob added
// Cy", a rename, a role, a leave, shown live as centred grey lines and again
// after a reload, never unread. Mute: the header's button, a bell-slash in
// the list, a grey count that is not in the tab title, on the user's other
// tab too. Notifications: turned on in the profile dialog (permission
// granted), a message to a page that is not in front gives exactly one
// notification with two tabs open, none from a muted chat; its click opens
// the chat. With SCREENSHOTS=1: docs/screenshots/notify-settings.png and
// group-notices.png.
import { run, signupUI, openChat, convItem, api, assert, BASE } from './lib.mjs';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const shots = process.env.SCREENSHOTS === '1'
  ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots') : null;
if (shots) mkdirSync(shots, { recursive: true });

// In Ann's pages: window.Notification counts what is made (no real
// notification shown) and "in front" is ours to say (window.__vis).
const INIT = () => {
  window.__vis = 'visible';
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => window.__vis });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.__vis !== 'visible' });
  const Real = window.Notification;
  window.__notes = [];
  function Counted(title, opts = {}) {
    const n = { title, body: opts.body, tag: opts.tag, renotify: opts.renotify, onclick: null, close() { n.closed = true; } };
    window.__notes.push(n);
    return n;
  }
  Object.defineProperty(Counted, 'permission', { get: () => Real.permission });
  Counted.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Counted;
};
const hide = (p) => p.evaluate(() => { window.__vis = 'hidden'; document.dispatchEvent(new Event('visibilitychange')); });
const notes = (p) => p.evaluate(() => window.__notes.map(({ title, body, tag, renotify }) => ({ title, body, tag, renotify })));
const lines = (p) => p.locator('#messages li.notice-line').allTextContents();

async function befriend(a, b) {
  const r = await api(a.page, 'POST', 'friends/requests', { to: b.name, text: 'hi' });
  assert.equal(r.status, 201, 'friend request');
  assert.equal((await api(b.page, 'POST', `friends/requests/${r.data.id}/accept`)).status, 200, 'accepted');
}

await run('notify', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann', init: INIT, viewport: { width: 1100, height: 680 } });
  const bob = await signupUI(b, 'bob', { nickname: 'Bob' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await befriend(bob, ann);
  await befriend(bob, cy);
  await befriend(cy, ann);                 // Cy's nickname stays known after Cy leaves
  const p = ann.page;
  let r = await api(bob.page, 'POST', 'conversations', { title: 'Trip', members: [ann.name] });
  assert.equal(r.status, 201, 'Bob makes a group with Ann');
  const group = r.data.id;
  await convItem(p, 'Trip').waitFor({ timeout: 10000 });
  await openChat(p, 'Trip');

  // --- notices, live ---
  assert.equal((await api(bob.page, 'POST', `conversations/${group}/members`, { members: [cy.name] })).status, 200);
  assert.equal((await api(bob.page, 'PATCH', `conversations/${group}`, { title: 'Trip 2' })).status, 200);
  assert.equal((await api(bob.page, 'PATCH', `conversations/${group}/members/${ann.name}`, { role: 'admin' })).status, 200);
  assert.equal((await api(cy.page, 'POST', `conversations/${group}/leave`)).status, 204);
  const want = ['Bob added Cy', 'Bob renamed the group to \u201cTrip 2\u201d', 'Bob made you an admin', 'Cy left'];
  const named = async () => (await lines(p)).map(t => t.replaceAll(cy.name, 'Cy'));
  await p.waitForFunction((n) => document.querySelectorAll('#messages li.notice-line').length === n, want.length, { timeout: 10000 });
  assert.deepEqual(await named(), want, 'the notices, live, in order, by nickname');
  assert.equal(await p.locator('#messages li.msg').count(), 0, 'no bubble for a notice');
  assert.equal(await convItem(p, 'Trip 2').locator('.unread-badge').count(), 0, 'a notice is not unread');
  assert.equal(await p.title(), 'Chat', 'nor counted in the title');
  if (shots) {
    await api(bob.page, 'POST', 'messages', { conversation_id: group, client_id: 'shot-1', body: 'Cy had to go. Still on for Saturday?' });
    await p.locator('#messages li.msg').first().waitFor();
    await p.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await p.screenshot({ path: join(shots, 'group-notices.png') });
  }
  await p.reload();
  await p.waitForSelector('#app:not([hidden])');
  await openChat(p, 'Trip 2');
  await p.waitForFunction((n) => document.querySelectorAll('#messages li.notice-line').length === n, want.length, { timeout: 10000 });
  assert.deepEqual(await named(), want, 'the notices again after a reload (history)');

  // --- mute the direct chat with Bob, from the header; a second tab follows ---
  const p2 = await ann.ctx.newPage();
  await p2.goto(BASE);
  await p2.waitForSelector('#app:not([hidden])');
  await openChat(p, 'Bob');
  await p.click('#chat-mute');
  await p.waitForFunction(() => document.querySelector('#chat-mute').getAttribute('aria-pressed') === 'true');
  await convItem(p, 'Bob').locator('.muted-icon').waitFor();
  await convItem(p2, 'Bob').locator('.muted-icon').waitFor({ timeout: 10000 });

  // --- notifications on, in the profile dialog ---
  await ann.ctx.grantPermissions(['notifications'], { origin: new URL(BASE).origin });
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  await p.check('#notify-desktop');
  await p.waitForFunction(() => JSON.parse(localStorage.getItem('chat-notify') || '{}').desktop === true);
  if (shots) {
    await p.locator('#notify-fields').scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(shots, 'notify-settings.png') });
  }
  await p.click('#dlg-profile [data-close]');
  await openChat(p, 'Trip 2');

  // Both tabs behind other windows: one notification for one message.
  await hide(p);
  await hide(p2);
  r = await api(bob.page, 'POST', 'messages', { conversation_id: group, client_id: 'n-1', body: 'Lunch at one?' });
  assert.equal(r.status, 201);
  const both = async () => [...await notes(p), ...await notes(p2)];
  for (let i = 0; i < 100 && (await both()).length < 1; i++) await p.waitForTimeout(100);
  // Another message from the muted chat: none. Then, by order of
  // delivery, nothing more can be on its way for the group's message.
  r = await api(bob.page, 'POST', 'messages', { to: ann.name, client_id: 'n-2', body: 'muted hello' });
  assert.equal(r.status, 201);
  await convItem(p2, 'Bob').locator('.unread-badge.muted').waitFor({ timeout: 10000 });
  await convItem(p, 'Bob').locator('.unread-badge.muted').waitFor({ timeout: 10000 });
  assert.deepEqual(await both(), [{ title: 'Trip 2', body: 'Bob: Lunch at one?', tag: String(group), renotify: true }],
    'exactly one notification for two tabs, none from the muted chat');
  assert.equal(await p.title(), '(1) Chat', 'the group\'s message counts in the title, the muted chat\'s not');

  // Its click opens the chat (in the tab that showed it).
  const shower = (await notes(p)).length ? p : p2;
  await shower.evaluate(() => window.__notes[0].onclick());
  await shower.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Trip 2' && !document.querySelector('#composer').hidden);
});
