// A network cut and its return lose and double nothing; a send whose
// answer was lost is retried with the same client_id and stored once; a
// reload keeps what was not sent.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bodies, api, currentConvId, assert } from './lib.mjs';

await run('offline', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');
  await sendUI(bo.page, 'before the cut');
  await waitBubble(ann.page, 'before the cut', 'theirs');

  // Ann's network goes; Bo writes meanwhile; the network comes back.
  await ann.ctx.setOffline(true);
  await ann.page.waitForSelector('#net:not([hidden])', { timeout: 10000 });
  for (let i = 1; i <= 3; i++) await sendUI(bo.page, `while away ${i}`);
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="sent"]', { timeout: 10000 });
  await ann.page.waitForTimeout(3000);
  await ann.ctx.setOffline(false);
  for (let i = 1; i <= 3; i++) await waitBubble(ann.page, `while away ${i}`, 'theirs', 30000);
  await ann.page.waitForSelector('#net', { state: 'hidden', timeout: 10000 });
  await sendUI(bo.page, 'after the cut');
  await waitBubble(ann.page, 'after the cut', 'theirs');
  await ann.page.waitForTimeout(3000);       // time for any repeat to show up
  const want = ['before the cut', 'while away 1', 'while away 2', 'while away 3', 'after the cut'];
  assert.deepEqual(await bodies(ann.page), want, 'each message shown once, in order');
  const id = await currentConvId(ann.page);
  const hist = await api(ann.page, 'GET', `conversations/${id}/messages`);
  assert.deepEqual(hist.data.messages.map(m => m.body), want, 'the server holds each once');

  // A send whose answer is lost: the server stored it, the browser saw an
  // error. Retry reuses the client_id: still one message.
  const posted = [];
  let cut = true;
  await ann.page.route('**/api/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    posted.push(JSON.parse(route.request().postData()));
    if (cut) { cut = false; await route.fetch(); return route.abort('connectionreset'); }
    return route.continue();
  });
  await sendUI(ann.page, 'lost answer');
  await ann.page.waitForSelector('#messages li.mine.failed button.retry', { timeout: 10000 });
  await waitBubble(bo.page, 'lost answer', 'theirs');          // it did arrive
  await ann.page.click('#messages li.mine.failed button.retry');
  await ann.page.waitForSelector('#messages li.mine:last-child[data-state="read"], #messages li.mine:last-child[data-state="sent"]', { timeout: 10000 });
  assert.equal(posted.length, 2);
  assert.equal(posted[1].client_id, posted[0].client_id, 'the retry reuses the client_id');
  await ann.page.unroute('**/api/messages');

  // Sending while offline fails visibly and says it goes when the
  // connection is back; then it goes by itself, no Retry to press.
  await ann.ctx.setOffline(true);
  await sendUI(ann.page, 'written offline');
  await ann.page.waitForSelector('#messages li.mine.failed:has-text("written offline"):has-text("when the connection is back") button.retry', { timeout: 10000 });
  await ann.ctx.setOffline(false);
  await waitBubble(bo.page, 'written offline', 'theirs');
  await ann.page.waitForSelector('#messages li.mine:last-child[data-state="read"], #messages li.mine:last-child[data-state="sent"]', { timeout: 10000 });
  await bo.page.waitForTimeout(1500);
  const all = ['before the cut', 'while away 1', 'while away 2', 'while away 3', 'after the cut', 'lost answer', 'written offline'];
  assert.deepEqual(await bodies(bo.page), all, 'the other side got each once');
  assert.deepEqual(await bodies(ann.page), all, 'the sender shows each once');
  const hist2 = await api(bo.page, 'GET', `conversations/${id}/messages`);
  assert.deepEqual(hist2.data.messages.map(m => m.body), all);

  // A reload keeps what was not sent: one that failed (its connection
  // cut, the network never down) and one still waiting for its answer
  // both come back failed, with their Retry.
  await ann.page.route('**/api/messages', (route) => route.request().method() === 'POST' ? route.abort('connectionreset') : route.continue());
  await sendUI(ann.page, 'failed before the reload');
  await ann.page.waitForSelector('#messages li.mine.failed:has-text("failed before the reload")', { timeout: 10000 });
  await ann.page.unroute('**/api/messages');
  let release;
  const held = new Promise((r) => { release = r; });
  await ann.page.route('**/api/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await held;                                  // never reaches the server
    try { await route.abort('connectionreset'); } catch { /* the page has gone */ }
  });
  await sendUI(ann.page, 'sending at the reload');
  await ann.page.waitForSelector('#messages li.mine[data-state="sending"]:has-text("sending at the reload")', { timeout: 10000 });
  await ann.page.reload();
  release();
  await ann.page.unroute('**/api/messages');
  await ann.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Bo', null, { timeout: 15000 });
  await ann.page.waitForSelector('#messages li.mine.failed:has-text("sending at the reload") button.retry', { timeout: 10000 });
  assert.deepEqual(await ann.page.locator('#messages li.mine.failed .body').allTextContents(),
    ['failed before the reload', 'sending at the reload'], 'both back, failed, in the order written');
  assert.deepEqual(await bodies(ann.page), [...all, 'failed before the reload', 'sending at the reload']);
  await ann.page.locator('#messages li.mine.failed button.retry').first().click();
  await waitBubble(bo.page, 'failed before the reload', 'theirs');
  await ann.page.locator('#messages li.mine.failed button.retry').first().click();
  await waitBubble(bo.page, 'sending at the reload', 'theirs');
  await ann.page.waitForSelector('#messages li.mine:last-child[data-state="read"], #messages li.mine:last-child[data-state="sent"]', { timeout: 10000 });
  const all3 = [...all, 'failed before the reload', 'sending at the reload'];
  await bo.page.waitForTimeout(1500);
  assert.deepEqual(await bodies(bo.page), all3, 'the other side got each once');
  assert.deepEqual(await bodies(ann.page), all3, 'the sender shows each once');

  // Sent, it is gone from what a reload brings back.
  await ann.page.reload();
  await ann.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Bo', null, { timeout: 15000 });
  await waitBubble(ann.page, 'sending at the reload', 'mine');
  await ann.page.waitForTimeout(500);
  assert.equal(await ann.page.locator('#messages li.mine.failed').count(), 0, 'nothing failed after a reload');
  assert.deepEqual(await bodies(ann.page), all3);
});
