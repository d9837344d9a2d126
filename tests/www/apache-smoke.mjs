// apache-smoke.mjs: the web client through another front than the test
// stack's lighttpd: a real Apache (plain CGI or mod_fcgid, deploy/apache/),
// run by tests/http/test_zz_apache.py, and HAProxy over two chat nodes,
// run by tests/http/test_zz_nodes.py, each with BASE_URL set to it; not a
// *.test.mjs, which run against the test stack.
// The page comes with the recipe's Content-Security-Policy and runs under it
// (no violation, no page error); two people sign up, befriend and chat both
// ways, each message shown live in the other's browser.
import { run, newPage, signupUI, befriendUI, openChat, sendUI, waitBubble, BASE, assert } from './lib.mjs';

await run('apache-smoke', async (b) => {
  const { ctx, page } = await newPage(b);
  const res = await page.goto(BASE);
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/, 'the page comes with the CSP');
  assert.match(csp, /frame-ancestors 'none'/, 'the page comes with the CSP');
  assert.equal(res.headers()['x-frame-options'], 'DENY');
  await ctx.close();

  const ann = await signupUI(b, 'apa', { nickname: 'Ann' });
  const bo = await signupUI(b, 'apb', { nickname: 'Bo' });
  await befriendUI(ann, bo);

  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');
  await sendUI(ann.page, 'hello through Apache');
  await ann.page.waitForSelector('#messages li.mine[data-state="sent"]', { timeout: 15000 });
  await waitBubble(bo.page, 'hello through Apache', 'theirs', 15000);
  await sendUI(bo.page, 'and back again');
  await waitBubble(ann.page, 'and back again', 'theirs', 15000);
});
