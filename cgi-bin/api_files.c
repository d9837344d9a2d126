/*
 * api_files.c: POST /api/conversations/{id}/files and GET /api/files/{id}
 * (issue 24).  An upload's body is the file's raw bytes
 * (application/octet-stream), read here in chunks of CAP_FILE_CHUNK and
 * stored as they come (core_files.c), so a 10 MB upload never sits whole
 * in memory; then the file is sent as a message of the conversation
 * (kind "file").  A download is streamed chunk by chunk too, inline only
 * for the images its bytes say it is, to the conversation's members only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "caps.h"
#include "conf.h"
#include "core_files.h"
#include "core_messages.h"
#include "core_send.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"

/* The answer to an upload refused before or while its bytes came. */
static int
refuse(struct req *r, int64_t id, int st, const char *code, const char *msg)
{
	http_body_drop(r);
	if (id != 0 && file_drop(r->db, id) == -1)
		LOG("upload: file %lld left for the sweeper", (long long)id);
	/* Not http_fail_db: the body is read, the handler cannot run again. */
	if (st == 503) {
		http_retry_after(r, 1);
		return http_fail(r, 503, "unavailable",
		    "the database is unavailable, try again");
	}
	return http_fail(r, st, code, msg);
}

/* Why the conversation takes no file from r's user, as messages say. */
static int
refuse_conv(struct req *r, enum msg_result rc)
{
	switch (rc) {
	case MSG_NO_CONV:
		return refuse(r, 0, 404, "not_found", "no such conversation");
	case MSG_NOT_MEMBER:
		return refuse(r, 0, 403, "forbidden",
		    "you are not in this conversation");
	case MSG_NOT_FRIENDS:
		return refuse(r, 0, 403, "not_friends",
		    "you can only message your friends");
	case MSG_ENDED:
		return refuse(r, 0, 409, "conflict",
		    "this stranger chat has ended");
	default:
		return refuse(r, 0, 503, NULL, NULL);
	}
}

/*
 * Read r's body into f's chunks, hashing it: 0, or the status sent.  In
 * CGI mode no further than Content-Length (cl) says; otherwise to the
 * body's end, whatever cl said, never past CHAT_UPLOAD_MAX.
 */
static int
store_body(struct req *r, struct file *f, int64_t cl)
{
	crypto_hash_sha256_state st;
	unsigned char		 sha[32];
	char			*chunk;
	size_t			 want, k;
	int64_t			 n = 0;

	chunk = xmalloc(CAP_FILE_CHUNK);
	crypto_hash_sha256_init(&st);
	f->size = 0;
	for (;;) {
		want = CAP_FILE_CHUNK;
		if (r->fcgi == NULL && (int64_t)want > cl - f->size)
			want = (size_t)(cl - f->size);
		if (want == 0 || (k = http_body_read(r, chunk, want)) == 0)
			break;
		if (f->size + (int64_t)k > conf.upload_max) {
			free(chunk);
			return refuse(r, f->id, 413, "too_large",
			    "the file is larger than the server takes "
			    "(CHAT_UPLOAD_MAX)");
		}
		if (n == 0)
			f->type = file_type((unsigned char *)chunk, k);
		crypto_hash_sha256_update(&st, (unsigned char *)chunk, k);
		if (file_chunk_put(r->db, f->id, n++, chunk, k) == -1) {
			free(chunk);
			return refuse(r, f->id, 503, NULL, NULL);
		}
		f->size += (int64_t)k;
		if (k < want)
			break;
	}
	free(chunk);
	crypto_hash_sha256_final(&st, sha);
	if (f->size == 0)
		return refuse(r, f->id, 400, "empty", "the file is empty");
	if (cl >= 0 && f->size != cl)
		return refuse(r, f->id, 400, "bad_request",
		    "the body is not as long as Content-Length says");
	switch (file_over_quota(r->db, r->uid, f->size)) {
	case 1:
		return refuse(r, f->id, 413, "quota_exceeded", "your files "
		    "would take more room than you have (CHAT_UPLOAD_QUOTA)");
	case -1:
		return refuse(r, f->id, 503, NULL, NULL);
	}
	if (file_finish(r->db, f, sha) == -1)
		return refuse(r, f->id, 503, NULL, NULL);
	return 0;
}

/*
 * The query's name, w and h into f: the name cleaned (core_files.c), the
 * sizes clamped (they only keep an image's room before it loads).  0 or
 * -1.
 */
