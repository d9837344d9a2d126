/*
 * users.c: signup, login, logout, guests, own profile, others' profiles,
 * health; and presence: every authenticated request is activity, the first
 * after being offline tells friends (presence online), the sweeper tells
 * them when the user goes idle (user_set_offline).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth.h"
#include "caps.h"
#include "conf.h"
#include "db.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "match.h"
#include "route.h"
#include "users.h"
#include "util.h"
#include "valid.h"
#include "wake.h"

enum stmt {
	STMT_USER_NEW,
	STMT_USER_BY_ID,
	STMT_USER_BY_NAME,
	STMT_USER_LOGIN,
	STMT_USER_ID,
	STMT_USER_UPDATE,
	STMT_USER_PASSWORD,
	STMT_USER_HASH,
	STMT_SESSIONS_OTHERS,
	STMT_SEEN_ONLINE,
	STMT_ONLINE,
	STMT_OFFLINE,
	STMT_HEALTH,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_USER_NEW */
	"INSERT INTO user (username, password_hash, email, nickname, "
	"avatar_url, location, bio, public_key, guest, online, last_seen) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NOW(3))",
	/* STMT_USER_BY_ID */
	"SELECT " USER_COLS " FROM user u WHERE u.id = ?",
	/* STMT_USER_BY_NAME: with "are we friends" for the viewer. */
	"SELECT " USER_COLS ", EXISTS (SELECT 1 FROM friendship f "
	"WHERE f.user_id = ? AND f.friend_id = u.id) "
	"FROM user u WHERE u.username = ?",
	/* STMT_USER_LOGIN */
	"SELECT id, password_hash FROM user WHERE username = ? AND guest = 0",
	/* STMT_USER_ID */
	"SELECT id FROM user WHERE username = ?",
	/* STMT_USER_UPDATE: NULL keeps a field as it is. */
	"UPDATE user SET nickname = COALESCE(?, nickname), "
	"email = COALESCE(?, email), avatar_url = COALESCE(?, avatar_url), "
	"location = COALESCE(?, location), bio = COALESCE(?, bio), "
	"public_key = COALESCE(?, public_key) WHERE id = ?",
	/* STMT_USER_PASSWORD */
	"UPDATE user SET password_hash = ? WHERE id = ?",
	/* STMT_USER_HASH */
	"SELECT password_hash FROM user WHERE id = ?",
	/* STMT_SESSIONS_OTHERS: every session of the user but one (0: all). */
	"DELETE FROM session WHERE user_id = ? AND id <> ?",
	/*
	 * STMT_SEEN_ONLINE: 0 rows when the user is offline now.  These
	 * three name the primary key: with few users online MariaDB chose a
	 * range on k_user_online_seen instead, locking other users' index
	 * entries before the row, the reverse of a request's order, and the
	 * sweeper and a request deadlocked (the request lost; the user went
	 * offline although seen).
	 */
	"UPDATE user FORCE INDEX (PRIMARY) SET last_seen = NOW(3) "
	"WHERE id = ? AND online = 1",
	/* STMT_ONLINE: only the request that flips it tells the friends. */
	"UPDATE user FORCE INDEX (PRIMARY) SET online = 1, last_seen = NOW(3) "
	"WHERE id = ? AND online = 0",
	/* STMT_OFFLINE: still idle (a request may have come since the pick). */
	"UPDATE user FORCE INDEX (PRIMARY) SET online = 0 "
	"WHERE id = ? AND online = 1 AND last_seen < NOW(3) - INTERVAL ? SECOND",
	/* STMT_HEALTH */
	"SELECT 1",
};

enum signup_field {
	SIGNUP_USERNAME,
	SIGNUP_PASSWORD,
	SIGNUP_EMAIL,
	SIGNUP_NICKNAME,
	SIGNUP_AVATAR_URL,
	SIGNUP_LOCATION,
	SIGNUP_BIO,
	SIGNUP_PUBLIC_KEY,
	SIGNUP__MAX
};

