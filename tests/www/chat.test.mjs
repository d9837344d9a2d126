// Two people sign up in two browsers, befriend, chat both ways live, see
// unread badges, read receipts and presence; a third cannot see their
// messages; a reload keeps the session.
import { browser, signupUI, befriendUI, openChat, sendUI, api, assert } from './lib.mjs';

const b = await browser();
try {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann', email: 'ann@example.com',
    more: { location: 'Longyan', bio: 'cooking', avatar_url: 'https://example.invalid/a.png', public_key: 'KEY' } });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const me = await api(ann.page, 'GET', 'me');
  assert.equal(me.data.location, 'Longyan', 'every signup field is stored');
  assert.equal(me.data.public_key, 'KEY');

  await befriendUI(ann, bo);

  // Ann writes; Bo sees an unread badge and the tab title, live.
  await openChat(ann.page, 'Bo');
  await sendUI(ann.page, 'Hi Bo <script>alert(1)</script>');
  await bo.page.click('#nav-chats');
  await bo.page.waitForSelector('#conv-list li.unread .unread-badge:has-text("1")', { timeout: 10000 });
  assert.match(await bo.page.title(), /^\(1\)/, 'unread count in the tab title');
  assert.equal(await bo.page.locator('#badge-chats').textContent(), '1');

  // Ann's message shows as sent, then read once Bo opens the chat.
  await ann.page.waitForSelector('#messages li.mine .msg-state:has-text("sent")');
  await openChat(bo.page, 'Ann');
  const bubble = bo.page.locator('#messages li.theirs .bubble').first();
  assert.equal(await bubble.textContent(), 'Hi Bo <script>alert(1)</script>', 'text shown as text');
  assert.equal(await bo.page.locator('#messages script').count(), 0, 'no markup from users');
  await bo.page.waitForFunction(() => !/^\(/.test(document.title), null, { timeout: 5000 });
  await ann.page.waitForSelector('#messages li.mine .msg-state:has-text("read")', { timeout: 10000 });

  // Bo answers; Ann, who has the chat open, sees it appear live.
  await sendUI(bo.page, 'Hello Ann');
  await ann.page.waitForSelector('#messages li.theirs .bubble:has-text("Hello Ann")', { timeout: 10000 });

  // A third user sees none of it.
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  const convId = Number(await bo.page.locator('#conv-list li.active').getAttribute('data-id'));
  const hist = await api(cy.page, 'GET', `conversations/${convId}/messages`);
  assert.equal(hist.status, 403, 'a stranger cannot read the history');
  const list = await api(cy.page, 'GET', 'conversations');
  assert.equal(list.data.conversations.length, 0);
  assert.equal(await cy.page.locator('#conv-list li').count(), 0);
  const post = await api(cy.page, 'POST', 'messages', { conversation_id: convId, client_id: 'x1', body: 'intrude' });
  assert.equal(post.status, 403);

  // A reload keeps the session and the conversation.
  await bo.page.reload();
  await bo.page.waitForSelector('#app:not([hidden])');
  await bo.page.waitForSelector('#conv-list li[aria-label^="Ann"]');

  // Presence: Bo's browser goes away; after the idle time Ann sees him offline.
  await ann.page.click('#nav-friends');
  await ann.page.waitForSelector(`#friend-list li[data-user="${bo.name}"] .dot.on`);
  await bo.ctx.close();
  await ann.page.waitForSelector(`#friend-list li[data-user="${bo.name}"] .dot:not(.on)`, { timeout: 30000 });
  console.log('ok');
} finally {
  await b.close();
}
