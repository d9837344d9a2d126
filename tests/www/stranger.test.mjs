// Two guests meet in stranger chat; one leaves, the other is told.
import { browser, BASE, assert } from './lib.mjs';

async function guest(b, nick) {
  const ctx = await b.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await ctx.newPage();
  await page.goto(BASE);
  await page.click('#tab-guest');
  await page.fill('#form-guest input[name=nickname]', nick);
  await page.click('#form-guest button[type=submit]');
  await page.waitForSelector('#pane-stranger:not([hidden])');
  return { ctx, page };
}

const b = await browser();
try {
  const moon = await guest(b, 'Moon');
  const sun = await guest(b, 'Sun');
  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  await sun.page.click('#match-start');
  // Both see the matched banner with the partner's nickname.
  await sun.page.waitForSelector('#banner:has-text("Matched with Moon")', { timeout: 10000 });
  await moon.page.waitForSelector('#banner:has-text("Matched with Sun")', { timeout: 10000 });
  await moon.page.fill('#composer-text', 'hi stranger');
  await moon.page.press('#composer-text', 'Enter');
  await sun.page.waitForSelector('#messages li.theirs .bubble:has-text("hi stranger")', { timeout: 10000 });
  // Sun leaves; Moon gets the partner-left banner and cannot send.
  sun.page.once('dialog', d => d.accept());
  await sun.page.click('#chat-leave');
  await moon.page.waitForSelector('#banner:has-text("left")', { timeout: 10000 });
  assert.equal(await moon.page.locator('#composer-text').isDisabled(), true);
  // Next stranger: Moon waits again.
  await moon.page.click('#chat-next');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  console.log('ok');
} finally {
  await b.close();
}
