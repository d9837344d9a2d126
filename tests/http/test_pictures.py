"""Pictures are the server's own (issue 21, item 1): uploaded as bytes
(POST /api/pictures, Content-Type image/png|jpeg|webp|gif), the type found
from the bytes, never the name or the header (text, HTML, SVG sent as
image/png are refused), at most 48 KiB; stored in MySQL keyed by SHA-256;
served from /api/pictures/<hex> with their type, nosniff and a year's
immutable cache, without a session.  avatar_url (signup, PATCH /api/me, a
topic's PATCH) accepts nothing but such a path, or empty; migration 010
drops outside addresses; the CSP lets images come only from the server."""
import base64
import hashlib
import os
import struct
import subprocess
import zlib

from chatlib import (Client, TOP, check, done, eq, expect_error, mariadb,
                     signup, sql, uniq)


RUN = os.urandom(16)     # pictures new to this run (one shared database)


def png(w=2, h=2, seed=0):
    """A real PNG of w x h grey pixels, new to this run (seed varies it)."""
    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    px = hashlib.sha256(RUN + bytes([seed & 255])).digest()
    raw = b"".join(b"\0" + bytes(px[(x + y) % 32] for x in range(w))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9"
       b"\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02"
       b"\x02D\x01\x00;")
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
# JFIF start, a quantisation table marker... the server reads the magic
# number only (SOI and a marker); browsers get it with nosniff.
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00"
        b"\x00\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9")

a = signup("pic")
url_of = {}
for what, data, ctype, want in (
        ("PNG", png(), "image/png", "image/png"),
        ("JPEG", JPEG, "image/jpeg", "image/jpeg"),
        ("WebP", WEBP, "image/webp", "image/webp"),
        ("GIF", GIF, "image/gif", "image/gif"),
        ("a PNG sent as image/gif", png(seed=7), "image/gif", "image/png")):
    r = a.post("pictures", raw=data, ctype=ctype)
    eq(r.status, 201, "upload %s" % what)
    j = r.json or {}
    hexd = hashlib.sha256(data).hexdigest()
    eq(j.get("url"), "/api/pictures/" + hexd, "%s: the url names its SHA-256" % what)
    eq(j.get("type"), want, "%s: the type comes from the bytes" % what)
    eq(j.get("size"), len(data), "%s: size" % what)
    url_of[what] = j.get("url") or ""
    g = Client().get(url_of[what])     # no session needed
    eq(g.status, 200, "%s served" % what)
    eq(g.raw, data, "%s: the same bytes back" % what)
    eq(g.header("Content-Type"), want, "%s: served with its type" % what)
    check("nosniff" in (g.header("X-Content-Type-Options") or ""),
          "%s: nosniff" % what, g.headers)
    eq(g.header("Cache-Control"), "public, max-age=31536000, immutable",
       "%s: kept a year (the url names the content)" % what)
    check(g.header("Set-Cookie") is None, "%s: no cookie" % what, g.headers)

# The same bytes again: the same picture, one row, the first owner.
b = signup("pic")
r = b.post("pictures", raw=png(), ctype="image/png")
eq((r.status, (r.json or {}).get("url")), (201, url_of["PNG"]),
   "the same bytes again: the same url")
h = hashlib.sha256(png()).hexdigest()
eq(sql("SELECT COUNT(*), MAX(owner_id), MAX(type), MAX(size) FROM picture "
       "WHERE hash = UNHEX('%s')" % h),
   [["1", str(a.user["id"]), "image/png", str(len(png()))]],
   "stored once, in MySQL, by content hash, first owner")

