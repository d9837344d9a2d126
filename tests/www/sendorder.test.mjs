// Messages written quickly one after the other keep their order even when
// the network answers them out of order (a slow first request), on both
// sides and on the server; a send that never gets an answer does not stay
// "sending" for ever: it fails and Retry sends it once.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bodies, api, currentConvId, assert } from './lib.mjs';

await run('sendorder', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');

  // The first request is held back 800 ms on the way out, the others not.
  let n = 0;
  await ann.page.route('**/api/messages', async (route) => {
    if (route.request().method() === 'POST' && n++ === 0) await new Promise(r => setTimeout(r, 800));
    return route.continue();
  });
  const want = ['one', 'two', 'three'];
  for (const t of want) await sendUI(ann.page, t);
  await waitBubble(bo.page, 'three', 'theirs');
  await ann.page.waitForSelector('#messages li.mine:last-child:not([data-state="sending"])', { timeout: 10000 });
  await bo.page.waitForTimeout(500);
  assert.deepEqual(await bodies(bo.page), want, 'the receiver sees them in the order written');
  assert.deepEqual(await bodies(ann.page), want, 'the sender too');
  const id = await currentConvId(ann.page);
  const hist = await api(ann.page, 'GET', `conversations/${id}/messages`);
  assert.deepEqual(hist.data.messages.map(m => m.body), want, 'and the server');
  await ann.page.unroute('**/api/messages');

  // A request that never answers (a stalled mobile link).
  let hang = true;
  await ann.page.route('**/api/messages', (route) => {
    if (route.request().method() === 'POST' && hang) { hang = false; return; }   // never answered
    return route.continue();
  });
  await sendUI(ann.page, 'into the void');
  await ann.page.waitForSelector('#messages li.mine.failed:has-text("into the void") button.retry', { timeout: 25000 });
  await ann.page.click('#messages li.mine.failed button.retry');
  await waitBubble(bo.page, 'into the void', 'theirs');
  await ann.page.waitForSelector('#messages li.mine:last-child:not([data-state="sending"]):not(.failed)', { timeout: 10000 });
  assert.deepEqual(await bodies(ann.page), [...want, 'into the void']);
});
