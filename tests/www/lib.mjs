// lib.mjs: what the browser tests share. Debian's chromium driven by
// playwright-core (never a downloaded browser), against BASE_URL.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

export const BASE = process.env.BASE_URL || 'http://127.0.0.1:8080/';

export async function browser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function uniq(prefix) {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
}

// A signed-up user in a fresh context (its own cookie jar), via the UI.
export async function signupUI(b, prefix, extra = {}) {
  const ctx = await b.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { console.error('page error:', e.message); });
  const name = uniq(prefix);
  await page.goto(BASE);
  await page.click('#tab-signup');
  await page.fill('#form-signup input[name=username]', name);
  await page.fill('#form-signup input[name=password]', 'correct horse 1');
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

// a asks b to be friends in the UI, b accepts in the UI.
export async function befriendUI(a, b) {
  await a.page.click('#nav-friends');
  await a.page.fill('#find-user input[name=username]', b.name);
  await a.page.click('#find-user button[type=submit]');
  await a.page.fill('#found-user input[name=note]', 'hello from ' + a.name);
  await a.page.click('#found-user button.primary');
  await a.page.waitForSelector('#found-user [role=status]:has-text("Request sent")');
  await b.page.click('#nav-friends');
  await b.page.waitForSelector(`#incoming li:has-text("${a.name}")`, { timeout: 10000 });
  await b.page.click(`#incoming button[aria-label="Accept ${a.name}"]`);
  await b.page.waitForSelector(`#friend-list li[data-user="${a.name}"]`);
  await a.page.waitForSelector(`#friend-list li[data-user="${b.name}"]`, { timeout: 10000 });
}

// Open the conversation titled t in page p.
export async function openChat(p, title) {
  await p.click('#nav-chats');
  await p.click(`#conv-list li[aria-label^="${title}"]`);
  await p.waitForSelector('#composer:not([hidden])');
}

export async function sendUI(p, text) {
  await p.fill('#composer-text', text);
  await p.press('#composer-text', 'Enter');
}

export async function api(page, method, path, body) {
  return page.evaluate(async ([m, pth, b]) => {
    const r = await fetch('/api/' + pth, { method: m, headers: m === 'GET' ? {} : { 'Content-Type': 'application/json' }, body: m === 'GET' ? undefined : JSON.stringify(b || {}) });
    return { status: r.status, data: r.status === 204 ? null : await r.json() };
  }, [method, path, body]);
}

export { assert };
