/*
 * api_account.c: one's own account's safety (issue 26): GET
 * /api/sessions (devices), DELETE /api/sessions/{id} and
 * /api/sessions/others (sign out one or every other), DELETE /api/me
 * (remove the account), POST /api/password/forgot and /reset (a link by
 * mail).  Each checks its fields, calls core_sessions.c, core_remove.c or
 * core_reset.c and answers.
 */
#include <stdio.h>
#include <string.h>

#include "api_auth.h"
#include "caps.h"
#include "conf.h"
#include "core_remove.h"
#include "core_reset.h"
#include "core_sessions.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/* GET /api/sessions: {"sessions":[...]}, the asking one "current". */
int
h_sessions_get(struct req *r)
{
	struct buf	 b = { 0 };
	int		 st;

	if (session_list(r->db, r->uid, r->sid, &b) == -1)
		st = http_fail_db(r);
	else
		st = http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return st;
}

/* The expired sid cookie: this browser's session is over. */
static void
cookie_gone(struct req *r)
{
	http_header(r, "Set-Cookie", "sid=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict");
}

/*
 * DELETE /api/sessions/{id}: sign out one of one's own sessions (the
 * asking one too: then the cookie expires).  204; 404 when it is not
 * one's own or is over already.
 */
int
h_session_delete(struct req *r)
{
	int64_t	 sid;
	int	 rc;

	if (http_path_id(r, 0, &sid) == -1)
		return http_fail(r, 404, "not_found", "no such session");
	if ((rc = session_end(r->db, r->uid, sid)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "no such session");
	if (sid == r->sid)
		cookie_gone(r);
	return http_reply(r, 204, NULL, 0);
}

/* DELETE /api/sessions/others: sign out every other session.  204. */
int
h_sessions_end_others(struct req *r)
{
	if (session_end_others(r->db, r->uid, r->sid) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}

/* Any string: a wrong password is only wrong (403), not malformed. */
static int
valid_any(const char *s, size_t n)
{
	return n <= CAP_PASSWORD_MAX && valid_utf8(s, n);
}

/*
 * DELETE /api/me {password}: remove one's account.  204 and an expired
 * cookie; 403 wrong_password (nothing changes), 403 for guests, 429.
 */
int
h_me_delete(struct req *r)
{
	static const struct field f[] = {
		{ "password", valid_any, F_REQUIRED },
	};
	struct fval	 pw;
	int		 st, w = 0;

	if (r->guest)
		return http_fail(r, 403, "forbidden",
		    "a guest has no account to remove: sign out instead");
	if ((st = http_fields(r, f, 1, &pw)) != 0)
		return st;
	switch (remove_account(r->db, r->uid, r->username, auth_device(r),
	    pw.s, pw.len, &w)) {
	case REMOVE_OK:
		cookie_gone(r);
		return http_reply(r, 204, NULL, 0);
	case REMOVE_WRONG:
		return http_fail(r, 403, "wrong_password",
		    "that is not your password: nothing was removed");
	case REMOVE_LIMIT:
		return http_fail_rate(r, w);
	case REMOVE_GONE:
		return http_fail(r, 404, "not_found", "no such account");
	default:
		return http_fail_db(r);
	}
}

/*
 * The address the reset link starts with: CHAT_PUBLIC_URL, else this
 * request's scheme and Host header, when the host is only a name or
 * address and a port (the header is the client's to choose: README says
 * why CHAT_PUBLIC_URL is better).  1 into out, 0 none usable.
 */
static int
link_base(struct req *r, char *out, size_t sz)
{
	const char	*h;
	size_t		 n;

	if (conf.public_url != NULL) {
		for (h = conf.public_url; *h != '\0'; h++)
			if ((unsigned char)*h <= 0x20 || *h == 0x7f)
				return 0;
		return (size_t)snprintf(out, sz, "%s", conf.public_url) < sz;
	}
	if ((h = http_param(r, "HTTP_HOST")) == NULL ||
	    (n = strlen(h)) == 0 || n > 255 ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != n)
		return 0;
	return (size_t)snprintf(out, sz, "%s://%s/", r->https ? "https" :
	    "http", h) < sz;
}

/*
 * POST /api/password/forgot {email}: mail each account of that address
 * a one-time link.  202 with the same body whether or not any account has
 * it; 429 past the limits.
 */
int
h_password_forgot(struct req *r)
{
	static const char ok[] = "{\"ok\":true,\"message\":\"If that address "
	    "belongs to an account, a link is on its way.\"}";
	static const struct field f[] = {
		{ "email", valid_email, F_REQUIRED },
	};
	struct fval	 email;
	char		 base[512];
	int		 st, w = 0;

	if ((st = http_fields(r, f, 1, &email)) != 0)
		return st;
	if (email.len == 0)
		return http_fail(r, 400, "bad_request", "Enter your email address.");
	if (!link_base(r, base, sizeof(base))) {
		LOG("password reset: no CHAT_PUBLIC_URL and an odd Host");
		return http_reply(r, 202, ok, sizeof(ok) - 1);
	}
	switch (reset_ask(r->db, r->addr, email.s, email.len, base,
	    &w)) {
	case RESET_OK:
		return http_reply(r, 202, ok, sizeof(ok) - 1);
	case RESET_LIMIT:
		return http_fail_rate(r, w);
	default:
		return http_fail_db(r);
	}
}

/* Tokens are base64url: a malformed one is only unknown (400 bad_token). */
static int
valid_token(const char *s, size_t n)
{
	return n <= 256 && valid_utf8(s, n);
}

/*
 * POST /api/password/reset {token, password}: set a new password with a
 * mailed link; every session of the account ends.  204; 400 bad_token
 * (unknown, used or older than 30 minutes).
 */
int
h_password_reset(struct req *r)
{
	static const struct field f[] = {
		{ "token",	valid_token,	F_REQUIRED },
		{ "password",	valid_password,	F_REQUIRED },
	};
	struct fval	 v[2];
	int		 st;

	if ((st = http_fields(r, f, 2, v)) != 0)
		return st;
	switch (reset_use(r->db, v[0].s, v[0].len, v[1].s, v[1].len)) {
	case RESET_OK:
		return http_reply(r, 204, NULL, 0);
	case RESET_BAD:
		return http_fail(r, 400, "bad_token", "this link is not valid: "
		    "it was used already or is older than 30 minutes; ask "
		    "for a new one");
	default:
		return http_fail_db(r);
	}
}