static int
upload_query(struct req *r, struct file *f)
{
	char	 raw[4 * CAP_FILE_NAME];
	int64_t	 w, h;
	int	 rc;

	if ((rc = http_query(r, "name", raw, sizeof(raw))) == -1 ||
	    http_query_int(r, "w", 0, &w) == -1 ||
	    http_query_int(r, "h", 0, &h) == -1)
		return -1;
	file_name_clean(rc == 1 ? raw : "", f->name, sizeof(f->name));
	f->width = (int)(w > CAP_FILE_PIXELS ? CAP_FILE_PIXELS : w);
	f->height = (int)(h > CAP_FILE_PIXELS ? CAP_FILE_PIXELS : h);
	return 0;
}

/*
 * POST /api/conversations/{id}/files?name=&w=&h=: the body is the file's
 * bytes (application/octet-stream, route.c), at most CHAT_UPLOAD_MAX;
 * members only.  Stored, then sent as a message of the conversation
 * (body: the file's name; kind "file", file {...}).  201 with the message.
 */
int
h_file_upload(struct req *r)
{
	struct send	 s = { 0 };
	struct file	 f = { 0 };
	struct buf	 fj = { 0 }, b = { 0 };
	struct msg	 m;
	enum msg_result	 rc;
	const char	*clp;
	char		*end;
	int64_t		 conv, cl = -1;
	int		 wait, st;

	if (http_path_id(r, 0, &conv) == -1 || upload_query(r, &f) == -1)
		return refuse(r, 0, 400, "bad_request",
		    "bad conversation id, name, w or h");
	clp = http_param(r, "CONTENT_LENGTH");
	if (clp != NULL && *clp != '\0' &&
	    ((cl = strtoll(clp, &end, 10)) < 0 || *end != '\0'))
		return refuse(r, 0, 400, "bad_request", "bad Content-Length");
	if (cl == -1 && r->fcgi == NULL)
		return refuse(r, 0, 411, "bad_request",
		    "send Content-Length");
	if (cl == 0)
		return refuse(r, 0, 400, "empty", "the file is empty");
	if (cl > conf.upload_max)
		return refuse(r, 0, 413, "too_large", "the file is larger "
		    "than the server takes (CHAT_UPLOAD_MAX)");
	if ((rc = msg_resolve_conv(r->db, r->uid, conv)) != MSG_OK)
		return refuse_conv(r, rc);
	switch (file_allowed(r->db, r->uid, cl > 0 ? cl : 0, &wait)) {
	case FILE_QUOTA:
		return refuse(r, 0, 413, "quota_exceeded", "your files "
		    "would take more room than you have (CHAT_UPLOAD_QUOTA)");
	case FILE_RATE:
		http_retry_after(r, wait);
		return refuse(r, 0, 429, "rate_limited",
		    "too many files this minute, try again later");
	case FILE_ERROR:
		return refuse(r, 0, 503, NULL, NULL);
	case FILE_ROOM:
		break;
	}
	f.conv = conv;
	if (file_begin(r->db, r->uid, &f) == -1)
		return refuse(r, 0, 503, NULL, NULL);
	if ((st = store_body(r, &f, cl)) != 0)
		return st;
	file_json(&fj, &f);
	buf_adds(&s.more, ",\"kind\":\"file\",\"file\":");
	buf_add(&s.more, fj.p, fj.len);
	msg_send_init(&s, r->uid, r->username, conv, f.cid, strlen(f.cid),
	    f.name, strlen(f.name));
	send_queued(r->db, &s);
	rc = msg_outcome(r->db, &s, &m);
	buf_free(&s.tail);
	buf_free(&s.more);
	if (rc != MSG_OK) {
		buf_free(&fj);
		free(m.body);
		if (file_drop(r->db, f.id) == -1)
			LOG("upload: file %lld left for the sweeper",
			    (long long)f.id);
		return refuse_conv(r, rc);
	}
	if (file_sent(r->db, f.id) == -1)
		LOG("upload: file %lld sent, not marked: the sweeper will",
		    (long long)f.id);
	msg_json(&b, &m, r->username, f.name, strlen(f.name), f.cid,
	    strlen(f.cid));
	msg_json_file(&b, fj.p);
	st = http_reply(r, 201, b.p, b.len);
	buf_free(&b);
	buf_free(&fj);
	return st;
}

/*
 * Content-Disposition for f (RFC 6266): inline for an image its bytes
 * say it is, attachment for anything else; the name as ASCII with
 * anything else a '_', and whole as filename* (UTF-8, percent-encoded).
 */
