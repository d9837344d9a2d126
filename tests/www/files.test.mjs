// Pictures and files in chats (issue 24, item 1). Ann sends Bo a picture
// with the paperclip: a progress bar shows while it goes up (the upload is
// slowed to see it), Cancel stops another; Bo sees the picture in a box of
// its size before it has loaded (no jump), opens it full size and closes
// the viewer with Esc; a text file comes as a card with its name, size and
// a download link. A JPEG's EXIF (with GPS) is stripped in the browser
// before it goes up: the pure function on bytes built here, and the bytes
// the server stored. With SCREENSHOTS=1: docs/screenshots/files.png.
import zlib from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, signupUI, openChat, api, assert } from './lib.mjs';

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
    raw[o] = (x * 255 / w) | 0; raw[o + 1] = 120 + ((y * 100 / h) | 0); raw[o + 2] = 200;
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// JPEG segments: marker and payload (with its length).
const seg = (m, payload) => Buffer.concat([Buffer.from([0xff, m, (payload.length + 2) >> 8, (payload.length + 2) & 255]), payload]);
// A JPEG's structure with an APP1 EXIF segment holding a GPS position, an
// APP13 and a comment, then the quantisation table, frame, scan and data.
const APP0 = seg(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'));
const EXIF = seg(0xe1, Buffer.concat([Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'),
  Buffer.from('GPSLatitude 52.5200 N GPSLongitude 13.4050 E', 'latin1')]));
const APP13 = seg(0xed, Buffer.from('Photoshop 3.0\0GPS secret', 'latin1'));
const COM = seg(0xfe, Buffer.from('taken at home', 'latin1'));
const BODY = Buffer.concat([seg(0xdb, Buffer.alloc(65, 1)), seg(0xc0, Buffer.from([8, 0, 16, 0, 16, 1, 1, 0x11, 0])),
  seg(0xda, Buffer.from([1, 1, 0, 0, 0x3f, 0])), Buffer.from([0x12, 0x34, 0xff, 0x00, 0x56]), Buffer.from([0xff, 0xd9])]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8]), APP0, EXIF, APP13, COM, BODY]);
const CLEAN = Buffer.concat([Buffer.from([0xff, 0xd8]), APP0, BODY]);

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

