"""Pictures and files sent in chats (issue 24, item 1): uploaded as raw
bytes to a conversation one is a member of (POST /api/conversations/{id}/
files?name=&w=&h=, application/octet-stream), stored in MySQL in 256 KiB
chunks, sent as a message (kind "file", file {id, name, size, type, width,
height}) that reaches the members by the usual events and history, and
served only to the members (GET /api/files/{id}: others 404), streamed,
with ranges, nosniff, inline only for images by their bytes.  Limits:
413 too_large (CHAT_UPLOAD_MAX) with nothing stored, 413 quota_exceeded
(CHAT_UPLOAD_QUOTA), 429 rate_limited, 400 empty."""
import json
import os
import struct
import subprocess
import time
import zlib

import chatlib
from chatlib import (CHAT_BIN, STACK_DIR, Client, Listener, befriend, check,
                     done, eq, expect_error, signup, sql)

CHUNK = 256 * 1024


def png(w=3, h=2):
    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
    raw = b"".join(b"\0" + os.urandom(w) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(c, conv, data, name, extra="", ctype="application/octet-stream"):
    from urllib.parse import quote
    return c.post("conversations/%d/files?name=%s%s" % (conv, quote(name), extra),
                  raw=data, ctype=ctype)


def cgi_raw(method, path, data, sid, ctype="application/octet-stream"):
    """chatd run as plain CGI (Apache's way): raw body on stdin.
    (status, headers text, body)."""
    env = dict(os.environ)
    env.update(chatlib._db_env())
    env["CHAT_RUN"] = os.path.join(STACK_DIR, "run")
    env.update({"REQUEST_METHOD": method, "REQUEST_URI": path,
                "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": ctype,
                "HTTP_COOKIE": "sid=" + sid})
    env.pop("CHAT_FCGI_SOCKET", None)
    p = subprocess.run([os.path.join(CHAT_BIN, "chatd")], input=data, env=env,
                       capture_output=True, timeout=60)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    return int(head.split(b"\r\n")[0].split()[1]), head.decode(), body


def stored_files(uid):
    return int(sql("SELECT COUNT(*) FROM file WHERE owner_id=%d" % uid)[0][0])


a, b, outsider = signup("fa"), signup("fb"), signup("fo")
conv = befriend(a, b)
lb = Listener(b)

# A multi-chunk file, byte-exact both ways; the message event and the
# history carry "file".
data = os.urandom(2 * CHUNK + 12345)
r = upload(a, conv, data, "../etc/re\u202eport\u2066\".bin")
eq(r.status, 201, "upload of a 3-chunk file")
m = r.json or {}
f = m.get("file") or {}
eq(m.get("kind"), "file", "the answer is a file message")
eq(f.get("size"), len(data), "file.size")
eq(f.get("type"), "application/octet-stream", "file.type of random bytes")
eq(f.get("name"), "report.bin", "the name loses its path, quotes and direction characters")
eq(m.get("body"), f.get("name"), "body: the name, for old clients")
fid = f.get("id")
eq(int(sql("SELECT COUNT(*) FROM file_chunk WHERE file_id=%d" % fid)[0][0]), 3,
   "stored in 256 KiB chunks")
ev = lb.wait(lambda e: e["type"] == "message" and
             (e["message"].get("file") or {}).get("id") == fid)
check(ev is not None, "the other member gets the file message by a poll event")
if ev:
    eq(ev["message"].get("kind"), "file", "event: kind file")
    eq(ev["message"]["file"].get("size"), len(data), "event: file.size")
h = b.get("conversations/%d/messages" % conv).json or {}
hm = [x for x in h.get("messages", []) if (x.get("file") or {}).get("id") == fid]
check(len(hm) == 1 and hm[0].get("kind") == "file", "history carries the file", h)
r = b.get("files/%d" % fid)
eq(r.status, 200, "a member downloads it")
check(r.raw == data, "downloaded bytes are the uploaded ones")
eq(r.header("Content-Type"), "application/octet-stream", "a non-image is octet-stream")
eq(r.header("X-Content-Type-Options"), "nosniff", "nosniff")
check((r.header("Content-Disposition") or "").startswith("attachment;"),
      "a non-image is an attachment", r.header("Content-Disposition"))
check("filename*=UTF-8''report.bin" in (r.header("Content-Disposition") or ""),
      "RFC 6266 filename*", r.header("Content-Disposition"))
check((r.header("Cache-Control") or "").startswith("private"), "Cache-Control private")

# Ranges: one range 206 (across a chunk border), a suffix, none that fits 416.
r = b.get("files/%d" % fid, headers={"Range": "bytes=%d-%d" % (CHUNK - 5, CHUNK + 4)})
eq(r.status, 206, "Range: 206")
check(r.raw == data[CHUNK - 5:CHUNK + 5], "the range's bytes, across a chunk border")
eq(r.header("Content-Range"), "bytes %d-%d/%d" % (CHUNK - 5, CHUNK + 4, len(data)),
   "Content-Range")
r = b.get("files/%d" % fid, headers={"Range": "bytes=-7"})
check(r.status == 206 and r.raw == data[-7:], "a suffix range", r)
r = b.get("files/%d" % fid, headers={"Range": "bytes=%d-" % len(data)})
eq(r.status, 416, "a range past the end: 416")
eq(r.header("Content-Range"), "bytes */%d" % len(data), "416 says the size")
eq(b.get("files/%d" % fid, headers={"Range": "bytes=0-1,5-6"}).status, 416,
   "several ranges: 416")

# Non-members and strangers to the file see nothing: 404 as for no file.
expect_error(outsider.get("files/%d" % fid), 404, "not_found", "a non-member")
expect_error(Client().get("files/%d" % fid), 401, None, "no session")
expect_error(b.get("files/%d" % (fid + 1000000)), 404, "not_found", "no such file")
expect_error(upload(outsider, conv, b"x", "x.txt"), 403, "forbidden",
             "a non-member cannot upload")

# A text file named like an image is served as an attachment of octet-stream;
# a real PNG is inline as image/png, with the size the browser read.
r = upload(a, conv, b"<html><script>alert(1)</script>", "cat.png")
eq(r.status, 201, "a text file named .png is taken")
tf = (r.json or {}).get("file") or {}
eq(tf.get("type"), "application/octet-stream", "... as octet-stream")
r = b.get("files/%d" % tf.get("id", 0))
eq(r.header("Content-Type"), "application/octet-stream", "text named .png: octet-stream")
check((r.header("Content-Disposition") or "").startswith("attachment;"),
      "text named .png: attachment")
eq(r.header("X-Content-Type-Options"), "nosniff", "text named .png: nosniff")
pic = png()
r = upload(a, conv, pic, "photo.bin", "&w=640&h=99999")
eq(r.status, 201, "a PNG is taken")
pf = (r.json or {}).get("file") or {}
eq(pf.get("type"), "image/png", "its type from the bytes")
eq((pf.get("width"), pf.get("height")), (640, 20000), "width, height kept (clamped)")
r = b.get("files/%d" % pf.get("id", 0))
eq(r.header("Content-Type"), "image/png", "a PNG is served as image/png")
check((r.header("Content-Disposition") or "").startswith("inline;"), "a PNG is inline")
check(r.raw == pic, "the PNG's bytes")

# A stranger chat: guests send files too.
g1, g2 = Client(), Client()
for g, nick in ((g1, "Fay"), (g2, "Gus")):
    eq(g.post("guest", {"nickname": nick}).status, 201, "guest")
    r = g.post("match")
mconv = (r.json or {}).get("conversation_id")
check(mconv, "the second guest is matched", r)
if mconv:
    r = upload(g2, mconv, b"GIF89a" + os.urandom(40), "hello.gif")
    eq(r.status, 201, "a guest sends a file in a stranger chat")
    gf = ((r.json or {}).get("file") or {}).get("id", 0)
    eq(g2.get("files/%d" % gf).status, 200, "and reads it back")
    g2.post("conversations/%d/leave" % mconv)
    expect_error(upload(g2, mconv, b"x", "x.txt"), 403, "forbidden",
                 "no file into a stranger chat one has left")
    expect_error(g2.get("files/%d" % gf), 404, "not_found",
                 "nor a file of it any more")

# Plain CGI (Apache): the body read from stdin as far as Content-Length,
# the answer streamed to stdout.
cdata = os.urandom(CHUNK + 999)
st, _, body = cgi_raw("POST", "/api/conversations/%d/files?name=cgi.bin" % conv, cdata, a.sid)
eq(st, 201, "upload through plain CGI")
cid = json.loads(body or b"{}").get("file", {}).get("id", 0)
st, head, body = cgi_raw("GET", "/api/files/%d" % cid, b"", b.sid)
check(st == 200 and body == cdata, "download through plain CGI, byte-exact", (st, head))

# Limits: too large (nothing stored), empty, wrong type, quota, rate.
uid = a.user["id"]
before = stored_files(uid)
big = b"\0" * (10 * 1024 * 1024 + 1)
r = upload(a, conv, big, "big.bin")
expect_error(r, 413, "too_large", "over CHAT_UPLOAD_MAX")
check("CHAT_UPLOAD_MAX" in r.raw.decode(), "chatd says so (lighttpd let the body through)", r)
eq(stored_files(uid), before, "nothing stored of a file too large")
expect_error(upload(a, conv, b"", "e.txt"), 400, "empty", "an empty file")
expect_error(upload(a, conv, b"abc", "x.txt", ctype="text/plain"), 415,
             "unsupported_media_type", "a form's content type")
sql("INSERT INTO file (owner_id, conv_id, client_id, name, size, state) "
    "VALUES (%d, %d, 'quota-test', 'q', %d, 2)" % (uid, conv, 200 * 1024 * 1024 - 10))
expect_error(upload(a, conv, b"0123456789abc", "q.txt"), 413, "quota_exceeded",
             "over CHAT_UPLOAD_QUOTA")
eq(stored_files(uid), before + 1, "nothing stored over the quota")
sql("DELETE FROM file WHERE owner_id=%d AND client_id='quota-test'" % uid)
now = int(time.time())
for t in (now, now + 5):
    sql("INSERT INTO rate_limit (k, win, n) VALUES ('upload:%d:%d', %d, 1000) "
        "ON DUPLICATE KEY UPDATE n = 1000" % (uid, t // 60, t // 300))
r = upload(a, conv, b"hello", "h.txt")
expect_error(r, 429, "rate_limited", "too many uploads a minute")
check(r.header("Retry-After") is not None, "429 says Retry-After")

lb.stop()
done()
