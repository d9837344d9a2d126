// Two tabs of one user make one long-poll between them, and both show
// new messages.
import { browser, signupUI, befriendUI, openChat, sendUI, assert } from './lib.mjs';

const b = await browser();
try {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);

  const tab2 = await ann.ctx.newPage();
  const inflight = new Set();
  let most = 0, polls = 0;
  ann.ctx.on('request', (r) => {
    if (!r.url().includes('/api/poll')) return;
    polls++;
    inflight.add(r);
    most = Math.max(most, inflight.size);
  });
  const done = (r) => inflight.delete(r);
  ann.ctx.on('requestfinished', done);
  ann.ctx.on('requestfailed', done);
  await tab2.goto(ann.page.url());
  await tab2.waitForSelector('#app:not([hidden])');
  await openChat(ann.page, 'Bo');
  await openChat(tab2, 'Bo');

  for (let i = 1; i <= 3; i++) {
    await openChat(bo.page, 'Ann');
    await sendUI(bo.page, `to both tabs ${i}`);
    await ann.page.waitForSelector(`#messages li.theirs .bubble:has-text("to both tabs ${i}")`, { timeout: 10000 });
    await tab2.waitForSelector(`#messages li.theirs .bubble:has-text("to both tabs ${i}")`, { timeout: 10000 });
  }
  await ann.page.waitForTimeout(1000);
  assert.ok(polls >= 1, 'someone polls');
  assert.equal(most, 1, `one poll at a time across both tabs (saw ${most})`);

  // Closing the polling tab hands polling to the other one.
  await ann.page.close();
  await sendUI(bo.page, 'after the first tab closed');
  await tab2.waitForSelector('#messages li.theirs .bubble:has-text("after the first tab closed")', { timeout: 15000 });
  console.log('ok');
} finally {
  await b.close();
}
