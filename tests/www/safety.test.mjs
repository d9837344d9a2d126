// Safety (issue 26) in the browser: find people as you type and ask from
// the results; take a request back (the other side's list follows live);
// block from a request and unblock from the list; a non-friend's profile
// shows no presence or details; a registered user is told what a stranger
// sees, is shown to the stranger by nickname only, can ask a stranger to be
// friends by the chat, and a stranger can report and block them, which
// ends the chat.
import { run, signupUI, guestUI, api, assert, uniq } from './lib.mjs';

await run('safety', async (b) => {
  const tag = uniq('sf').slice(0, 9);
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: `${tag} Bo`, more: { bio: 'secret bio', location: 'Oslo' } });
  const p = ann.page;

  // Find people by the start of a nickname, as you type; ask from a result.
  await p.click('#nav-friends');
  await p.fill('#find-user input[name=username]', tag.slice(0, 6).toUpperCase());
  const row = p.locator(`#find-results li[data-user="${bo.name}"]`);
  await row.waitFor({ timeout: 10000 });
  assert.match(await row.textContent(), new RegExp(`${tag} Bo`), 'the result shows the nickname');
  await row.locator('button.primary:has-text("Add friend")').click();
  await row.locator('button:has-text("Request sent")').waitFor();
  await p.waitForSelector(`#outgoing li[data-user="${bo.name}"]`);

  // Bo sees it; Ann takes it back: Bo's list follows without a reload.
  await bo.page.click('#nav-friends');
  await bo.page.waitForSelector(`#incoming li[data-user="${ann.name}"]`, { timeout: 10000 });
  await p.click(`#outgoing button[aria-label="Cancel the request to ${bo.name}"]`);
  await p.waitForSelector(`#outgoing li[data-user="${bo.name}"]`, { state: 'detached' });
  await bo.page.waitForSelector(`#incoming li[data-user="${ann.name}"]`, { state: 'detached', timeout: 10000 });
  assert.equal(await bo.page.locator('#badge-requests').isVisible(), false, 'the badge goes too');

  // Not friends: Bo's profile shows neither presence nor details.
  await p.fill('#find-user input[name=username]', bo.name);
  await p.press('#find-user input[name=username]', 'Enter');
  await p.waitForSelector(`#found-user .found[data-user="${bo.name}"]`);
  await p.click('#found-user button:has-text("Profile")');
  await p.waitForSelector('#dlg-user[open]');
  const shown = await p.locator('#dlg-user').textContent();
  assert.ok(!/secret bio|Oslo|online|last seen/i.test(shown), `no details for a non-friend: ${shown}`);
  assert.match(shown, /Only friends see more/);
  // The card offers to ask again, and a new request goes.
  await p.click('#dlg-user button:has-text("Close")');
  await p.click('#found-user button.primary:has-text("Send friend request")');
  await p.waitForSelector('#found-user [role=status]:has-text("Request sent")');

  // Bo blocks Ann from her request: it goes, and she is in his blocked list.
  await bo.page.waitForSelector(`#incoming li[data-user="${ann.name}"]`, { timeout: 10000 });
  await bo.page.click(`#incoming button[aria-label="Block ${ann.name}"]`);
  await bo.page.click('#dlg-confirm-ok');
  await bo.page.waitForSelector('#blocked li:has-text("Ann")');
  assert.equal(await bo.page.locator(`#incoming li[data-user="${ann.name}"]`).count(), 0, 'her request is hidden');
  // Ann is not told: her request still waits.
  const out = await api(p, 'GET', 'friends/requests');
  assert.deepEqual(out.data.outgoing.map((q) => q.to), [bo.name], 'still pending for her');
  await bo.page.click('#blocked button:has-text("Unblock")');
  await bo.page.waitForSelector('#blocked li', { state: 'detached' });
  assert.equal(await bo.page.locator('#blocked-title').isVisible(), false);

  // Stranger chat: the registered user is told what the stranger sees.
  await bo.page.click('#nav-stranger');
  assert.equal(await bo.page.locator('#match-note').isVisible(), true, 'the note before joining');
  const moon = await guestUI(b, 'Moon');
  assert.equal(await moon.page.locator('#match-note').isVisible(), false, 'guests have nothing to hide');
  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  await bo.page.click('#match-start');
  await moon.page.waitForSelector(`#chat-banner:has-text("chatting with ${tag} Bo")`, { timeout: 10000 });
  await bo.page.waitForSelector('#chat-banner:has-text("chatting with Moon")', { timeout: 10000 });
  // Nowhere in Moon's page is Bo's user name, bio or location.
  await moon.page.click('#chat-who');
  const page = await moon.page.evaluate(() => document.body.innerText + JSON.stringify([...document.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label'))));
  assert.ok(!page.includes(bo.name) && !page.includes('secret bio'), 'the stranger sees the nickname only');
  assert.equal(await moon.page.locator('#dlg-user[open]').count(), 0, 'no profile of a stranger');
  assert.equal(await bo.page.locator('#chat-friend').isVisible(), true, 'a registered user may ask a stranger');
  assert.equal(await moon.page.locator('#chat-friend').isVisible(), false, 'a guest may not');

  // Moon reports Bo and blocks him: the chat ends for both.
  await moon.page.click('#chat-report');
  await moon.page.fill('#form-report textarea[name=reason]', 'rude');
  await moon.page.click('#form-report button[type=submit]');
  await moon.page.waitForSelector('#toasts :text("Reported and blocked")');
  await bo.page.waitForSelector('#chat-banner:has-text("left the chat")', { timeout: 10000 });
  assert.equal(await moon.page.locator('#chat-report').isVisible(), true, 'still shown in the ended chat');
  // They are never matched again (the ended chat's one "Find someone new").
  await moon.page.click('#chat-next');
  await bo.page.click('#chat-next');
  await bo.page.waitForSelector('#match-status:has-text("Looking")');
  await bo.page.waitForTimeout(500);
  assert.match(await bo.page.locator('#match-status').textContent(), /Looking/, 'not matched with who blocked him');
  await bo.page.click('#match-cancel');
  await moon.page.click('#match-cancel');

  // Two registered strangers: one asks the other by the chat.
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await cy.page.click('#nav-stranger');
  await cy.page.click('#match-start');
  await cy.page.waitForSelector('#match-status:has-text("Looking")');
  await p.click('#nav-stranger');
  await p.click('#match-start');
  await cy.page.waitForSelector('#chat-banner:has-text("chatting with Ann")', { timeout: 10000 });
  await p.waitForSelector('#chat-banner:has-text("chatting with Cy")', { timeout: 10000 });
  await p.click('#chat-friend');
  await p.waitForSelector('#toasts :text("Friend request sent to Cy")');
  await cy.page.click('#nav-friends');
  await cy.page.waitForSelector(`#incoming li[data-user="${ann.name}"]`, { timeout: 10000 });
});
