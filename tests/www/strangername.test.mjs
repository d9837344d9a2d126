// A stranger chat the partner left keeps the partner's name in the page:
// in the list, in the chat's header when opened, and after the list is
// fetched again (the server's item says "Stranger" once they are gone).
import { run, guestUI, sendUI, waitBubble, convItem, assert } from './lib.mjs';

await run('strangername', async (b) => {
  const moon = await guestUI(b, 'Moon');
  const sun = await guestUI(b, 'Sun');
  const star = await guestUI(b, 'Star');
  await moon.page.click('#match-start');
  await sun.page.click('#match-start');
  await moon.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Sun', null, { timeout: 10000 });
  await sendUI(moon.page, 'hi sun');
  await waitBubble(sun.page, 'hi sun', 'theirs');
  // Moon looks for another stranger while Sun's chat stays open.
  await moon.page.click('#nav-stranger');
  await moon.page.click('#match-start');
  await star.page.click('#match-start');
  await moon.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Star', null, { timeout: 10000 });
  // Sun leaves.
  await sun.page.click('#chat-leave');
  await sun.page.click('#dlg-confirm-ok');
  await moon.page.waitForSelector('#conv-list li.ended', { state: 'attached', timeout: 10000 });
  // Moon opens the ended chat: its header says Sun, as the list does.
  await moon.page.click('#nav-chats');
  await convItem(moon.page, 'Sun').locator('button.item').click();
  await moon.page.waitForSelector('#chat-banner:has-text("Sun left the chat.")');
  await moon.page.waitForTimeout(1000);
  assert.equal(await moon.page.locator('#chat-title').textContent(), 'Sun', 'the header names the partner who left');
  assert.equal(await convItem(moon.page, 'Sun').count(), 1, 'so does the list');
  // Star leaves too: the list is fetched again; still Sun, still "left".
  await star.page.click('#chat-leave');
  await star.page.click('#dlg-confirm-ok');
  await moon.page.waitForFunction(() => document.querySelectorAll('#conv-list li.ended').length === 2, null, { timeout: 10000 });
  await moon.page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await moon.page.waitForTimeout(1500);
  const titles = await moon.page.locator('#conv-list .item-title').allTextContents();
  assert.deepEqual(titles.sort(), ['Star', 'Sun'], 'both ended chats keep their names');
  assert.equal(await moon.page.locator('#chat-title').textContent(), 'Sun');
});
