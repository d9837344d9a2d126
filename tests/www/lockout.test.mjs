// Login limits that cannot be turned against the owner (issue 26): Alice
// signs in once in her browser, which keeps a device token (an HttpOnly
// cookie the page cannot read) after she signs out; an attacker's 35
// wrong passwords for her lock out browsers she never used, which say
// "too many attempts" in the login form, while hers still signs in at once.
import { run, newPage, loginUI, uniq, BASE, PASSWORD, assert } from './lib.mjs';

const post = (path, body) => fetch(new URL('/api/' + path, BASE), {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});

await run('lockout', async (b) => {
  const name = uniq('alice');
  assert.equal((await post('signup', { username: name, password: PASSWORD })).status, 201);

  // Alice signs in once in her browser, then signs out.
  const alice = await newPage(b, undefined, 'alice');
  await loginUI(alice.page, name);
  const did = (await alice.ctx.cookies()).find(c => c.name === 'did');
  assert.ok(did && did.httpOnly && did.sameSite === 'Strict' && did.expires > Date.now() / 1000 + 300 * 24 * 3600,
    'the login left a device cookie: HttpOnly, SameSite=Strict, about a year');
  assert.ok(!(await alice.page.evaluate(() => document.cookie)).includes('did='), 'the page cannot read it');
  await alice.page.click('#logout');
  await alice.page.waitForSelector('#auth:not([hidden])');

  // The attacker: 35 wrong passwords for her, from a script.  (The limits
  // count in fixed 5-minute windows: not at the end of one.)
  const left = 300 - (Date.now() / 1000) % 300;
  if (left < 25) await new Promise(res => setTimeout(res, left * 1000 + 1000));
  const got = [];
  for (let i = 0; i < 35; i++) got.push((await post('login', { username: name, password: 'guess ' + i })).status);
  assert.deepEqual([got.filter(s => s === 401).length, got.filter(s => s === 429).length], [10, 25],
    '10 wrong passwords checked, then refused');

  // A browser she never used: refused, and the form says why.
  const fresh = await newPage(b, undefined, 'fresh');
  await fresh.page.fill('#form-login input[name=username]', name);
  await fresh.page.fill('#form-login input[name=password]', PASSWORD);
  await fresh.page.press('#form-login input[name=password]', 'Enter');
  await fresh.page.waitForSelector('#auth-error:has-text("too many attempts")');
  assert.ok(await fresh.page.isHidden('#app'), 'not signed in');

  // Her browser signs in at once, attack or not.
  await loginUI(alice.page, name);
  assert.equal(await alice.page.textContent('#auth-error'), '', 'no error on the way');
  await fresh.ctx.close();
  await alice.ctx.close();
});
