// Keyboard focus is never dropped on the page's body (where a keyboard or
// screen-reader user is lost) when what had it goes away: accepting a
// request, removing a friend, changing a member's role or removing a
// member in the group dialog, leaving a group, Escape out of a chat at
// phone width. Every step is done with the keyboard.
import { run, signupUI, befriendUI, openChat, convItem, assert } from './lib.mjs';

// Where focus is: '#id', or the closest list row's list and key, or 'body'.
const where = (p) => p.evaluate(() => {
  const a = document.activeElement;
  if (!a || a === document.body) return 'body';
  const li = a.closest('li');
  const list = li?.parentElement?.closest('[id]')?.id;
  const key = li ? (li.dataset.user || li.dataset.id) : '';
  return list ? `#${list} ${key} ${a.getAttribute('aria-label') || a.textContent.trim()}` : `#${a.id || a.tagName}`;
});

// Focus the control, press Enter, and confirm with Enter if asked.
async function press(p, selector, confirm = false) {
  await p.focus(selector);
  await p.keyboard.press('Enter');
  if (confirm) {
    await p.waitForSelector('#dlg-confirm[open]');
    await p.keyboard.press('Enter');              // OK has focus
    await p.waitForSelector('#dlg-confirm:not([open])', { state: 'attached' });
  }
}

await run('focus', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  const cy = await signupUI(b, 'cy', { nickname: 'Cy' });
  const dee = await signupUI(b, 'dee', { nickname: 'Dee' });
  const p = ann.page;
  await befriendUI(ann, bo);
  await befriendUI(ann, cy);

  // Accepting a request: its row goes; focus moves on in the friends pane.
  await dee.page.click('#nav-friends');
  await dee.page.fill('#find-user input[name=username]', ann.name);
  await dee.page.press('#find-user input[name=username]', 'Enter');
  await dee.page.click(`#found-user .found[data-user="${ann.name}"] button.primary`);
  await p.waitForSelector(`#incoming li[data-user="${dee.name}"]`, { timeout: 10000 });
  await press(p, `#incoming button[aria-label="Accept ${dee.name}"]`);
  await p.waitForSelector(`#friend-list li[data-user="${dee.name}"]`);
  await p.waitForTimeout(300);
  assert.match(await where(p), /^#friend-list /, 'after Accept, focus is on the friends list');

  // Removing a friend: the next friend's row takes focus.
  const order = await p.locator('#friend-list li').evaluateAll(ls => ls.map(l => l.dataset.user));
  const gone = order[0];
  await press(p, `#friend-list button[aria-label="Remove ${gone}"]`, true);
  await p.waitForFunction((u) => !document.querySelector(`#friend-list li[data-user="${u}"]`), gone);
  await p.waitForTimeout(300);
  assert.match(await where(p), new RegExp(`^#friend-list ${order[1]} Chat with `), 'after Remove, the next friend');
  if (gone !== dee.name) {        // keep Bo and Cy for the group
    await befriendUI(ann, gone === bo.name ? bo : cy);
  }

  // The group dialog: a role change keeps focus on that member's button;
  // a removal moves it to the next member.
  await p.click('#nav-chats');
  await p.click('#new-topic');
  await p.fill('#form-topic input[name=title]', 'Focus group');
  await p.check(`#topic-members input[value="${bo.name}"]`);
  await p.check(`#topic-members input[value="${cy.name}"]`);
  await p.click('#topic-save');
  await p.waitForFunction(() => document.querySelector('#chat-title')?.textContent === 'Focus group');
  await press(p, '#chat-info');
  await p.waitForSelector('#dlg-topic[open]');
  await press(p, `#topic-current button[aria-label="Make admin: Bo (@${bo.name})"]`);
  await p.waitForSelector(`#topic-current button[aria-label="Make member: Bo (@${bo.name})"]`);
  await p.waitForTimeout(300);
  assert.equal(await where(p), `#topic-current ${bo.name} Make member: Bo (@${bo.name})`, 'the role button keeps focus');
  const members = await p.locator('#topic-current li').evaluateAll(ls => ls.map(l => l.dataset.user));
  await press(p, `#topic-current button[aria-label="Remove ${bo.name} from the group"]`, true);
  await p.waitForFunction((u) => !document.querySelector(`#topic-current li[data-user="${u}"]`), bo.name);
  await p.waitForTimeout(300);
  const next = members[members.indexOf(bo.name) + 1] || members[members.indexOf(bo.name) - 1];
  assert.match(await where(p), new RegExp(`^#topic-current ${next} `), 'after a removal, the next member');
  await p.keyboard.press('Escape');
  await p.waitForSelector('#dlg-topic:not([open])', { state: 'attached' });

  // Leaving the group from the chat's header: the chat closes; focus goes
  // to the conversation list.
  await press(p, '#chat-leave', true);
  await convItem(p, 'Focus group').waitFor({ state: 'detached', timeout: 10000 });
  await p.waitForTimeout(300);
  assert.match(await where(p), /^#conv-list /, 'after leaving, the conversation list');

  // Phone width: Escape leaves the chat for the list, on that chat's item.
  await p.setViewportSize({ width: 390, height: 800 });
  await openChat(p, 'Cy');
  await p.focus('#composer-text');
  await p.keyboard.press('Escape');
  await p.waitForSelector('#composer', { state: 'hidden' });
  await p.waitForTimeout(300);
  const cyId = await convItem(p, 'Cy').getAttribute('data-id');
  assert.match(await where(p), new RegExp(`^#conv-list ${cyId} `), 'after Escape, the chat\'s own item');
});
