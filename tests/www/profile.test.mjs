// Profile: edit your own (nickname, picture, location, bio, public key,
// email) and see it from a friend's side (their lists follow live); change the password (a wrong
// current one is refused with the server's message); log out and in. A
// click inside the dialog, on its padding, keeps it and what was typed; a
// click outside it closes it. A notice arriving while it is open shows on
// top of it.
import { run, signupUI, befriendUI, convItem, PASSWORD, api, assert } from './lib.mjs';

await run('profile', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  const p = ann.page;

  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  await p.fill('#form-profile input[name=location]', 'typed, not saved yet');
  const box = await p.locator('#dlg-profile').boundingBox();
  for (const [x, y] of [[box.x + 6, box.y + box.height / 2], [box.x + box.width / 2, box.y + box.height - 6], [box.x + box.width - 6, box.y + 6]]) {
    await p.mouse.click(x, y);
    await p.waitForTimeout(200);
    assert.equal(await p.locator('#dlg-profile').evaluate(d => d.open), true, `a click on the dialog's edge (${Math.round(x)}, ${Math.round(y)}) keeps it`);
  }
  assert.equal(await p.inputValue('#form-profile input[name=location]'), 'typed, not saved yet');
  await p.mouse.click(Math.max(2, box.x - 20), box.y + box.height / 2);     // the backdrop
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });

  // A notice that comes while a dialog is open shows above it, not dimmed
  // under its backdrop (and is not inert: screen readers hear it).
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  assert.equal((await api(cy.page, 'POST', 'friends/requests', { to: ann.name })).status, 201);
  const notice = p.locator('#toasts .toast', { hasText: 'Cy wants to be your friend.' });
  await notice.waitFor({ timeout: 10000 });
  assert.equal(await notice.evaluate((el) => {
    el.style.pointerEvents = 'auto';      // hit-testable, to ask what is on top
    const r = el.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el;
  }), true, 'the notice is on top of the open dialog');
  await p.keyboard.press('Escape');
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });
  // The dialog loses [open] at once; its close event, which moves the
  // notices back, comes a task later: wait for it rather than race it.
  await p.waitForFunction(() => document.querySelector('#toasts').parentElement === document.body &&
    document.querySelector('#toasts').matches(':popover-open'), null, { timeout: 2000 })
    .catch(() => assert.fail('the notices are back on the page when the dialog closes'));
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  await p.fill('#form-profile input[name=nickname]', 'Ann Lee');
  // A file that is no picture is refused with a message; nothing is kept.
  await p.setInputFiles('#profile-picture', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just text, not a picture') });
  await p.waitForSelector('#profile-error:not(:empty)');
  assert.equal(await p.inputValue('#form-profile input[name=avatar_url]'), '');
  await p.fill('#form-profile input[name=location]', 'Xiamen');
  await p.fill('#form-profile textarea[name=bio]', 'Tea & <b>hikes</b>');
  await p.fill('#form-profile textarea[name=public_key]', 'age1examplekey');
  await p.fill('#form-profile input[name=email]', 'ann@example.org');
  await p.click('#form-profile button[type=submit]');
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });
  assert.equal(await p.locator('#me-name').textContent(), 'Ann Lee');
  const me = (await api(p, 'GET', 'me')).data;
  assert.deepEqual([me.nickname, me.location, me.bio, me.public_key, me.email, me.avatar_url],
    ['Ann Lee', 'Xiamen', 'Tea & <b>hikes</b>', 'age1examplekey', 'ann@example.org', '']);

  // Bo's friends list and chat list follow at once (a profile event; Bo's
  // page is not reloaded and refreshes nothing on a timer).
  await bo.page.waitForSelector(`#friend-list li[data-user="${ann.name}"] .item-title:text-is("Ann Lee")`, { state: 'attached', timeout: 10000 });
  await convItem(bo.page, 'Ann Lee').waitFor({ state: 'attached', timeout: 10000 });

  // Bo sees it (as text; no picture: initials).
  await bo.page.click(`#friend-list li[data-user="${ann.name}"] button[aria-label^="Profile"]`);
  await bo.page.waitForSelector('#dlg-user[open]');
  assert.equal(await bo.page.locator('#dlg-user-name').textContent(), 'Ann Lee');
  assert.match(await bo.page.locator('#dlg-user-fields').textContent(), /Tea & <b>hikes<\/b>/);
  await bo.page.waitForSelector('#dlg-user-avatar .avatar:text-is("AL")', { timeout: 10000 });
  await bo.page.keyboard.press('Escape');

  // Password: a wrong current one is refused, the right one works.
  await p.click('#me-button');
  await p.fill('#form-profile input[name=current_password]', 'wrong password');
  await p.fill('#form-profile input[name=password]', 'a new secret 2');
  await p.click('#form-profile button[type=submit]');
  await p.waitForSelector('#profile-error:not(:empty)');
  await p.fill('#form-profile input[name=current_password]', PASSWORD);
  await p.click('#form-profile button[type=submit]');
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });

  await p.click('#logout');
  await p.waitForSelector('#auth:not([hidden])');
  assert.equal((await api(p, 'GET', 'me')).status, 401, 'logged out');
  await p.fill('#form-login input[name=username]', ann.name);
  await p.fill('#form-login input[name=password]', PASSWORD);
  await p.press('#form-login input[name=password]', 'Enter');
  await p.waitForSelector('#auth-error:not(:empty)');
  await p.fill('#form-login input[name=password]', 'a new secret 2');
  await p.press('#form-login input[name=password]', 'Enter');
  await p.waitForSelector('#app:not([hidden])');
  assert.equal(await p.locator('#me-name').textContent(), 'Ann Lee');
});
