// chat-files.js: pictures and files sent in a chat (docs/API.md, Files), for
// chat-thread.js and chat-composer.js. An upload is the file's bytes
// (POST /api/conversations/{id}/files?name=&w=&h=) sent by XMLHttpRequest,
// which reports upload progress (fetch does not) and can be cancelled; a
// JPEG loses its metadata first (EXIF, GPS: stripJpegMeta) and a picture
// says its size, so its message keeps its room before it loads. A file
// message shows a picture (a click opens the viewer) or a card with its
// name, size and a download link.

import { h, icon } from './dom.js';

// JPEG segments APP1..APP15 (0xFFE1-0xFFEF: EXIF with GPS, XMP, ICC,
// Photoshop ...) and comments (0xFFFE) taken out of bytes (a Uint8Array);
// the image data and every other segment stay byte for byte (no
// re-encoding). Anything that is not a well-formed JPEG comes back as it
// was.
export function stripJpegMeta(bytes) {
  const b = bytes;
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return bytes;
  const keep = [b.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return bytes;                 // not a marker: leave it be
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }           // fill byte
    if (marker === 0xda) break;                       // start of scan: the image data
    if (marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      keep.push(b.subarray(i, i + 2)); i += 2; continue;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2 || i + 2 + len > b.length) return bytes;
    if (!((marker >= 0xe1 && marker <= 0xef) || marker === 0xfe)) keep.push(b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  keep.push(b.subarray(i));
  const out = new Uint8Array(keep.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of keep) { out.set(p, o); o += p.length; }
  return out;
}

// What to upload for file: {blob, w, h}: a JPEG without its metadata; a
// picture's natural size as the browser reads it (0 when it cannot).
export async function prepare(file) {
  let blob = file;
  if (/^image\/jpe?g$/i.test(file.type) || /\.jpe?g$/i.test(file.name)) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const out = stripJpegMeta(bytes);
    if (out !== bytes) blob = new Blob([out], { type: 'image/jpeg' });
  }
  let w = 0, ht = 0;
  if (/^image\//i.test(file.type)) {
    try { const bmp = await createImageBitmap(blob); w = bmp.width; ht = bmp.height; bmp.close?.(); } catch { /* not a picture this browser reads */ }
  }
  return { blob, w, h: ht };
}

// Send blob as file name to conversation conv. onProgress(fraction) as it
// goes. Returns {promise, abort}; the promise resolves to {status, ok,
// data} like api(), or null when cancelled or without a connection.
export function upload(conv, name, { blob, w, h: ht }, onProgress) {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({ name });
  if (w && ht) { q.set('w', String(w)); q.set('h', String(ht)); }
  const promise = new Promise((resolve) => {
    xhr.open('POST', `/api/conversations/${conv}/files?${q}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      resolve({ status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300, data,
        retryAfter: Number(xhr.getResponseHeader('Retry-After')) || 0 });
    };
    xhr.onerror = xhr.onabort = () => resolve(null);
    xhr.send(blob);
  });
  return { promise, abort: () => xhr.abort() };
}

// "1.4 MB" and the like.
export function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

const SHOWN = 280;                // a picture's longest side in a bubble, px
const isImage = (f) => /^image\/(png|jpeg|gif|webp)$/.test(f.type);

// The full-size picture over the page; Esc (the dialog's own) or a click
// closes it.
function openViewer(f) {
  const img = h('img', { src: `/api/files/${f.id}`, alt: f.name });
  const close = h('button', { type: 'button', class: 'icon-button viewer-close', 'aria-label': 'Close' }, icon('x'));
  const dlg = h('dialog', { class: 'viewer', 'aria-label': f.name }, close, img);
  dlg.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

// What a file message shows in place of its text. A picture's box has its
// size before it loads (width and height from the message, scaled to fit
// SHOWN): the list does not jump when it comes.
export function fileView(f) {
  const url = `/api/files/${f.id}`;
  if (isImage(f) && f.width > 0 && f.height > 0) {
    const k = Math.min(1, SHOWN / Math.max(f.width, f.height));
    const img = h('img', { src: url, alt: f.name, loading: 'lazy',
      width: Math.max(1, Math.round(f.width * k)), height: Math.max(1, Math.round(f.height * k)) });
    return h('button', { type: 'button', class: 'file-image', title: f.name, onclick: () => openViewer(f) }, img);
  }
  return h('a', { class: 'file-card', href: url, download: f.name, title: `Download ${f.name}` },
    h('span', { class: 'file-icon' }, icon('file')),
    h('span', { class: 'file-meta' },
      h('span', { class: 'file-name', dir: 'auto', text: f.name }),
      h('span', { class: 'file-size muted small', text: sizeText(f.size) })),
    h('span', { class: 'file-get' }, icon('download')));
}
