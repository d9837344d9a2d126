/*
 * core_accounts.c: accounts and their sessions.  Signing up, guests,
 * logging in (throttled as core_login.c says), checking a password,
 * ending sessions (logout, logout everywhere, a new password).  A
 * session started here is a token for the caller to put in its cookie
 * (api_auth.c).  What others see of a user is core_users.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "caps.h"
#include "conf.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_events.h"
#include "core_login.h"
#include "core_match.h"
#include "db.h"
#include "util.h"
#include "valid.h"
#include "wake.h"

enum stmt {
	STMT_USER_NEW,
	STMT_USER_LOGIN,
	STMT_USER_HASH,
	STMT_SESSIONS_OTHERS,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_USER_NEW */
	"INSERT INTO user (username, password_hash, email, nickname, "
	"avatar_url, location, bio, public_key, guest, online, last_seen) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NOW(3))",
	/* STMT_USER_LOGIN */
	"SELECT id, password_hash FROM user WHERE username = ? AND guest = 0",
	/* STMT_USER_HASH */
	"SELECT password_hash FROM user WHERE id = ?",
	/* STMT_SESSIONS_OTHERS: every session of the user but one (0: all). */
	"DELETE FROM session WHERE user_id = ? AND id <> ?",
};

/*
 * New accounts (signups, guests, the seed adapters') from client address
 * addr: CHAT_SIGNUP_LIMIT a window (CAP_LOGIN_WINDOW_S).  Each is a row
 * kept for good, a signup an argon2id hash too, so an attempt is counted
 * before the hash, taken or not.  0 go on, the seconds until the window
 * ends when over the limit, or -1 (database).
 */
int
account_may_create(struct db *db, const char *addr)
{
	char	 key[100];
	int64_t	 win;

	if (conf.signup_limit == 0)
		return 0;
	snprintf(key, sizeof(key), "signup-addr:%s", addr);
	return auth_window_take(db, key, CAP_LOGIN_WINDOW_S,
	    conf.signup_limit, &win);
}

/*
 * Insert user u and start its session (into *s, for the cookie), in one
 * transaction.  Shared by signup, guests and the seed adapters.  1
 * created (*uid), 0 the user name is taken, -1 error.
 */
