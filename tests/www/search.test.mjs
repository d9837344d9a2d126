// Message search and emoji (issue 24): the list's search field finds a
// Chinese word inside an older message of any chat, marked in the result;
// a click opens that chat at the message (history loaded back to it). The
// chat header's search finds in the open chat. The emoji picker puts an
// emoji at the caret, Esc closes it, and the sent message shows it. With
// SCREENSHOTS=1 the results go to docs/screenshots/search.png.
import { run, signupUI, openChat, waitBubble, api, assert } from './lib.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// POST /api/messages from page p, waiting out the send rate (429).
async function send(p, conv, body) {
  for (let i = 0; i < 50; i++) {
    const r = await api(p, 'POST', 'messages', { conversation_id: conv, client_id: `s${Date.now()}${Math.random()}`, body });
    if (r.status !== 429) { assert.equal(r.status, 201, 'sent'); return r.data; }
    await p.waitForTimeout(500);
  }
  throw new Error('send: 429 for too long');
}

await run('search', async (b) => {
  const [ann, bo] = await Promise.all([signupUI(b, 'ann', { nickname: 'Ann' }), signupUI(b, 'bo', { nickname: 'Bo' })]);
  const req = await api(ann.page, 'POST', 'friends/requests', { to: bo.name, text: 'hi' });
  assert.equal(req.status, 201, 'friend request');
  const acc = await api(bo.page, 'POST', `friends/requests/${req.data.id}/accept`);
  assert.equal(acc.status, 200, 'accepted');
  const conv = acc.data.conversation_id;

  // The one to find, then more than a history page (50) after it.
  const target = await send(ann.page, conv, '我们明天讨论离线消息推送的设计');
  for (let i = 0; i < 52; i++) await send(ann.page, conv, `filler ${i} about the weather`);
  const group = await api(ann.page, 'POST', 'conversations', { title: 'Design team', members: [bo.name] });
  assert.equal(group.status, 201, 'group');
  await send(ann.page, group.data.id, '离线消息要在重连后补发');
  await send(ann.page, group.data.id, 'The zebra plan: 离线消息 first');

  // All chats: results under the list, the word marked, titles shown.
  const p = bo.page;
  await p.click('#nav-chats');
  await p.fill('#conv-filter', '离线消息');
  const hit = p.locator(`#msg-results li[data-id="${target.id}"]`);
  await hit.waitFor({ timeout: 10000 });
  assert.equal(await p.locator('#msg-results li').count(), 3, 'three messages found');
  assert.equal(await hit.locator('mark').first().textContent(), '离线消息', 'the match is marked');
  assert.equal(await hit.locator('.result-title').textContent(), 'Ann', 'the chat is named');
  await p.locator('#msg-results .result-title:text-is("Design team")').first().waitFor();

  // A click opens the chat at that message, loaded back past a page.
  await hit.locator('button').click();
  await p.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Ann');
  const li = p.locator(`#messages li[data-seq="${target.seq}"]`);
  await li.waitFor({ timeout: 10000 });
  await p.waitForFunction((seq) => {
    const el = document.querySelector(`#messages li[data-seq="${seq}"]`);
    const sc = document.querySelector('#scroller').getBoundingClientRect();
    const r = el?.getBoundingClientRect();
    return r && r.top >= sc.top && r.bottom <= sc.bottom && el.classList.contains('found');
  }, target.seq, { timeout: 10000 });

  // In this chat: the header's search.
  await p.click('#chat-search-open');
  await p.fill('#chat-search-q', 'FILLER 7 ');
  await p.locator('#chat-search-results li').first().waitFor({ timeout: 10000 });
  assert.equal(await p.locator('#chat-search-results .result-title').count(), 0, 'no chat name in a chat\'s own search');
  const texts = await p.locator('#chat-search-results .result-text').allTextContents();
  assert.deepEqual(texts, ['Ann: filler 7 about the weather'], 'found in this chat only');
  await p.press('#chat-search-q', 'Escape');
  await p.waitForSelector('#chat-search', { state: 'hidden' });

  // Emoji: at the caret, Esc closes, sent and shown.
  await p.fill('#conv-filter', '');
  await openChat(p, 'Design team');
  await p.fill('#composer-text', 'ab');
  await p.evaluate(() => document.querySelector('#composer-text').setSelectionRange(1, 1));
  await p.click('#emoji-open');
  await p.waitForSelector('#emoji-panel:not([hidden])');
  assert.ok(await p.evaluate(() => document.activeElement.classList.contains('emoji')), 'focus in the grid');
  await p.keyboard.press('Escape');
  await p.waitForSelector('#emoji-panel', { state: 'hidden' });
  assert.ok(await p.evaluate(() => document.activeElement.id === 'composer-text'), 'Esc gives focus back');
  await p.evaluate(() => document.querySelector('#composer-text').setSelectionRange(1, 1));
  await p.click('#emoji-open');
  await p.click('#emoji-panel .emoji-tab[aria-label="Hearts"]');
  await p.keyboard.press('ArrowRight');   // the next group: Nature
  await p.keyboard.press('Tab');
  await p.keyboard.press('ArrowRight');   // its second emoji
  await p.keyboard.press('Enter');
  assert.equal(await p.inputValue('#composer-text'), 'a🐱b', 'the emoji went in at the caret');
  await p.press('#composer-text', 'Enter');
  await waitBubble(p, 'a🐱b');
  await openChat(ann.page, 'Design team');
  await waitBubble(ann.page, 'a🐱b');

  if (process.env.SCREENSHOTS === '1') {
    for (const [c, text] of [[conv, 'Is the release still on Friday?'], [group.data.id, 'Release notes: offline messages are sent again after a reconnect'],
      [group.data.id, 'I will tag the release tonight 🚀']]) await send(ann.page, c, text);
    await p.fill('#conv-filter', 'release');
    await p.locator('#msg-results li').nth(2).waitFor({ timeout: 10000 });
    await p.locator('#msg-results li').nth(1).locator('button').click();
    await p.waitForSelector('#messages li.found');
    await p.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await p.screenshot({ path: join(top, 'docs', 'screenshots', 'search.png'), type: 'png' });
  }
});
