// The main screens on a desktop and at phone width: checks that a phone
// shows one pane at a time, and saves screenshots. With SCREENSHOTS=1 they
// go to docs/screenshots/ (the README's pictures); otherwise to
// $SCREENSHOT_DIR or a temporary folder.
import { run, newPage, signupUI, befriendUI, guestUI, openChat, sendUI, waitBubble, convItem, api, assert } from './lib.mjs';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.env.SCREENSHOTS === '1' ? join(top, 'docs', 'screenshots')
  : process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'chat-shots-'));
mkdirSync(dir, { recursive: true });
const shot = async (p, name) => {
  await p.evaluate(() => document.querySelector('#toasts').replaceChildren());   // passing notices
  await p.screenshot({ path: join(dir, name), type: 'png' });
};
const DESK = { width: 1100, height: 680 };
const PHONE = { width: 390, height: 760 };

await run('screens', async (b) => {
  const login = await newPage(b, DESK);
  await shot(login.page, 'login.png');
  await login.ctx.close();

  const ann = await signupUI(b, 'ann', { nickname: 'Ann Lee', viewport: DESK });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo Chen', viewport: DESK });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy Wu', viewport: DESK });
  const di = await signupUI(b, 'di', { nickname: 'Di Park', viewport: DESK });
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);
  await befriendUI(ann, di);
  // A group, so the list shows every kind.
  const g = await api(ann.page, 'POST', 'conversations', { title: 'Weekend hike', members: [bo.name, cy.name, di.name] });
  assert.equal(g.status, 201);
  await api(cy.page, 'POST', 'messages', { conversation_id: g.data.id, client_id: 'g1', body: 'I can drive two people.' });
  await openChat(di.page, 'Ann Lee');
  await sendUI(di.page, 'Thanks for the book!');
  await openChat(bo.page, 'Ann Lee');
  await sendUI(bo.page, 'Are we still on for the hike on Saturday?');
  await openChat(ann.page, 'Bo Chen');
  await sendUI(ann.page, 'Yes! 8:00 at the trailhead.');
  await sendUI(ann.page, 'I will bring tea and dumplings.');
  await waitBubble(bo.page, 'dumplings', 'theirs');
  await sendUI(bo.page, 'Perfect, see you there.\nDon\'t forget the map.');
  await openChat(cy.page, 'Ann Lee');
  await sendUI(cy.page, 'Did you see the new photos?');
  await sendUI(cy.page, 'The lake one is my favourite');
  await waitBubble(ann.page, 'see you there', 'theirs');
  await ann.page.click('#nav-chats');
  await convItem(ann.page, 'Cy Wu').locator('.unread-badge').waitFor({ timeout: 10000 });
  await ann.page.mouse.move(0, 0);
  await ann.page.waitForTimeout(400);
  await shot(ann.page, 'chat.png');

  await ann.page.click('#nav-friends');
  await ann.page.fill('#find-user input[name=username]', bo.name);
  await ann.page.press('#find-user input[name=username]', 'Enter');
  await ann.page.waitForSelector('#found-user .found');
  await shot(ann.page, 'desktop-friends.png');

  // Phone width: the list alone, then the chat alone.
  const phone = await bo.ctx.newPage();
  await phone.setViewportSize(PHONE);
  await phone.goto(ann.page.url());
  await phone.waitForSelector('#conv-list li');
  assert.equal(await phone.locator('#chat').isVisible(), false, 'phone: the list alone');
  await shot(phone, 'phone-list.png');
  await convItem(phone, 'Ann Lee').locator('button.item').click();
  await phone.waitForSelector('#messages li.theirs');
  assert.equal(await phone.locator('.side').isVisible(), false, 'phone: the chat alone');
  await phone.waitForTimeout(300);
  await shot(phone, 'phone-chat.png');
  await phone.click('#back');
  await phone.waitForSelector('#conv-list li');
  assert.equal(await phone.locator('#chat').isVisible(), false, 'phone: back to the list');

  // Stranger chat between two guests.
  const moon = await guestUI(b, 'Moon', DESK);
  const sun = await guestUI(b, 'Sun', PHONE);
  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  await shot(moon.page, 'stranger-waiting.png');
  await sun.page.click('#match-start');
  await moon.page.waitForSelector('#chat-banner:has-text("Sun")', { timeout: 10000 });
  await sendUI(sun.page, 'Hi! Where are you writing from?');
  await waitBubble(moon.page, 'Where are you', 'theirs');
  await sendUI(moon.page, 'Longyan. And you?');
  await waitBubble(sun.page, 'Longyan', 'theirs');
  await moon.page.waitForTimeout(300);
  await shot(moon.page, 'stranger-chat.png');
  await sun.page.waitForTimeout(300);
  await shot(sun.page, 'phone-stranger.png');
  console.log('screenshots in', dir);
});
