// Account safety (issue 26) in the page: a name of invisible characters or
// with direction controls is refused with a clear message; the profile
// lists one's devices (browser, address, last use), signs one out or every
// other; "Remove my account" says that sent messages stay as "Deleted
// user", asks the password, and the friend then sees exactly that; "Forgot
// password?" answers the same for any address, and a reset link
// (/#reset=TOKEN) sets a new password and signs every device out.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { run, BASE, PASSWORD, watch, signupUI, loginUI, guestUI, openChat, waitBubble, api, uniq, assert } from './lib.mjs';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const signedOutText = 'Your session has ended. Please log in again.';

function adminSQL(query) {
  const cnf = path.join(process.env.STACK_DIR || 'var', 'chat.cnf');
  execFileSync('mariadb', [`--defaults-file=${cnf}`, '-e', query]);
}

// A fresh context (its own cookies) with this browser name, at the start page.
async function device(b, userAgent, who) {
  const ctx = await b.newContext({ viewport: { width: 420, height: 860 }, userAgent });
  const page = watch(await ctx.newPage(), who);
  await page.goto(BASE);
  await page.waitForSelector('#auth:not([hidden]), #app:not([hidden])');
  return { ctx, page };
}

async function openProfile(p) {
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
}

await run('account', async (b) => {
  // --- Names ---------------------------------------------------------------
  const { page: np } = await device(b, undefined, 'names');
  await np.click('#tab-signup');
  await np.fill('#form-signup input[name=username]', uniq('nm'));
  await np.fill('#form-signup input[name=password]', PASSWORD);
  await np.fill('#form-signup input[name=nickname]', 'admin\u00a0');
  await np.click('#form-signup button[type=submit]');
  await np.waitForFunction(() => document.querySelector('#auth-error').textContent !== '');
  assert.equal(await np.textContent('#auth-error'), 'Your name cannot start or end with a space or an invisible character');
  await np.fill('#form-signup input[name=username]', 'guest-' + uniq('x').slice(0, 10));
  await np.fill('#form-signup input[name=nickname]', 'Ann');
  await np.click('#form-signup button[type=submit]');
  await np.waitForFunction(() => /kept for guests/.test(document.querySelector('#auth-error').textContent));
  await np.click('#tab-guest');
  await np.fill('#form-guest input[name=nickname]', 'a\u202eevil');
  await np.click('#form-guest button[type=submit]');
  await np.waitForFunction(() => document.querySelector('#auth-error').textContent !== '');
  assert.equal(await np.textContent('#auth-error'), 'Your name cannot contain text direction controls');
  assert.equal(await np.locator('#app').isVisible(), false, 'nobody entered');

  // --- Devices -------------------------------------------------------------
  const ann = await signupUI(b, 'acc', { nickname: 'Ann', email: uniq('ann') + '@example.org' });
  const desk = ann.page;
  await openProfile(desk);
  await desk.fill('#form-profile input[name=nickname]', '\u200b');
  await desk.click('#form-profile button[type=submit]');
  await desk.waitForFunction(() => document.querySelector('#profile-error').textContent !== '');
  assert.equal(await desk.textContent('#profile-error'), 'Your name cannot be only spaces or invisible characters');
  await desk.click('#dlg-profile [data-close]');

  const phone = await device(b, IPHONE, 'phone');
  await loginUI(phone.page, ann.name);
  await openProfile(desk);
  const items = desk.locator('#devices li');
  await desk.waitForFunction(() => document.querySelectorAll('#devices li').length === 2);
  const texts = await items.allTextContents();
  assert.ok(/this device/.test(texts[0]), `this device first: ${texts}`);
  assert.ok(/Safari on iOS/.test(texts[1]) && /127\.0\.0\.1/.test(texts[1]) && /active now/.test(texts[1]), `the phone: ${texts[1]}`);
  await items.nth(1).locator('button', { hasText: 'Sign out' }).click();
  await phone.page.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  assert.equal(await phone.page.textContent('#auth-error'), signedOutText, 'the phone says why');
  await desk.waitForFunction(() => document.querySelectorAll('#devices li').length === 1);
  assert.equal(await desk.locator('#app').isVisible(), true, 'the desktop stays');
  await desk.click('#dlg-profile [data-close]');

  // Every other device at once.
  await loginUI(phone.page, ann.name);
  const tablet = await device(b, undefined, 'tablet');
  await loginUI(tablet.page, ann.name);
  await openProfile(desk);
  await desk.waitForFunction(() => document.querySelectorAll('#devices li').length === 3);
  await desk.click('#devices-others');
  await desk.waitForSelector('#dlg-confirm[open]');
  await desk.click('#dlg-confirm-ok');
  await phone.page.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  await tablet.page.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  await desk.waitForFunction(() => document.querySelectorAll('#devices li').length === 1);
  assert.equal(await desk.locator('#app').isVisible(), true, 'this one stays');
  await desk.click('#dlg-profile [data-close]');

  // --- Forgot password -----------------------------------------------------
  const fp = phone.page;
  await fp.click('#forgot-open');
  await fp.fill('#form-forgot input[name=email]', 'nobody-' + uniq('x') + '@example.org');
  await fp.click('#form-forgot button[type=submit]');
  await fp.waitForFunction(() => document.querySelector('#forgot-done').textContent !== '');
  const unknown = await fp.textContent('#forgot-done');
  assert.ok(/If that address belongs to an account, a link is on its way/.test(unknown), unknown);
  // The link the mail would carry: a token whose SHA-256 alone is kept.
  const tok = crypto.randomBytes(32).toString('base64url');
  adminSQL(`INSERT INTO password_reset (token_hash, user_id, expires_at) SELECT UNHEX(SHA2('${tok}', 256)), id, NOW(3) + INTERVAL 30 MINUTE FROM user WHERE username = '${ann.name}'`);
  const { page: rp } = await device(b, undefined, 'reset');
  await rp.goto(new URL('#reset=' + tok, BASE).href);
  await rp.reload();     // a hash change alone does not load the page again
  await rp.waitForSelector('#form-reset:not([hidden])');
  assert.equal(new URL(rp.url()).hash, '', 'the token leaves the address bar');
  assert.equal(await rp.locator('#form-login').isVisible(), false, 'only the new password form');
  await rp.fill('#form-reset input[name=password]', 'brand new horse 9');
  await rp.click('#form-reset button[type=submit]');
  await rp.waitForSelector('#form-login:not([hidden])');
  assert.ok(/Your password is changed/.test(await rp.textContent('#auth-error')));
  await desk.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  assert.equal(await desk.textContent('#auth-error'), signedOutText, 'every device is out');
  await loginUI(rp, ann.name, 'brand new horse 9');
  await rp.close();

  // --- Remove my account ---------------------------------------------------
  await loginUI(desk, ann.name, 'brand new horse 9');
  const bo = await signupUI(b, 'acc', { nickname: 'Bo' });
  const rq = await api(desk, 'POST', 'friends/requests', { to: bo.name, text: 'hi' });
  assert.equal((await api(bo.page, 'POST', `friends/requests/${rq.data.id}/accept`)).status, 200);
  await openChat(bo.page, 'Ann');
  const sent = await api(desk, 'POST', 'messages', { to: bo.name, body: 'remember me', client_id: uniq('c') });
  assert.equal(sent.status, 201, JSON.stringify(sent));
  await waitBubble(bo.page, 'remember me');

  await openProfile(desk);
  await desk.click('#remove-account');
  await desk.waitForSelector('#dlg-remove[open]');
  assert.ok(/Messages you already sent stay in the other people's chats, shown as from “Deleted user”/.test(await desk.textContent('#dlg-remove')),
    'it says so before');
  await desk.fill('#form-remove input[name=password]', 'not my password');
  await desk.click('#form-remove button[type=submit]');
  await desk.waitForFunction(() => document.querySelector('#remove-error').textContent !== '');
  assert.ok(/not your password/.test(await desk.textContent('#remove-error')));
  await desk.fill('#form-remove input[name=password]', 'brand new horse 9');
  await desk.click('#form-remove button[type=submit]');
  await desk.waitForSelector('#auth:not([hidden])');
  await bo.page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Deleted user', null, { timeout: 10000 });
  await waitBubble(bo.page, 'remember me');
  await bo.page.reload();
  await bo.page.waitForSelector('#app:not([hidden])');
  await openChat(bo.page, 'Deleted user');
  await waitBubble(bo.page, 'remember me');
  await bo.page.click('#nav-friends');
  assert.equal(await bo.page.locator(`#friend-list li[data-user="${ann.name}"]`).count(), 0, 'no longer a friend');
  await desk.fill('#form-login input[name=username]', ann.name);
  await desk.fill('#form-login input[name=password]', 'brand new horse 9');
  await desk.press('#form-login input[name=password]', 'Enter');
  await desk.waitForFunction(() => document.querySelector('#auth-error').textContent !== '');
  assert.equal(await desk.locator('#app').isVisible(), false, 'the account is gone');

  // A guest has no account to remove and no devices list.
  const g = await guestUI(b, 'Gus');
  await openProfile(g.page);
  assert.equal(await g.page.locator('#remove-account').isVisible(), false, 'no remove for a guest');
  assert.equal(await g.page.locator('#devices-fields').isVisible(), false, 'no devices for a guest');
});
