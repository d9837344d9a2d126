// Nothing goes missing: a message sent while the chat's history is still
// loading, and one whose event was lost with a poll cut by the network,
// both show in order at once (history by seq fills the hole), with no
// unread count left behind; the connection banner goes as soon as the
// network is back, not when the server's long poll would have ended.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bodies, convItem, assert } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await run('gaps', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  await openChat(bo.page, 'Ann');
  await sendUI(bo.page, 'b1');
  await ann.page.click('#nav-chats');
  await convItem(ann.page, 'Bo').locator('.unread-badge:text-is("1")').waitFor({ timeout: 10000 });

  // Ann opens the chat on a slow line: the newest page is answered at once
  // (b1 only) but reaches her 2 s later; Bo writes b2 meanwhile, then b3.
  let answered;
  const pageAnswered = new Promise((r) => { answered = r; });
  const newest = (u) => u.pathname.endsWith('/messages') && u.searchParams.has('limit') && !u.searchParams.has('after') && !u.searchParams.has('before');
  await ann.page.route(newest, async (route) => {
    const res = await route.fetch();
    answered();
    await sleep(2000);
    await route.fulfill({ response: res });
  });
  await convItem(ann.page, 'Bo').locator('button.item').click();
  await pageAnswered;
  await sendUI(bo.page, 'b2 while Ann opens the chat');
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="sent"], #messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await sleep(2500);
  await sendUI(bo.page, 'b3');
  await waitBubble(ann.page, 'b3', 'theirs');
  await ann.page.waitForTimeout(1000);
  assert.deepEqual(await bodies(ann.page), ['b1', 'b2 while Ann opens the chat', 'b3'], 'no hole, in order');
  await ann.page.waitForFunction(() => document.title === 'Chat', null, { timeout: 5000 });
  assert.equal(await convItem(ann.page, 'Bo').locator('.unread-badge').count(), 0, 'no unread badge left');
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await ann.page.unroute(newest);

  // The network goes and comes back with nothing new: the banner goes at
  // once (the server would hold the first poll for 25 s).
  await ann.page.waitForTimeout(1000);
  await ann.ctx.setOffline(true);
  await ann.page.waitForSelector('#net:not([hidden])', { timeout: 10000 });
  await ann.page.waitForTimeout(1500);
  await ann.ctx.setOffline(false);
  const back = Date.now();
  await ann.page.waitForSelector('#net', { state: 'hidden', timeout: 5000 });
  assert.ok(Date.now() - back < 5000, 'banner gone within seconds');

  // A poll's answer lost with the network: the event of "lost one" never
  // reaches Ann (every poll answer drops it, the server's resends too), yet
  // it shows at once, before "after it", when she is back.
  await ann.page.route((u) => u.pathname === '/api/poll', async (route) => {
    try {
      const res = await route.fetch();
      const body = await res.json();
      body.events = (body.events || []).filter((e) => e.message?.body !== 'lost one');
      await route.fulfill({ response: res, json: body });
    } catch { /* the page gave up on this poll */ }
  });
  await ann.ctx.setOffline(true);
  await ann.page.waitForSelector('#net:not([hidden])', { timeout: 10000 });
  await sendUI(bo.page, 'lost one');
  await sendUI(bo.page, 'after it');
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="sent"]', { timeout: 10000 });
  await ann.page.waitForTimeout(1000);
  await ann.ctx.setOffline(false);
  await waitBubble(ann.page, 'after it', 'theirs', 5000);
  await waitBubble(ann.page, 'lost one', 'theirs', 3000);
  assert.deepEqual(await bodies(ann.page), ['b1', 'b2 while Ann opens the chat', 'b3', 'lost one', 'after it']);
  await ann.page.waitForSelector('#net', { state: 'hidden', timeout: 3000 });
  await ann.page.waitForFunction(() => document.title === 'Chat', null, { timeout: 5000 });
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await ann.page.unrouteAll({ behavior: 'ignoreErrors' });
});
