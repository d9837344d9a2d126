// The main screens on a desktop and at phone width. Saves screenshots to
// $SCREENSHOT_DIR (docs/screenshots when refreshing the README's pictures;
// a temporary folder otherwise) and checks the phone layout shows one pane.
import { browser, signupUI, befriendUI, openChat, sendUI, BASE, assert } from './lib.mjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'chat-shots-'));
const b = await browser();
try {
  const login = await (await b.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
  await login.goto(BASE);
  await login.waitForSelector('#auth:not([hidden])');
  await login.screenshot({ path: join(dir, 'login.png') });

  const ann = await signupUI(b, 'ann', { nickname: 'Ann Lee' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo Chen' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy Wu' });
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);
  await openChat(bo.page, 'Ann Lee');
  await sendUI(bo.page, 'Are we still on for the hike on Saturday?');
  await openChat(ann.page, 'Bo Chen');
  await sendUI(ann.page, 'Yes! 8:00 at the trailhead.');
  await sendUI(ann.page, 'I will bring tea and dumplings.');
  await bo.page.waitForSelector('#messages li.theirs .bubble:has-text("dumplings")', { timeout: 10000 });
  await sendUI(bo.page, 'Perfect, see you there.');
  await openChat(cy.page, 'Ann Lee');
  await sendUI(cy.page, 'Did you see the new photos?');
  await ann.page.waitForSelector('#messages li.theirs .bubble:has-text("see you there")', { timeout: 10000 });
  await ann.page.click('#nav-chats');
  await ann.page.waitForSelector('#conv-list li.unread', { timeout: 10000 });
  await ann.page.waitForTimeout(300);
  await ann.page.screenshot({ path: join(dir, 'chat.png') });

  // Phone width: the list alone, then the chat alone.
  const phone = await bo.ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 760 });
  await phone.goto(BASE);
  await phone.waitForSelector('#conv-list li');
  assert.equal(await phone.locator('#chat').isVisible(), false, 'phone: the list alone');
  await phone.screenshot({ path: join(dir, 'phone-list.png') });
  await phone.click('#conv-list li');
  await phone.waitForSelector('#messages li.theirs');
  assert.equal(await phone.locator('.side').isVisible(), false, 'phone: the chat alone');
  await phone.screenshot({ path: join(dir, 'phone-chat.png') });
  await phone.click('#back');
  await phone.waitForSelector('#conv-list li');
  console.log('screenshots in', dir);
} finally {
  await b.close();
}
