/*
 * http_reply.c: answering a request.  The status line and headers, a JSON
 * or binary body, the contract's error JSON (http_fail and its kinds), and
 * the slimmed answer of a request that waited (a parked poll, a queued
 * send): libfcgi's request freed, the answer written as FastCGI records
 * here.  In CGI mode (no FastCGI) the answer goes to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fastcgi.h>

#include "caps.h"
#include "db.h"
#include "db_pool.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"

static const char *
reason(int st)
{
	switch (st) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default:  return "Status";
	}
}

/*
 * Keep only what answering r needs, for a request that is going to wait
 * (a parked poll).  libfcgi's request holds three streams with 16.5 KB of
 * buffers and each parameter lighttpd sent in a malloc of its own: most
 * of what a parked poll costs (10,000 of them took chatd to ~120 MB).
 * They are freed here, with the query and the client address, which
 * nothing reads after a poll parks; the answer is gathered in slim_out
 * and written as FastCGI records by http_slim_end().  The body, the path
 * and the session stay.
 */
void
http_slim(struct req *r)
{
	FCGX_Request	*f = r->fcgi;

	if (f == NULL || r->slim)
		return;
	r->slim = 1;
	r->slim_fd = f->ipcFd;
	r->slim_id = f->requestId;
	f->ipcFd = -1;
	FCGX_Free(f, 0);
	r->in = r->out = NULL;
	r->envp = NULL;
	r->query = "";
	r->addr = "-";
}

static void
fcgi_header(struct buf *b, int type, int id, size_t len)
{
	unsigned char	 h[FCGI_HEADER_LEN] = {
		FCGI_VERSION_1, (unsigned char)type,
		(unsigned char)(id >> 8), (unsigned char)id,
		(unsigned char)(len >> 8), (unsigned char)len, 0, 0
	};

	buf_add(b, h, sizeof(h));
}

/*
 * Finish a slimmed request: its answer as FCGI_STDOUT records, the empty
 * one that ends the stream and FCGI_END_REQUEST (what libfcgi's
 * FCGX_Finish_r writes), then close.  Nothing is buffered against the
 * connection: a peer that has gone is only an EPIPE.
 */
void
http_slim_end(struct req *r)
{
	static const unsigned char	 end[8];	/* status 0, complete */
	struct buf	 b = { 0 };
	size_t		 off, n;
	ssize_t		 w;

	if (!r->slim || r->slim_fd < 0)
		return;
	for (off = 0; off < r->slim_out.len; off += n) {
		n = r->slim_out.len - off;
		if (n > FCGI_MAX_LENGTH)
			n = FCGI_MAX_LENGTH;
		fcgi_header(&b, FCGI_STDOUT, r->slim_id, n);
		buf_add(&b, r->slim_out.p + off, n);
	}
	fcgi_header(&b, FCGI_STDOUT, r->slim_id, 0);
	fcgi_header(&b, FCGI_END_REQUEST, r->slim_id, sizeof(end));
	buf_add(&b, end, sizeof(end));
	for (off = 0; off < b.len; off += (size_t)w)
		if ((w = write(r->slim_fd, b.p + off, b.len - off)) < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			break;
		}
	buf_free(&b);
	close(r->slim_fd);
	r->slim_fd = -1;
}

/* Add a response header; both strings are trusted (no CR/LF). */
void
http_header(struct req *r, const char *name, const char *value)
{
	buf_adds(&r->hdr, name);
	buf_adds(&r->hdr, ": ");
	buf_adds(&r->hdr, value);
	buf_adds(&r->hdr, "\r\n");
}

static void
http_write(struct req *r, const char *p, size_t n)
{
	if (r->slim)
		buf_add(&r->slim_out, p, n);
	else if (r->out != NULL)
		FCGX_PutStr(p, (int)n, r->out);
	else
		fwrite(p, 1, n, stdout);
}

/*
 * Send status st with a body of content type type (body NULL: none) and
 * Cache-Control cache.  Returns st.
 */
static int
reply(struct req *r, int st, const char *type, const char *cache,
    const char *body, size_t len)
{
	struct buf	 h = { 0 };

	if (r->status != 0)
		return r->status;	/* answered already */
	r->status = st;
	buf_addf(&h, "Status: %d %s\r\n", st, reason(st));
	if (body != NULL)
		buf_addf(&h, "Content-Type: %s\r\n", type);
	buf_addf(&h, "Cache-Control: %s\r\n", cache);
	if (r->hdr.len)
		buf_add(&h, r->hdr.p, r->hdr.len);
	if (body != NULL)
		buf_addf(&h, "Content-Length: %zu\r\n", len);
	buf_adds(&h, "\r\n");
	http_write(r, h.p, h.len);
	if (body != NULL && len)
		http_write(r, body, len);
	buf_free(&h);
	if (r->out == NULL && !r->slim)
		fflush(stdout);
	return st;
}

/*
 * Send status st with a JSON body (NULL: none), never kept by a cache.
 * Returns st, so a handler can `return http_reply(...)`.
 */
int
http_reply(struct req *r, int st, const char *body, size_t len)
{
	return reply(r, st, "application/json", "no-store", body, len);
}

