// Typing and live presence (issue 25), two users in one browser (two
// contexts): "Bo is typing…" shows in Ann's header while Bo types and goes
// at once when his message arrives; a message pasted and sent at once
// says nothing of typing; Bo signing out turns Ann's header to
// "last seen just now" without a reload; a closed page says so (POST
// /api/presence/gone, only when it is Bo's last tab) and Ann's header
// turns offline within 15 s. With SCREENSHOTS=1 it saves
// docs/screenshots/typing.png.
import { run, signupUI, openChat, sendUI, waitBubble, loginUI, watch, api, BASE, assert } from './lib.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const DESK = { width: 1100, height: 680 };
const sub = (p) => p.locator('#chat-sub');
const subIs = (p, text, timeout = 10000) =>
  p.waitForFunction((t) => document.querySelector('#chat-sub')?.textContent === t, text, { timeout });

await run('typing', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann Lee', viewport: DESK });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo Chen', viewport: DESK });
  const rq = await api(ann.page, 'POST', 'friends/requests', { to: bo.name });
  assert.equal((await api(bo.page, 'POST', `friends/requests/${rq.data.id}/accept`)).status, 200, 'friends');
  await bo.page.waitForSelector(`#friend-list li[data-user="${ann.name}"]`, { state: 'attached', timeout: 10000 });
  await openChat(ann.page, 'Bo Chen');
  await openChat(bo.page, 'Ann Lee');
  await sendUI(ann.page, 'Are you coming tonight?');
  await waitBubble(bo.page, 'Are you coming tonight?', 'theirs');
  await subIs(ann.page, 'online');

  // Bo types: Ann sees it; his message ends it at once.
  await bo.page.locator('#composer-text').pressSequentially('Yes, on my way', { delay: 30 });
  await subIs(ann.page, 'Bo Chen is typing…');
  assert.equal(await sub(ann.page).getAttribute('class'), 'muted small typing', 'styled as typing');
  if (process.env.SCREENSHOTS === '1') {
    const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    await ann.page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await ann.page.screenshot({ path: join(top, 'docs', 'screenshots', 'typing.png'), type: 'png' });
  }
  await bo.page.press('#composer-text', 'Enter');
  await waitBubble(ann.page, 'Yes, on my way', 'theirs');
  assert.equal(await sub(ann.page).textContent(), 'online', 'typing gone when the message came');

  // A message pasted and sent at once says nothing of typing: its arrival
  // says it all (and the send costs one request, not two).
  const said = [];
  const onReq = (r) => { if (r.url().endsWith('/typing')) said.push(r.url()); };
  bo.page.on('request', onReq);
  await bo.page.locator('#composer-text').fill('See you at eight');
  await bo.page.press('#composer-text', 'Enter');
  await waitBubble(ann.page, 'See you at eight', 'theirs');
  await new Promise((res) => setTimeout(res, 400));
  bo.page.off('request', onReq);
  assert.deepEqual(said, [], 'no typing signal for a message sent at once');
  assert.equal(await sub(ann.page).textContent(), 'online', 'never shown as typing');

  // Bo signs out: Ann's header says so, no reload; so does her list.
  await bo.page.click('#logout');
  await bo.page.waitForSelector('#auth:not([hidden])');
  await subIs(ann.page, 'last seen just now', 5000);
  await ann.page.click('#nav-friends');
  await ann.page.waitForSelector(`#friend-list li[data-user="${bo.name}"] .item-sub:text-is("last seen just now")`);
  await ann.page.click('#nav-chats');

  // Back online; a second tab of his; closing one tab keeps him online
  // (no word sent), closing the last says so and Ann sees it soon (the
  // server would hold that tab's poll for 25 s more, which counts as
  // presence: without the word Ann would see him online for 25-30 s).
  await loginUI(bo.page, bo.name);
  await subIs(ann.page, 'online');
  const tab2 = watch(await bo.ctx.newPage(), 'bo tab 2');
  await tab2.goto(BASE);
  await tab2.waitForSelector('#app:not([hidden])');
  await bo.page.close({ runBeforeUnload: true });
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal(await sub(ann.page).textContent(), 'online', 'still online: his other tab is open');
  await tab2.close({ runBeforeUnload: true });
  await subIs(ann.page, 'last seen just now', 15000);
});