# --- refused -----------------------------------------------------------------
n0 = sql("SELECT COUNT(*) FROM picture")
for what, data in (
        ("a text file renamed .png", b"hello, this is just text\n" * 4),
        ("HTML renamed .png", b"<!doctype html><html><script>alert(1)"
                              b"</script></html>"),
        ("SVG renamed .png", b'<?xml version="1.0"?><svg xmlns="http://www.'
                             b'w3.org/2000/svg" onload="alert(1)"></svg>'),
        ("a PNG signature alone", b"\x89PNG\r\n\x1a\n"),
        ("a PDF", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")):
    r = a.post("pictures", raw=data, ctype="image/png")
    expect_error(r, 400, "bad_picture", what)
    check("PNG, JPEG, WebP or GIF" in str(r.json), what + ": says what is taken", r)
r = a.post("pictures", raw=b"", ctype="image/png")
expect_error(r, 400, "bad_request", "an empty upload")
big = png()[:33] + b"\0" * (48 * 1024)   # a PNG start, past 48 KiB
r = a.post("pictures", raw=big, ctype="image/png")
expect_error(r, 413, "too_large", "a picture over 48 KiB")
check("48 KiB" in str(r.json), "the 413 names the cap", r)
r = a.post("pictures", raw=png()[:33] + b"\0" * (70 * 1024), ctype="image/png")
expect_error(r, 413, "too_large", "a body over 64 KiB")
for ct in ("application/json", "text/plain", "multipart/form-data; boundary=x",
           "application/x-www-form-urlencoded", "image/svg+xml", None):
    r = a.post("pictures", raw=png(seed=3), ctype=ct)
    expect_error(r, 415, "unsupported_media_type",
                 "an upload with Content-Type %s" % ct)
expect_error(Client().post("pictures", raw=png(seed=4), ctype="image/png"),
             401, "unauthorized", "an upload without a session")
eq(sql("SELECT COUNT(*) FROM picture"), n0, "refused uploads stored nothing")

expect_error(Client().get("/api/pictures/" + "0" * 64), 404, "not_found",
             "an unknown picture")
expect_error(Client().get("/api/pictures/" + h.upper()), 404, "not_found",
             "a hash in capitals (one url per picture)")
expect_error(Client().get("/api/pictures/" + h[:63]), 404, "not_found",
             "a short hash")
expect_error(Client().get("/api/pictures/x"), 404, "not_found", "not a hash")

# Uploads count with the user's sends (CHAT_SEND_BURST 60 at once).
c = signup("picflood")
got = [c.post("pictures", raw=png(seed=i % 200, w=3), ctype="image/png").status
       for i in range(90)]
check(got.count(429) > 0 and got.count(201) >= 30,
      "a flood of uploads is rate-limited (429)",
      (got.count(201), got.count(429)))

# --- avatar_url: the server's own pictures only ------------------------------
pic = url_of["PNG"]
port2 = 1 + int(os.environ.get("PORT", "8080"))
for bad in ("http://127.0.0.1:%d/x.png" % port2, "https://example.org/a.png",
            "http://example.org/a.png", "//example.org/a.png",
            "/api/frames?timeout=0", "/api/poll?ack=1", "/api/cmds",
            "/api/pictures/" + h.upper(), "/api/pictures/" + h + "?x",
            "/api/pictures/" + h + "/", pic[:-1], "data:image/png;base64,AAAA",
            "javascript:alert(1)", "/api/pictures/../me"):
    r = a.patch("me", {"avatar_url": bad})
    expect_error(r, 400, "bad_request", "PATCH /api/me avatar_url %r" % bad)
    check("avatar_url" in str(r.json), "the 400 names avatar_url", r)
    r = Client().post("signup", {"username": uniq("picsu"),
                                 "password": "correct horse 1",
                                 "avatar_url": bad})
    expect_error(r, 400, "bad_request", "signup avatar_url %r" % bad)
eq(a.get("me").json.get("avatar_url"), "", "nothing stored")
r = a.patch("me", {"avatar_url": pic})
eq((r.status, (r.json or {}).get("avatar_url")), (200, pic),
   "PATCH /api/me with an uploaded picture")
r = a.patch("me", {"avatar_url": ""})
eq((r.status, (r.json or {}).get("avatar_url")), (200, ""),
   "an empty avatar_url removes it")
s = Client()
r = s.post("signup", {"username": uniq("picsu"), "password": "correct horse 1",
                      "avatar_url": url_of["GIF"]})
eq((r.status, (r.json or {}).get("avatar_url")), (201, url_of["GIF"]),
   "signup with an uploaded picture")

# A topic's picture likewise.
from chatlib import befriend  # noqa: E402
befriend(a, b)
r = a.post("conversations", {"title": "Pictures", "members": [b.name]})
eq(r.status, 201, "a topic")
tid = (r.json or {}).get("id")
r = a.patch("conversations/%s" % tid,
            {"avatar_url": "http://127.0.0.1:%d/x.png" % port2})
expect_error(r, 400, "bad_request", "a topic's outside avatar_url")
r = a.patch("conversations/%s" % tid, {"avatar_url": url_of["WebP"]})
eq((r.status, (r.json or {}).get("avatar_url")), (200, url_of["WebP"]),
   "a topic's uploaded picture")

# --- migration 010 drops outside addresses -----------------------------------
eq(sql("SELECT COUNT(*) FROM user WHERE avatar_url LIKE 'http%' "
       "OR avatar_url LIKE '//%'"), [["0"]],
   "after the migrations no user has an outside picture")
eq(sql("SELECT COUNT(*) FROM conversation WHERE avatar_url LIKE 'http%'"),
   [["0"]], "nor any conversation")
# Run it again (it is safe to) over rows an old server would have kept.
old = signup("picold")
keep = signup("pickeep", avatar_url=pic)
sql("UPDATE user SET avatar_url = 'http://127.0.0.1:%d/x.png' WHERE id = %d"
    % (port2, old.user["id"]))
sql("UPDATE conversation SET avatar_url = 'https://example.org/t.png' "
    "WHERE id = %s" % tid)
mig = os.path.join(TOP, "sql", "010-pictures.sql")
p = subprocess.run(mariadb(), stdin=open(mig), capture_output=True, text=True)
eq(p.returncode, 0, "migration 010 runs again" + p.stderr)
eq(sql("SELECT avatar_url FROM user WHERE id = %d" % old.user["id"]), [[""]],
   "an outside picture is dropped by the migration")
eq(sql("SELECT avatar_url FROM user WHERE id = %d" % keep.user["id"]),
   [[pic]], "the server's own picture stays")
eq(sql("SELECT avatar_url FROM conversation WHERE id = %s" % tid), [[""]],
   "a topic's outside picture is dropped")

# The admins' query of the README: storage per user.
rows = sql("SELECT u.username, COUNT(*), SUM(p.size) FROM picture p "
           "JOIN user u ON u.id = p.owner_id GROUP BY u.id "
           "ORDER BY SUM(p.size) DESC")
check(any(r[0] == a.name and int(r[1]) >= 2 for r in rows),
      "storage per user, from SQL", rows[:5])

# --- the browser may load pictures from the server alone ---------------------
csp = Client().get("/").header("Content-Security-Policy") or ""
imgsrc = [d.strip() for d in csp.split(";") if d.strip().startswith("img-src")]
eq(imgsrc, ["img-src 'self'"], "the CSP's img-src is the server alone")

done()
