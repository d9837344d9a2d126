/*
 * test_http.c: the request layer in CGI mode.  Percent-decoding, the
 * path/query split of http_init, cookies (names that merely end or start
 * like "sid"), query parameters, the 64 KiB body cap (413) and strict JSON
 * (not JSON, trailing garbage, not an object, bad UTF-8, nesting > 8), and
 * the contract's error JSON that each rejection writes.
 */
#include "../../cgi-bin/http.c"

#include "unit.h"

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

/* http_init over a NULL-terminated environment (plain CGI). */
static void
req_env(struct req *r, char **env)
{
	http_init(r, NULL, env);
}

START_TEST(t_pct_decode)
{
	const struct {
		int		 line;
		const char	*in;
		size_t		 n;
		int		 plus;
		const char	*want;	/* NULL: refused */
	} t[] = {
		{ __LINE__, S(""), 0, "" },
		{ __LINE__, S("abc"), 0, "abc" },
		{ __LINE__, S("a%20b"), 0, "a b" },
		{ __LINE__, S("%41%42"), 0, "AB" },
		{ __LINE__, S("%2f%2F"), 0, "//" },
		{ __LINE__, S("ab%41"), 0, "abA" },	/* escape at the end */
		{ __LINE__, S("%c3%a9"), 0, "\xc3\xa9" },
		{ __LINE__, S("%25"), 0, "%" },
		{ __LINE__, S("%2525"), 0, "%25" },	/* decoded once */
		{ __LINE__, S("a+b"), 0, "a+b" },	/* paths keep '+' */
		{ __LINE__, S("a+b"), 1, "a b" },	/* queries: space */
		{ __LINE__, S("a%2Bb"), 1, "a+b" },
		{ __LINE__, S("%"), 0, NULL },
		{ __LINE__, S("%4"), 0, NULL },
		{ __LINE__, S("ab%4"), 0, NULL },
		{ __LINE__, S("%zz"), 0, NULL },
		{ __LINE__, S("%g1"), 0, NULL },
		{ __LINE__, S("%1g"), 0, NULL },
		{ __LINE__, S("% 1"), 0, NULL },
		{ __LINE__, S("%00"), 0, NULL },	/* no NUL inside */
		{ __LINE__, S("a%00b"), 1, NULL },
		{ __LINE__, S("%41%"), 0, NULL },
		/* n bounds the input: the "%41" after it is not read. */
		{ __LINE__, "ab%41", 2, 0, "ab" },
		{ __LINE__, "a%41", 2, 0, NULL },
	};
	size_t	 i;
	char	*got;

	for (i = 0; i < NROWS(t); i++) {
		got = pct_decode(t[i].in, t[i].n, t[i].plus);
		if (t[i].want == NULL)
			check_row(t[i].line, "pct_decode refuses", t[i].in,
			    t[i].n, got == NULL, 1);
		else
			check_row(t[i].line, "pct_decode", t[i].in, t[i].n,
			    got != NULL && strcmp(got, t[i].want) == 0, 1);
		free(got);
	}
	unit_end();
}
END_TEST

