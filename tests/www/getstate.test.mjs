// A picture cannot ack someone's events (issue 21): an <img> pointing at
// /api/poll?ack=..., /api/frames or /api/cmds is sent by the browser with
// the viewer's cookie, and used to ack or hand out their events.  The
// server answers such requests 403 (the browser marks them as an image),
// so the event stays; the same ack from fetch() goes through.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { run, BASE, PASSWORD, uniq, assert } from './lib.mjs';

function sql(query) {
  const cnf = path.join(process.env.STACK_DIR || 'var', 'chat.cnf');
  return execFileSync('mariadb', [`--defaults-file=${cnf}`, '-N', '-B', '-e', query]).toString().trim();
}

// A page of ours that runs no client (a static file): nothing polls there.
async function bare(b) {
  const ctx = await b.newContext();
  const page = await ctx.newPage();
  await page.goto(new URL('errors/503.html', BASE).href);
  return page;
}

const call = (page, method, p, body) => page.evaluate(async ([m, pth, bd]) => {
  const r = await fetch('/api/' + pth, { method: m, headers: m === 'GET' ? {} : { 'Content-Type': 'application/json' }, body: m === 'GET' ? undefined : JSON.stringify(bd || {}) });
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  return { status: r.status, data };
}, [method, p, body]);

// Load src as a picture in page; resolves when the browser gave up on it.
const picture = (page, src) => page.evaluate((s) => new Promise((done) => {
  const img = document.createElement('img');
  img.onload = img.onerror = () => done(true);
  img.src = s;
  document.body.append(img);
}), src);

await run('getstate', async (b) => {
  const v = await bare(b), w = await bare(b);
  const vn = uniq('gv'), wn = uniq('gw');
  assert.equal((await call(v, 'POST', 'signup', { username: vn, password: PASSWORD })).status, 201);
  assert.equal((await call(w, 'POST', 'signup', { username: wn, password: PASSWORD })).status, 201);
  const req = await call(w, 'POST', 'friends/requests', { to: vn });
  assert.equal(req.status, 201);
  assert.ok([200, 204].includes((await call(v, 'POST', `friends/requests/${req.data.id}/accept`)).status));
  assert.equal((await call(w, 'POST', 'messages', { to: vn, client_id: 'gs-1', body: 'mine' })).status, 201);
  // v's client takes the message: handed out, not acked yet.
  let evs = [];
  for (let i = 0; i < 3 && !evs.some((e) => e.type === 'message'); i++)
    evs = evs.concat((await call(v, 'GET', 'poll?timeout=2')).data.events);
  const msg = evs.find((e) => e.type === 'message');
  assert.ok(msg, 'the message came');
  const pending = () => sql(`SELECT COUNT(*) FROM event WHERE id = ${Number(msg.id)}`);
  assert.equal(pending(), '1');

  // Pictures pointing at the state-changing GETs, as an avatar would.
  for (const src of [`/api/poll?timeout=0&ack=${msg.id}`, `/api/frames?timeout=0`,
    `/api/cmds?timeout=0`, `/api/poll?timeout=0`])
    await picture(v, src);
  await v.waitForTimeout(500);       // acks are deleted a few ms later
  assert.equal(pending(), '1', 'a picture did not ack the event');
  const sent = sql(`SELECT attempts FROM event WHERE id = ${Number(msg.id)}`);

  // The same from a script: acked.
  assert.equal((await call(v, 'GET', `poll?timeout=0&ack=${msg.id}`)).status, 200);
  let gone = false;
  for (let i = 0; i < 20 && !gone; i++) {
    gone = pending() === '0';
    if (!gone) await v.waitForTimeout(100);
  }
  assert.ok(gone, 'fetch() acks it');
  assert.ok(Number(sent) >= 1, 'it had been handed out');
});
