// api.js: the HTTP API (docs/API.md). Same origin, cookie session, JSON.
// Every answer resolves to {status, data}; a network failure throws.

const base = new URL('api/', document.baseURI);

export async function api(method, path, body, { signal } = {}) {
  const opts = { method, credentials: 'same-origin', signal, headers: {} };
  if (method !== 'GET') {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body ?? {});
  }
  const r = await fetch(new URL(path, base), opts);
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch { data = null; }
  }
  return { status: r.status, ok: r.ok, data, retryAfter: r.headers.get('Retry-After') };
}

// The contract's error message, or a generic one.
export function errorText(res) {
  return res?.data?.error?.message || `Something went wrong (${res?.status ?? 'network'})`;
}