static const struct field signup_fields[SIGNUP__MAX] = {
	{ "username",	valid_username,	F_REQUIRED },	/* SIGNUP_USERNAME */
	{ "password",	valid_password,	F_REQUIRED },	/* SIGNUP_PASSWORD */
	{ "email",	valid_email,	0 },		/* SIGNUP_EMAIL */
	{ "nickname",	valid_nickname,	0 },		/* SIGNUP_NICKNAME */
	{ "avatar_url",	valid_picture_url,	0 },		/* SIGNUP_AVATAR_URL */
	{ "location",	valid_location,	0 },		/* SIGNUP_LOCATION */
	{ "bio",	valid_bio,	0 },		/* SIGNUP_BIO */
	{ "public_key",	valid_public_key, 0 },		/* SIGNUP_PUBLIC_KEY */
};

enum login_field {
	LOGIN_USERNAME,
	LOGIN_PASSWORD,
	LOGIN__MAX
};

/* Any string: a malformed name is just an unknown user (same 401). */
static int
valid_any(const char *s, size_t n)
{
	return n <= CAP_PASSWORD_MAX && valid_utf8(s, n);
}

static const struct field login_fields[LOGIN__MAX] = {
	{ "username",	valid_any,	F_REQUIRED },	/* LOGIN_USERNAME */
	{ "password",	valid_any,	F_REQUIRED },	/* LOGIN_PASSWORD */
};

enum me_field {
	ME_NICKNAME,
	ME_EMAIL,
	ME_AVATAR_URL,
	ME_LOCATION,
	ME_BIO,
	ME_PUBLIC_KEY,
	ME_PASSWORD,
	ME_CURRENT_PASSWORD,
	ME__MAX
};

static const struct field me_fields[ME__MAX] = {
	{ "nickname",	valid_nickname,	0 },		/* ME_NICKNAME */
	{ "email",	valid_email,	0 },		/* ME_EMAIL */
	{ "avatar_url",	valid_picture_url,	0 },		/* ME_AVATAR_URL */
	{ "location",	valid_location,	0 },		/* ME_LOCATION */
	{ "bio",	valid_bio,	0 },		/* ME_BIO */
	{ "public_key",	valid_public_key, 0 },		/* ME_PUBLIC_KEY */
	{ "password",	valid_password,	0 },		/* ME_PASSWORD */
	{ "current_password", valid_any, 0 },		/* ME_CURRENT_PASSWORD */
};

static struct json_object *
jstr(struct dbres *res, int c)
{
	size_t		 n;
	const char	*s = db_str(res, c, &n);

	return json_object_new_string_len(s, (int)n);
}

/*
 * The contract's user object from USER_COLS at column c0 of res; email
 * only when with_email (oneself and friends).
 */
struct json_object *
user_json(struct dbres *res, int c0, int with_email)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(db_int(res, c0)));
	json_object_object_add(o, "username", jstr(res, c0 + 1));
	json_object_object_add(o, "nickname", jstr(res, c0 + 2));
	json_object_object_add(o, "avatar_url", jstr(res, c0 + 3));
	json_object_object_add(o, "location", jstr(res, c0 + 4));
	json_object_object_add(o, "bio", jstr(res, c0 + 5));
	json_object_object_add(o, "public_key", jstr(res, c0 + 6));
	json_object_object_add(o, "guest",
	    json_object_new_boolean(db_int(res, c0 + 7) != 0));
	json_object_object_add(o, "online",
	    json_object_new_boolean(db_int(res, c0 + 8) != 0));
	json_object_object_add(o, "last_seen", db_null(res, c0 + 9) ? NULL :
	    json_object_new_int64(db_int(res, c0 + 9)));
	if (with_email)
		json_object_object_add(o, "email", jstr(res, c0 + 10));
	return o;
}

/* User uid as JSON into *out: 1 found, 0 absent, -1 error. */
int
user_json_by_id(struct db *db, int64_t uid, int with_email,
    struct json_object **out)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1)
		*out = user_json(res, 0, with_email);
	db_res_free(res);
	return rc;
}

/* The id of a user name (any case): 1 found, 0 absent, -1 error. */
int
user_id_by_name(struct db *db, const char *name, int64_t *id)
{
	return db_one(db, id, stmts[STMT_USER_ID], "s", name);
}

/*
 * Presence payload for user name: {"user":name,"online":b}.
 */
