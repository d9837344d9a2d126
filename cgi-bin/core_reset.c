/*
 * core_reset.c: "forgot password" (issue 26).  A one-time link goes by
 * mail to the address an account gave at signup; its token is 32 random
 * bytes (base64url, as a session's), kept only as its SHA-256, for
 * CAP_RESET_S.  Asking answers the same whether or not the address is
 * known, and is limited per client address and per e-mail address in
 * MySQL windows (every process shares them).  Using the link sets the
 * password and ends every session of the account.
 */
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "conf.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_login.h"
#include "core_match.h"
#include "core_reset.h"
#include "db.h"
#include "mail.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_ACCOUNTS,
	STMT_NEW,
	STMT_OLD,
	STMT_FIND,
	STMT_TAKE,
	STMT_SET,
	STMT_DROP_ALL,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_ACCOUNTS: those that can log in with a password. */
	"SELECT id, username FROM user WHERE email = ? AND guest = 0 "
	"AND deleted_at IS NULL AND password_hash IS NOT NULL "
	"ORDER BY id LIMIT ?",
	/* STMT_NEW */
	"INSERT INTO password_reset (token_hash, user_id, expires_at) "
	"VALUES (?, ?, NOW(3) + INTERVAL ? SECOND)",
	/* STMT_OLD: the user's links that ran out. */
	"DELETE FROM password_reset WHERE user_id = ? AND expires_at <= NOW(3)",
	/* STMT_FIND */
	"SELECT user_id FROM password_reset WHERE token_hash = ? "
	"AND expires_at > NOW(3)",
	/* STMT_TAKE: one use (of two at once, one takes it). */
	"DELETE FROM password_reset WHERE token_hash = ? AND expires_at > NOW(3)",
	/* STMT_SET */
	"UPDATE user FORCE INDEX (PRIMARY) SET password_hash = ? WHERE id = ? "
	"AND guest = 0 AND deleted_at IS NULL",
	/* STMT_DROP_ALL: the user's other links go with the old password. */
	"DELETE FROM password_reset WHERE user_id = ?",
};

/*
 * The mail to address to about account name with link base#reset=tok,
 * into b.  The address and the name are validated (no line breaks, no
 * commas: one header line, one recipient); base is checked by the caller.
 */
static void
compose(struct buf *b, const char *to, const char *name, const char *base,
    const char *tok)
{
	buf_addf(b, "To: %s\r\n"
	    "Subject: Reset your chat password\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "Someone, hopefully you, asked to reset the password of the chat "
	    "account\r\n"
	    "%s.  To choose a new one, open this link within %d minutes:\r\n"
	    "\r\n"
	    "%s#reset=%s\r\n"
	    "\r\n"
	    "The link works once.  Setting a new password signs the account "
	    "out\r\n"
	    "everywhere.  If you did not ask, ignore this mail: nothing "
	    "changes.\r\n", to, name, CAP_RESET_S / 60, base, tok);
}

/*
 * Take one attempt of key's window.  0 go on, -1 error, else the seconds
 * to wait (*wait set).
 */
static int
take(struct db *db, const char *key, int64_t limit, int *wait)
{
	int64_t	 win;
	int	 w;

	if ((w = auth_window_take(db, key, CAP_LOGIN_WINDOW_S, limit,
	    &win)) > 0)
		*wait = w;
	return w;
}

/*
 * Someone at client address addr forgot the password of the accounts of
 * e-mail address email (valid, not empty): each of them (at most
 * CAP_RESET_ACCOUNTS) is mailed a link to base#reset=TOKEN.  What the
 * caller answers must not depend on whether any was: RESET_OK whatever
 * was found, RESET_LIMIT (*wait seconds; counted whether or not the
 * address is known) or RESET_ERROR.
 */
