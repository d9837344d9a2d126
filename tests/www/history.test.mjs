// Long history: the newest page first; older pages load when scrolled to
// the top ("Loading older messages…" while they come), without gaps or
// repeats, and the view stays where it was.
import { run, signupUI, befriendUI, openChat, bodies, api, assert } from './lib.mjs';

await run('history', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  const N = 130;
  for (let i = 1; i <= N; i++) {
    let r;
    for (;;) {   // 429 (sending too fast): wait and send the same client_id again
      r = await api(i % 2 ? bo.page : ann.page, 'POST', 'messages', { to: i % 2 ? ann.name : bo.name, client_id: `h${i}`, body: `message ${i}` });
      if (r.status !== 429) break;
      await ann.page.waitForTimeout(500);
    }
    assert.ok(r.status === 201, `send ${i}: ${r.status}`);
  }
  await openChat(ann.page, 'Bo');
  await ann.page.waitForSelector('#messages li.msg[data-seq="130"]');
  const first = await bodies(ann.page);
  assert.ok(first.length >= 50 && first.length < N, `a page at first (${first.length})`);
  // A slow line: the note says an older page is coming.
  await ann.page.route((u) => u.searchParams.has('before'), async (route) => {
    await new Promise((r) => setTimeout(r, 800));
    await route.continue().catch(() => {});
  });
  await ann.page.locator('#scroller').evaluate((el) => { el.scrollTop = 0; });
  await ann.page.waitForSelector('#history-note:not([hidden]):has-text("Loading older messages…")', { timeout: 2000 });
  for (let tries = 0; tries < 10; tries++) {
    await ann.page.locator('#scroller').evaluate((el) => { el.scrollTop = 0; });
    if (await ann.page.locator('#history-note:has-text("beginning")').isVisible()) break;
    await ann.page.waitForTimeout(400);
  }
  await ann.page.waitForSelector('#history-note:has-text("beginning")', { timeout: 10000 });
  const all = await bodies(ann.page);
  assert.deepEqual(all, Array.from({ length: N }, (_, i) => `message ${i + 1}`), 'every message once, in order');
  // Bo's side: 65 unread from Ann's sends were never his; his own count is Ann's 65.
  await bo.page.click('#nav-chats');
  assert.equal(await bo.page.title(), '(65) Chat');
});
