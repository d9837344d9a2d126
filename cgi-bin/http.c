/*
 * http.c: reading a request.  The CGI/FastCGI variables, the path, the
 * query, the cookies and a body capped at CAP_BODY; JSON parsed with json-c
 * in strict mode with UTF-8 checked, and checked against a field table;
 * the path parameters the route found.  Rejections are answered with
 * http_reply.c.  In CGI mode (no FastCGI) the body comes from stdin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

const char *
http_param(struct req *r, const char *name)
{
	const char	*v;

	if (r->envp == NULL)
		return NULL;
	v = FCGX_GetParam(name, r->envp);
	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into a new string ('+' is a space when plus
 * is set: query strings); NULL when an escape is malformed or decodes to NUL.
 */
static char *
pct_decode(const char *s, size_t n, int plus)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	o = out = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = plus && s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (i + 2 >= n) {
			free(out);
			return NULL;
		}
		if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0 ||
		    (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

/* Set up r from the request's parameters; the body is read later. */
void
http_init(struct req *r, FCGX_Request *f, char **envp)
{
	const char	*m, *uri, *q, *https;
	size_t		 n;

	memset(r, 0, sizeof(*r));
	r->fcgi = f;
	if (f != NULL) {
		r->in = f->in;
		r->out = f->out;
		r->envp = f->envp;
	} else
		r->envp = envp;
	m = http_param(r, "REQUEST_METHOD");
	if (m == NULL)
		m = "";
	r->method = strcmp(m, "GET") == 0 ? M_GET :
	    strcmp(m, "HEAD") == 0 ? M_GET :
	    strcmp(m, "POST") == 0 ? M_POST :
	    strcmp(m, "PATCH") == 0 ? M_PATCH :
	    strcmp(m, "DELETE") == 0 ? M_DELETE : M_OTHER;
	if ((uri = http_param(r, "REQUEST_URI")) == NULL)
		uri = "/";
	if ((q = strchr(uri, '?')) != NULL) {
		n = (size_t)(q - uri);
		r->query = q + 1;
	} else {
		n = strlen(uri);
		r->query = "";
	}
	if ((r->uri_long = n > CAP_PATH || strlen(r->query) > CAP_QUERY))
		r->path = xstrdup("/");	/* answered as 414 */
	else if ((r->path = pct_decode(uri, n, 0)) == NULL)
		r->path = xstrdup("/");
	if ((r->addr = http_param(r, "REMOTE_ADDR")) == NULL)
		r->addr = "-";
	https = http_param(r, "HTTPS");
	r->https = https != NULL && strcasecmp(https, "on") == 0;
}

void
http_free(struct req *r)
{
	int	 i;

	free(r->path);
	free(r->body);
	if (r->json != NULL)
		json_object_put(r->json);
	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	buf_free(&r->hdr);
	buf_free(&r->slim_out);
	r->path = r->body = NULL;
	r->json = NULL;
	r->nparams = 0;
}

/*
 * Read and drop a request body not wanted, to its end (at most what
 * lighttpd lets through, server.max-request-size, and a little): answered
 * and closed with input unread, the connection was reset under lighttpd,
 * which logged "connection was dropped" and sent the request again.
 */
void
http_drain(struct req *r)
{
	char		 sink[16384];
	const char	*cl;
	long long	 n = 2 * 1024 * 1024;
	int		 k;

	if (r->in == NULL) {	/* CGI: only what Content-Length says */
		cl = http_param(r, "CONTENT_LENGTH");
		if (cl == NULL || (n = strtoll(cl, NULL, 10)) <= 0 ||
		    n > 2 * 1024 * 1024)
			return;
	}
	while (n > 0) {
		if (r->in != NULL)
			k = FCGX_GetStr(sink, (int)sizeof(sink), r->in);
		else if (r->fcgi == NULL)
			k = (int)fread(sink, 1, n < (long long)sizeof(sink) ?
			    (size_t)n : sizeof(sink), stdin);
		else
			k = 0;
		if (k <= 0)
			break;
		n -= k;
	}
}

/*
 * Read the body, at most CAP_BODY bytes.  Returns 0, or the status already
 * sent (413 when larger).
 */
int
http_read_body(struct req *r)
{
	const char	*cl;
	char		*end;
	long long	 want;
	size_t		 got;
	int		 n;

	cl = http_param(r, "CONTENT_LENGTH");
	want = cl != NULL && *cl != '\0' ? strtoll(cl, &end, 10) : 0;
	if (want < 0)
		return http_fail(r, 400, "bad_request", "bad Content-Length");
	if (want > CAP_BODY) {
		http_drain(r);
		return http_fail(r, 413, "too_large",
		    "request body is larger than 64 KiB");
	}
	r->body = xmalloc((size_t)want + 1);
	got = 0;
	while (got < (size_t)want) {
		if (r->in != NULL)
			n = FCGX_GetStr(r->body + got, (int)(want - got), r->in);
		else if (r->fcgi == NULL)	/* CGI; never after http_slim */
			n = (int)fread(r->body + got, 1, want - got, stdin);
		else
			n = 0;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->bodylen = got;
	if (got != (size_t)want)
		return http_fail(r, 400, "bad_request", "short request body");
	return 0;
}

/*
 * Read up to n bytes of the body into p, for a route whose handler reads
 * the body itself, piece by piece (an upload, R_STREAM): how many came,
 * fewer than n only at its end.  In CGI mode the caller asks for no more
 * than Content-Length says is left (stdin may stay open).
 */
size_t
http_body_read(struct req *r, char *p, size_t n)
{
	size_t	 got = 0;
	int	 k;

	while (got < n) {
		if (r->in != NULL)
			k = FCGX_GetStr(p + got, n - got > 1 << 20 ? 1 << 20 :
			    (int)(n - got), r->in);
		else if (r->fcgi == NULL)
			k = (int)fread(p + got, 1, n - got, stdin);
		else
			k = 0;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

/*
 * Read and drop what is left of a body a handler reads itself (an upload
 * refused): to its end, which lighttpd's server.max-request-size bounds
 * (see http_drain), or in CGI mode to what Content-Length says.
 */
void
http_body_drop(struct req *r)
{
	char		 sink[16384];
	const char	*cl;
	long long	 left = 1LL << 30;
	size_t		 k;

	if (r->fcgi == NULL && r->in == NULL) {
		cl = http_param(r, "CONTENT_LENGTH");
		if (cl == NULL || (left = strtoll(cl, NULL, 10)) <= 0)
			return;
	}
	while (left > 0 && (k = http_body_read(r, sink, left <
	    (long long)sizeof(sink) ? (size_t)left : sizeof(sink))) > 0)
		left -= (long long)k;
}

/* The UTF-16 code unit of the \uXXXX escape at s (6 bytes), or -1. */
static long
json_u_escape(const char *s, size_t n)
{
	long	 v = 0;
	size_t	 i;

	if (n < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			v |= (s[i] | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * What json-c lets through in strict mode but RFC 8259 does not: raw
 * control characters in strings, single quotes, and bare words other than
 * true, false and null (NaN, Infinity).  1 when s has none of them, 0
 * when it has; -1 for a \u escape of a lone surrogate, which is no
 * character (json-c would store U+FFFD: not the text as sent).
 */
int
http_json_ok(const char *s, size_t n)
{
	size_t	 i, k;
	long	 u;
	int	 in = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (in) {
			if (c < 0x20)
				return 0;
			if (c == '\\') {
				u = json_u_escape(s + i, n - i);
				if (u >= 0xdc00 && u <= 0xdfff)
					return -1;	/* low half alone */
				if (u >= 0xd800 && u <= 0xdbff) {
					u = json_u_escape(s + i + 6,
					    n - i - 6);
					if (u < 0xdc00 || u > 0xdfff)
						return -1;
					i += 6;		/* the pair */
				}
				i++;
			} else if (c == '"')
				in = 0;
			continue;
		}
		if (c == '"')
			in = 1;
		else if (c == '\'')
			return 0;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			for (k = i; k < n && ((s[k] >= 'a' && s[k] <= 'z') ||
			    (s[k] >= 'A' && s[k] <= 'Z')); k++)
				;
			/* An exponent follows a digit: 1e5, 2E-3. */
			if (k - i == 1 && (c == 'e' || c == 'E') && i > 0 &&
			    s[i - 1] >= '0' && s[i - 1] <= '9') {
				i = k - 1;
				continue;
			}
			if (!((k - i == 4 && (strncmp(s + i, "true", 4) == 0 ||
			    strncmp(s + i, "null", 4) == 0)) ||
			    (k - i == 5 && strncmp(s + i, "false", 5) == 0)))
				return 0;
			i = k - 1;
		}
	}
	return 1;
}

/*
 * Parse the body as one JSON object.  An empty body counts as {}.  Returns 0
 * or the status already sent.
 */
int
http_parse_json(struct req *r)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	int			 ok;

	if (r->bodylen == 0) {
		r->json = json_object_new_object();
		return 0;
	}
	if (!valid_utf8(r->body, r->bodylen))
		return http_fail(r, 400, "bad_request",
		    "request body is not valid UTF-8");
	if ((ok = http_json_ok(r->body, r->bodylen)) != 1)
		return http_fail(r, 400, "bad_request", ok == 0 ?
		    "request body is not valid JSON" : "request body has a "
		    "\\u escape of a lone surrogate, which is no character");
	/* json-c counts the depth from 0: allow CAP_JSON_DEPTH levels. */
	tok = json_tokener_new_ex(CAP_JSON_DEPTH + 1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, r->body, (int)r->bodylen);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != r->bodylen) {
		json_tokener_free(tok);
		json_object_put(o);
		return http_fail(r, 400, "bad_request",
		    "request body is not valid JSON");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return http_fail(r, 400, "bad_request",
		    "request body must be a JSON object");
	}
	r->json = o;
	return 0;
}

/*
 * Check r's JSON body against the n fields of table f (valid_fields):
 * out[i] receives field i, borrowed from the body.  Returns 0, or the 400
 * already sent naming the first bad field.
 */
int
http_fields(struct req *r, const struct field *f, size_t n, struct fval *out)
{
	char	 why[128], again[128];
	size_t	 i;

	if (valid_fields(r->json, f, n, out, why, sizeof(why)))
		return 0;
	/* Which field, for programs: the message is for people. */
	for (i = 0; i < n; i++)
		if (!valid_fields(r->json, f + i, 1, out + i, again,
		    sizeof(again)))
			break;
	return http_fail_field(r, 400, "bad_request", why,
	    i < n ? f[i].name : NULL);
}

/*
 * The value of cookie name, borrowed from HTTP_COOKIE (not NUL-terminated:
 * its length is in *len), or NULL.
 */
const char *
http_cookie(struct req *r, const char *name, size_t *len)
{
	const char	*c, *end;
	size_t		 nl;

	if ((c = http_param(r, "HTTP_COOKIE")) == NULL)
		return NULL;
	nl = strlen(name);
	while (*c != '\0') {
		while (*c == ' ' || *c == ';')
			c++;
		end = c + strcspn(c, ";");
		if ((size_t)(end - c) > nl && strncmp(c, name, nl) == 0 &&
		    c[nl] == '=') {
			*len = (size_t)(end - c) - nl - 1;
			return c + nl + 1;
		}
		c = end;
	}
	return NULL;
}

/*
 * Copy the decoded value of query parameter name into out (size sz).
 * Returns 1 found, 0 absent, -1 malformed or too long.
 */
int
http_query(struct req *r, const char *name, char *out, size_t sz)
{
	const char	*q, *end, *eq;
	size_t		 nl;
	char		*v;

	nl = strlen(name);
	for (q = r->query; *q != '\0'; q = *end ? end + 1 : end) {
		end = q + strcspn(q, "&");
		eq = memchr(q, '=', (size_t)(end - q));
		if (eq == NULL || (size_t)(eq - q) != nl ||
		    strncmp(q, name, nl) != 0)
			continue;
		if ((v = pct_decode(eq + 1, (size_t)(end - eq - 1), 1)) == NULL)
			return -1;
		if (strlen(v) + 1 > sz) {
			free(v);
			return -1;
		}
		strcpy(out, v);
		free(v);
		return 1;
	}
	return 0;
}

/*
 * Query parameter name as a non-negative integer: 1 found, 0 absent (then
 * *out = def), -1 malformed.
 */
int
http_query_int(struct req *r, const char *name, int64_t def, int64_t *out)
{
	char	 v[24];
	int	 rc;

	*out = def;
	if ((rc = http_query(r, name, v, sizeof(v))) <= 0)
		return rc;
	if (!valid_uint(v, out))
		return -1;
	return 1;
}

/* Path parameter i (a {name} of the route), or "" when absent. */
const char *
http_path(struct req *r, int i)
{
	return i < r->nparams ? r->params[i] : "";
}

/* Path parameter i as an id: 0, or -1 when absent or out of range. */
int
http_path_id(struct req *r, int i, int64_t *out)
{
	if (i >= r->nparams || !valid_uint(r->params[i], out))
		return -1;
	return 0;
}
