// The review's bugs of issue 25, as a person meets them:
// - searching chats for a word that matches none says so, and not "No
//   conversations yet." as well;
// - a group's header counts you among those online ("3 members, 3 online");
// - each sender's name in a group has a colour of its own;
// - a message read by a member who is then removed stays "read";
// - a removed member's toast names the group;
// - the composer, growing to several lines, does not hide the last message;
// - at phone width the disabled composer's reason is shown whole;
// - the offline strip covers no one's name.
import { run, signupUI, api, assert, openChat, sendUI, waitBubble, uniq } from './lib.mjs';

// The colour class chat-thread.js gives a name (nameHue): two names of
// different colours are picked below, so the check cannot pass by luck.
function hue(name) {
  let x = 0;
  for (const ch of String(name).toLowerCase()) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 8;
}

async function befriend(a, b) {
  const r = await api(a.page, 'POST', 'friends/requests', { to: b.name });
  assert.equal(r.status, 201, 'request');
  const acc = await api(b.page, 'POST', 'friends/requests', { to: a.name });
  assert.equal(acc.status, 200, 'asked back: accepted');
  return acc.data.conversation_id;
}

await run('review', async (b) => {
  const ann = await signupUI(b, 'rvann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'rvbo', { nickname: 'Bo' });
  let cyName;
  do cyName = uniq('rvcy'); while (hue(cyName) === hue(bo.name));
  const cy = await signupUI(b, 'rvcy', { nickname: 'Cy', name: cyName });
  await befriend(ann, bo);
  await befriend(ann, cy);

  // Chat search with no match: one message, not two that disagree.
  await ann.page.click('#nav-chats');
  await ann.page.waitForSelector('#conv-list li');
  await ann.page.fill('#conv-filter', 'zzqx no such chat');
  await ann.page.waitForSelector('#conv-empty:not([hidden])');
  const empty = await ann.page.locator('#conv-empty').innerText();
  assert.match(empty, /Nothing matches your search/);
  assert.doesNotMatch(empty, /No conversations yet/, 'not "none at all" while there are some');
  await ann.page.fill('#conv-filter', '');

  // A group of three, everyone online.
  const t = await api(ann.page, 'POST', 'conversations', { title: 'Review group', members: [bo.name, cy.name] });
  assert.equal(t.status, 201);
  const gid = t.data.id;
  await ann.page.reload();                  // made through the API: the list learns of it
  await ann.page.waitForSelector('#app:not([hidden])');
  await openChat(ann.page, 'Review group');
  await ann.page.waitForFunction(() => document.querySelector('#chat-sub')?.textContent === '3 members, 3 online', null, { timeout: 10000 });

  // Bo and Cy write; their names differ in colour.
  await api(bo.page, 'POST', 'messages', { conversation_id: gid, client_id: 'rv-bo-1', body: 'from Bo' });
  await api(cy.page, 'POST', 'messages', { conversation_id: gid, client_id: 'rv-cy-1', body: 'from Cy' });
  await waitBubble(ann.page, 'from Cy', 'theirs');
  const colours = await ann.page.locator('#messages .sender').evaluateAll(els => els.map(e => getComputedStyle(e).color));
  assert.equal(colours.length, 2, 'two senders named');
  assert.notEqual(colours[0], colours[1], 'each sender has a colour of their own');

  // Ann writes; only Bo reads it; Bo is removed: it stays read.
  await sendUI(ann.page, 'read by Bo only');
  await openChat(bo.page, 'Review group');
  await waitBubble(bo.page, 'read by Bo only', 'theirs');
  const mine = ann.page.locator('#messages li.mine').filter({ hasText: 'read by Bo only' });
  await ann.page.waitForFunction(() => [...document.querySelectorAll('#messages li.mine')].some(li => li.textContent.includes('read by Bo only') && li.dataset.state === 'read'), null, { timeout: 10000 });
  await cy.page.click('#nav-chats');
  await ann.page.click('#chat-info');
  await ann.page.click(`#topic-current button[aria-label="Remove ${bo.name} from the group"]`);
  await ann.page.click('#dlg-confirm-ok');
  await ann.page.waitForSelector(`#topic-current li[data-user="${bo.name}"]`, { state: 'detached' });
  await ann.page.keyboard.press('Escape');
  await ann.page.waitForFunction(() => document.querySelector('#chat-sub')?.textContent?.startsWith('2 members'), null, { timeout: 10000 });
  assert.equal(await mine.getAttribute('data-state'), 'read', 'still read after its reader was removed');

  // Bo, removed, is told which group.
  await bo.page.waitForSelector('#toasts .toast:has-text("You are no longer in “Review group”")', { timeout: 10000 });

  // The composer grows over several lines: the last message stays in view.
  for (let i = 0; i < 25; i++) await api(cy.page, 'POST', 'messages', { conversation_id: gid, client_id: `rv-fill-${i}`, body: `filler ${i}` });
  await waitBubble(ann.page, 'filler 24', 'theirs');
  await ann.page.waitForFunction(() => { const s = document.querySelector('#scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight < 8; });
  await ann.page.click('#composer-text');
  for (let i = 0; i < 5; i++) { await ann.page.keyboard.type(`line ${i}`); await ann.page.keyboard.press('Shift+Enter'); }
  const hidden = await ann.page.evaluate(() => {
    const s = document.querySelector('#scroller').getBoundingClientRect();
    const last = [...document.querySelectorAll('#messages li.msg')].at(-1).getBoundingClientRect();
    return last.bottom - s.bottom;
  });
  assert.ok(hidden <= 1, `the last message is in view above the grown composer (${hidden} px below)`);
  await ann.page.fill('#composer-text', '');

  // Bo ends the friendship: at phone width, Ann's composer says why, whole.
  assert.equal((await api(bo.page, 'DELETE', `friends/${ann.name}`)).status, 204);
  await ann.page.setViewportSize({ width: 360, height: 740 });
  if (await ann.page.locator('#back').isVisible()) await ann.page.click('#back');
  await openChat(ann.page, 'Bo');
  await ann.page.waitForSelector('#composer-text:disabled', { timeout: 10000 });
  const fits = await ann.page.evaluate(() => {
    const box = document.querySelector('#composer-text');
    const cs = getComputedStyle(box);
    const probe = document.createElement('div');
    for (const k of ['font', 'padding', 'lineHeight', 'letterSpacing', 'wordSpacing', 'boxSizing', 'borderWidth'])
      probe.style[k] = cs[k];
    probe.style.width = cs.width;
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    probe.style.whiteSpace = 'pre-wrap';
    probe.textContent = box.placeholder;
    document.body.append(probe);
    const need = probe.getBoundingClientRect().height;
    probe.remove();
    return { need, have: box.getBoundingClientRect().height, text: box.placeholder };
  });
  assert.match(fits.text, /no longer friends/);
  assert.ok(fits.have + 1 >= fits.need, `the reason fits the box (${fits.have} of ${fits.need} px)`);

  // Offline: the strip covers neither the chat's name nor its header.
  await ann.page.setViewportSize({ width: 1200, height: 800 });
  await ann.ctx.setOffline(true);
  await ann.page.waitForSelector('#net:not([hidden])', { timeout: 40000 });
  const overlap = await ann.page.evaluate(() => {
    const n = document.querySelector('#net').getBoundingClientRect();
    const t = document.querySelector('#chat-head').getBoundingClientRect();
    return Math.max(0, Math.min(n.bottom, t.bottom) - Math.max(n.top, t.top));
  });
  assert.equal(overlap, 0, 'the offline strip and the chat header do not overlap');
  await ann.ctx.setOffline(false);
  await ann.page.waitForSelector('#net', { state: 'hidden', timeout: 40000 });
});
