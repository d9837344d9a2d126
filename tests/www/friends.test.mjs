// Friends in the UI: the request badge counts incoming requests; reject,
// ask again, accept; remove (the other side is told, the chat stays
// readable without the ex-friend's presence, and its composer is closed
// saying why until they are friends again). A found person with a long name and location
// fits a phone's width.
import { run, signupUI, openChat, sendUI, waitBubble, convItem, api, watch, BASE, assert } from './lib.mjs';

async function ask(from, to, note) {
  await from.page.click('#nav-friends');
  await from.page.fill('#find-user input[name=username]', to.name);
  await from.page.press('#find-user input[name=username]', 'Enter');
  await from.page.waitForSelector(`#found-user .found[data-user="${to.name}"]`);
  if (note) await from.page.fill('#found-user textarea[name=note]', note);
  await from.page.click('#found-user button.primary');
  await from.page.waitForSelector('#found-user [role=status]:has-text("Request sent")');
}

await run('friends', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });

  // An unknown name says so.
  await ann.page.click('#nav-friends');
  await ann.page.fill('#find-user input[name=username]', 'nobody_' + Date.now());
  await ann.page.press('#find-user input[name=username]', 'Enter');
  await ann.page.waitForSelector('#found-user .error:has-text("Nobody")');

  // A long nickname and location, found on a 375 px wide phone: cut short
  // with an ellipsis, inside the card, the buttons on screen.
  const di = await signupUI(b, 'di', { nickname: 'N'.repeat(64), more: { location: 'L'.repeat(128) } });
  const phone = watch(await cy.ctx.newPage(), 'cy phone');
  await phone.setViewportSize({ width: 375, height: 667 });
  await phone.goto(BASE);
  await phone.click('#nav-friends');
  await phone.fill('#find-user input[name=username]', di.name);
  await phone.press('#find-user input[name=username]', 'Enter');
  await phone.waitForSelector(`#found-user .found[data-user="${di.name}"]`);
  const fit = await phone.evaluate(() => {
    const r = (s) => document.querySelector(s).getBoundingClientRect();
    const grow = r('#found-user .found .grow');
    return { name: r('#found-user .found strong').right <= grow.right + 1, place: r('#found-user .found .muted').right <= grow.right + 1,
      card: r('#found-user .found').right <= innerWidth, buttons: [...document.querySelectorAll('#found-user .found button')].every(x => x.getBoundingClientRect().right <= innerWidth),
      pane: document.querySelector('#pane-friends').scrollWidth <= document.querySelector('#pane-friends').clientWidth };
  });
  assert.deepEqual(fit, { name: true, place: true, card: true, buttons: true, pane: true }, 'the found card fits 375 px');
  await phone.close();
  await di.ctx.close();

  // Two requests: Ann's badge says 2, live.
  await ask(bo, ann, 'Bo here');
  await ask(cy, ann, 'Cy here');
  await ann.page.waitForSelector('#badge-requests:not([hidden]):text-is("2")', { timeout: 10000 });
  await ann.page.waitForSelector(`#incoming li[data-user="${bo.name}"]:has-text("Bo here")`);
  // Cy's request is pending on Cy's side.
  await cy.page.waitForSelector(`#outgoing li[data-user="${ann.name}"]`);

  // Reject Cy: badge 1, Cy's outgoing request goes.
  await ann.page.click(`#incoming button[aria-label="Reject ${cy.name}"]`);
  await ann.page.waitForSelector('#badge-requests:text-is("1")');
  await cy.page.waitForSelector(`#outgoing li[data-user="${ann.name}"]`, { state: 'detached', timeout: 10000 });
  // Accept Bo: no badge; both are friends with a chat.
  await ann.page.click(`#incoming button[aria-label="Accept ${bo.name}"]`);
  await ann.page.waitForSelector('#badge-requests', { state: 'hidden' });
  await bo.page.waitForSelector(`#friend-list li[data-user="${ann.name}"]`, { timeout: 10000 });
  await ann.page.click(`#friend-list li[data-user="${bo.name}"] button.item`);
  await ann.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Bo');
  await sendUI(ann.page, 'friends now');
  await openChat(bo.page, 'Ann');
  await waitBubble(bo.page, 'friends now', 'theirs');
  await ann.page.waitForFunction(() => document.querySelector('#chat-sub')?.textContent === 'online', null, { timeout: 10000 });

  // Bo removes Ann (confirming in the dialog); Ann's list loses him live.
  await bo.page.click('#nav-friends');
  await bo.page.click(`#friend-list li[data-user="${ann.name}"] button[aria-label="Remove ${ann.name}"]`);
  await bo.page.click('#dlg-confirm-ok');
  await bo.page.waitForSelector(`#friend-list li[data-user="${ann.name}"]`, { state: 'detached' });
  await ann.page.click('#nav-friends');
  await ann.page.waitForSelector(`#friend-list li[data-user="${bo.name}"]`, { state: 'detached', timeout: 10000 });
  // Ann's open chat no longer shows Bo's presence (no events come for him).
  await ann.page.waitForFunction(() => document.querySelector('#chat-sub')?.textContent === 'no longer friends', null, { timeout: 5000 });
  assert.equal(await ann.page.locator('#chat-avatar .dot').count(), 0, 'no presence dot in the header');
  await ann.page.click('#nav-chats');
  assert.equal(await convItem(ann.page, 'Bo').locator('.dot').count(), 0, 'no presence dot in the list');
  // The chat stays readable; writing is closed, saying why (the server
  // would refuse a message: not_friends).
  await openChat(ann.page, 'Bo');
  await waitBubble(ann.page, 'friends now');
  await ann.page.waitForSelector('#composer-text:disabled[placeholder^="You are no longer friends"]', { timeout: 5000 });
  assert.equal(await ann.page.locator('#send').isDisabled(), true, 'the send button too');
  const r = await api(ann.page, 'POST', 'messages', { to: bo.name, client_id: 'nf1', body: 'x' });
  assert.equal(r.data.error.code, 'not_friends');
  assert.equal(await convItem(ann.page, 'Bo').count(), 1);

  // Friends again (Ann asks, Bo accepts on his side): the same chat opens
  // for writing, live, on Ann's page (told by friend_accepted).
  const fr = await api(ann.page, 'POST', 'friends/requests', { to: bo.name });
  assert.equal(fr.status, 201);
  assert.equal((await api(bo.page, 'POST', `friends/requests/${fr.data.id}/accept`)).status, 200);
  await ann.page.waitForSelector('#composer-text:enabled[placeholder="Write a message…"]', { timeout: 10000 });
  await sendUI(ann.page, 'back again');
  await openChat(bo.page, 'Ann');
  await waitBubble(bo.page, 'back again', 'theirs');
  await waitBubble(bo.page, 'friends now');
});
