// window.test.mjs: a long chat keeps only its last few hundred messages in
// the page (chat-thread.js, WINDOW chunks of 64); scrolling up draws the
// older ones it holds, in order, down to the first; at the end again, the
// next message takes the page back to the last few hundred; messages into
// a new chunk move the window on by one chunk, the others untouched.
import { run, signupUI, api, openChat, assert, bubble, waitBubble, bodies } from './lib.mjs';

const N = 400;

await run('window', async (b) => {
  const ann = await signupUI(b, 'wnann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'wnbo', { nickname: 'Bo' });
  await api(ann.page, 'POST', 'friends/requests', { to: bo.name });
  const acc = await api(bo.page, 'POST', 'friends/requests', { to: ann.name });
  const conv = acc.data.conversation_id;
  await openChat(ann.page, 'Bo');

  // Bo writes N lines, one after the other, while Ann has the chat open
  // (waiting out the send limit, 20 a second).
  const say = (from, to) => bo.page.evaluate(async ([conv, from, to, tag]) => {
    for (let k = from; k < to; k++) {
      for (;;) {
        const r = await fetch('/api/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ conversation_id: conv, client_id: `wn-${tag}-${k}`, body: `line ${k}` }) });
        if (r.status === 200 || r.status === 201) break;
        await new Promise(ok => setTimeout(ok, 1000 * Number(r.headers.get('Retry-After') || 1)));
      }
    }
  }, [conv, from, to, Date.now().toString(36)]);
  await say(0, N);
  await waitBubble(ann.page, `line ${N - 1}`, 'theirs', 30000);
  const drawn = () => ann.page.locator('#messages li.msg').count();
  let n = await drawn();
  assert.ok(n >= 192 && n <= 256, `only the last chunks are drawn: ${n} of ${N}`);
  assert.equal(await bubble(ann.page, 'line 0').count(), 0, 'the first line is held, not drawn');
  assert.ok(await ann.page.locator('#history-note').isHidden(), 'and the start is not claimed');

  // Scrolling up draws the held ones above, the view staying where it was.
  for (let i = 0; i < 40 && await bubble(ann.page, 'line 0').count() === 0; i++) {
    await ann.page.evaluate(() => { document.querySelector('#scroller').scrollTop = 0; });
    await ann.page.waitForTimeout(200);
  }
  assert.deepEqual(await bodies(ann.page), Array.from({ length: N }, (_, k) => `line ${k}`),
    'scrolled to the top: every line, in order, once');
  await ann.page.waitForSelector('#history-note:not([hidden])');
  assert.equal(await ann.page.locator('#history-note').textContent(), 'This is the beginning of the conversation.');

  // At the end again, the next message: back to the last few hundred.
  await ann.page.evaluate(() => { const sc = document.querySelector('#scroller'); sc.scrollTop = sc.scrollHeight; });
  await ann.page.waitForTimeout(300);
  await say(N, N + 1);
  await waitBubble(ann.page, `line ${N}`, 'theirs');
  n = await drawn();
  assert.ok(n >= 192 && n <= 256, `a new message at the end: the last chunks again (${n})`);
  const shown = await bodies(ann.page);
  assert.deepEqual(shown, Array.from({ length: n }, (_, k) => `line ${N + 1 - n + k}`), 'the newest ones, in order');
  assert.ok(await ann.page.evaluate(() => { const sc = document.querySelector('#scroller'); return sc.scrollHeight - sc.scrollTop - sc.clientHeight < 8; }),
    'and the view at the end');

  // Messages into a new chunk: the window moves on by one, the oldest
  // chunk out, the new one in; the chunks that stay are not taken out and
  // put back (which restyled and laid out all of them, a stall of tens of
  // ms every 64 messages).
  await ann.page.evaluate(() => {
    window.chunkMoves = [];
    new MutationObserver((recs) => {
      for (const r of recs) {
        for (const x of r.removedNodes) window.chunkMoves.push('-' + x.className);
        for (const x of r.addedNodes) window.chunkMoves.push('+' + x.className);
      }
    }).observe(document.querySelector('#messages'), { childList: true });
  });
  const next = Math.ceil((N + 2) / 64) * 64;      // the line whose seq (line + 1) starts a chunk
  await say(N + 1, next + 1);
  await waitBubble(ann.page, `line ${next}`, 'theirs');
  assert.deepEqual(await ann.page.evaluate(() => window.chunkMoves), ['-chunk', '+chunk'],
    'one chunk out, one in, the others left where they are');
  n = await drawn();
  assert.ok(n >= 192 && n <= 256, `still the last chunks (${n})`);
});
