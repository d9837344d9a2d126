/*
 * core_login.c: login limits that cannot be turned against the owner
 * (issue 26: ten wrong passwords from anyone locked an account out for 5
 * minutes, again and again).  The OWASP "device cookie" scheme: a browser
 * that signed in as a user gets a device token (the did cookie; MySQL
 * keeps its SHA-256 with the user, table device).  An attempt that shows
 * one of that user is counted in the token's own window only, so failures
 * from elsewhere never lock it out, and a stolen token is locked after its
 * own few failures.  Any other attempt counts per client address (IPv6:
 * its /64) and per user name, the pool of strangers: when that fills,
 * only attempts without a token of the user are refused.  The windows are
 * rate_limit rows (auth_window_take), shared by every process and host.
 * The cookie is api_auth.c's; the login itself core_accounts.c's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "core_auth.h"
#include "core_login.h"
#include "db.h"
#include "util.h"

enum stmt {
	STMT_DEVICE_FIND,
	STMT_DEVICE_USED,
	STMT_DEVICE_NEW,
	STMT_DEVICE_TRIM,
	STMT_DEVICE_FORGET,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_DEVICE_FIND: a token of uid, used within its life. */
	"SELECT id FROM device WHERE user_id = ? AND token_hash = ? "
	"AND used_at > NOW(3) - INTERVAL ? SECOND",
	/* STMT_DEVICE_USED */
	"UPDATE device SET used_at = NOW(3) WHERE id = ?",
	/* STMT_DEVICE_NEW */
	"INSERT INTO device (user_id, token_hash) VALUES (?, ?)",
	/* STMT_DEVICE_TRIM: all but the user's ? last used tokens. */
	"DELETE FROM device WHERE user_id = ? AND id NOT IN (SELECT id FROM "
	"(SELECT id FROM device WHERE user_id = ? "
	"ORDER BY used_at DESC, id DESC LIMIT ?) AS t)",
	/* STMT_DEVICE_FORGET: all of the user's tokens but one hash (or none). */
	"DELETE FROM device WHERE user_id = ? AND token_hash <> ?",
};

/*
 * The device row of token did (AUTH_TOKEN_LEN characters of a did
 * cookie, or NULL) for user uid into *id: 1 found, 0 none (no cookie, a
 * token of someone else, forged, expired, uid 0), -1 error.  Asked for
 * unknown user names too (uid 0), so both cost the same.
 */
int
login_device_find(struct db *db, int64_t uid, const char *did, int64_t *id)
{
	unsigned char	 hash[32];

	*id = 0;
	if (did == NULL)
		return 0;
	auth_token_hash(did, AUTH_TOKEN_LEN, hash);
	return db_one(db, id, stmts[STMT_DEVICE_FIND], "ibi", uid,
	    (const char *)hash, sizeof(hash), (int64_t)CAP_DEVICE_S);
}

/*
 * After uid's successful login: the token for the did cookie into tok.
 * A browser that showed device id (login_device_find) keeps its token
 * (did), marked used now; any other gets a new one, and the user keeps
 * the CAP_USER_DEVICES tokens used last.  One browser holds one token: a
 * login as another user there replaces it.  0 or -1.
 */
int
login_device_keep(struct db *db, int64_t uid, int64_t id, const char *did,
    char tok[AUTH_TOKEN_LEN + 1])
{
	unsigned char	 hash[32];

	if (id > 0 && did != NULL) {
		memcpy(tok, did, AUTH_TOKEN_LEN);
		tok[AUTH_TOKEN_LEN] = '\0';
		return db_exec(db, stmts[STMT_DEVICE_USED], "i", id) < 0 ?
		    -1 : 0;
	}
	if (auth_token_new(tok, hash) == -1 ||
	    db_exec(db, stmts[STMT_DEVICE_NEW], "ib", uid,
	    (const char *)hash, sizeof(hash)) != 1 ||
	    db_exec(db, stmts[STMT_DEVICE_TRIM], "iii", uid, uid,
	    (int64_t)CAP_USER_DEVICES) < 0)
		return -1;
	return 0;
}

