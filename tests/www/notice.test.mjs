// A system notice: an admin writes it into MySQL (README, "For admins"), and
// the page shows it at once as a notice, its text as text (markup stays
// literal), above an open dialog too.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { run, signupUI, api, assert } from './lib.mjs';

// The admin's query, as the application's account (the stack's chat.cnf).
function adminSQL(query) {
  const cnf = path.join(process.env.STACK_DIR || 'var', 'chat.cnf');
  execFileSync('mariadb', [`--defaults-file=${cnf}`, '-e', query]);
}

await run('notice', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const p = ann.page;
  const id = (await api(p, 'GET', 'me')).data.id;
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  adminSQL(`INSERT INTO event (user_id, type, payload) VALUES (${Number(id)}, 'notice',
    JSON_OBJECT('text', 'Maintenance at 22:00 <b>UTC</b>, back by 22:15'))`);
  const notice = p.locator('#toasts .toast.notice');
  await notice.waitFor({ timeout: 10000 });
  assert.equal(await notice.textContent(), 'Notice: Maintenance at 22:00 <b>UTC</b>, back by 22:15');
  assert.equal(await notice.locator('b').count(), 0, 'markup in a notice is text, not HTML');
  assert.equal(await notice.evaluate((el) => {
    el.style.pointerEvents = 'auto';
    const r = el.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el;
  }), true, 'the notice is on top of the open dialog');
});
