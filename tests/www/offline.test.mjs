// A network cut and its return lose and double nothing.
import { browser, signupUI, befriendUI, openChat, sendUI, api, assert } from './lib.mjs';

const b = await browser();
try {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');
  await sendUI(bo.page, 'before the cut');
  await ann.page.waitForSelector('#messages li.theirs .bubble:has-text("before the cut")', { timeout: 10000 });

  await ann.ctx.setOffline(true);
  await ann.page.waitForSelector('#banner:has-text("Connection lost")', { timeout: 30000 });
  for (let i = 1; i <= 3; i++) await sendUI(bo.page, `while away ${i}`);
  await bo.page.waitForSelector('#messages li.mine:nth-last-child(1) .msg-state:has-text("sent")', { timeout: 10000 });
  await ann.page.waitForTimeout(1500);
  await ann.ctx.setOffline(false);

  for (let i = 1; i <= 3; i++)
    await ann.page.waitForSelector(`#messages li.theirs .bubble:has-text("while away ${i}")`, { timeout: 30000 });
  await ann.page.waitForTimeout(3000);   // time for any double to show up
  const bodies = await ann.page.locator('#messages li .bubble').allTextContents();
  for (const t of ['before the cut', 'while away 1', 'while away 2', 'while away 3'])
    assert.equal(bodies.filter(x => x === t).length, 1, `"${t}" shown exactly once`);
  // And the server holds exactly those messages, in order.
  const id = Number(await ann.page.locator('#conv-list li.active').getAttribute('data-id'));
  const hist = await api(ann.page, 'GET', `conversations/${id}/messages`);
  assert.deepEqual(hist.data.messages.map(m => m.body), ['before the cut', 'while away 1', 'while away 2', 'while away 3']);
  console.log('ok');
} finally {
  await b.close();
}