static void
disposition(struct req *r, const struct file *f, int inl)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 d = { 0 };
	const unsigned char	*p;

	buf_adds(&d, inl ? "inline; filename=\"" : "attachment; filename=\"");
	for (p = (const unsigned char *)f->name; *p != '\0'; p++)
		buf_addc(&d, *p < 0x20 || *p >= 0x7f || *p == '"' ||
		    *p == '\\' || *p == '%' ? '_' : (char)*p);
	buf_adds(&d, "\"; filename*=UTF-8''");
	for (p = (const unsigned char *)f->name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p))
			buf_addc(&d, (char)*p);
		else {
			buf_addc(&d, '%');
			buf_addc(&d, hex[*p >> 4]);
			buf_addc(&d, hex[*p & 15]);
		}
	}
	http_header(r, "Content-Disposition", d.p);
	buf_free(&d);
}

/*
 * The Range header (one range of bytes) against size into [*a, *b]: 1 a
 * range, 0 none (the whole file), -1 one that cannot be served (416).
 */
static int
range(struct req *r, int64_t size, int64_t *a, int64_t *b)
{
	const char	*v;
	char		*e;
	long long	 x, y;

	*a = 0;
	*b = size - 1;
	if ((v = http_param(r, "HTTP_RANGE")) == NULL)
		return 0;
	if (strncmp(v, "bytes=", 6) != 0 || strchr(v, ',') != NULL)
		return -1;
	v += 6;
	if (*v == '-') {		/* the last y bytes */
		y = strtoll(v + 1, &e, 10);
		if (e == v + 1 || *e != '\0' || y <= 0)
			return -1;
		*a = y >= size ? 0 : size - y;
		return 1;
	}
	x = strtoll(v, &e, 10);
	if (e == v || *e != '-' || x < 0 || x >= size)
		return -1;
	*a = x;
	v = e + 1;
	if (*v == '\0')
		return 1;
	y = strtoll(v, &e, 10);
	if (e == v || *e != '\0' || y < x)
		return -1;
	*b = y >= size ? size - 1 : y;
	return 1;
}

/*
 * GET /api/files/{id}: the file's bytes, to the members of its
 * conversation only (anyone else: 404, as for no such file).  Streamed
 * chunk by chunk; Range: bytes=a-b answers 206 (one range; 416 when it
 * cannot be served).  nosniff; inline only for PNG, JPEG, GIF and WebP
 * by their bytes, served as that type; anything else an attachment of
 * type application/octet-stream.
 */
int
h_file_get(struct req *r)
{
	struct file	 f;
	struct buf	 c = { 0 };
	const char	*m;
	char		 v[80];
	int64_t		 id, a, b, n, off, len;
	int		 rc, rg, st, inl;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 404, "not_found", "no such file");
	if ((rc = file_open(r->db, r->uid, id, &f)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "no such file");
	inl = strcmp(f.type, "application/octet-stream") != 0;
	http_header(r, "Accept-Ranges", "bytes");
	if ((rg = range(r, f.size, &a, &b)) == -1) {
		snprintf(v, sizeof(v), "bytes */%lld", (long long)f.size);
		http_header(r, "Content-Range", v);
		return http_fail(r, 416, "bad_range",
		    "give one range of bytes within the file");
	}
	disposition(r, &f, inl);
	if (rg == 1) {
		snprintf(v, sizeof(v), "bytes %lld-%lld/%lld", (long long)a,
		    (long long)b, (long long)f.size);
		http_header(r, "Content-Range", v);
	}
	st = http_stream_begin(r, rg == 1 ? 206 : 200, f.type,
	    "private, max-age=86400", b - a + 1);
	if ((m = http_param(r, "REQUEST_METHOD")) != NULL &&
	    strcmp(m, "HEAD") == 0)
		return st;
	/* A chunk gone meanwhile (the file removed) ends the body short. */
	for (n = a / CAP_FILE_CHUNK; n <= b / CAP_FILE_CHUNK; n++) {
		if (file_chunk_get(r->db, id, n, &c) != 1)
			break;
		off = n == a / CAP_FILE_CHUNK ? a % CAP_FILE_CHUNK : 0;
		len = (int64_t)c.len - off;
		if (n == b / CAP_FILE_CHUNK)
			len = b % CAP_FILE_CHUNK - off + 1;
		if (len <= 0 || off + len > (int64_t)c.len)
			break;
		http_stream_put(r, c.p + off, (size_t)len);
	}
	buf_free(&c);
	return st;
}