static void
presence_payload(struct buf *b, const char *name, int online)
{
	buf_adds(b, "{\"user\":");
	buf_json_str(b, name, strlen(name));
	buf_addf(b, ",\"online\":%s}", online ? "true" : "false");
}

/*
 * Count r as activity.  last_seen is written at most every
 * CAP_SEEN_WRITE_S; coming back online tells the friends.  Failures are
 * logged and ignored: presence must not fail a request.
 */
void
user_touch(struct req *r)
{
	struct buf	 p = { 0 };
	struct ids	 friends = { 0 };
	long long	 n;

	/*
	 * last_seen may lag the last request by up to seen_every_s: the
	 * sweeper allows for it (sweep_idle).
	 */
	if (r->was_online && r->seen_age < conf.seen_every_s)
		return;
	if (r->was_online) {
		/*
		 * Online when the session was read: write last_seen, unless
		 * the sweeper took the user offline meanwhile, which the flip
		 * below finds.
		 */
		if ((n = db_exec(r->db, stmts[STMT_SEEN_ONLINE], "i",
		    r->uid)) == 1)
			return;
		if (n < 0)
			return;
	}
	if (db_begin(r->db) == -1)
		return;
	if ((n = db_exec(r->db, stmts[STMT_ONLINE], "i", r->uid)) == 1) {
		presence_payload(&p, r->username, 1);
		if (event_push_friends(r->db, r->uid, "presence", p.p) == -1 ||
		    event_friend_ids(r->db, r->uid, &friends) == -1)
			n = -1;
	}
	if (n < 0 || db_commit(r->db) == -1)
		db_rollback(r->db);
	else
		wake_users(friends.v, friends.n);
	buf_free(&p);
	ids_free(&friends);
}

/*
 * Mark uid offline if it is online and last_seen is idle_s old; push
 * presence to friends and collect who to wake into *wake.  Needs an open
 * transaction.  1 switched, 0 was offline already (another sweeper got
 * it) or seen since, -1 error.
 */
int
user_set_offline(struct db *db, int64_t uid, int idle_s, struct ids *wake)
{
	struct buf	 p = { 0 };
	struct dbres	*res;
	long long	 n;
	int		 rc = 1;

	if ((n = db_exec(db, stmts[STMT_OFFLINE], "ii", uid,
	    (int64_t)idle_s)) <= 0)
		return (int)n;
	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if (db_row(res) == 1)
		presence_payload(&p, db_str(res, 1, NULL), 0);
	db_res_free(res);
	if (p.len == 0 ||
	    event_push_friends(db, uid, "presence", p.p) == -1 ||
	    event_friend_ids(db, uid, wake) == -1)
		rc = -1;
	buf_free(&p);
	return rc;
}

