// Two people sign up in two browsers (every profile field), befriend with a
// note, chat both ways live, see unread badges, the tab title count and
// read receipts; user text is shown as text; a third user sees none of it
// (UI and API); a reload keeps the session.
import { run, signupUI, befriendUI, openChat, sendUI, waitBubble, bubble, bodies, convItem, api, currentConvId, assert } from './lib.mjs';

await run('chat', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann', email: 'ann@example.com',
    more: { location: 'Longyan', bio: 'cooking\nand hiking', public_key: 'ssh-ed25519 AAAAKEY' } });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const me = await api(ann.page, 'GET', 'me');
  assert.equal(me.data.email, 'ann@example.com', 'signup stores every field');
  assert.equal(me.data.location, 'Longyan');
  assert.equal(me.data.bio, 'cooking\nand hiking');
  assert.equal(me.data.public_key, 'ssh-ed25519 AAAAKEY');

  await befriendUI(ann, bo);

  // Bo sees Ann's profile from the friends list.
  await bo.page.click(`#friend-list li[data-user="${ann.name}"] button[aria-label^="Profile"]`);
  await bo.page.waitForSelector('#dlg-user[open] dd:has-text("Longyan")');
  assert.match(await bo.page.locator('#dlg-user-fields').textContent(), /ann@example\.com/, 'a friend sees the email');
  await bo.page.keyboard.press('Escape');
  await bo.page.waitForSelector('#dlg-user[open]', { state: 'detached' });

  // Ann writes; Bo, on another screen, gets a badge and a count in the title.
  const evil = 'Hi Bo <img src=x onerror=alert(1)><script>alert(2)</script>';
  await openChat(ann.page, 'Bo');
  await sendUI(ann.page, evil);
  await ann.page.waitForSelector('#messages li.mine[data-state="sent"]', { timeout: 10000 });
  await bo.page.click('#nav-chats');
  await convItem(bo.page, 'Ann').locator('.unread-badge:text-is("1")').waitFor({ timeout: 10000 });
  await sendUI(ann.page, 'second one');
  await convItem(bo.page, 'Ann').locator('.unread-badge:text-is("2")').waitFor({ timeout: 10000 });
  assert.equal(await bo.page.title(), '(2) Chat', 'unread count in the tab title');
  assert.equal(await bo.page.locator('#badge-chats').textContent(), '2');
  assert.match(await convItem(bo.page, 'Ann').locator('.item-sub').textContent(), /second one/, 'last message preview');

  // Opening marks read: badge and title clear; Ann sees "read".
  await openChat(bo.page, 'Ann');
  assert.equal(await bubble(bo.page, 'Hi Bo', 'theirs').textContent(), evil, 'user text shown as text');
  assert.equal(await bo.page.locator('#messages img, #messages script').count(), 0, 'no markup from users');
  await bo.page.waitForFunction(() => document.title === 'Chat', null, { timeout: 5000 });
  assert.equal(await bo.page.locator('#badge-chats').isVisible(), false);
  await ann.page.waitForSelector('#messages li.mine:last-child[data-state="read"]', { timeout: 10000 });
  // The mark under each of her bubbles says so, to the eye (two ticks) and
  // in words (its tooltip, and what a screen reader reads).
  const marks = await ann.page.$$eval('#messages li.mine .msg-state', (ms) => ms.map(m =>
    [m.className, m.title, m.querySelector('.sr-text').textContent, m.querySelector('path').getAttribute('d')]));
  assert.equal(marks.length, 2, 'a mark under each of her bubbles');
  for (const [cls, title, words, d] of marks) {
    assert.deepEqual([cls, title, words], ['msg-state read', 'read', 'read'], 'marked read');
    assert.equal(d.split('M').length - 1, 2, 'two ticks');
  }

  // Bo answers (Shift+Enter makes a new line); Ann sees it live.
  await bo.page.fill('#composer-text', 'Hello Ann');
  await bo.page.press('#composer-text', 'Shift+Enter');
  await bo.page.keyboard.type('line two');
  await bo.page.press('#composer-text', 'Enter');
  await waitBubble(ann.page, 'Hello Ann', 'theirs');
  assert.equal(await bubble(ann.page, 'Hello Ann').textContent(), 'Hello Ann\nline two');
  assert.equal(await ann.page.title(), 'Chat', 'nothing unread in the open chat');

  // A third user sees none of it: not in the UI, not through the API.
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  const convId = await currentConvId(bo.page);
  assert.equal(await cy.page.locator('#conv-list li').count(), 0, 'no conversations in the UI');
  assert.equal((await api(cy.page, 'GET', `conversations/${convId}/messages`)).status, 403, 'history is refused');
  assert.equal((await api(cy.page, 'GET', `conversations/${convId}`)).status, 403);
  assert.equal((await api(cy.page, 'GET', 'conversations')).data.conversations.length, 0);
  const post = await api(cy.page, 'POST', 'messages', { conversation_id: convId, client_id: 'x1', body: 'intrude' });
  assert.equal(post.status, 403, 'cannot post into it');
  const cyProfile = await api(cy.page, 'GET', `users/${ann.name}`);
  assert.equal(cyProfile.data.email, undefined, 'no email for a non-friend');

  // A reload keeps the session, the list and the history.
  await bo.page.reload();
  await bo.page.waitForSelector('#app:not([hidden])');
  await openChat(bo.page, 'Ann');
  await waitBubble(bo.page, 'line two');
  assert.deepEqual(await bodies(bo.page), [evil, 'second one', 'Hello Ann\nline two']);
  // ...and live delivery still works after it.
  await sendUI(ann.page, 'after the reload');
  await waitBubble(bo.page, 'after the reload', 'theirs');
});
