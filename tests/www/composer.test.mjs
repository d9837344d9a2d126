// Writing and reading. A long paste is kept whole; near the limit of 4000
// characters (code points, as the server counts them: an emoji is one) a
// counter shows; over it the message is refused with a visible reason and
// nothing is lost. A message that arrives while the reader is scrolled up
// is not marked read (no receipt, an unread count) until it is shown.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bubble, bodies, api, currentConvId, assert } from './lib.mjs';

await run('composer', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  await openChat(ann.page, 'Bo');
  await openChat(bo.page, 'Ann');
  const p = ann.page;

  // A paste of 4503 characters: all kept, the counter says it is too long,
  // and sending is refused with the reason; the text stays.
  const long = 'x'.repeat(4500) + 'END';
  await p.focus('#composer-text');
  await p.keyboard.insertText(long);
  const kept = async () => { const v = await p.inputValue('#composer-text'); return v === long ? 'whole' : `${v.length} of ${long.length}`; };
  assert.equal(await kept(), 'whole', 'nothing cut from the paste');
  await p.waitForSelector('#composer-count.over:not([hidden]):text-is("4503 / 4000")');
  await p.press('#composer-text', 'Enter');
  await p.waitForSelector('#chat-banner:not([hidden]):has-text("4503 characters")');
  assert.match(await p.locator('#chat-banner').textContent(), /503 more than the 4000 allowed/);
  assert.equal(await kept(), 'whole', 'the text is still there');
  await p.waitForTimeout(500);
  assert.deepEqual(await bodies(p), [], 'nothing sent');
  // Shortened to the limit: the warning goes and it is sent whole.
  await p.fill('#composer-text', 'y'.repeat(4000));
  await p.waitForSelector('#chat-banner', { state: 'hidden' });
  await p.waitForSelector('#composer-count:not(.over):not([hidden]):text-is("4000 / 4000")');
  await p.press('#composer-text', 'Enter');
  await waitBubble(bo.page, 'yyyy', 'theirs');
  assert.equal((await bubble(bo.page, 'yyyy').textContent()).length, 4000);
  await p.waitForSelector('#composer-count', { state: 'hidden' });

  // 4000 emoji are 4000 characters (8000 UTF-16 units): kept and sent.
  const smiles = '😀'.repeat(4000);
  await p.focus('#composer-text');
  await p.keyboard.insertText(smiles);
  assert.equal([...await p.inputValue('#composer-text')].length, 4000, 'emoji count once');
  await p.waitForSelector('#composer-count:not(.over):text-is("4000 / 4000")');
  await p.press('#composer-text', 'Enter');
  await waitBubble(bo.page, '😀😀😀', 'theirs');
  assert.ok(await bubble(bo.page, '😀😀😀').textContent() === smiles, 'the emoji arrive whole');
  await p.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });

  // Reading: 60 more messages, then Bo scrolls up to read old ones.
  const id = await currentConvId(p);
  for (let i = 1; i <= 60; i++) {
    let r;
    for (;;) {   // 429 (sending too fast): wait and send the same client_id again
      r = await api(p, 'POST', 'messages', { conversation_id: id, client_id: `old${i}`, body: `old ${i}` });
      if (r.status !== 429) break;
      await p.waitForTimeout(500);
    }
    assert.equal(r.status, 201);
  }
  await waitBubble(bo.page, 'old 60', 'theirs');
  await bo.page.waitForFunction(() => document.title === 'Chat');
  await bo.page.locator('#scroller').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  await bo.page.waitForTimeout(300);
  await sendUI(p, 'new while Bo reads old ones');
  await bo.page.waitForSelector('#jump:not([hidden])', { timeout: 10000 });
  await bo.page.waitForTimeout(2000);
  assert.equal(await p.locator('#messages li.mine:last-child').getAttribute('data-state'), 'sent', 'not read while out of view');
  assert.equal(await bo.page.title(), '(1) Chat', 'counted unread while out of view');
  // Bo jumps down: now it is read.
  await bo.page.click('#jump');
  await p.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await bo.page.waitForFunction(() => document.title === 'Chat', null, { timeout: 5000 });

  // The same when Bo scrolls down himself.
  await bo.page.locator('#scroller').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  await bo.page.waitForTimeout(300);
  await sendUI(p, 'another one');
  await bo.page.waitForSelector('#jump:not([hidden])', { timeout: 10000 });
  await bo.page.waitForTimeout(1500);
  assert.equal(await p.locator('#messages li.mine:last-child').getAttribute('data-state'), 'sent');
  await bo.page.locator('#scroller').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await p.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  await bo.page.waitForSelector('#jump', { state: 'hidden' });
});