await run('files', async (b) => {
  const DESK = { width: 1100, height: 680 };
  const ann = await signupUI(b, 'ann', { nickname: 'Ann', viewport: DESK });
  const bo = await signupUI(b, 'bo', { nickname: 'Bo', viewport: DESK });
  const rq = await api(ann.page, 'POST', 'friends/requests', { to: bo.name, text: 'hi' });
  assert.equal(rq.status, 201, 'friend request');
  assert.equal((await api(bo.page, 'POST', `friends/requests/${rq.data.id}/accept`)).status, 200, 'accepted');
  const p = ann.page, q = bo.page;
  await p.reload(); await q.reload();
  await openChat(p, 'Bo');
  await openChat(q, 'Ann');

  // The stripping, as a pure function on bytes.
  const stripped = await p.evaluate(async (arr) => {
    const { stripJpegMeta } = await import('/js/chat-files.js');
    return [...stripJpegMeta(new Uint8Array(arr))];
  }, [...JPEG]);
  assert.deepEqual(Buffer.from(stripped), CLEAN, 'APP1 (EXIF, GPS), APP13 and the comment go; the rest byte for byte');

  // Bo's page holds the pictures back until told: their box must be sized before.
  let release;
  const held = new Promise((ok) => { release = ok; });
  await q.route('**/api/files/*', async (route) => { await held; await route.continue(); });

  // A slow link: the progress bar is seen while the picture goes up.
  const cdp = await ann.ctx.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  const pic = png(600, 400);
  const big = Buffer.concat([pic, Buffer.alloc(300 * 1024, 7)]);   // the PNG's bytes first, so an image still
  await p.setInputFiles('#attach-input', { name: 'sunset.png', mimeType: 'image/png', buffer: big });
  await p.waitForSelector('#uploads:not([hidden]) .upload progress');
  assert.equal(await p.locator('#uploads .upload-name').textContent(), 'sunset.png', 'the bar names the file');
  await p.waitForSelector('#messages li.msg.mine .file-image img', { timeout: 20000 });
  await p.waitForSelector('#uploads', { state: 'hidden' });

  // Cancel: another upload stopped halfway leaves no message.
  await p.setInputFiles('#attach-input', { name: 'never.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(900 * 1024, 3) });
  await p.waitForSelector('#uploads .upload-cancel');
  await p.waitForTimeout(300);
  await p.click('#uploads .upload-cancel');
  await p.waitForSelector('#uploads', { state: 'hidden' });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // Bo: the picture's box has its size before the bytes come.
  const img = q.locator('#messages li.msg.theirs .file-image img');
  await img.waitFor({ timeout: 10000 });
  const before = await img.evaluate((el) => ({ done: el.complete && el.naturalWidth > 0, w: el.getBoundingClientRect().width, h: el.getBoundingClientRect().height }));
  assert.equal(before.done, false, 'not loaded yet');
  assert.deepEqual([Math.round(before.w), Math.round(before.h)], [280, 187], 'its box is sized from the message before it loads');
  release();
  await q.waitForFunction(() => { const i = document.querySelector('#messages li.msg.theirs .file-image img'); return i && i.complete && i.naturalWidth === 600; });
  const after = await img.evaluate((el) => el.getBoundingClientRect().height);
  assert.equal(Math.round(after), 187, 'the same height once loaded: no jump');

  // The viewer: full size over the page; Esc closes it.
  await img.click();
  await q.waitForSelector('dialog.viewer[open] img');
  await q.keyboard.press('Escape');
  await q.waitForSelector('dialog.viewer', { state: 'detached' });

  // A file: a card with its name, size and a download link.
  await p.setInputFiles('#attach-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shopping: milk, bread\n'.repeat(100)) });
  const card = q.locator('#messages li.msg.theirs a.file-card');
  await card.waitFor({ timeout: 10000 });
  assert.equal(await card.locator('.file-name').textContent(), 'notes.txt');
  assert.equal(await card.locator('.file-size').textContent(), '2.1 KB');
  assert.match(await card.getAttribute('href'), /^\/api\/files\/\d+$/, 'a download link');
  assert.equal(await card.getAttribute('download'), 'notes.txt');
  const dl = await q.evaluate(async (u) => { const r = await fetch(u); return { cd: r.headers.get('Content-Disposition'), n: (await r.text()).length }; }, await card.getAttribute('href'));
  assert.match(dl.cd, /^attachment;/, 'served as an attachment');
  assert.equal(dl.n, 2200, 'its bytes');

  // A JPEG with GPS goes up without it.
  await p.setInputFiles('#attach-input', { name: 'home.jpg', mimeType: 'image/jpeg', buffer: JPEG });
  const jcard = p.locator('#messages li.msg.mine a.file-card', { hasText: 'home.jpg' });
  await jcard.waitFor({ timeout: 10000 });
  const stored = await p.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], await jcard.getAttribute('href'));
  assert.deepEqual(Buffer.from(stored), CLEAN, 'the server has the JPEG without its EXIF and GPS');
  assert.equal((await api(p, 'GET', `conversations/${await p.locator('#conv-list li.active').getAttribute('data-id')}/messages`)).data.messages.filter((m) => m.kind === 'file').length, 3,
    'three files sent (the cancelled one is not)');

  if (process.env.SCREENSHOTS === '1') {
    await q.mouse.move(1000, 300);
    await q.evaluate(() => { document.querySelector('#toasts')?.replaceChildren(); document.activeElement?.blur(); });
    await q.screenshot({ path: join(top, 'docs', 'screenshots', 'files.png'), type: 'png' });
  }
});
