/*
 * api_auth.c: who is asking, for the native API and the seed adapters.
 * The session of a request's sid cookie (auth_session), whether it still
 * stands after a wait, the cookie set for a session started here (signup,
 * guest, login) and expired at logout, and the 429s of the limits.  The
 * rules (hashes, tokens, windows, buckets) are core_auth.c's and
 * core_accounts.c's; this file turns their results into HTTP.
 */
#include <stdio.h>
#include <string.h>

#include "api_auth.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_login.h"
#include "core_sessions.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"

/* Set r's sid cookie to session s, and r's session to it. */
static void
auth_cookie(struct req *r, const struct session *s)
{
	char	 cookie[160];

	r->sid = s->id;
	snprintf(cookie, sizeof(cookie),
	    "sid=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	    s->token, s->life, r->https ? "; Secure" : "");
	http_header(r, "Set-Cookie", cookie);
	session_describe(r->db, s->id, http_param(r, "HTTP_USER_AGENT"),
	    r->addr);
}

/*
 * Set r's did cookie to device token tok (core_login.c): a year, only
 * for the API (the login and the password change read it), kept at
 * logout, so that this browser's logins are not throttled with
 * strangers'.
 */
static void
device_cookie(struct req *r, const char *tok)
{
	char	 cookie[160];

	snprintf(cookie, sizeof(cookie),
	    "did=%s; Path=/api/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	    tok, CAP_DEVICE_S, r->https ? "; Secure" : "");
	http_header(r, "Set-Cookie", cookie);
}

/*
 * The device token of r's did cookie (AUTH_TOKEN_LEN characters, not
 * NUL-terminated), or NULL: none, or not of a token's length.  Whose it
 * is, and whether it is one at all, core_login.c finds out.
 */
const char *
auth_device(struct req *r)
{
	const char	*tok;
	size_t		 len;

	if ((tok = http_cookie(r, "did", &len)) == NULL ||
	    len != AUTH_TOKEN_LEN)
		return NULL;
	return tok;
}

/*
 * Find the session of r's sid cookie and fill r->uid, r->sid,
 * r->username, r->guest (auth_session_find: in MySQL on every request).
 * Returns 0, or the status already sent (401, 503).
 */
int
auth_session(struct req *r)
{
	struct auth_user u;
	const char	*tok;
	size_t		 len;
	int		 rc;

	if ((tok = http_cookie(r, "sid", &len)) == NULL ||
	    len != AUTH_TOKEN_LEN)
		return http_fail(r, 401, "unauthorized", "log in first");
	auth_token_hash(tok, len, r->sid_hash);
	if ((rc = auth_session_find(r->db, r->sid_hash, &u)) != 1)
		return rc == 0 ?
		    http_fail(r, 401, "unauthorized", "log in first") :
		    http_fail_db(r);
	r->sid = u.sid;
	r->uid = u.uid;
	snprintf(r->username, sizeof(r->username), "%s", u.username);
	r->guest = u.guest;
	r->was_online = u.was_online;
	r->seen_age = u.seen_age;
	session_used(r->db, r->sid);
	return 0;
}

/*
 * Whether r's session (found by auth_session) still stands: a poll that
 * waited asks before it hands out what woke it.  0 yes, else the status
 * sent (401, 503).
 */
int
auth_session_alive(struct req *r)
{
	int	 rc;

	if ((rc = auth_session_check(r->db, r->sid)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 401, "unauthorized", "log in first");
	return 0;
}

/*
 * A request that tells others something (a friend request, a topic's
 * change, a new nickname) counts with the user's sends, so it cannot be
 * looped into a flood of events: 0 when it may go, else the 429 sent.
 */
int
auth_push_allowed(struct req *r)
{
	int	 wait;

	if ((wait = auth_send_allowed(r->db, r->uid)) == 0)
		return 0;
	return http_fail_rate(r, wait);
}

/*
 * May r's client address make another account (account_may_create)?
 * 0 go on, the seconds until it may, or -1 (database).
 */
int
auth_may_create(struct req *r)
{
	return account_may_create(r->db, r->addr);
}

/* auth_may_create() answered natively: 0 go on, or the status sent. */
int
auth_may_create_reply(struct req *r)
{
	int	 w;

	if ((w = auth_may_create(r)) == -1)
		return http_fail_db(r);
	return w > 0 ? http_fail_rate(r, w) : 0;
}

/*
 * Create account u logged in on r (the sid cookie), as account_create:
 * 1 created (*uid), 0 the user name is taken, -1 error.
 */
int
auth_signup(struct req *r, const struct account_new *u, int64_t *uid)
{
	struct session	 s;
	char		 dtok[AUTH_TOKEN_LEN + 1];
	int		 rc;

	if ((rc = account_create(r->db, u, uid, &s)) == 1) {
		auth_cookie(r, &s);
		/* This browser signed in: its device token (or none). */
		if (!u->guest && login_device_keep(r->db, *uid, 0, NULL,
		    dtok) == 0)
			device_cookie(r, dtok);
	}
	return rc;
}

/* A guest with nickname nick logged in on r, as account_guest: 1, 0, -1. */
int
auth_guest(struct req *r, const char *nick, int64_t *uid)
{
	struct session	 s;
	int		 rc;

	if ((rc = account_guest(r->db, nick, uid, &s)) == 1)
		auth_cookie(r, &s);
	return rc;
}

/*
 * Log r in as user name with password pw (POST /api/login, seed 003's
 * login frame): on success a new session and its cookie, and the device
 * token's (core_login.c).  Returns 1 logged in (*uid), 0 wrong name or
 * password, or the status already sent (429 saying which limit, 503).
 */
int
auth_login(struct req *r, const char *name, size_t nlen, const char *pw,
    size_t pwlen, int64_t *uid)
{
	struct login_gate g;
	struct session	 s;
	char		 dtok[AUTH_TOKEN_LEN + 1];

	switch (account_login(r->db, r->addr, name, nlen, pw, pwlen,
	    auth_device(r), uid, &s, dtok, &g)) {
	case LOGIN_OK:
		auth_cookie(r, &s);
		device_cookie(r, dtok);
		return 1;
	case LOGIN_WRONG:
		return 0;
	case LOGIN_LIMIT:
		http_retry_after(r, g.wait);
		return http_fail(r, 429, "rate_limited", g.hit == LIMIT_DEVICE ?
		    "too many attempts from this browser, try again later" :
		    g.hit == LIMIT_ADDR ?
		    "too many attempts from this address, try again later" :
		    "too many attempts for this account, try again later "
		    "(a browser that signed in to it before still can)");
	default:
		return http_fail_db(r);
	}
}

/*
 * End r's session, or with all set every session of the user, as
 * account_logout, and expire the cookie.  Shared by POST /api/logout and
 * seed 002's LOGOUT.  0 or -1.
 */
int
auth_logout(struct req *r, int all)
{
	if (account_logout(r->db, r->uid, r->sid, all) == -1)
		return -1;
	http_header(r, "Set-Cookie", "sid=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict");
	return 0;
}
