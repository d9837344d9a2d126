// Groups: Ann creates one with two friends in the UI; everyone chats in
// it; she renames it, makes Bo an admin (each member's buttons name the
// member) and removes Cy after confirming, and Cy loses it; Bo leaves.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, convItem, api, currentConvId, assert } from './lib.mjs';

await run('topics', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);

  await ann.page.click('#nav-chats');
  await ann.page.click('#new-topic');
  await ann.page.fill('#form-topic input[name=title]', 'Weekend hike');
  await ann.page.check(`#topic-members input[value="${bo.name}"]`);
  await ann.page.check(`#topic-members input[value="${cy.name}"]`);
  await ann.page.click('#topic-save');
  await ann.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Weekend hike');
  assert.match(await ann.page.locator('#chat-sub').textContent(), /3 members/);
  await sendUI(ann.page, 'Saturday at 8?');

  for (const u of [bo, cy]) {
    await convItem(u.page, 'Weekend hike').waitFor({ state: 'attached', timeout: 10000 });
    await openChat(u.page, 'Weekend hike');
    await waitBubble(u.page, 'Saturday at 8?', 'theirs');
    assert.equal(await u.page.locator('#messages li.theirs .sender').first().textContent(), 'Ann', 'sender name in groups');
  }
  await sendUI(bo.page, 'Bo is in');
  await waitBubble(ann.page, 'Bo is in', 'theirs');
  await waitBubble(cy.page, 'Bo is in', 'theirs');

  // Rename; the others see the new title.
  await ann.page.click('#chat-info');
  await ann.page.fill('#form-topic input[name=title]', 'Sunday hike');
  await ann.page.click('#topic-save');
  await ann.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Sunday hike');
  await bo.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Sunday hike', null, { timeout: 10000 });

  // Make Bo an admin: Bo's dialog then lets him manage members.
  const id = await currentConvId(ann.page);
  await ann.page.click('#chat-info');
  const names = await ann.page.locator('#topic-current button').evaluateAll(bs => bs.map(x => x.getAttribute('aria-label') || x.textContent));
  assert.deepEqual(names.filter(n => n.startsWith('Make admin')).sort(),
    [`Make admin: Bo (@${bo.name})`, `Make admin: Cy (@${cy.name})`], 'each "Make admin" button names its member');
  await ann.page.getByRole('button', { name: `Make admin: Bo (@${bo.name})` }).click();
  await ann.page.waitForSelector(`#topic-current li[data-user="${bo.name}"] .item-sub:has-text("admin")`);
  await ann.page.keyboard.press('Escape');
  await bo.page.click('#chat-info');
  await bo.page.waitForSelector(`#topic-current button[aria-label="Remove ${cy.name} from the group"]`);
  await bo.page.keyboard.press('Escape');

  // Remove Cy: the group leaves Cy's list, and its history is closed to Cy.
  // First a change of mind: Cancel in the confirmation keeps Cy.
  await ann.page.click('#chat-info');
  await ann.page.click(`#topic-current button[aria-label="Remove ${cy.name} from the group"]`);
  await ann.page.waitForSelector('#dlg-confirm[open]:has-text("Remove Cy")');
  await ann.page.click('#dlg-confirm button[value=no]');
  await ann.page.waitForTimeout(500);
  assert.equal(await ann.page.locator(`#topic-current li[data-user="${cy.name}"]`).count(), 1, 'cancelled: Cy stays');
  assert.equal(await ann.page.locator('#dlg-topic').evaluate(d => d.open), true, 'the group dialog stays open');
  await ann.page.click(`#topic-current button[aria-label="Remove ${cy.name} from the group"]`);
  await ann.page.click('#dlg-confirm-ok');
  await ann.page.waitForSelector(`#topic-current li[data-user="${cy.name}"]`, { state: 'detached' });
  await ann.page.keyboard.press('Escape');
  await cy.page.waitForSelector(`#conv-list li[data-id="${id}"]`, { state: 'detached', timeout: 10000 });
  assert.equal((await api(cy.page, 'GET', `conversations/${id}/messages`)).status, 403);

  // Bo leaves.
  await bo.page.click('#chat-leave');
  await bo.page.click('#dlg-confirm-ok');
  await bo.page.waitForSelector(`#conv-list li[data-id="${id}"]`, { state: 'detached' });
  await ann.page.waitForFunction(() => /1 member\b/.test(document.querySelector('#chat-sub')?.textContent || ''), null, { timeout: 10000 });
});
