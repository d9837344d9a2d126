// Right-to-left text (Hebrew, Arabic) mixed with digits and Latin keeps its
// order: each message, name and preview is its own bidi run (dir=auto or
// <bdi>), not laid out left to right as part of the English page.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bubble, convItem, assert } from './lib.mjs';

await run('bidi', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'שרה' });
  await befriendUI(ann, bo);
  await openChat(bo.page, 'Ann');
  const text = 'שלום, 123 abc!';
  await sendUI(bo.page, text);
  await openChat(ann.page, 'שרה');
  await waitBubble(ann.page, 'abc', 'theirs');
  const rtl = (loc) => loc.evaluate((el) => el.matches(':dir(rtl)') || !!el.querySelector(':is(bdi, [dir=auto]):dir(rtl)'));
  assert.ok(await rtl(bubble(ann.page, 'abc').first()), 'the message is laid out right to left');
  assert.ok(await rtl(ann.page.locator('#chat-title')), 'the chat title too');
  assert.ok(await rtl(convItem(ann.page, 'שרה').locator('.item-title')), 'the list title');
  assert.ok(await rtl(convItem(ann.page, 'שרה').locator('.item-sub')), 'the preview');
  assert.equal(await convItem(ann.page, 'שרה').locator('.item-sub').textContent(), text, 'the preview text is unchanged');
  await ann.page.fill('#composer-text', 'מה שלומך?');
  assert.ok(await rtl(ann.page.locator('#composer-text')), 'typing Hebrew turns the composer right to left');
});
