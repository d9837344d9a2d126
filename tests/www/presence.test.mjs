// Presence: a friend's dot turns grey when their browser goes away (after
// the server's idle time) and green again when they come back.
import { run, signupUI, befriendUI, newPage, PASSWORD, convItem } from './lib.mjs';

await run('presence', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  const dot = (on) => `#friend-list li[data-user="${bo.name}"][data-online="${on}"] .dot${on ? '.on' : ':not(.on)'}`;
  await ann.page.waitForSelector(dot(true));

  // Bo's browser goes away; once the server counts him idle, Ann sees it.
  await bo.ctx.close();
  await ann.page.waitForSelector(dot(false), { timeout: 60000 });
  await ann.page.click('#nav-chats');
  await convItem(ann.page, 'Bo').locator('.dot:not(.on)').waitFor();

  // He logs in again elsewhere: green again, live.
  const again = await newPage(b);
  await again.page.fill('#form-login input[name=username]', bo.name);
  await again.page.fill('#form-login input[name=password]', PASSWORD);
  await again.page.press('#form-login input[name=password]', 'Enter');
  await again.page.waitForSelector('#app:not([hidden])');
  await convItem(ann.page, 'Bo').locator('.dot.on').waitFor({ timeout: 15000 });
  await ann.page.click('#nav-friends');
  await ann.page.waitForSelector(dot(true));
});
