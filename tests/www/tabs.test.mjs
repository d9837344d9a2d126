// Two tabs of one user make one long-poll between them (Web Locks elect
// the poller, a BroadcastChannel shares events); both tabs show incoming
// messages, each other's sends and read marks, friends accepted or removed
// in the other tab; closing the polling tab
// hands polling over; logging out in one tab logs out the other. Without
// Web Locks (plain http on a non-local host) a localStorage lease does it.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, convItem, api, assert } from './lib.mjs';

// Count /api/poll requests of a context: how many at most at once, per page.
function pollCounter(ctx) {
  const c = { inflight: new Set(), most: 0, polls: 0, perPage: new Map() };
  ctx.on('request', (r) => {
    if (!r.url().includes('/api/poll')) return;
    c.polls++;
    const p = r.frame().page();
    c.perPage.set(p, (c.perPage.get(p) || 0) + 1);
    c.inflight.add(r);
    c.most = Math.max(c.most, c.inflight.size);
  });
  const done = (r) => c.inflight.delete(r);
  ctx.on('requestfinished', done);
  ctx.on('requestfailed', done);
  return c;
}

await run('tabs', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);

  const ac = pollCounter(ann.ctx);

  const tab2 = await ann.ctx.newPage();
  await tab2.goto(ann.page.url());
  await tab2.waitForSelector('#app:not([hidden])');
  await openChat(bo.page, 'Ann');
  await openChat(ann.page, 'Bo');

  for (let i = 1; i <= 3; i++) {
    await sendUI(bo.page, `to both tabs ${i}`);
    await waitBubble(ann.page, `to both tabs ${i}`, 'theirs');
    await convItem(tab2, 'Bo').locator('.item-sub', { hasText: `to both tabs ${i}` }).waitFor({ timeout: 10000 });
  }
  // Tab 1 read them; tab 2 shows no unread count.
  await tab2.waitForFunction(() => document.title === 'Chat', null, { timeout: 5000 });
  // What tab 1 sends shows in tab 2 too (the server does not echo it).
  await sendUI(ann.page, 'sent from tab one');
  await openChat(tab2, 'Bo');
  await waitBubble(tab2, 'sent from tab one', 'mine');
  await sendUI(bo.page, 'seen in both');
  await waitBubble(tab2, 'seen in both', 'theirs');
  await waitBubble(ann.page, 'seen in both', 'theirs');

  // A friend accepted, then removed, in tab 1 shows in tab 2 at once (the
  // acting user's own friends_changed event; the other side's
  // friend_accepted goes to the other side only).
  const dee = await signupUI(b, 'dee', { nickname: 'Dee' });
  assert.equal((await api(dee.page, 'POST', 'friends/requests', { to: ann.name })).status, 201);
  await ann.page.click('#nav-friends');
  await ann.page.waitForSelector(`#incoming button[aria-label="Accept ${dee.name}"]`, { timeout: 10000 });
  await tab2.waitForSelector(`#incoming li[data-user="${dee.name}"]`, { state: 'attached', timeout: 10000 });
  await ann.page.click(`#incoming button[aria-label="Accept ${dee.name}"]`);
  await tab2.waitForSelector(`#friend-list li[data-user="${dee.name}"]`, { state: 'attached', timeout: 10000 });
  await tab2.waitForSelector(`#incoming li[data-user="${dee.name}"]`, { state: 'detached', timeout: 10000 });
  await ann.page.click(`#friend-list li[data-user="${dee.name}"] button[aria-label="Remove ${dee.name}"]`);
  await ann.page.click('#dlg-confirm-ok');
  await tab2.waitForSelector(`#friend-list li[data-user="${dee.name}"]`, { state: 'detached', timeout: 10000 });
  await ann.page.click('#nav-chats');

  await ann.page.waitForTimeout(500);
  assert.ok(ac.polls >= 1, 'someone polls');
  assert.equal(ac.most, 1, `one poll at a time across both tabs (saw ${ac.most})`);
  assert.equal(ac.perPage.size, 1, 'only one tab polls');

  // Closing the polling tab hands polling over to the other.
  const poller = [...ac.perPage.keys()][0];
  const other = poller === ann.page ? tab2 : ann.page;
  await poller.close();
  for (const r of [...ac.inflight]) if (r.frame().page() === poller) ac.inflight.delete(r);   // its poll died with it
  await sendUI(bo.page, 'after the poller closed');
  await waitBubble(other, 'after the poller closed', 'theirs', 20000);
  assert.ok((ac.perPage.get(other) || 0) >= 1, 'the other tab polls now');
  assert.equal(ac.most, 1, 'still one poll at a time');

  // Logging out in one tab ends the other.
  const tab3 = await ann.ctx.newPage();
  await tab3.goto(other.url());
  await tab3.waitForSelector('#app:not([hidden])');
  await tab3.click('#logout');
  await other.waitForSelector('#auth:not([hidden])', { timeout: 5000 });
  await tab3.waitForSelector('#auth:not([hidden])');

  // No Web Locks: the localStorage lease elects one poller.
  const cy = await signupUI(b, 'cy', { nickname: 'Cy', init: () => { delete Navigator.prototype.locks; } });
  assert.equal(await cy.page.evaluate(() => navigator.locks), undefined);
  await befriendUI(cy, bo);
  const cc = pollCounter(cy.ctx);
  const cyTab2 = await cy.ctx.newPage();
  await cyTab2.goto(cy.page.url());
  await cyTab2.waitForSelector('#app:not([hidden])');
  await openChat(bo.page, 'Cy');
  await cy.page.click('#nav-chats');
  for (let i = 1; i <= 2; i++) {
    await sendUI(bo.page, `lease ${i}`);
    await convItem(cy.page, 'Bo').locator('.item-sub', { hasText: `lease ${i}` }).waitFor({ timeout: 10000 });
    await convItem(cyTab2, 'Bo').locator('.item-sub', { hasText: `lease ${i}` }).waitFor({ timeout: 10000 });
  }
  await cyTab2.waitForTimeout(4500);          // past a lease check of the other tab
  assert.equal(cc.most, 1, `lease: one poll at a time (saw ${cc.most})`);
  assert.equal(cc.perPage.size, 1, 'lease: only one tab polls');
});
