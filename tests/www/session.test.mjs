// What a tab keeps for its user: a reload keeps the open chat and every
// draft; logging out forgets them, and whoever logs in next in the same
// tab sees nothing of the last user (drafts, search boxes, reopened chat)
// and gets their own group details.
import { run, signupUI, befriendUI, loginUI, openChat, convItem, api, assert } from './lib.mjs';

await run('session', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);
  // A group of the three (Bo and Cy are not friends); Cy writes in it.
  const g = await api(ann.page, 'POST', 'conversations', { title: 'Hike', members: [bo.name, cy.name] });
  assert.equal(g.status, 201);
  assert.equal((await api(cy.page, 'POST', 'messages', { conversation_id: g.data.id, client_id: 'c1', body: 'hi all' })).status, 201);
  const p = ann.page;
  await p.click('#nav-chats');
  await convItem(p, 'Hike').locator('.item-sub', { hasText: /^Cy: hi all$/ }).waitFor({ timeout: 10000 });

  // Drafts in two chats, the one with Bo open: a reload keeps all of it.
  await openChat(p, 'Cy');
  await p.fill('#composer-text', 'draft for Cy');
  await openChat(p, 'Bo');
  await p.fill('#composer-text', 'half-written to Bo');
  await p.reload();
  await p.waitForSelector('#app:not([hidden])');
  await p.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Bo'
    && !document.querySelector('#composer').hidden, null, { timeout: 10000 });
  assert.equal(await p.inputValue('#composer-text'), 'half-written to Bo', 'the draft is back');
  await openChat(p, 'Cy');
  assert.equal(await p.inputValue('#composer-text'), 'draft for Cy');

  // Ann searches, then logs out; Bo logs in in the same tab.
  await p.fill('#conv-filter', 'Cy');
  await p.click('#nav-friends');
  await p.fill('#find-user input[name=username]', 'somebody');
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  await p.keyboard.press('Escape');
  await p.click('#logout');
  await p.waitForSelector('#auth:not([hidden])');
  assert.equal(await p.evaluate(() => Object.values(sessionStorage).join()).then(v => v.includes('draft')), false, 'no draft kept in the tab');
  const fields = await p.evaluate(() => [...document.querySelectorAll('input:not([type=checkbox]), textarea')].map(e => e.value).filter(Boolean));
  assert.deepEqual(fields, [], 'no field of the page keeps what Ann typed or her profile');
  await loginUI(p, bo.name);
  await p.click('#nav-chats');
  assert.equal(await p.inputValue('#conv-filter'), '', 'no search left over');
  await convItem(p, 'Ann').waitFor({ timeout: 10000 });
  await convItem(p, 'Hike').locator('.item-sub', { hasText: /^Cy: hi all$/ }).waitFor({ timeout: 10000 });
  assert.equal(await p.locator('#composer').isVisible(), false, 'no chat reopened');
  await openChat(p, 'Ann');
  assert.equal(await p.inputValue('#composer-text'), '', 'no draft of Ann for Bo');
  await p.click('#nav-friends');
  assert.equal(await p.inputValue('#find-user input[name=username]'), '', 'no find-people text left over');

  // Ann again in the same tab: logging out forgot her drafts and open chat.
  await p.click('#logout');
  await p.waitForSelector('#auth:not([hidden])');
  await loginUI(p, ann.name);
  await p.click('#nav-chats');
  await convItem(p, 'Bo').waitFor({ timeout: 10000 });
  await p.waitForTimeout(500);
  assert.equal(await p.locator('#composer').isVisible(), false, 'no chat reopened after logging out');
  for (const who of ['Bo', 'Cy']) {
    await openChat(p, who);
    assert.equal(await p.inputValue('#composer-text'), '', `the draft for ${who} went with the logout`);
  }
});