START_TEST(t_init)
{
	const struct {
		int		 line;
		const char	*method;	/* NULL: unset */
		const char	*uri;		/* NULL: unset */
		int		 want_method;
		const char	*path, *query;
	} t[] = {
		{ __LINE__, "GET", "/api/me", M_GET, "/api/me", "" },
		{ __LINE__, "HEAD", "/api/health", M_GET, "/api/health", "" },
		{ __LINE__, "POST", "/api/login", M_POST, "/api/login", "" },
		{ __LINE__, "PATCH", "/api/me", M_PATCH, "/api/me", "" },
		{ __LINE__, "DELETE", "/api/match", M_DELETE, "/api/match", "" },
		{ __LINE__, "PUT", "/api/me", M_OTHER, "/api/me", "" },
		{ __LINE__, "get", "/api/me", M_OTHER, "/api/me", "" },
		{ __LINE__, NULL, "/api/me", M_OTHER, "/api/me", "" },
		{ __LINE__, "GET", NULL, M_GET, "/", "" },
		{ __LINE__, "GET", "/api/poll?timeout=5&ack=1,2", M_GET,
		    "/api/poll", "timeout=5&ack=1,2" },
		{ __LINE__, "GET", "/api/poll?", M_GET, "/api/poll", "" },
		{ __LINE__, "GET", "/a?b?c", M_GET, "/a", "b?c" },
		{ __LINE__, "GET", "/api/users/a%2Eb", M_GET,
		    "/api/users/a.b", "" },
		{ __LINE__, "GET", "/api/users/x?q=%2F", M_GET,
		    "/api/users/x", "q=%2F" },	/* the query stays raw */
		{ __LINE__, "GET", "/api/users/a+b", M_GET,
		    "/api/users/a+b", "" },
		{ __LINE__, "GET", "/api/users/%00x", M_GET, "/", "" },
		{ __LINE__, "GET", "/api/users/%zz", M_GET, "/", "" },
	};
	char		 m[64], u[256];
	char		*env[4];
	struct req	 r;
	size_t		 i;
	int		 k;

	for (i = 0; i < NROWS(t); i++) {
		k = 0;
		if (t[i].method != NULL) {
			snprintf(m, sizeof(m), "REQUEST_METHOD=%s", t[i].method);
			env[k++] = m;
		}
		if (t[i].uri != NULL) {
			snprintf(u, sizeof(u), "REQUEST_URI=%s", t[i].uri);
			env[k++] = u;
		}
		env[k] = NULL;
		req_env(&r, env);
		check_row(t[i].line, "method", u, strlen(u), r.method,
		    t[i].want_method);
		check_row(t[i].line, "path", u, strlen(u),
		    strcmp(r.path, t[i].path) == 0, 1);
		if (strcmp(r.path, t[i].path) != 0)
			fprintf(stderr, "    path is \"%s\"\n", r.path);
		check_row(t[i].line, "query", u, strlen(u),
		    strcmp(r.query, t[i].query) == 0, 1);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/* "REQUEST_URI=/ppp...?qqq...": a path of plen bytes, a query of qlen. */
static char *
long_uri(size_t plen, size_t qlen)
{
	struct buf	 b = { 0 };
	size_t		 i;

	buf_adds(&b, "REQUEST_URI=/");
	for (i = 1; i < plen; i++)
		buf_addc(&b, 'p');
	if (qlen > 0) {
		buf_addc(&b, '?');
		for (i = 0; i < qlen; i++)
			buf_addc(&b, 'q');
	}
	return b.p;
}

START_TEST(t_init_caps)
{
	const struct {
		int	 line;
		size_t	 plen, qlen;
		int	 kept;		/* 0: the path becomes "/" (404) */
	} t[] = {
		{ __LINE__, CAP_PATH, 0, 1 },
		{ __LINE__, CAP_PATH + 1, 0, 0 },
		{ __LINE__, 100000, 0, 0 },
		{ __LINE__, 10, CAP_QUERY, 1 },
		{ __LINE__, 10, CAP_QUERY + 1, 0 },
		{ __LINE__, CAP_PATH, CAP_QUERY, 1 },
	};
	char		*env[5];
	struct req	 r;
	size_t		 i;

	for (i = 0; i < NROWS(t); i++) {
		env[0] = "REQUEST_METHOD=GET";
		env[1] = long_uri(t[i].plen, t[i].qlen);
		env[2] = NULL;
		req_env(&r, env);
		if (t[i].kept) {
			check_row(t[i].line, "path kept", env[1], strlen(env[1]),
			    strlen(r.path), t[i].plen);
			check_row(t[i].line, "query kept", env[1],
			    strlen(env[1]), strlen(r.query), t[i].qlen);
		} else
			check_row(t[i].line, "too long: path /", env[1],
			    strlen(env[1]), strcmp(r.path, "/") == 0, 1);
		http_free(&r);
		free(env[1]);
	}
	unit_end();

	/* Client address and HTTPS. */
	env[0] = "REQUEST_METHOD=GET";
	env[1] = "REQUEST_URI=/";
	env[2] = "REMOTE_ADDR=192.0.2.7";
	env[3] = "HTTPS=on";
	env[4] = NULL;
	req_env(&r, env);
	ck_assert_str_eq(r.addr, "192.0.2.7");
	ck_assert_int_eq(r.https, 1);
	http_free(&r);
	env[2] = "HTTPS=off";
	env[3] = NULL;
	req_env(&r, env);
	ck_assert_str_eq(r.addr, "-");
	ck_assert_int_eq(r.https, 0);
	http_free(&r);
}
END_TEST

START_TEST(t_cookie)
{
	const struct {
		int		 line;
		const char	*header;	/* NULL: no Cookie header */
		const char	*name;
		const char	*want;		/* NULL: absent */
	} t[] = {
		{ __LINE__, "sid=abc", "sid", "abc" },
		{ __LINE__, "sid=abc; theme=dark", "sid", "abc" },
		{ __LINE__, "theme=dark; sid=abc", "sid", "abc" },
		{ __LINE__, "theme=dark;sid=abc;lang=en", "sid", "abc" },
		{ __LINE__, "xsid=bad; sid=good", "sid", "good" },
		{ __LINE__, "sidx=bad; sid=good", "sid", "good" },
		{ __LINE__, "sid_old=bad; my-sid=bad; sid=good", "sid", "good" },
		{ __LINE__, "xsid=bad", "sid", NULL },
		{ __LINE__, "sidx=bad", "sid", NULL },
		{ __LINE__, "sid2=bad; asid=bad", "sid", NULL },
		{ __LINE__, "a=1; b=sid=bad", "sid", NULL },	/* in a value */
		{ __LINE__, "SID=bad", "sid", NULL },	/* names are exact */
		{ __LINE__, "sid", "sid", NULL },
		{ __LINE__, "", "sid", NULL },
		{ __LINE__, NULL, "sid", NULL },
		{ __LINE__, "sid=", "sid", "" },
		{ __LINE__, "sid=first; sid=second", "sid", "first" },
		{ __LINE__, "xsid=bad; sid=good", "xsid", "bad" },
		{ __LINE__, "theme=dark; sid=abc", "theme", "dark" },
		{ __LINE__, "sid=a=b", "sid", "a=b" },
	};
	char		 h[256];
	char		*env[2];
	const char	*v;
	struct req	 r;
	size_t		 i, len;

	for (i = 0; i < NROWS(t); i++) {
		env[0] = NULL;
		if (t[i].header != NULL) {
			snprintf(h, sizeof(h), "HTTP_COOKIE=%s", t[i].header);
			env[0] = h;
		}
		env[1] = NULL;
		req_env(&r, env);
		len = 12345;
		v = http_cookie(&r, t[i].name, &len);
		if (t[i].want == NULL)
			check_row(t[i].line, "http_cookie absent", h,
			    strlen(h), v == NULL, 1);
		else
			check_row(t[i].line, "http_cookie", h, strlen(h),
			    v != NULL && len == strlen(t[i].want) &&
			    memcmp(v, t[i].want, len) == 0, 1);
		http_free(&r);
	}
	unit_end();
}
END_TEST

START_TEST(t_query)
{
	const struct {
		int		 line;
		const char	*query;
		const char	*name;
		size_t		 sz;
		int		 want;
		const char	*value;
	} t[] = {
		{ __LINE__, "a=1&b=2", "b", 16, 1, "2" },
		{ __LINE__, "a=1&b=2", "a", 16, 1, "1" },
		{ __LINE__, "ab=1&a=2", "a", 16, 1, "2" },
		{ __LINE__, "ba=1&a=2", "a", 16, 1, "2" },
		{ __LINE__, "xa=1", "a", 16, 0, NULL },
		{ __LINE__, "a=1&a=2", "a", 16, 1, "1" },
		{ __LINE__, "a=", "a", 16, 1, "" },
		{ __LINE__, "a", "a", 16, 0, NULL },
		{ __LINE__, "a&a=3", "a", 16, 1, "3" },
		{ __LINE__, "=1", "a", 16, 0, NULL },
		{ __LINE__, "", "a", 16, 0, NULL },
		{ __LINE__, "&&a=1&&", "a", 16, 1, "1" },
		{ __LINE__, "a=x%20y", "a", 16, 1, "x y" },
		{ __LINE__, "a=x+y", "a", 16, 1, "x y" },
		{ __LINE__, "a=x%2By", "a", 16, 1, "x+y" },
		{ __LINE__, "a=%26b%3D", "a", 16, 1, "&b=" },
		{ __LINE__, "a=%zz", "a", 16, -1, NULL },
		{ __LINE__, "a=%00", "a", 16, -1, NULL },
		{ __LINE__, "a=%4", "a", 16, -1, NULL },
		{ __LINE__, "a=123456789012345", "a", 16, 1, "123456789012345" },
		{ __LINE__, "a=1234567890123456", "a", 16, -1, NULL },
		{ __LINE__, "a=%41%42%43", "a", 4, 1, "ABC" },	/* decoded fits */
	};
	char		 out[64], *env[2], q[256];
	struct req	 r;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NROWS(t); i++) {
		snprintf(q, sizeof(q), "REQUEST_URI=/api/x?%s", t[i].query);
		env[0] = q;
		env[1] = NULL;
		req_env(&r, env);
		strcpy(out, "untouched");
		rc = http_query(&r, t[i].name, out, t[i].sz);
		check_row(t[i].line, "http_query", t[i].query,
		    strlen(t[i].query), rc, t[i].want);
		if (rc == 1 && t[i].value != NULL)
			check_row(t[i].line, "http_query value", t[i].query,
			    strlen(t[i].query), strcmp(out, t[i].value) == 0, 1);
		http_free(&r);
	}
	unit_end();
}
END_TEST

START_TEST(t_query_int)
{
	const struct {
		int		 line;
		const char	*query;
		int		 want;
		int64_t		 v;
	} t[] = {
		{ __LINE__, "limit=50", 1, 50 },
		{ __LINE__, "limit=0", 1, 0 },
		{ __LINE__, "limit=200&x=1", 1, 200 },
		{ __LINE__, "x=1", 0, 7 },	/* absent: the default */
		{ __LINE__, "", 0, 7 },
		{ __LINE__, "limit=999999999999999999", 1, 999999999999999999LL },
		{ __LINE__, "limit=1000000000000000000", -1, 0 },
		{ __LINE__, "limit=123456789012345678901234567890", -1, 0 },
		{ __LINE__, "limit=", -1, 0 },
		{ __LINE__, "limit=-1", -1, 0 },
		{ __LINE__, "limit=%2D1", -1, 0 },
		{ __LINE__, "limit=+5", -1, 0 },	/* '+' is a space */
		{ __LINE__, "limit=abc", -1, 0 },
		{ __LINE__, "limit=1e3", -1, 0 },
		{ __LINE__, "limit=1.0", -1, 0 },
		{ __LINE__, "limit=0x10", -1, 0 },
		{ __LINE__, "limit=%zz", -1, 0 },
		{ __LINE__, "limit=%35%30", 1, 50 },
	};
	char		*env[2], q[256];
	struct req	 r;
	int64_t		 v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NROWS(t); i++) {
		snprintf(q, sizeof(q), "REQUEST_URI=/api/x?%s", t[i].query);
		env[0] = q;
		env[1] = NULL;
		req_env(&r, env);
		v = -99;
		rc = http_query_int(&r, "limit", 7, &v);
		check_row(t[i].line, "http_query_int", t[i].query,
		    strlen(t[i].query), rc, t[i].want);
		if (rc >= 0)
			check_row(t[i].line, "http_query_int value",
			    t[i].query, strlen(t[i].query), v, t[i].v);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/*
 * Read a body of n bytes announced with Content-Length cl.  Returns the
 * status (0: read) and what was written to stdout in *text.
 */
static int
read_body(const char *cl, const char *data, size_t n, struct req *r,
    char **text)
{
	char	 h[64], *env[3];
	FILE	*cap;
	int	 st;

	env[0] = "REQUEST_METHOD=POST";
	env[1] = NULL;
	if (cl != NULL) {
		snprintf(h, sizeof(h), "CONTENT_LENGTH=%s", cl);
		env[1] = h;
	}
	env[2] = NULL;
	stdin_from(data, n);
	req_env(r, env);
	cap = capture_start();
	st = http_read_body(r);
	*text = capture_text(cap);
	fclose(cap);
	return st;
}

START_TEST(t_body_cap)
{
	char		*big, *text, cl[32];
	struct req	 r;
	int		 st;

	big = malloc(CAP_BODY + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', CAP_BODY + 1);
	big[CAP_BODY + 1] = '\0';

	/* Exactly 64 KiB: read whole. */
	snprintf(cl, sizeof(cl), "%d", CAP_BODY);
	st = read_body(cl, big, CAP_BODY, &r, &text);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(r.bodylen, CAP_BODY);
	ck_assert_int_eq(r.body[CAP_BODY], '\0');
	ck_assert_str_eq(text, "");
	free(text);
	http_free(&r);

	/* One byte more: 413 too_large, and nothing read. */
	snprintf(cl, sizeof(cl), "%d", CAP_BODY + 1);
	st = read_body(cl, big, CAP_BODY + 1, &r, &text);
	ck_assert_int_eq(st, 413);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_nonnull(strstr(text, "Status: 413 "));
	ck_assert_ptr_nonnull(strstr(text,
	    "{\"error\":{\"code\":\"too_large\",\"message\":"));
	free(text);
	http_free(&r);

	/* Far larger (claimed, not sent): 413 before any allocation. */
	st = read_body("99999999999999", "", 0, &r, &text);
	ck_assert_int_eq(st, 413);
	free(text);
	http_free(&r);

	/* Negative: 400. */
	st = read_body("-5", "", 0, &r, &text);
	ck_assert_int_eq(st, 400);
	ck_assert_ptr_nonnull(strstr(text, "\"code\":\"bad_request\""));
	free(text);
	http_free(&r);

	/* Shorter than announced: 400. */
	st = read_body("10", "12345", 5, &r, &text);
	ck_assert_int_eq(st, 400);
	ck_assert_ptr_nonnull(strstr(text, "\"code\":\"bad_request\""));
	free(text);
	http_free(&r);

	/* No Content-Length, or empty: an empty body. */
	st = read_body(NULL, "ignored", 7, &r, &text);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(r.bodylen, 0);
	free(text);
	http_free(&r);
	st = read_body("", "ignored", 7, &r, &text);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(r.bodylen, 0);
	free(text);
	http_free(&r);

	/* Only Content-Length bytes are read. */
	st = read_body("2", "{}garbage", 9, &r, &text);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(r.bodylen, 2);
	ck_assert_str_eq(r.body, "{}");
	free(text);
	http_free(&r);
	free(big);
}
END_TEST

/* Parse n bytes of s as the body: the status and the answer written. */
static int
parse(const char *s, size_t n, struct req *r, char **text)
{
	FILE	*cap;
	int	 st;

	memset(r, 0, sizeof(*r));
	r->body = malloc(n + 1);
	ck_assert_ptr_nonnull(r->body);
	memcpy(r->body, s, n);
	r->body[n] = '\0';
	r->bodylen = n;
	cap = capture_start();
	st = http_parse_json(r);
	*text = capture_text(cap);
	fclose(cap);
	return st;
}

/* n levels of {"a": ... } around 1. */
static char *
nested(int n)
{
	char	*p, *o;
	int	 i;

	o = p = malloc((size_t)n * 6 + 2);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		o += sprintf(o, "{\"a\":");
	*o++ = '1';
	for (i = 0; i < n; i++)
		*o++ = '}';
	*o = '\0';
	return p;
}

START_TEST(t_json)
{
	const struct {
		int		 line;
		const char	*s;
		size_t		 n;
		int		 want;
	} t[] = {
		{ __LINE__, S(""), 0 },	/* empty counts as {} */
		{ __LINE__, S("{}"), 0 },
		{ __LINE__, S(" { } "), 0 },
		{ __LINE__, S("{\"a\":1,\"b\":[1,2,{\"c\":null}]}"), 0 },
		{ __LINE__, S("{\"s\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}"), 0 },
		{ __LINE__, S("{\"s\":\"a\\u0000b\"}"), 0 },	/* fields judge */
		{ __LINE__, S("not json"), 400 },
		{ __LINE__, S("{"), 400 },
		{ __LINE__, S("}"), 400 },
		{ __LINE__, S("{\"a\":}"), 400 },
		{ __LINE__, S("{\"a\" 1}"), 400 },
		{ __LINE__, S("{} x"), 400 },
		{ __LINE__, S("{}{}"), 400 },
		{ __LINE__, S("{}\n}"), 400 },
		{ __LINE__, S("{},"), 400 },
		{ __LINE__, S("{\"a\":1,}"), 400 },	/* strict */
		{ __LINE__, S("{a:1}"), 400 },
		{ __LINE__, S("{\"a\":01}"), 400 },
		{ __LINE__, S("/* c */ {}"), 400 },
		{ __LINE__, S("[]"), 400 },
		{ __LINE__, S("[{\"username\":\"bob\"}]"), 400 },
		{ __LINE__, S("\"string\""), 400 },
		{ __LINE__, S("42"), 400 },
		{ __LINE__, S("null"), 400 },
		{ __LINE__, S("true"), 400 },
		{ __LINE__, S("{\"a\":\"\xc3\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\xc0\xaf\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\xed\xa0\x80\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\xf4\x90\x80\x80\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\xff\"}"), 400 },
		{ __LINE__, S("{\"\xfe\":1}"), 400 },
		{ __LINE__, S("{}\0"), 400 },
		{ __LINE__, S("{\"a\":\"x\0y\"}"), 400 },
		{ __LINE__, S("\0{}"), 400 },
		{ __LINE__, S("\xef\xbb\xbf{}"), 400 },	/* BOM */
		/* \u escapes of a lone surrogate: json-c made them U+FFFD. */
		{ __LINE__, S("{\"a\":\"\\ud800\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\\uDC00\"}"), 400 },
		{ __LINE__, S("{\"a\":\"x\\udc00\\ud800y\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\\ud83d\\u0041\"}"), 400 },
		{ __LINE__, S("{\"a\":\"\\ud83d\"}"), 400 },
		{ __LINE__, S("{\"\\ud800\":1}"), 400 },
		{ __LINE__, S("{\"a\":\"\\\\ud800\"}"), 0 },	/* text */
		{ __LINE__, S("{\"a\":\"\\uD83D\\uDE00\\u00e9\"}"), 0 },
	};
	struct req	 r;
	char		*text;
	size_t		 i;
	int		 st;

	for (i = 0; i < NROWS(t); i++) {
		st = parse(t[i].s, t[i].n, &r, &text);
		check_row(t[i].line, "http_parse_json", t[i].s, t[i].n, st,
		    t[i].want);
		if (t[i].want == 400) {
			check_row(t[i].line, "400 status line", t[i].s, t[i].n,
			    strstr(text, "Status: 400 ") != NULL, 1);
			check_row(t[i].line, "error JSON", t[i].s, t[i].n,
			    strstr(text, "\r\n\r\n{\"error\":{\"code\":"
			    "\"bad_request\",\"message\":\"") != NULL, 1);
			check_row(t[i].line, "no object kept", t[i].s, t[i].n,
			    r.json == NULL, 1);
		} else
			check_row(t[i].line, "an object", t[i].s, t[i].n,
			    r.json != NULL &&
			    json_object_is_type(r.json, json_type_object), 1);
		free(text);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/*
 * What json-c's strict mode still lets through but RFC 8259 (and so the
 * contract's "JSON in") does not: single-quoted strings, NaN and Infinity,
 * raw control characters inside strings.
 */
START_TEST(t_json_rfc8259)
{
	const struct {
		int		 line;
		const char	*s;
		size_t		 n;
	} t[] = {
		{ __LINE__, S("{'a':1}") },
		{ __LINE__, S("{\"a\":'x'}") },
		{ __LINE__, S("{\"a\":NaN}") },
		{ __LINE__, S("{\"a\":Infinity}") },
		{ __LINE__, S("{\"a\":-Infinity}") },
		{ __LINE__, S("{\"a\":\"tab\there\"}") },
		{ __LINE__, S("{\"a\":\"line\nbreak\"}") },
		{ __LINE__, S("{\"a\":\"\x01\"}") },
	};
	struct req	 r;
	char		*text;
	size_t		 i;

	for (i = 0; i < NROWS(t); i++) {
		check_row(t[i].line, "http_parse_json", t[i].s, t[i].n,
		    parse(t[i].s, t[i].n, &r, &text), 400);
		free(text);
		http_free(&r);
	}
	unit_end();
}
END_TEST

START_TEST(t_json_depth)
{
	const struct {
		int	 line;
		int	 depth;
		int	 want;
	} t[] = {
		{ __LINE__, 1, 0 },
		{ __LINE__, 7, 0 },
		{ __LINE__, 8, 0 },	/* CAP_JSON_DEPTH: allowed */
		{ __LINE__, 9, 400 },
		{ __LINE__, 10, 400 },
		{ __LINE__, 1000, 400 },
		{ __LINE__, 10000, 400 },
	};
	struct req	 r;
	char		*s, *text;
	size_t		 i;
	int		 st;

	for (i = 0; i < NROWS(t); i++) {
		s = nested(t[i].depth);
		st = parse(s, strlen(s), &r, &text);
		check_row(t[i].line, "nesting", s, strlen(s), st, t[i].want);
		free(text);
		free(s);
		http_free(&r);
	}
	/* Arrays count as nesting too: [[[...]]] inside the object. */
	s = malloc(64);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "{\"a\":[[[[[[[[[[1]]]]]]]]]]}");
	st = parse(s, strlen(s), &r, &text);
	check_row(__LINE__, "nested arrays", s, strlen(s), st, 400);
	free(text);
	free(s);
	http_free(&r);
	unit_end();
}
END_TEST

START_TEST(t_replies)
{
	struct req	 r;
	FILE		*cap;
	char		*text;
	char		*env[] = { "REQUEST_METHOD=GET", NULL };

	/* Messages are JSON-escaped; a second answer is not written. */
	req_env(&r, env);
	cap = capture_start();
	ck_assert_int_eq(http_fail(&r, 404, "not_found", "no \"such\"\n"), 404);
	ck_assert_int_eq(http_fail(&r, 500, "internal", "again"), 404);
	text = capture_text(cap);
	fclose(cap);
	ck_assert_ptr_nonnull(strstr(text, "Status: 404 Not Found\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\n\r\n{\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"no \\\"such\\\"\\n\"}}"));
	ck_assert_ptr_null(strstr(text, "again"));
	free(text);
	http_free(&r);

	/* 429 says when to come back. */
	req_env(&r, env);
	cap = capture_start();
	ck_assert_int_eq(http_fail_rate(&r, 120), 429);
	text = capture_text(cap);
	fclose(cap);
	ck_assert_ptr_nonnull(strstr(text, "Status: 429 "));
	ck_assert_ptr_nonnull(strstr(text, "Retry-After: 120\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"code\":\"rate_limited\""));
	free(text);
	http_free(&r);

	/* 204: no body, no Content-Type. */
	req_env(&r, env);
	cap = capture_start();
	ck_assert_int_eq(http_reply(&r, 204, NULL, 0), 204);
	text = capture_text(cap);
	fclose(cap);
	ck_assert_ptr_nonnull(strstr(text, "Status: 204 "));
	ck_assert_ptr_null(strstr(text, "Content-Type"));
	ck_assert_ptr_nonnull(strstr(text, "\r\n\r\n"));
	ck_assert_str_eq(strstr(text, "\r\n\r\n"), "\r\n\r\n");
	free(text);
	http_free(&r);
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("request");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_pct_decode);
	tcase_add_test(tc, t_init);
	tcase_add_test(tc, t_init_caps);
	tcase_add_test(tc, t_cookie);
	tcase_add_test(tc, t_query);
	tcase_add_test(tc, t_query_int);
	tcase_add_test(tc, t_body_cap);
	tcase_add_test(tc, t_json);
	tcase_add_test(tc, t_json_rfc8259);
	tcase_add_test(tc, t_json_depth);
	tcase_add_test(tc, t_replies);
	return unit_run("http", tc);
}
