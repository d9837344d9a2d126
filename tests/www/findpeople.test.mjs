// The "Find people" card follows what happens while it is open: the other
// person asking, accepting, or removing you, changes what it offers
// (ask, accept, wait, message) without a new search, and a note being
// written stays.
import { run, signupUI, api, assert } from './lib.mjs';

// What the card offers: its status line (one, the current one) and main button.
const offer = (p) => p.evaluate(() => {
  const c = document.querySelector('#found-user .found');
  return c ? [...c.querySelectorAll('.hint, button.primary')].map((x) => x.textContent.trim()).filter(Boolean).join(' | ') : null;
});

async function waitOffer(p, want) {
  for (let i = 0; i < 100 && await offer(p) !== want; i++) await p.waitForTimeout(100);
  assert.equal(await offer(p), want);
}

async function find(p, name) {
  await p.click('#nav-friends');
  await p.fill('#find-user input[name=username]', name);
  await p.press('#find-user input[name=username]', 'Enter');
  await p.waitForSelector(`#found-user .found[data-user="${name}"]`);
}

await run('findpeople', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  const p = ann.page;

  // Bo asks while Ann has his card open and is writing a note.
  await find(p, bo.name);
  await waitOffer(p, 'Send friend request');
  await p.fill('#found-user textarea[name=note]', 'half a note');
  const asked = await api(bo.page, 'POST', 'friends/requests', { to: ann.name });
  assert.equal(asked.status, 201);
  await waitOffer(p, 'Accept their request');

  // Ann accepts from the card.
  await p.click('#found-user button.primary');
  await waitOffer(p, 'You are now friends. | Message');
  assert.doesNotMatch(await p.locator('#found-user .found').innerText(), /Request sent/, 'one status line, not two');

  // Bo removes Ann: the card offers to ask again; Ann asks, with a note.
  assert.equal((await api(bo.page, 'DELETE', `friends/${ann.name}`)).status, 204);
  await waitOffer(p, 'Send friend request');
  await p.fill('#found-user textarea[name=note]', 'again?');
  // Someone else asking redraws Ann's friends pane; the card keeps the note.
  assert.equal((await api(cy.page, 'POST', 'friends/requests', { to: ann.name })).status, 201);
  await p.waitForSelector(`#incoming li[data-user="${cy.name}"]`, { timeout: 10000 });
  assert.equal(await p.inputValue('#found-user textarea[name=note]'), 'again?', 'the note being written stays');
  await p.click('#found-user button.primary');
  await waitOffer(p, 'Request sent; waiting for an answer.');

  // Bo accepts on his side: Ann's card follows.
  const inc = await api(bo.page, 'GET', 'friends/requests');
  const q = inc.data.incoming.find((x) => x.from === ann.name);
  assert.equal(q?.text, 'again?', 'the note went with the request');
  assert.equal((await api(bo.page, 'POST', `friends/requests/${q.id}/accept`)).status, 200);
  await waitOffer(p, 'You are now friends. | Message');
  await p.click('#found-user button.primary');
  await p.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Bo');
});
