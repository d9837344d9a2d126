// Sessions end at once on every device (issue 21): a password changed on
// one device signs the other out within seconds (it is told why), while
// the device that changed it stays in; "Sign out everywhere" in the
// profile dialog, after a confirmation, signs out this device and every
// other one. A guest has no such button.
import { run, newPage, signupUI, loginUI, guestUI, PASSWORD, assert } from './lib.mjs';

const signedOutText = 'Your session has ended. Please log in again.';

await run('everywhere', async (b) => {
  const ann = await signupUI(b, 'ev', { nickname: 'Ann' });
  const { page: phone } = await newPage(b, { width: 400, height: 800 }, 'phone');
  await loginUI(phone, ann.name);

  // A new password on the desktop: the phone is out, the desktop stays.
  const p = ann.page;
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  await p.fill('#form-profile input[name=current_password]', PASSWORD);
  await p.fill('#form-profile input[name=password]', 'another horse 2');
  await p.click('#form-profile button[type=submit]');
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });
  await phone.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  assert.equal(await phone.textContent('#auth-error'), signedOutText, 'the phone says why');
  await p.waitForTimeout(1500);
  assert.equal(await p.locator('#app').isVisible(), true, 'the desktop that changed it stays signed in');

  // The phone signs in with the new password, then signs out everywhere.
  await loginUI(phone, ann.name, 'another horse 2');
  await phone.click('#me-button');
  await phone.waitForSelector('#dlg-profile[open]');
  assert.equal(await phone.locator('#logout-everywhere').isVisible(), true, 'the button is there');
  await phone.click('#logout-everywhere');
  await phone.waitForSelector('#dlg-confirm[open]');
  await phone.click('#dlg-confirm button[value=no], #dlg-confirm [data-close]');
  await phone.waitForTimeout(1000);
  assert.equal(await p.locator('#app').isVisible(), true, 'cancelled: nobody is signed out');
  assert.equal(await phone.locator('#dlg-profile').isVisible(), true, 'and the profile stays open');
  await phone.click('#logout-everywhere');
  await phone.waitForSelector('#dlg-confirm[open]');
  await phone.click('#dlg-confirm-ok');
  await phone.waitForSelector('#auth:not([hidden])', { timeout: 5000 });
  await p.waitForSelector('#auth:not([hidden])', { timeout: 8000 });
  assert.equal(await p.textContent('#auth-error'), signedOutText, 'the desktop says why');
  await p.reload();
  await p.waitForSelector('#auth:not([hidden])');
  assert.equal(await p.locator('#app').isVisible(), false, 'and stays out after a reload');

  // A guest has no password and no such button.
  const g = await guestUI(b, 'Gus');
  await g.page.click('#me-button');
  await g.page.waitForSelector('#dlg-profile[open]');
  assert.equal(await g.page.locator('#logout-everywhere').isVisible(), false, 'no button for a guest');
});