int
account_create(struct db *db, const struct account_new *u, int64_t *uid,
    struct session *s)
{
	if (db_begin(db) == -1)
		return -1;
	if (db_exec(db, stmts[STMT_USER_NEW], "ssssssssi",
	    u->username, u->hash, u->email ? u->email : "",
	    u->nickname ? u->nickname : u->username,
	    u->avatar_url ? u->avatar_url : "",
	    u->location ? u->location : "", u->bio ? u->bio : "",
	    u->public_key ? u->public_key : "", (int64_t)u->guest) != 1) {
		db_rollback(db);
		return db_is_dup(db) ? 0 : -1;
	}
	*uid = db_insert_id(db);
	if (auth_session_new(db, *uid, u->guest, s) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

/*
 * A guest named guest-<40 random bits> with nickname nick and its session
 * (POST /api/guest, seed 002's CRT_ACCOUNT).  1 created (*uid, *s), 0 the
 * random name clashed (the client may retry), -1 error.
 */
int
account_guest(struct db *db, const char *nick, int64_t *uid,
    struct session *s)
{
	struct account_new u;
	unsigned char	 rnd[5];
	char		 name[CAP_USERNAME_MAX + 1];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -1;
	snprintf(name, sizeof(name), "guest-%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4]);
	memset(&u, 0, sizeof(u));
	u.username = name;
	u.nickname = nick;
	u.guest = 1;
	return account_create(db, &u, uid, s);
}

/*
 * Log in as user name with password pw from client address addr (POST
 * /api/login, seed 003's login frame), from a browser whose did cookie
 * holds device token did (AUTH_TOKEN_LEN characters, or NULL): on
 * success a new session into *s and the device token for the cookie into
 * dtok (AUTH_TOKEN_LEN + 1 bytes: did kept, or a new one).  A wrong
 * password and an unknown user cost the same time.  The attempt counts
 * in the windows of core_login.c (into *g): its device token's if it is
 * one of that user, else its address's and its user name's; past one,
 * LOGIN_LIMIT (g->wait, g->hit).  LOGIN_OK (*uid), LOGIN_WRONG (name or
 * password), LOGIN_LIMIT or LOGIN_ERROR.
 */
enum login_result
account_login(struct db *db, const char *addr, const char *name,
    size_t nlen, const char *pw, size_t pwlen, const char *did,
    int64_t *uid, struct session *s, char *dtok, struct login_gate *g)
{
	struct dbres	*res;
	int64_t		 dev;
	char		*hash = NULL;
	int		 ok, rc;

	*uid = 0;
	if (!valid_username(name, nlen))
		rc = 0;
	else if ((res = db_query(db, stmts[STMT_USER_LOGIN], "s",
	    name)) == NULL)
		return LOGIN_ERROR;
	else {
		if ((rc = db_row(res)) == 1) {
			*uid = db_int(res, 0);
			hash = xstrdup(db_str(res, 1, NULL));
		}
		db_res_free(res);
		if (rc == -1)
			return LOGIN_ERROR;
	}
	/*
	 * Counted before the password is checked and given back if it
	 * succeeds, so the failures plus the attempts still running stay
	 * within the limits however many come at once.
	 */
	if (login_device_find(db, *uid, did, &dev) == -1)
		rc = -1;
	else
		rc = login_gate_take(db, g, dev, addr, name, nlen);
	if (rc != 0) {
		free(hash);
		return rc == 1 ? LOGIN_LIMIT : LOGIN_ERROR;
	}
	if (hash != NULL)
		ok = auth_verify(hash, pw, pwlen);
	else {
		auth_verify_dummy(pw, pwlen);
		ok = 0;
	}
	free(hash);
	if (!ok)
		return LOGIN_WRONG;	/* the attempt taken stays counted */
	if (login_gate_give(db, g) == -1 ||
	    auth_session_new(db, *uid, 0, s) == -1 ||
	    login_device_keep(db, *uid, dev, did, dtok) == -1)
		return LOGIN_ERROR;
	return LOGIN_OK;
}

/*
 * Is pw the password of uid (user name)?  Before a new one is set (PATCH
 * /api/me), from a browser holding device token did (or NULL): a stolen
 * cookie must not buy unlimited password guesses, so the attempts count
 * as login failures do (core_login.c): in did's window when it is one of
 * uid's, else with the user name's failures.  LOGIN_OK, LOGIN_WRONG,
 * LOGIN_LIMIT (*wait seconds) or LOGIN_ERROR.
 */
enum login_result
account_password_try(struct db *db, int64_t uid, const char *name,
    const char *did, const char *pw, size_t pwlen, int *wait)
{
	struct login_gate g;
	struct dbres	*res;
	int64_t		 dev;
	char		*old = NULL;
	int		 ok, rc;

	if (login_device_find(db, uid, did, &dev) == -1 ||
	    (rc = login_gate_take(db, &g, dev, NULL, name,
	    strlen(name))) == -1)
		return LOGIN_ERROR;
	if (rc == 1) {
		*wait = g.wait;
		return LOGIN_LIMIT;
	}
	if ((res = db_query(db, stmts[STMT_USER_HASH], "i", uid)) == NULL)
		return LOGIN_ERROR;
	if (db_row(res) == 1)
		old = xstrdup(db_str(res, 0, NULL));
	db_res_free(res);
	ok = old != NULL && auth_verify(old, pw, pwlen);
	free(old);
	if (!ok)	/* the attempt taken stays counted */
		return LOGIN_WRONG;
	if (login_gate_give(db, &g) == -1)
		return LOGIN_ERROR;
	return LOGIN_OK;
}

/*
 * End every session of uid but keep (0: all of them), inside the caller's
 * transaction, and tell the user with a sessions_ended event: it wakes
 * their waiting polls in every process and on every host (wake_user after
 * the commit, the watcher elsewhere), and a poll that waited asks whether
 * its session still stands before it hands anything out (api_poll.c), so
 * an ended session gets nothing more.  0 or -1.
 */
int
account_sessions_end(struct db *db, int64_t uid, int64_t keep, const char *why)
{
	struct buf	 p = { 0 };
	int		 rc;

	buf_adds(&p, "{\"reason\":");
	buf_json_str(&p, why, strlen(why));
	buf_addc(&p, '}');
	rc = db_exec(db, stmts[STMT_SESSIONS_OTHERS], "ii", uid, keep) < 0 ||
	    event_push(db, uid, "sessions_ended", p.p) == -1 ? -1 : 0;
	buf_free(&p);
	return rc;
}

/*
 * End session sid of uid, or with all set every session of uid, and the
 * user's stranger chats (partners get partner_left, woken after the
 * commit).  Shared by POST /api/logout and seed 002's LOGOUT; the caller
 * expires the cookie.  0 or -1.
 */
int
account_logout(struct db *db, int64_t uid, int64_t sid, int all)
{
	struct ids	 wake = { 0 };

	if (db_begin(db) == -1)
		return -1;
	if ((all ? account_sessions_end(db, uid, 0, "logout_all") :
	    auth_session_end(db, sid)) == -1 ||
	    match_user_gone(db, uid, &wake) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		ids_free(&wake);
		return -1;
	}
	auth_forget_user(uid);
	if (all)
		ids_add(&wake, uid);
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	return 0;
}
