// More conversations than one page of the list (500): the oldest are one
// click away ("Show older conversations"), stay in the list when it is
// fetched again (added to a group), and open like any other.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { run, signupUI, befriendUI, openChat, convItem, api, assert } from './lib.mjs';

// An admin's bulk insert, as the application's account (the stack's chat.cnf).
function adminSQL(query) {
  const cnf = path.join(process.env.STACK_DIR || 'var', 'chat.cnf');
  execFileSync('mariadb', [`--defaults-file=${cnf}`, '-e', query]);
}

const OLD = 505;

await run('convpages', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  const p = ann.page;
  const id = Number((await api(p, 'GET', 'me')).data.id);
  // 505 groups of Ann's alone, the n-th last active n hours ago.
  adminSQL(`INSERT INTO conversation (kind, title, creator_id, updated_at)
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${OLD})
    SELECT 'topic', CONCAT('Old group ', n), ${id}, NOW(3) - INTERVAL n HOUR FROM s;
    INSERT INTO conv_member (conv_id, user_id, role)
    SELECT id, ${id}, 'owner' FROM conversation WHERE creator_id = ${id} AND title LIKE 'Old group %';`);
  await p.reload();
  await p.waitForSelector('#app:not([hidden])');
  const items = p.locator('#conv-list > li');
  await p.waitForFunction(() => document.querySelectorAll('#conv-list > li').length === 500, null, { timeout: 15000 });
  await p.waitForSelector('#conv-more:not([hidden])');
  assert.equal(await convItem(p, 'Bo').count(), 1, 'the newest first');
  assert.equal(await convItem(p, `Old group ${OLD}`).count(), 0, 'the oldest not yet');

  await p.click('#conv-more');
  await p.waitForFunction((n) => document.querySelectorAll('#conv-list > li').length === n, OLD + 1, { timeout: 15000 });
  assert.equal(await p.locator('#conv-more').isHidden(), true, 'nothing older left');
  assert.equal(await p.evaluate(() => document.activeElement?.closest('li')?.querySelector('.item-title')?.textContent),
    'Old group 500', 'focus on the first of the older ones');
  const titles = await items.locator('.item-title').allTextContents();
  assert.deepEqual(titles, ['Bo', ...Array.from({ length: OLD }, (_, i) => `Old group ${i + 1}`)], 'each once, newest first');

  // Added to a group: the list is fetched again, and the older ones stay.
  assert.equal((await api(bo.page, 'POST', 'conversations', { title: "Bo's group", members: [ann.name] })).status, 201);
  await convItem(p, "Bo's group").waitFor({ timeout: 10000 });
  await p.waitForTimeout(500);
  assert.equal(await items.count(), OLD + 2, 'still all of them');
  assert.equal(await items.first().locator('.item-title').textContent(), "Bo's group");
  await openChat(p, `Old group ${OLD}`);
});
