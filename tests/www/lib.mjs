// lib.mjs: what the browser tests share. Debian's chromium driven by
// playwright-core (never a downloaded browser), against BASE_URL.
//
//   cd tests/www && npm ci          # playwright-core only; no browser download
//   BASE_URL=http://127.0.0.1:PORT/ node tests/www/chat.test.mjs
//
// Each NAME.test.mjs prints "NAME: ok" and exits 0, or "NAME: FAIL" with
// the reason and exits non-zero. Users get unique names (one shared database).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

export const BASE = process.env.BASE_URL || 'http://127.0.0.1:8080/';
export const PASSWORD = 'correct horse 1';
export { assert };

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function uniq(prefix) {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
}

// Page errors and CSP violations fail the test (the page must run under
// lighttpd's strict CSP: no inline script or style).
export const problems = [];
export function watch(page, who = '') {
  page.on('pageerror', (e) => problems.push(`${who} page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`${who} CSP: ${m.text()}`);
  });
  return page;
}
export function noProblems() {
  assert.deepEqual(problems, [], 'no page errors or CSP violations');
}

// Run body(b) with a browser; print "ok" or the failure; exit accordingly.
export async function run(name, body) {
  const b = await browser();
  const t0 = Date.now();
  const killer = setTimeout(() => { console.error(`${name}: timed out`); process.exit(2); }, 170000);
  try {
    await body(b);
    noProblems();
    console.log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error(`${name}: FAIL\n${e.stack || e}`);
    if (problems.length) console.error(problems.join('\n'));
    process.exitCode = 1;
  } finally {
    clearTimeout(killer);
    await b.close().catch(() => {});
  }
}

export async function newPage(b, viewport = { width: 1200, height: 800 }, who = '', init = null) {
  const ctx = await b.newContext({ viewport });
  if (init) await ctx.addInitScript(init);
  const page = watch(await ctx.newPage(), who);
  await page.goto(BASE);
  await page.waitForSelector('#auth:not([hidden]), #app:not([hidden])');
  return { ctx, page };
}

// A user signed up through the UI in a fresh context (its own cookie jar).
export async function signupUI(b, prefix, extra = {}) {
  const { ctx, page } = await newPage(b, extra.viewport, prefix, extra.init);
  const name = extra.name || uniq(prefix);
  await page.click('#tab-signup');
  await page.fill('#form-signup input[name=username]', name);
  await page.fill('#form-signup input[name=password]', PASSWORD);
  await page.fill('#form-signup input[name=nickname]', extra.nickname || name);
  if (extra.email) await page.fill('#form-signup input[name=email]', extra.email);
  if (extra.more) {
    await page.click('#form-signup summary');
    for (const [k, v] of Object.entries(extra.more)) await page.fill(`#form-signup [name=${k}]`, v);
  }
  await page.click('#form-signup button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  return { ctx, page, name, nickname: extra.nickname || name };
}

// A guest (stranger chat) in a fresh context, idle: made through the API,
// as the guest form also starts looking for a stranger at once.
export async function guestUI(b, nickname, viewport) {
  const { ctx, page } = await newPage(b, viewport, nickname);
  const r = await api(page, 'POST', 'guest', { nickname });
  assert.equal(r.status, 201, 'guest');
  await page.reload();
  await page.waitForSelector('#pane-stranger:not([hidden])');
  return { ctx, page, nickname };
}

// Log in as name in page p (at the signed-out screen).
export async function loginUI(p, name, password = PASSWORD) {
  await p.fill('#form-login input[name=username]', name);
  await p.fill('#form-login input[name=password]', password);
  await p.press('#form-login input[name=password]', 'Enter');
  await p.waitForSelector('#app:not([hidden])');
}

// a asks b to be friends (with a note) and b accepts, both in the UI.
export async function befriendUI(a, b) {
  await a.page.click('#nav-friends');
  await a.page.fill('#find-user input[name=username]', b.name);
  await a.page.press('#find-user input[name=username]', 'Enter');
  await a.page.waitForSelector(`#found-user .found[data-user="${b.name}"]`);
  await a.page.fill('#found-user textarea[name=note]', 'hello from ' + a.nickname);
  await a.page.click('#found-user button.primary');
  await a.page.waitForSelector('#found-user [role=status]:has-text("Request sent")');
  await b.page.click('#nav-friends');
  await b.page.waitForSelector(`#incoming li[data-user="${a.name}"]:has-text("hello from ${a.nickname}")`, { timeout: 10000 });
  await b.page.click(`#incoming button[aria-label="Accept ${a.name}"]`);
  await b.page.waitForSelector(`#friend-list li[data-user="${a.name}"]`);
  await a.page.waitForSelector(`#friend-list li[data-user="${b.name}"]`, { timeout: 10000 });
}

// The list item of the conversation titled `title`.
export const convItem = (p, title) => p.locator('#conv-list li').filter({ has: p.locator(`.item-title:text-is("${title}")`) });

// Open the conversation titled `title` in page p.
export async function openChat(p, title) {
  await p.click('#nav-chats');
  await convItem(p, title).locator('button.item').click();
  await p.waitForSelector('#composer:not([hidden])');
  await p.waitForFunction((t) => document.querySelector('#chat-title')?.textContent === t, title);
}

export async function sendUI(p, text) {
  await p.fill('#composer-text', text);
  await p.press('#composer-text', 'Enter');
}

// Wait until page p shows a bubble with exactly this text.
export function bubble(p, text, who = '') {
  return p.locator(`#messages li.msg${who ? '.' + who : ''} .body`).filter({ hasText: text });
}
export async function waitBubble(p, text, who = '', timeout = 10000) {
  await bubble(p, text, who).first().waitFor({ timeout });
}

// Every bubble text shown in page p, in order.
export const bodies = (p) => p.locator('#messages li.msg .body').allTextContents();

// The API from inside a page (its cookies), to check what the server holds.
export async function api(page, method, path, body) {
  return page.evaluate(async ([m, pth, bd]) => {
    const r = await fetch('/api/' + pth, { method: m, headers: m === 'GET' ? {} : { 'Content-Type': 'application/json' }, body: m === 'GET' ? undefined : JSON.stringify(bd || {}) });
    let data = null;
    try { data = await r.json(); } catch { data = null; }
    return { status: r.status, data };
  }, [method, path, body]);
}

export const currentConvId = async (p) => Number(await p.locator('#conv-list li.active').getAttribute('data-id'));
