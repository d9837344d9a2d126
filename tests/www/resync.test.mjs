// A resync event (docs/API.md: the server dropped older pending events of
// a user past CHAT_EVENTS_MAX or CHAT_EVENTS_AGE_S) brings a page up to
// date from history: Ann's polls are held (she is away, not disconnected:
// no reconnect refetches anything), Bo and Cy write to her, and the poll
// she then gets carries none of those messages, only a resync naming both
// chats, as the server sends it after a trim. The open chat shows every
// message of Bo's, in order, and the list shows Cy's unread count and last
// message.
import { run, signupUI, befriendUI, openChat, waitBubble, bodies, convItem, currentConvId, api, assert } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await run('resync', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);
  const say = async (u, body) => {
    const r = await api(u.page, 'POST', 'messages', { to: ann.name, client_id: `${u.name}-${body}`, body });
    assert.equal(r.status, 201, `send ${body}`);
  };

  await openChat(ann.page, 'Cy');
  const cyConv = await currentConvId(ann.page);
  await openChat(ann.page, 'Bo');
  const boConv = await currentConvId(ann.page);
  await say(bo, 'b1');
  await waitBubble(ann.page, 'b1', 'theirs');

  // From the next poll on, Ann's polls wait until released, then lose
  // every message event and carry one resync instead.
  let release;
  const released = new Promise((r) => { release = r; });
  let resynced = false;
  await ann.page.route((u) => u.pathname === '/api/poll', async (route) => {
    await released;
    try {
      const res = await route.fetch();
      const body = await res.json();
      body.events = (body.events || []).filter((e) => e.type !== 'message');
      if (!resynced) {
        resynced = true;
        body.events.push({ id: 9e15, type: 'resync', at: Date.now(), conversations: [boConv, cyConv] });
      }
      await route.fulfill({ response: res, json: body });
    } catch { /* the page gave up on this poll */ }
  });
  // c0 ends the poll in flight (not routed): it arrives as usual.
  await say(cy, 'c0');
  await convItem(ann.page, 'Cy').locator('.unread-badge:text-is("1")').waitFor({ timeout: 10000 });
  await sleep(500);
  for (const m of ['b2', 'b3', 'b4', 'b5', 'b6']) await say(bo, m);
  for (const m of ['c1', 'c2']) await say(cy, m);
  await sleep(1000);
  assert.deepEqual(await bodies(ann.page), ['b1'], 'nothing new while away');
  release();

  // The open chat fills from history, in order; Cy's item is up to date.
  await waitBubble(ann.page, 'b6', 'theirs', 10000);
  assert.deepEqual(await bodies(ann.page), ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'], 'every message of the named chat, in order');
  assert.ok(resynced, 'the resync was delivered');
  await convItem(ann.page, 'Cy').locator('.unread-badge:text-is("3")').waitFor({ timeout: 10000 });
  await convItem(ann.page, 'Cy').locator('.item-sub:has-text("c2")').waitFor({ timeout: 5000 });
  await ann.page.waitForFunction(() => document.title.startsWith('(3)'), null, { timeout: 5000 })
    .catch(async () => { assert.fail(`tab title ${await ann.page.title()}`); });
  assert.equal(await convItem(ann.page, 'Bo').locator('.unread-badge').count(), 0, 'the open chat is read');
  // And Cy's chat, opened, has all three.
  await openChat(ann.page, 'Cy');
  await waitBubble(ann.page, 'c2', 'theirs');
  assert.deepEqual(await bodies(ann.page), ['c0', 'c1', 'c2'], 'Cy\'s chat has every message');
  await ann.page.unrouteAll({ behavior: 'ignoreErrors' });
});
