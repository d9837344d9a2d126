// Two guests meet in stranger chat: both see the matched banner with the
// other's nickname, talk, one leaves and the other sees the partner-left
// banner; "next stranger" queues again and a third guest is matched;
// "find another stranger" keeps that chat and opens a second one. A page
// closed with a stranger chat open ends it within seconds; a reload or a
// second tab closing does not.
import { run, guestUI, sendUI, waitBubble, api, assert, BASE } from './lib.mjs';

const AWAY_MS = 1000 * Number(process.env.CHAT_AWAY_S || 2);

await run('stranger', async (b) => {
  const moon = await guestUI(b, 'Moon');
  const sun = await guestUI(b, 'Sun');
  const me = await api(moon.page, 'GET', 'me');
  assert.equal(me.data.guest, true);
  assert.equal(await moon.page.locator('#nav-friends').isVisible(), false, 'guests have no friends tab');

  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  await sun.page.click('#match-start');
  // Sun gets the immediate "matched" answer, Moon the match_found event.
  await sun.page.waitForSelector('#chat-banner:not([hidden]):has-text("chatting with Moon")', { timeout: 10000 });
  await moon.page.waitForSelector('#chat-banner:not([hidden]):has-text("chatting with Sun")', { timeout: 10000 });
  assert.equal(await moon.page.locator('#chat-title').textContent(), 'Sun');

  await sendUI(moon.page, 'hi stranger');
  await waitBubble(sun.page, 'hi stranger', 'theirs');
  await sendUI(sun.page, 'hello Moon');
  await waitBubble(moon.page, 'hello Moon', 'theirs');

  // A reload keeps the guest's session and the live stranger chat.
  await moon.page.reload();
  await moon.page.waitForSelector('#app:not([hidden])');
  await moon.page.waitForSelector('#match-status:has-text("talking to Sun")');
  await moon.page.click('#nav-chats');
  await moon.page.click('#conv-list li[data-kind="match"] button.item');
  await waitBubble(moon.page, 'hello Moon', 'theirs');
  await sendUI(moon.page, 'still here');
  await waitBubble(sun.page, 'still here', 'theirs');

  // Sun leaves; Moon is told and can no longer write.
  await sun.page.click('#chat-leave');
  await sun.page.click('#dlg-confirm-ok');
  await moon.page.waitForSelector('#chat-banner:not([hidden]):has-text("Sun left the chat")', { timeout: 10000 });
  assert.equal(await moon.page.locator('#composer-text').isDisabled(), true, 'no writing into an ended chat');
  assert.equal(await moon.page.locator('#chat-next').isVisible(), true);

  // Next stranger: Moon waits again; a third guest meets Moon.
  await moon.page.click('#chat-next');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  const star = await guestUI(b, 'Star');
  await star.page.click('#match-start');
  await star.page.waitForSelector('#chat-banner:has-text("chatting with Moon")', { timeout: 10000 });
  await moon.page.waitForSelector('#chat-banner:has-text("chatting with Star")', { timeout: 10000 });
  await sendUI(star.page, 'hey');
  await waitBubble(moon.page, 'hey', 'theirs');
  // Moon's list holds both stranger chats, the old one marked ended.
  assert.equal(await moon.page.locator('#conv-list li[data-kind="match"]').count(), 2);
  assert.equal(await moon.page.locator('#conv-list li.ended').count(), 1);

  // Several at once: Moon looks for one more while talking to Star; Vega
  // comes, and both chats stay open and live.
  await moon.page.click('#nav-stranger');
  await moon.page.waitForSelector('#match-start:has-text("Find another stranger")');
  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  const vega = await guestUI(b, 'Vega');
  await vega.page.click('#match-start');
  await vega.page.waitForSelector('#chat-banner:has-text("chatting with Moon")', { timeout: 10000 });
  await moon.page.waitForSelector('#match-status:has-text("talking to 2 strangers")', { timeout: 10000 });
  assert.equal(await moon.page.locator('#conv-list li[data-kind="match"]:not(.ended)').count(), 2, 'two live stranger chats');
  await sendUI(vega.page, 'hi from Vega');
  await waitBubble(moon.page, 'hi from Vega', 'theirs');
  await sendUI(star.page, 'Star is still here');
  await moon.page.click('#nav-chats');
  await moon.page.click('#conv-list li[data-kind="match"]:not(.ended) .item-title:text-is("Star")');
  await waitBubble(moon.page, 'Star is still here', 'theirs');
  await sendUI(moon.page, 'to Star only');
  await waitBubble(star.page, 'to Star only', 'theirs');
  assert.equal(await vega.page.locator('#messages li.msg .body', { hasText: 'to Star only' }).count(), 0, 'not in the other chat');

  // A partner who leaves while Moon looks for one more does not stop the
  // search (the page would no longer leave the queue when closed).
  await moon.page.click('#nav-stranger');
  await moon.page.click('#match-start');
  await moon.page.waitForSelector('#match-status:has-text("Looking")');
  await vega.page.click('#chat-leave');
  await vega.page.click('#dlg-confirm-ok');
  await moon.page.waitForSelector('#conv-list li.ended .item-title:text-is("Vega")', { state: 'attached', timeout: 10000 });
  await moon.page.waitForTimeout(300);
  assert.match(await moon.page.locator('#match-status').textContent(), /Looking/, 'still looking after a partner left');
  assert.equal(await moon.page.locator('#match-cancel').isVisible(), true, 'and can stop looking');
  await moon.page.click('#match-cancel');
  await moon.page.waitForSelector('#match-status:has-text("talking to Star")');

  // A guest who reloads (or closes) the page while waiting leaves the
  // queue: it starts idle, and the next one to look is not matched with a
  // page that is gone.
  const comet = await guestUI(b, 'Comet');
  await comet.page.click('#match-start');
  await comet.page.waitForSelector('#match-status:has-text("Looking")');
  await comet.page.reload();
  await comet.page.waitForSelector('#app:not([hidden])');
  assert.equal(await comet.page.locator('#match-start').isVisible(), true, 'idle after the reload');
  const nova = await guestUI(b, 'Nova');
  const res = await api(nova.page, 'POST', 'match');
  assert.equal(res.data.status, 'waiting', 'nobody left in the queue to meet');
  await api(nova.page, 'DELETE', 'match');

  // A page closed with a stranger chat open: the partner hears within
  // seconds, not once the closed page's last poll has run out (25 s) and
  // its user gone idle. A reload, or a second tab of the same browser
  // closing, ends nothing.
  const rain = await guestUI(b, 'Rain');
  const snow = await guestUI(b, 'Snow');
  await rain.page.click('#match-start');
  await rain.page.waitForSelector('#match-status:has-text("Looking")');
  await snow.page.click('#match-start');
  await snow.page.waitForSelector('#chat-banner:has-text("chatting with Rain")', { timeout: 10000 });
  await rain.page.waitForSelector('#chat-banner:has-text("chatting with Snow")', { timeout: 10000 });
  const leftBanner = '#chat-banner:not([hidden]):has-text("Rain left the chat")';
  await rain.page.reload();
  await rain.page.waitForSelector('#match-status:has-text("talking to Snow")');
  await snow.page.waitForTimeout(AWAY_MS + 3000);
  assert.equal(await snow.page.locator(leftBanner).count(), 0, 'a reload ends nothing');
  await rain.page.click('#nav-chats');
  await rain.page.click('#conv-list li[data-kind="match"] button.item');
  await sendUI(rain.page, 'reloaded and here');
  await waitBubble(snow.page, 'reloaded and here', 'theirs');
  const tab2 = await rain.ctx.newPage();
  await tab2.goto(BASE);
  await tab2.waitForSelector('#match-status:has-text("talking to Snow")');
  await tab2.close({ runBeforeUnload: true });
  await snow.page.waitForTimeout(AWAY_MS + 3000);
  assert.equal(await snow.page.locator(leftBanner).count(), 0, 'a second tab closing ends nothing');
  await sendUI(rain.page, 'one tab less');
  await waitBubble(snow.page, 'one tab less', 'theirs');
  // The closed page's poll may stay parked in the server until it times
  // out (lighttpd does not tell the backend), keeping Rain online; so do
  // requests of Rain's session here, so that going idle cannot be what
  // ends the chat (the test stack's idle time is 4 s).
  const cookie = (await rain.ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  await rain.page.close({ runBeforeUnload: true });
  const online = setInterval(() => fetch(new URL('/api/me', BASE), { headers: { cookie } }).catch(() => {}), 500);
  try {
    await snow.page.waitForSelector(leftBanner, { timeout: AWAY_MS + 8000 });
  } finally {
    clearInterval(online);
  }
  assert.equal(await snow.page.locator('#composer-text').isDisabled(), true, 'the chat has ended');
});
