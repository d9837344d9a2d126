// pictures.js: a picture chosen from a file becomes one of the server's
// own (docs/API.md, Pictures): decoded by the browser, scaled down in a
// canvas to at most 256 px a side, encoded again as WebP (JPEG where the
// browser cannot make WebP), which leaves EXIF and GPS data behind, and
// uploaded (POST /api/pictures). Its url is then saved as an avatar_url.
// Pictures shown are only ever the server's own (dom.js avatar()).

import { apiBytes, errorText } from './api.js';
import { isPictureUrl } from './dom.js';

const SIDE = 256;
const MAX_BYTES = 48 * 1024;      // the server's cap (CAP_PICTURE)

function encode(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

// The file scaled and encoded: a Blob within MAX_BYTES, or null.
async function scaled(file) {
  let bmp;
  try { bmp = await createImageBitmap(file); } catch { return null; }
  const k = Math.min(1, SIDE / Math.max(bmp.width, bmp.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bmp.width * k));
  canvas.height = Math.max(1, Math.round(bmp.height * k));
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';                   // JPEG has no transparency
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(bmp, 0, 0, canvas.width, canvas.height);
  bmp.close?.();
  for (const [type, q] of [['image/webp', 0.85], ['image/jpeg', 0.85], ['image/jpeg', 0.6], ['image/jpeg', 0.4]]) {
    const blob = await encode(canvas, type, q);
    if (blob && blob.type === type && blob.size <= MAX_BYTES) return blob;
  }
  return null;
}

// Upload the picture in file: {ok: true, url} or {ok: false, error}.
export async function uploadPicture(file) {
  const blob = await scaled(file);
  if (!blob) return { ok: false, error: 'That file is not a picture this browser can read (PNG, JPEG, WebP or GIF).' };
  let res = null;
  try { res = await apiBytes('pictures', blob); } catch { res = null; }
  if (!res?.ok || !isPictureUrl(res.data?.url)) return { ok: false, error: errorText(res) };
  return { ok: true, url: res.data.url };
}
