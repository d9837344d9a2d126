// Pictures are the server's own (issue 21): Ann picks a picture from a file
// in her profile; the browser scales it down (at most 256 px) and uploads
// it, Save keeps its address, and her friend Bo sees it load. A picture
// address on another port of the same host (where the browser would send
// the session cookie), put in the database the way an old server kept
// them, is never requested: the client does not draw it, and the CSP's
// img-src stops it even when a page is made to ask.
import http from 'node:http';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { run, signupUI, befriendUI, api, problems, assert } from './lib.mjs';

function sql(query) {
  const cnf = path.join(process.env.STACK_DIR || 'var', 'chat.cnf');
  return execFileSync('mariadb', [`--defaults-file=${cnf}`, '-N', '-B', '-e', query]).toString().trim();
}

// A real PNG of w x h, a colour gradient (RGB, 8 bits).
function png(w, h) {
  const crcTable = [...Array(256)].map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = y * (w * 3 + 1) + 1 + x * 3;
    raw[o] = x % 256; raw[o + 1] = y % 256; raw[o + 2] = 128;
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const PICTURE = /^\/api\/pictures\/[0-9a-f]{64}$/;

// Another port of the same host: counts every request it gets.
let hits = 0;
const spy = http.createServer((req, res) => { hits++; res.writeHead(200, { 'Content-Type': 'image/png' }); res.end(png(1, 1)); });
await new Promise((ok) => spy.listen(0, '127.0.0.1', ok));
const outside = `http://127.0.0.1:${spy.address().port}/x.png`;

await run('pictures', async (b) => {
  const ann = await signupUI(b, 'ann', { nickname: 'Ann' });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo' });
  await befriendUI(ann, bo);
  const p = ann.page;

  // The profile has a file input, no address to type.
  await p.click('#me-button');
  await p.waitForSelector('#dlg-profile[open]');
  assert.equal(await p.locator('#form-profile input[name=avatar_url]').getAttribute('type'), 'hidden', 'no address field to type in');
  await p.setInputFiles('#profile-picture', { name: 'holiday.png', mimeType: 'image/png', buffer: png(600, 400) });
  await p.waitForSelector('#profile-avatar img[src^="/api/pictures/"]', { timeout: 10000 });
  const url = await p.locator('#profile-avatar img').getAttribute('src');
  assert.match(url, PICTURE, 'the preview is the uploaded picture');
  await p.click('#form-profile button[type=submit]');
  await p.waitForSelector('#dlg-profile[open]', { state: 'detached' });
  const me = (await api(p, 'GET', 'me')).data;
  assert.equal(me.avatar_url, url, 'Save stores the picture\'s address');
  await p.waitForSelector(`#me-button img[src="${url}"]`);

  // What was uploaded: scaled down and encoded again by the browser.
  const got = await p.evaluate(async (u) => {
    const r = await fetch(u);
    const blob = await r.blob();
    const bmp = await createImageBitmap(blob);
    return { type: r.headers.get('Content-Type'), size: blob.size, w: bmp.width, h: bmp.height,
      cache: r.headers.get('Cache-Control'), nosniff: r.headers.get('X-Content-Type-Options') };
  }, url);
  assert.ok(['image/webp', 'image/jpeg'].includes(got.type), `encoded again as WebP or JPEG (${got.type})`);
  assert.deepEqual([got.w, got.h], [256, 171], 'scaled to 256 px');
  assert.ok(got.size <= 48 * 1024, 'within 48 KiB');
  assert.equal(got.cache, 'public, max-age=31536000, immutable');
  assert.match(got.nosniff, /nosniff/);

  // Bo sees it, live (a profile event), and it loads.
  const boImg = bo.page.locator(`#friend-list li[data-user="${ann.name}"] img[src="${url}"]`);
  await boImg.waitFor({ state: 'attached', timeout: 10000 });
  await bo.page.waitForFunction((u) => [...document.querySelectorAll(`img[src="${u}"]`)].some((i) => i.complete && i.naturalWidth === 256), url, { timeout: 10000 });

  // A topic with Ann's uploaded picture.
  const topic = await api(p, 'POST', 'conversations', { title: 'Walks', members: [bo.name] });
  assert.equal(topic.status, 201);
  assert.equal((await api(p, 'PATCH', `conversations/${topic.data.id}`, { avatar_url: url })).status, 200);
  assert.equal((await api(p, 'PATCH', `conversations/${topic.data.id}`, { avatar_url: outside })).status, 400, 'an outside topic picture is refused');
  assert.equal((await api(p, 'PATCH', 'me', { avatar_url: outside })).status, 400, 'an outside profile picture is refused');

  // Outside addresses as an old server kept them (migration 010 drops
  // them; here they are put back by SQL): Bo's browser never asks for them.
  sql(`UPDATE user SET avatar_url = '${outside}' WHERE username = '${ann.name}'`);
  sql(`UPDATE conversation SET avatar_url = '${outside}' WHERE id = ${Number(topic.data.id)}`);
  await bo.page.reload();
  await bo.page.waitForSelector('#app:not([hidden])');
  await bo.page.click('#nav-friends');
  await bo.page.waitForSelector(`#friend-list li[data-user="${ann.name}"] .avatar:text-is("A")`, { state: 'attached', timeout: 10000 });
  await bo.page.click(`#friend-list li[data-user="${ann.name}"] button[aria-label^="Profile"]`);
  await bo.page.waitForSelector('#dlg-user[open]');
  await bo.page.waitForSelector('#dlg-user-avatar .avatar:text-is("A")');
  await bo.page.keyboard.press('Escape');
  await bo.page.click('#nav-chats');
  await bo.page.locator('#conv-list li').filter({ hasText: 'Walks' }).first().waitFor({ timeout: 10000 });
  await bo.page.waitForTimeout(1000);
  assert.equal(await bo.page.locator(`img[src*=":${spy.address().port}"]`).count(), 0, 'the client draws no outside picture');
  assert.equal(hits, 0, 'the outside picture was never requested');

  // Even a page made to ask for it (an injected <img>) is stopped by the CSP.
  const before = problems.length;
  await bo.page.evaluate((u) => { const i = document.createElement('img'); i.src = u; document.body.append(i); }, outside);
  await bo.page.waitForTimeout(1500);
  assert.equal(hits, 0, 'the CSP stops an <img> from another port');
  const blocked = problems.splice(before);
  assert.ok(blocked.some((m) => /Content Security Policy/.test(m) && m.includes(outside)), `the CSP reported it: ${blocked}`);
  // Leave no outside address behind (test_pictures checks there is none).
  sql(`UPDATE user SET avatar_url = '' WHERE username = '${ann.name}'`);
  sql(`UPDATE conversation SET avatar_url = '' WHERE id = ${Number(topic.data.id)}`);
});
spy.close();