/*
 * A new password: uid's device tokens count for nothing any more but
 * did's (the browser that set it; NULL: none, a reset by mail).  Who
 * learnt the old password must not keep a login window of their own
 * (core_login.c's top).  Rows, or -1.
 */
int
login_devices_forget(struct db *db, int64_t uid, const char *did)
{
	unsigned char	 hash[32];

	memset(hash, 0, sizeof(hash));		/* no token hashes to zeros */
	if (did != NULL)
		auth_token_hash(did, AUTH_TOKEN_LEN, hash);
	return db_exec(db, stmts[STMT_DEVICE_FORGET], "ib", uid,
	    (const char *)hash, sizeof(hash));
}

/*
 * The counted part of client address addr: an IPv4 address whole, an
 * IPv6 one by its /64 (one host gets a /64 and may use all of it).
 */
static void
addr_key(char *out, size_t sz, const char *addr)
{
	struct in6_addr	 a;
	char		 s[INET6_ADDRSTRLEN];

	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, &a) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a, s, sizeof(s)) != NULL) {
			snprintf(out, sz, "login-addr:%s/64", s);
			return;
		}
	}
	snprintf(out, sz, "login-addr:%.64s", addr);
}

/*
 * The rate_limit key of password attempts for user name (any case)
 * without a device token: login failures and wrong current passwords
 * (PATCH /api/me) count together.
 */
static void
user_key(char *out, size_t sz, const char *name, size_t nlen)
{
	char	*c;

	snprintf(out, sz, "login-user:%.*s", (int)(nlen > 64 ? 64 : nlen),
	    name);
	for (c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
}

/* Take key's window (limit a window) into g; 0, 1 refused, -1. */
static int
gate_one(struct db *db, struct login_gate *g, enum login_limit what,
    int64_t limit)
{
	int	 w;

	if ((w = auth_window_take(db, g->key[g->n], CAP_LOGIN_WINDOW_S,
	    limit, &g->win[g->n])) == -1)
		return -1;
	if (w > 0) {
		g->wait = w;
		g->hit = what;
		return 1;
	}
	g->n++;
	return 0;
}

/*
 * Count one password attempt into g before the password is checked (the
 * count goes up first, so attempts at once each see their own; give it
 * back with login_gate_give if it succeeds): with a device token of the
 * user (device, from login_device_find) in that token's window only;
 * without, in the window of client address addr (NULL: not counted per
 * address, for a signed-in user's password check) and in user name's.
 * 0 counted, 1 refused (g->wait seconds, g->hit which window; nothing
 * counted), -1 error.
 */
int
login_gate_take(struct db *db, struct login_gate *g, int64_t device,
    const char *addr, const char *name, size_t nlen)
{
	int	 rc;

	memset(g, 0, sizeof(*g));
	if (device > 0) {
		snprintf(g->key[0], sizeof(g->key[0]), "login-device:%lld",
		    (long long)device);
		return gate_one(db, g, LIMIT_DEVICE, CAP_LOGIN_DEVICE_FAILS);
	}
	if (addr != NULL) {
		addr_key(g->key[0], sizeof(g->key[0]), addr);
		if ((rc = gate_one(db, g, LIMIT_ADDR,
		    CAP_LOGIN_ADDR_FAILS)) != 0)
			return rc;
	}
	user_key(g->key[g->n], sizeof(g->key[g->n]), name, nlen);
	if ((rc = gate_one(db, g, LIMIT_USER, CAP_LOGIN_USER_FAILS)) == 1 &&
	    g->n > 0 && login_gate_give(db, g) == -1)
		return -1;
	if (rc == 1)
		g->n = 0;
	return rc;
}

/* The attempt counted in g succeeded: it does not count.  0 or -1. */
int
login_gate_give(struct db *db, const struct login_gate *g)
{
	int	 i;

	for (i = 0; i < g->n; i++)
		if (auth_window_give(db, g->key[i], g->win[i]) == -1)
			return -1;
	return 0;
}
