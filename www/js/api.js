// api.js: the HTTP API (docs/API.md). Same origin, always at /api/, cookie
// session, JSON both ways. Every answer resolves to {status, ok, data};
// only a network failure (or an abort) throws.

const BASE = new URL('/api/', location.origin);

export async function api(method, path, body, { signal, keepalive } = {}) {
  const opts = { method, credentials: 'same-origin', signal, keepalive, headers: { Accept: 'application/json' }, cache: 'no-store' };
  if (method !== 'GET') {
    // The CSRF defence: every POST/PATCH/DELETE is JSON, at least {}.
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body ?? {});
  }
  const r = await fetch(new URL(path, BASE), opts);
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch { data = null; }
  }
  return { status: r.status, ok: r.ok, data, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

// POST raw bytes (a picture: POST /api/pictures) with their own type,
// image/png, image/jpeg, image/webp or image/gif, which no form can send
// either. Answers like api().
export async function apiBytes(path, blob) {
  const opts = { method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { Accept: 'application/json', 'Content-Type': blob.type }, body: blob };
  const r = await fetch(new URL(path, BASE), opts);
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  return { status: r.status, ok: r.ok, data, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
}

// The server's error message ({"error":{"code","message"}}), or a fallback.
export function errorText(res, fallback) {
  if (!res) return 'No connection to the server.';
  return res.data?.error?.message || fallback || `Something went wrong (${res.status}).`;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map(v => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const enc = encodeURIComponent;