enum reset_result
reset_ask(struct db *db, const char *addr, const char *email,
    size_t elen, const char *base, int *wait)
{
	unsigned char	 h[32];
	char		 key[100], low[CAP_EMAIL + 1], tok[AUTH_TOKEN_LEN + 1];
	struct dbres	*res;
	struct ids	 uids = { 0 };
	struct buf	 names = { 0 }, m = { 0 };
	const char	*name;
	size_t		 i;
	int		 rc;

	snprintf(key, sizeof(key), "reset-addr:%s", addr);
	if ((rc = take(db, key, CAP_RESET_ADDR, wait)) != 0)
		return rc > 0 ? RESET_LIMIT : RESET_ERROR;
	/* The address in the key as the lookup matches it: any case. */
	for (i = 0; i < elen && i < CAP_EMAIL; i++)
		low[i] = email[i] >= 'A' && email[i] <= 'Z' ?
		    email[i] + 'a' - 'A' : email[i];
	low[i] = '\0';
	auth_token_hash(low, i, h);
	snprintf(key, sizeof(key), "reset-mail:");
	for (i = 0; i < 16; i++)
		snprintf(key + 11 + 2 * i, 3, "%02x", h[i]);
	if ((rc = take(db, key, CAP_RESET_EMAIL, wait)) != 0)
		return rc > 0 ? RESET_LIMIT : RESET_ERROR;

	if ((res = db_query(db, stmts[STMT_ACCOUNTS], "si", email,
	    (int64_t)CAP_RESET_ACCOUNTS)) == NULL)
		return RESET_ERROR;
	while ((rc = db_row(res)) == 1) {
		ids_add(&uids, db_int(res, 0));
		name = db_str(res, 1, NULL);
		buf_add(&names, name, strlen(name) + 1);
	}
	db_res_free(res);
	name = names.p;
	for (i = 0; rc == 0 && i < uids.n; i++, name += strlen(name) + 1) {
		if (auth_token_new(tok, h) == -1 ||
		    db_exec(db, stmts[STMT_OLD], "i", uids.v[i]) < 0 ||
		    db_exec(db, stmts[STMT_NEW], "bii", (const char *)h,
		    sizeof(h), uids.v[i], (int64_t)CAP_RESET_S) != 1) {
			rc = -1;
			break;
		}
		buf_reset(&m);
		compose(&m, email, name, base, tok);
		sodium_memzero(tok, sizeof(tok));
		if (m.len > CAP_MAIL || mail_send(conf.sendmail, m.p,
		    m.len) == -1)
			LOG("password reset of user %lld: no mail sent",
			    (long long)uids.v[i]);
	}
	ids_free(&uids);
	buf_free(&names);
	buf_free(&m);
	return rc == -1 ? RESET_ERROR : RESET_OK;
}

/*
 * Set the password of the account of reset token tok (tlen bytes) to pw,
 * once: the link is used up, the account's other links go, and every
 * session of it ends (sessions_ended; its stranger chats end), and no
 * browser's device token counts for it any more.
 * RESET_OK, RESET_BAD (unknown, used or run out), RESET_ERROR.
 */
enum reset_result
reset_use(struct db *db, const char *tok, size_t tlen, const char *pw,
    size_t pwlen)
{
	unsigned char	 h[32];
	char		 hash[AUTH_HASH_MAX];
	struct ids	 wake = { 0 };
	int64_t		 uid;
	int		 rc;

	if (tlen != AUTH_TOKEN_LEN)
		return RESET_BAD;
	auth_token_hash(tok, tlen, h);
	/* Hashed only for a live link: no KDF work for made-up tokens. */
	if ((rc = db_one(db, &uid, stmts[STMT_FIND], "b", (const char *)h,
	    sizeof(h))) != 1)
		return rc == 0 ? RESET_BAD : RESET_ERROR;
	if (auth_hash(pw, pwlen, hash) == -1)
		return RESET_ERROR;
	if (db_begin(db) == -1)
		return RESET_ERROR;
	if ((rc = (int)db_exec(db, stmts[STMT_TAKE], "b", (const char *)h,
	    sizeof(h))) != 1) {
		db_rollback(db);
		return rc == 0 ? RESET_BAD : RESET_ERROR;
	}
	if ((rc = (int)db_exec(db, stmts[STMT_SET], "si", hash, uid)) != 1) {
		db_rollback(db);
		return rc == 0 ? RESET_BAD : RESET_ERROR;
	}
	if (db_exec(db, stmts[STMT_DROP_ALL], "i", uid) < 0 ||
	    login_devices_forget(db, uid, NULL) < 0 ||
	    account_sessions_end(db, uid, 0, "password") == -1 ||
	    match_user_gone(db, uid, &wake) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		ids_free(&wake);
		return RESET_ERROR;
	}
	auth_forget_user(uid);
	ids_add(&wake, uid);
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	return RESET_OK;
}
