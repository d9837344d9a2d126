// Links, edit, delete, reply, the unread line and the jump to the latest
// (issue 24). A link opens in a new tab with no opener and no referrer,
// and a javascript: text stays text; an edit and a deletion show live on
// the other side; a reply (made with the keyboard) shows its quote, and a
// click on a quote goes to an original that was not loaded yet; opening a
// chat with unread messages starts at "New messages"; the round button
// jumps to the latest and counts what came in while scrolled up. With
// SCREENSHOTS=1 it saves docs/screenshots/reply-edit.png.
import { run, signupUI, openChat, sendUI, waitBubble, bubble, api, currentConvId, uniq, watch, BASE, assert } from './lib.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// n messages from page p's user through the API, waiting out 429.
async function sendMany(p, id, prefix, n) {
  for (let i = 1; i <= n; i++) {
    for (;;) {
      const r = await api(p, 'POST', 'messages', { conversation_id: id, client_id: uniq(prefix), body: `${prefix} ${i}` });
      if (r.status !== 429) { assert.equal(r.status, 201, `${prefix} ${i} sent`); break; }
      await p.waitForTimeout(400);
    }
  }
}

const item = (p, text, who) => p.locator(`#messages li.msg.${who}`).filter({ hasText: text });

await run('edit', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  // Friends through the API (the friends screen has tests of its own).
  const fr = await api(ann.page, 'POST', 'friends/requests', { to: bo.name, text: 'hi' });
  assert.equal(fr.status, 201, 'friend request');
  assert.equal((await api(bo.page, 'POST', `friends/requests/${fr.data.id}/accept`)).status, 200, 'accepted');
  for (const x of [ann, bo]) { await x.page.reload(); await x.page.waitForSelector('#app:not([hidden])'); }
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');
  const p = ann.page, q = bo.page;
  const id = await currentConvId(p);

  // A link: an <a> to the address (the full stop after it left out), in a
  // new tab without opener or referrer; a javascript: text is no link.
  await sendUI(p, 'Plan: https://example.com/trip?day=2. Not javascript:alert(1) though');
  await sendUI(p, 'javascript:alert(document.cookie)');
  await waitBubble(q, 'javascript:alert(document.cookie)', 'theirs');
  const link = bubble(q, 'Plan:', 'theirs').locator('a');
  assert.equal(await link.count(), 1, 'one link');
  assert.equal(await link.getAttribute('href'), 'https://example.com/trip?day=2');
  assert.equal(await link.textContent(), 'https://example.com/trip?day=2');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.match(await bubble(q, 'Plan:', 'theirs').textContent(), /\. Not javascript:alert\(1\) though$/);
  assert.equal(await bubble(q, 'javascript:alert(document.cookie)', 'theirs').locator('a').count(), 0, 'javascript: stays text');
  await bo.ctx.route('https://example.com/**', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<p>trip</p>' }));
  const [tab] = await Promise.all([q.waitForEvent('popup'), link.click()]);
  await tab.waitForLoadState();
  assert.deepEqual(await tab.evaluate(() => [window.opener, document.referrer]), [null, ''], 'no opener, no referrer');
  await tab.close();

  // Edit: the text goes to the box with "Edit message" above; Bo sees the
  // new text, marked edited.
  await sendUI(p, 'See you at 9');
  await waitBubble(q, 'See you at 9', 'theirs');
  const nine = item(p, 'See you at 9', 'mine');
  await p.waitForSelector('#messages li.msg.mine[data-id]:not([data-id=""]):has-text("See you at 9")');
  await nine.hover();
  await nine.locator('button.msg-act').click();
  await p.click('.msg-menu button:text-is("Edit")');
  await p.waitForSelector('#compose-bar:not([hidden]):has-text("Edit message")');
  assert.equal(await p.inputValue('#composer-text'), 'See you at 9');
  await p.fill('#composer-text', 'See you at 10');
  await p.press('#composer-text', 'Enter');
  await q.waitForSelector('#messages li.msg.theirs:has-text("See you at 10") .edited');
  assert.equal(await bubble(q, 'See you at 9').count(), 0, 'the old text is gone');
  await p.waitForSelector('#compose-bar', { state: 'hidden' });

  // Delete: asked first; Bo sees "message deleted".
  await sendUI(p, 'oops, wrong chat');
  await waitBubble(q, 'oops, wrong chat', 'theirs');
  await p.waitForSelector('#messages li.msg.mine[data-id]:not([data-id=""]):has-text("oops, wrong chat")');
  await item(p, 'oops, wrong chat', 'mine').locator('button.msg-act').click();
  await p.click('.msg-menu button:text-is("Delete")');
  await p.click('#dlg-confirm-ok');
  await q.waitForSelector('#messages li.msg.theirs .body.deleted:text-is("message deleted")');
  assert.equal(await bubble(q, 'oops, wrong chat').count(), 0, 'the text is gone');

  // Bo may only reply to Ann's message; he does, with the keyboard.
  const ten = item(q, 'See you at 10', 'theirs');
  await ten.locator('button.msg-act').focus();
  await q.keyboard.press('Enter');
  assert.deepEqual(await q.locator('.msg-menu button').allTextContents(), ['Reply'], 'no edit or delete of another\'s');
  await q.keyboard.press('Enter');
  await q.waitForSelector('#compose-bar:not([hidden]):has-text("Reply to Ann")');
  await q.keyboard.type('10 is fine');
  await q.keyboard.press('Enter');
  await p.waitForSelector('#messages li.msg.theirs:has-text("10 is fine") .quote:has-text("See you at 10")');
  await q.waitForSelector('#messages li.msg.mine:has-text("10 is fine") .quote:has-text("See you at 10")');
  await q.waitForSelector('#compose-bar', { state: 'hidden' });
  if (process.env.SCREENSHOTS === '1') {
    await p.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await p.screenshot({ path: join(top, 'docs', 'screenshots', 'reply-edit.png'), type: 'png' });
  }

  // Bo asks; 30 of Ann's follow, read as they come; Bo goes away.
  await sendUI(q, 'Where do we meet?');
  await waitBubble(p, 'Where do we meet?', 'theirs');
  const hist = await api(q, 'GET', `conversations/${id}/messages?limit=1`);
  const orig = hist.data.messages[0];
  assert.equal(orig.body, 'Where do we meet?');
  await sendMany(p, id, 'filler', 30);
  await waitBubble(q, 'filler 30', 'theirs');
  await q.waitForFunction(() => document.title === 'Chat', null, { timeout: 10000 });
  for (let i = 0; i < 50; i++) {      // the server has the read mark too
    const c = (await api(q, 'GET', `conversations/${id}`)).data;
    if (c.read_seq >= c.last_seq) break;
    await q.waitForTimeout(200);
  }
  await q.close();

  // Ann answers the question and writes 20 more while Bo is away.
  const r = await api(p, 'POST', 'messages', { conversation_id: id, client_id: uniq('at'), body: 'At the station', reply_to: orig.id });
  assert.equal(r.status, 201);
  await sendMany(p, id, 'later', 20);

  // Bo back: the chat starts at "New messages", above the answer.
  const q2 = watch(await bo.ctx.newPage(), 'bo2');
  await q2.goto(BASE);
  await q2.waitForSelector('#app:not([hidden])');
  await openChat(q2, 'Ann');
  await q2.waitForSelector('#messages .unread-line:has-text("New messages")');
  await q2.waitForTimeout(300);
  const at = await q2.evaluate(() => {
    const sc = document.querySelector('#scroller');
    const line = document.querySelector('#messages .unread-line');
    return { next: line.nextElementSibling?.querySelector('.body')?.textContent,
      top: line.getBoundingClientRect().top - sc.getBoundingClientRect().top, height: sc.clientHeight,
      fromBottom: sc.scrollHeight - sc.scrollTop - sc.clientHeight };
  });
  assert.equal(at.next, 'At the station', 'the line is above the first unread');
  assert.ok(at.top >= -4 && at.top < at.height / 3, `starts at the line (${at.top} of ${at.height})`);
  assert.ok(at.fromBottom > 200, `not at the bottom (${at.fromBottom} px above it)`);
  await q2.waitForSelector('#jump:not([hidden])');

  // The quote goes to the question, loaded for it.
  assert.equal(await q2.locator(`#messages li[data-id="${orig.id}"]`).count(), 0, 'the original is not loaded yet');
  await item(q2, 'At the station', 'theirs').locator('.quote:has-text("Where do we meet?")').click();
  await q2.waitForSelector(`#messages li[data-id="${orig.id}"].flash`, { timeout: 10000 });
  const inView = await q2.evaluate((mid) => {
    const sc = document.querySelector('#scroller').getBoundingClientRect();
    const li = document.querySelector(`#messages li[data-id="${mid}"]`).getBoundingClientRect();
    return li.top >= sc.top && li.bottom <= sc.bottom;
  }, orig.id);
  assert.ok(inView, 'the original is in view');

  // The round button: to the latest; scrolled up, it counts new ones.
  await q2.click('#jump');
  await q2.waitForSelector('#jump', { state: 'hidden' });
  await q2.locator('#scroller').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  await q2.waitForSelector('#jump:not([hidden])');
  assert.ok(await q2.locator('#jump-count').isHidden(), 'no count yet');
  await sendMany(p, id, 'fresh', 2);
  await q2.waitForSelector('#jump-count:not([hidden]):text-is("2")', { timeout: 10000 });
  await q2.click('#jump');
  await q2.waitForSelector('#jump', { state: 'hidden' });
  assert.ok(await q2.locator('#scroller').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 60), 'at the bottom');
});
