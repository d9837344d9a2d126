// Two devices of one user: events belong to the user, so the device that
// polls first takes a message and acks it, and the other never hears of it
// live. Brought back to the front, the other device fetches its list and
// open chat again and shows what the first one took.
import { run, signupUI, befriendUI, newPage, loginUI, openChat, sendUI, waitBubble, bodies, assert } from './lib.mjs';

await run('devices', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });    // her phone
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);

  // Her laptop: every event is taken by the phone, as when the phone polls
  // first. The laptop's polls never reach the server (where they would
  // take events and never ack them, and the phone would get each one only
  // if it won the race again after a resend); each is answered empty
  // after 20 s, as a poll that got nothing.
  const laptop = await newPage(b, undefined, 'laptop');
  await laptop.page.route((u) => u.pathname === '/api/poll', async (route) => {
    await new Promise((r) => setTimeout(r, 20000));
    try {
      await route.fulfill({ json: { events: [] } });
    } catch { /* the page went */ }
  });
  await loginUI(laptop.page, ann.name);
  const since = Date.now();
  await openChat(laptop.page, 'Bo');
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');

  await sendUI(bo.page, 'while the laptop is away 1');
  await sendUI(bo.page, 'while the laptop is away 2');
  await waitBubble(ann.page, 'while the laptop is away 2', 'theirs');
  await bo.page.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await laptop.page.waitForTimeout(Math.max(0, since + 5500 - Date.now()));
  assert.deepEqual(await bodies(laptop.page), [], 'the laptop heard nothing live');

  // Ann comes back to the laptop.
  await laptop.page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await waitBubble(laptop.page, 'while the laptop is away 2', 'theirs', 5000);
  assert.deepEqual(await bodies(laptop.page), ['while the laptop is away 1', 'while the laptop is away 2'],
    'the laptop shows both, in order, once back in front');
});