/*
 * Send 200 with len bytes of body of content type type (a trusted constant,
 * e.g. "image/png"), kept by caches for a year: only for answers that
 * never change under their URL (a picture named by its content hash).
 * Browsers must not guess another type (nosniff).  Returns 200.
 */
int
http_reply_immutable(struct req *r, const char *type, const char *body,
    size_t len)
{
	http_header(r, "X-Content-Type-Options", "nosniff");
	return reply(r, 200, type, "public, max-age=31536000, immutable",
	    body, len);
}

/*
 * Begin an answer of status st whose len bytes of body follow in pieces
 * (http_stream_put): a download, never held whole in memory.  type and
 * cache are trusted constants; nosniff is always said.  Returns st.
 */
int
http_stream_begin(struct req *r, int st, const char *type,
    const char *cache, int64_t len)
{
	struct buf	 h = { 0 };

	if (r->status != 0)
		return r->status;
	r->status = st;
	buf_addf(&h, "Status: %d %s\r\n", st, reason(st));
	buf_addf(&h, "Content-Type: %s\r\n", type);
	buf_addf(&h, "Cache-Control: %s\r\n", cache);
	buf_adds(&h, "X-Content-Type-Options: nosniff\r\n");
	if (r->hdr.len)
		buf_add(&h, r->hdr.p, r->hdr.len);
	buf_addf(&h, "Content-Length: %lld\r\n\r\n", (long long)len);
	http_write(r, h.p, h.len);
	buf_free(&h);
	return st;
}

/*
 * n more bytes of a streamed answer, handed on at once (libfcgi keeps
 * only its 8 KB buffer; lighttpd and Apache take it from there).
 */
void
http_stream_put(struct req *r, const char *p, size_t n)
{
	http_write(r, p, n);
	if (r->out != NULL)
		FCGX_FFlush(r->out);
	else if (!r->slim)
		fflush(stdout);
}

/* Answer with a json-c object, which is released. */
int
http_reply_json(struct req *r, int st, struct json_object *o)
{
	const char	*s;
	size_t		 n;
	int		 rc;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	rc = http_reply(r, st, s, n);
	json_object_put(o);
	return rc;
}

/* The contract's error answer: {"error":{"code":...,"message":...}}. */
int
http_fail(struct req *r, int st, const char *code, const char *msg)
{
	return http_fail_field(r, st, code, msg, NULL);
}

/*
 * http_fail naming the request's field it is about ("field", when not
 * NULL): the message is written for a person and need not name it.
 */
int
http_fail_field(struct req *r, int st, const char *code, const char *msg,
    const char *field)
{
	struct buf	 b = { 0 };
	int		 rc;

	buf_adds(&b, "{\"error\":{\"code\":");
	buf_json_str(&b, code, strlen(code));
	buf_adds(&b, ",\"message\":");
	buf_json_str(&b, msg, strlen(msg));
	if (field != NULL) {
		buf_adds(&b, ",\"field\":");
		buf_json_str(&b, field, strlen(field));
	}
	buf_adds(&b, "}}");
	rc = http_reply(r, st, b.p, b.len);
	buf_free(&b);
	return rc;
}

/* The database failed: 503 busy or unavailable; the client may try again. */
int
http_fail_db(struct req *r)
{
	/*
	 * A deadlock, a lock wait or a Galera certification conflict (1213)
	 * in the handler's own thread, nothing sent yet: route.c rolls back
	 * and runs the handler again (CAP_TX_TRIES in all).  Not from a
	 * thread that answers for it later (a parked poll, a queued send,
	 * whose batch retried and logged on its own): those, and the last
	 * try, are 503 busy.
	 */
	if (r->db != NULL && db_is_retry(r->db)) {
		if (r->status == 0 && !r->slim &&
		    pthread_equal(r->tx_thread, pthread_self())) {
			if (r->tx_left > 0) {
				r->tx_again = 1;
				return 503;
			}
			LOG("%s: lost a deadlock or a certification conflict "
			    "%d times (error %u): answered 503 busy", r->path,
			    CAP_TX_TRIES, db_errno(r->db));
		}
		http_header(r, "Retry-After", "1");
		return http_fail(r, 503, "busy",
		    "the server is busy, try again in a moment");
	}
	if (r->db != NULL && db_is_busy(r->db)) {
		/* Up, but no connection for us: CHAT_DB_CONNS or the
		 * account's limit (db_pool.c logged which). */
		http_header(r, "Retry-After", "2");
		return http_fail(r, 503, "busy",
		    "the server is busy, try again in a moment");
	}
	http_header(r, "Retry-After", "1");
	return http_fail(r, 503, "unavailable",
	    "the database is unavailable, try again");
}

/* A Retry-After header of after seconds (at least 1). */
void
http_retry_after(struct req *r, int after)
{
	char	 v[16];

	snprintf(v, sizeof(v), "%d", after < 1 ? 1 : after);
	http_header(r, "Retry-After", v);
}

/* 429 with Retry-After in seconds. */
int
http_fail_rate(struct req *r, int after)
{
	http_retry_after(r, after);
	return http_fail(r, 429, "rate_limited",
	    "too many attempts, try again later");
}