/* Reply with user uid's own view (with email). */
static int
reply_me(struct req *r, int st, int64_t uid)
{
	struct json_object	*u = NULL;
	int			 rc;

	if ((rc = user_json_by_id(r->db, uid, 1, &u)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "no such user");
	return http_reply_json(r, st, u);
}

/* GET /api/health: {ok, db}; 503 when MySQL does not answer. */
int
h_health(struct req *r)
{
	int64_t	 one;

	static const char ok[] = "{\"ok\":true,\"db\":true}";
	static const char down[] = "{\"ok\":false,\"db\":false,\"error\":"
	    "{\"code\":\"unavailable\",\"message\":\"database unreachable\"}}";

	if (db_one(r->db, &one, stmts[STMT_HEALTH], "") == 1)
		return http_reply(r, 200, ok, sizeof(ok) - 1);
	http_header(r, "Retry-After", "1");
	return http_reply(r, 503, down, sizeof(down) - 1);
}

/*
 * New accounts (signups, guests, the seed adapters') from r's address:
 * CHAT_SIGNUP_LIMIT a window (CAP_LOGIN_WINDOW_S).  Each is a row kept for
 * good, a signup an argon2id hash too, so an attempt is counted before
 * the hash, taken or not.  0 go on, the seconds until the window ends
 * when over the limit, or -1 (database).
 */
int
user_may_create(struct req *r)
{
	char	 key[100];
	int64_t	 win;

	if (conf.signup_limit == 0)
		return 0;
	snprintf(key, sizeof(key), "signup-addr:%s", r->addr);
	return auth_window_take(r->db, key, CAP_LOGIN_WINDOW_S,
	    conf.signup_limit, &win);
}

/* user_may_create() answered natively: 0 go on, or the status sent. */
int
user_may_create_reply(struct req *r)
{
	int	 w;

	if ((w = user_may_create(r)) == -1)
		return http_fail_db(r);
	return w > 0 ? http_fail_rate(r, w) : 0;
}

/*
 * Insert user u and start its session (the sid cookie goes on r), in one
 * transaction.  Shared by signup, guests and the seed adapters.  1 created
 * (*uid), 0 the user name is taken, -1 error.
 */
int
user_create(struct req *r, const struct user_new *u, int64_t *uid)
{
	if (db_begin(r->db) == -1)
		return -1;
	if (db_exec(r->db, stmts[STMT_USER_NEW], "ssssssssi",
	    u->username, u->hash, u->email ? u->email : "",
	    u->nickname ? u->nickname : u->username,
	    u->avatar_url ? u->avatar_url : "",
	    u->location ? u->location : "", u->bio ? u->bio : "",
	    u->public_key ? u->public_key : "", (int64_t)u->guest) != 1) {
		db_rollback(r->db);
		return db_is_dup(r->db) ? 0 : -1;
	}
	*uid = db_insert_id(r->db);
	if (auth_session_new(r, *uid, u->guest) == -1 ||
	    db_commit(r->db) == -1) {
		db_rollback(r->db);
		return -1;
	}
	return 1;
}

/* Insert a user and start a session, in one transaction.  Status sent. */
static int
create_user(struct req *r, const struct fval *v, const char *hash, int st)
{
	struct user_new	 u;
	int64_t		 uid;
	int		 rc;

	memset(&u, 0, sizeof(u));
	u.username = v[SIGNUP_USERNAME].s;
	u.hash = hash;
	u.email = v[SIGNUP_EMAIL].s;
	u.nickname = v[SIGNUP_NICKNAME].s;
	u.avatar_url = v[SIGNUP_AVATAR_URL].s;
	u.location = v[SIGNUP_LOCATION].s;
	u.bio = v[SIGNUP_BIO].s;
	u.public_key = v[SIGNUP_PUBLIC_KEY].s;
	if ((rc = user_create(r, &u, &uid)) == 0)
		return http_fail(r, 409, "conflict", "that user name is taken");
	if (rc == -1)
		return http_fail_db(r);
	return reply_me(r, st, uid);
}

/* POST /api/signup: a new account, logged in.  201 user. */
int
h_user_signup(struct req *r)
{
	struct fval	 v[SIGNUP__MAX];
	char		 hash[AUTH_HASH_MAX];
	int		 st;

	if ((st = valid_fields(r, signup_fields, SIGNUP__MAX, v)) != 0 ||
	    (st = user_may_create_reply(r)) != 0)
		return st;
	if (auth_hash(v[SIGNUP_PASSWORD].s, v[SIGNUP_PASSWORD].len, hash) == -1)
		return http_fail(r, 500, "internal", "cannot hash password");
	return create_user(r, v, hash, 201);
}

/*
 * A guest named guest-<40 random bits> with nickname nick, logged in on r
 * (POST /api/guest, seed 002's CRT_ACCOUNT).  1 created (*uid), 0 the
 * random name clashed (the client may retry), -1 error.
 */
int
user_guest(struct req *r, const char *nick, int64_t *uid)
{
	struct user_new	 u;
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
	return user_create(r, &u, uid);
}

/* POST /api/guest {nickname}: a guest account for stranger chat.  201. */
int
h_user_guest(struct req *r)
{
	static const struct field guest_fields[] = {
		{ "nickname", valid_nickname, F_REQUIRED },
	};
	struct fval	 nick;
	int64_t		 uid;
	int		 st;

	if ((st = valid_fields(r, guest_fields, 1, &nick)) != 0 ||
	    (st = user_may_create_reply(r)) != 0)
		return st;
	if ((st = user_guest(r, nick.s, &uid)) == 0)
		return http_fail(r, 409, "conflict", "that user name is taken");
	if (st == -1)
		return http_fail_db(r);
	return reply_me(r, 201, uid);
}

/*
 * The rate_limit key of password attempts for user name (any case): login
 * failures and wrong current passwords (PATCH /api/me) count together.
 */
static void
login_user_key(char *out, size_t sz, const char *name, size_t nlen)
{
	char	*c;

	snprintf(out, sz, "login-user:%.*s", (int)(nlen > 64 ? 64 : nlen),
	    name);
	for (c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
}

/*
 * Log r in as user name with password pw (POST /api/login, seed 003's
 * login frame): on success a new session and its cookie.  A wrong password
 * and an unknown user cost the same time.  Failures are counted per user
 * name and per client address; past the limit, 429.  Returns 1 logged in
 * (*uid), 0 wrong name or password, or the status already sent (429, 503).
 */
int
user_login(struct req *r, const char *name, size_t nlen, const char *pw,
    size_t pwlen, int64_t *uid)
{
	char		 kuser[100], kaddr[100];
	struct dbres	*res;
	int64_t		 wu, wa;
	char		*hash = NULL;
	int		 ok, rc, w;

	*uid = 0;
	login_user_key(kuser, sizeof(kuser), name, nlen);
	snprintf(kaddr, sizeof(kaddr), "login-addr:%s", r->addr);
	/*
	 * An attempt is counted before the password is checked and given
	 * back if it succeeds, so the failures plus the attempts still
	 * running stay within the limits however many come at once.
	 */
	if ((w = auth_window_take(r->db, kaddr, CAP_LOGIN_WINDOW_S,
	    CAP_LOGIN_ADDR_FAILS, &wa)) == -1)
		return http_fail_db(r);
	if (w > 0)
		return http_fail_rate(r, w);
	if ((w = auth_window_take(r->db, kuser, CAP_LOGIN_WINDOW_S,
	    CAP_LOGIN_USER_FAILS, &wu)) == -1)
		return http_fail_db(r);
	if (w > 0) {
		if (auth_window_give(r->db, kaddr, wa) == -1)
			return http_fail_db(r);
		return http_fail_rate(r, w);
	}

	if (!valid_username(name, nlen))
		rc = 0;
	else if ((res = db_query(r->db, stmts[STMT_USER_LOGIN], "s",
	    name)) == NULL)
		return http_fail_db(r);
	else {
		if ((rc = db_row(res)) == 1) {
			*uid = db_int(res, 0);
			hash = xstrdup(db_str(res, 1, NULL));
		}
		db_res_free(res);
		if (rc == -1)
			return http_fail_db(r);
	}
	if (hash != NULL)
		ok = auth_verify(hash, pw, pwlen);
	else {
		auth_verify_dummy(pw, pwlen);
		ok = 0;
	}
	free(hash);
	if (!ok)
		return 0;	/* the attempts taken stay counted */
	if (auth_window_give(r->db, kuser, wu) == -1 ||
	    auth_window_give(r->db, kaddr, wa) == -1 ||
	    auth_session_new(r, *uid, 0) == -1)
		return http_fail_db(r);
	return 1;
}

/* POST /api/login: 200 user and a new session; 401, 429.  user_login. */
int
h_user_login(struct req *r)
{
	struct fval	 v[LOGIN__MAX];
	int64_t		 uid;
	int		 st;

	if ((st = valid_fields(r, login_fields, LOGIN__MAX, v)) != 0)
		return st;
	st = user_login(r, v[LOGIN_USERNAME].s, v[LOGIN_USERNAME].len,
	    v[LOGIN_PASSWORD].s, v[LOGIN_PASSWORD].len, &uid);
	if (st == 0)
		return http_fail(r, 401, "unauthorized",
		    "wrong user name or password");
	if (st != 1)
		return st;
	return reply_me(r, 200, uid);
}

/*
 * End every session of uid but keep (0: all of them), inside the caller's
 * transaction, and tell the user with a sessions_ended event: it wakes
 * their waiting polls in every process and on every host (wake_user after
 * the commit, the watcher elsewhere), and a poll that waited asks whether
 * its session still stands before it hands anything out (poll.c), so an
 * ended session gets nothing more.  0 or -1.
 */
int
user_sessions_end(struct db *db, int64_t uid, int64_t keep, const char *why)
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
 * End r's session, or with all set every session of the user, and the
 * user's stranger chats (partners get partner_left, woken after the
 * commit), and expire the cookie.  Shared by POST /api/logout and seed
 * 002's LOGOUT.  0 or -1.
 */
int
user_logout(struct req *r, int all)
{
	struct ids	 wake = { 0 };

	if (db_begin(r->db) == -1)
		return -1;
	if ((all ? user_sessions_end(r->db, r->uid, 0, "logout_all") :
	    auth_session_end(r->db, r->sid)) == -1 ||
	    match_user_gone(r->db, r->uid, &wake) == -1 ||
	    db_commit(r->db) == -1) {
		db_rollback(r->db);
		ids_free(&wake);
		return -1;
	}
	if (all)
		ids_add(&wake, r->uid);
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	http_header(r, "Set-Cookie", "sid=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict");
	return 0;
}

/*
 * POST /api/logout {"all"?: true}: end this session, or every session of
 * the user on every device, and the user's stranger chats (partners get
 * partner_left).  204 and an expired cookie.
 */
int
h_user_logout(struct req *r)
{
	struct json_object	*all;
	int			 every = 0;

	if (json_object_object_get_ex(r->json, "all", &all) &&
	    all != NULL) {
		if (!json_object_is_type(all, json_type_boolean))
			return http_fail(r, 400, "bad_request",
			    "all must be true or false");
		every = json_object_get_boolean(all);
	}
	if (user_logout(r, every) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}

/* GET /api/me: own profile with email. */
int
h_me_get(struct req *r)
{
	return reply_me(r, 200, r->uid);
}

/* What friends see of a user besides the name: nickname and picture. */
struct shown {
	char	*nickname;
	char	*avatar_url;
};

static void
shown_free(struct shown *sh)
{
	free(sh->nickname);
	free(sh->avatar_url);
	sh->nickname = sh->avatar_url = NULL;
}

/* uid's nickname and picture as they are now, into *sh.  0 or -1. */
static int
profile_before(struct db *db, int64_t uid, struct shown *sh)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		sh->nickname = xstrdup(db_str(res, 2, NULL));
		sh->avatar_url = xstrdup(db_str(res, 3, NULL));
	}
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * A new nickname or picture (nick, avatar: NULL unchanged) is told to
 * every friend as a "profile" event, in the update's transaction; their
 * ids go to *to for the wake after the commit.  Nothing when neither
 * differs from *was (a save of the same values).  0 or -1.
 */
static int
profile_tell(struct req *r, const struct shown *was, const char *nick,
    const char *avatar, struct ids *to)
{
	struct buf	 p = { 0 };
	int		 rc;

	if (was->nickname == NULL ||
	    ((nick == NULL || strcmp(nick, was->nickname) == 0) &&
	    (avatar == NULL || strcmp(avatar, was->avatar_url) == 0)))
		return 0;
	if (nick == NULL)
		nick = was->nickname;
	if (avatar == NULL)
		avatar = was->avatar_url;
	buf_adds(&p, "{\"user\":");
	buf_json_str(&p, r->username, strlen(r->username));
	buf_adds(&p, ",\"nickname\":");
	buf_json_str(&p, nick, strlen(nick));
	buf_adds(&p, ",\"avatar_url\":");
	buf_json_str(&p, avatar, strlen(avatar));
	buf_adds(&p, "}");
	rc = event_push_friends(r->db, r->uid, "profile", p.p) == -1 ||
	    event_friend_ids(r->db, r->uid, to) == -1 ? -1 : 0;
	buf_free(&p);
	return rc;
}

/*
 * PATCH /api/me: change profile fields; a new password needs the current
 * one and ends every other session.  200 user.
 */
int
h_me_patch(struct req *r)
{
	struct fval	 v[ME__MAX];
	char		 hash[AUTH_HASH_MAX], *old = NULL, kuser[100];
	struct dbres	*res;
	struct shown	 shown = { NULL, NULL };
	struct ids	 friends = { 0 };
	int64_t		 wu;
	int		 st, ok, w, shows;

	if ((st = valid_fields(r, me_fields, ME__MAX, v)) != 0)
		return st;
	shows = v[ME_NICKNAME].s != NULL || v[ME_AVATAR_URL].s != NULL;
	if (v[ME_PASSWORD].s != NULL) {
		if (r->guest)
			return http_fail(r, 403, "forbidden",
			    "guests have no password");
		if (v[ME_CURRENT_PASSWORD].s == NULL)
			return http_fail(r, 400, "bad_request",
			    "current_password is required to change it");
		/* A stolen cookie must not buy unlimited password guesses. */
		login_user_key(kuser, sizeof(kuser), r->username,
		    strlen(r->username));
		if ((w = auth_window_take(r->db, kuser, CAP_LOGIN_WINDOW_S,
		    CAP_LOGIN_USER_FAILS, &wu)) == -1)
			return http_fail_db(r);
		if (w > 0)
			return http_fail_rate(r, w);
		if ((res = db_query(r->db, stmts[STMT_USER_HASH], "i",
		    r->uid)) == NULL)
			return http_fail_db(r);
		if (db_row(res) == 1)
			old = xstrdup(db_str(res, 0, NULL));
		db_res_free(res);
		ok = old != NULL && auth_verify(old, v[ME_CURRENT_PASSWORD].s,
		    v[ME_CURRENT_PASSWORD].len);
		free(old);
		if (!ok)	/* the attempt taken stays counted */
			return http_fail(r, 403, "forbidden",
			    "current_password is wrong");
		if (auth_window_give(r->db, kuser, wu) == -1)
			return http_fail_db(r);
		if (auth_hash(v[ME_PASSWORD].s, v[ME_PASSWORD].len, hash) == -1)
			return http_fail(r, 500, "internal",
			    "cannot hash password");
	}
	/* A new nickname or picture is an event to every friend: a send. */
	if (shows && (st = auth_push_allowed(r)) != 0)
		return st;
	if (db_begin(r->db) == -1)
		return http_fail_db(r);
	if (shows && profile_before(r->db, r->uid, &shown) == -1)
		goto fail;
	if (db_exec(r->db, stmts[STMT_USER_UPDATE], "ssssssi",
	    v[ME_NICKNAME].s, v[ME_EMAIL].s, v[ME_AVATAR_URL].s,
	    v[ME_LOCATION].s, v[ME_BIO].s, v[ME_PUBLIC_KEY].s, r->uid) < 0 ||
	    (v[ME_PASSWORD].s != NULL &&
	    (db_exec(r->db, stmts[STMT_USER_PASSWORD], "si", hash,
	    r->uid) < 0 ||
	    user_sessions_end(r->db, r->uid, r->sid, "password") == -1)) ||
	    profile_tell(r, &shown, v[ME_NICKNAME].s, v[ME_AVATAR_URL].s,
	    &friends) == -1 ||
	    db_commit(r->db) == -1)
		goto fail;
	if (v[ME_PASSWORD].s != NULL)
		ids_add(&friends, r->uid);	/* the others' sessions ended */
	wake_users(friends.v, friends.n);
	ids_free(&friends);
	shown_free(&shown);
	return reply_me(r, 200, r->uid);
fail:
	db_rollback(r->db);
	ids_free(&friends);
	shown_free(&shown);
	return http_fail_db(r);
}

/*
 * GET /api/users/{username}: a public profile, with email for friends and
 * oneself, and "friend": whether we are friends.  404 if unknown.
 */
int
h_user_get(struct req *r)
{
	struct json_object	*u;
	struct dbres		*res;
	const char		*name = route_param(r, 0);
	int			 rc, friend, self;

	if (!valid_username(name, strlen(name)))
		return http_fail(r, 404, "not_found", "no such user");
	if ((res = db_query(r->db, stmts[STMT_USER_BY_NAME], "is", r->uid,
	    name)) == NULL)
		return http_fail_db(r);
	if ((rc = db_row(res)) != 1) {
		db_res_free(res);
		return rc == 0 ? http_fail(r, 404, "not_found", "no such user") :
		    http_fail_db(r);
	}
	friend = db_int(res, USER_NCOLS) != 0;
	self = db_int(res, 0) == r->uid;
	u = user_json(res, 0, friend || self);
	json_object_object_add(u, "friend", json_object_new_boolean(friend));
	db_res_free(res);
	return http_reply_json(r, 200, u);
}
