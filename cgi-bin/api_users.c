/*
 * api_users.c: POST /api/signup, /api/login, /api/guest, /api/logout,
 * GET and PATCH /api/me, GET /api/users/{name}, and GET /api/health.
 * Each checks its fields, calls core_accounts.c or core_users.c (through
 * api_auth.c where a session starts or ends) and answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "api_auth.h"
#include "caps.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_live.h"
#include "core_users.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "valid.h"
#include "waiter.h"

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
	{ "username",	valid_new_username, F_REQUIRED }, /* SIGNUP_USERNAME */
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
	static const char ok[] = "{\"ok\":true,\"db\":true}";
	static const char down[] = "{\"ok\":false,\"db\":false,\"error\":"
	    "{\"code\":\"unavailable\",\"message\":\"database unreachable\"}}";

	if (db_alive(r->db))
		return http_reply(r, 200, ok, sizeof(ok) - 1);
	http_header(r, "Retry-After", "1");
	return http_reply(r, 503, down, sizeof(down) - 1);
}

/* Insert a user and start a session, in one transaction.  Status sent. */
static int
create_user(struct req *r, const struct fval *v, const char *hash, int st)
{
	struct account_new u;
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
	if ((rc = auth_signup(r, &u, &uid)) == 0)
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

	if ((st = http_fields(r, signup_fields, SIGNUP__MAX, v)) != 0 ||
	    (st = auth_may_create_reply(r)) != 0)
		return st;
	if (auth_hash(v[SIGNUP_PASSWORD].s, v[SIGNUP_PASSWORD].len, hash) == -1)
		return http_fail(r, 500, "internal", "cannot hash password");
	return create_user(r, v, hash, 201);
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

	if ((st = http_fields(r, guest_fields, 1, &nick)) != 0 ||
	    (st = auth_may_create_reply(r)) != 0)
		return st;
	if ((st = auth_guest(r, nick.s, &uid)) == 0)
		return http_fail(r, 409, "conflict", "that user name is taken");
	if (st == -1)
		return http_fail_db(r);
	return reply_me(r, 201, uid);
}

/* POST /api/login: 200 user and a new session; 401, 429.  auth_login. */
int
h_user_login(struct req *r)
{
	struct fval	 v[LOGIN__MAX];
	int64_t		 uid;
	int		 st;

	if ((st = http_fields(r, login_fields, LOGIN__MAX, v)) != 0)
		return st;
	st = auth_login(r, v[LOGIN_USERNAME].s, v[LOGIN_USERNAME].len,
	    v[LOGIN_PASSWORD].s, v[LOGIN_PASSWORD].len, &uid);
	if (st == 0)
		return http_fail(r, 401, "unauthorized",
		    "wrong user name or password");
	if (st != 1)
		return st;
	return reply_me(r, 200, uid);
}

/*
 * POST /api/logout {"all"?: true}: end this session, or every session of
 * the user on every device, and the user's stranger chats (partners get
 * partner_left).  204 and an expired cookie.  The user's last live session
 * (no poll of another session waits in this process) takes them offline
 * now: friends get presence online false at once, not after the idle time.
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
	if (auth_logout(r, every) == -1)
		return http_fail_db(r);
	if (every || !waiter_other_session(r->uid, r->sid))
		(void)user_gone(r->db, r->uid);	/* the idle rule is the net */
	return http_reply(r, 204, NULL, 0);
}

/* GET /api/me: own profile with email. */
int
h_me_get(struct req *r)
{
	return reply_me(r, 200, r->uid);
}

/*
 * PATCH /api/me: change profile fields; a new password needs the current
 * one and ends every other session.  200 user.
 */
int
h_me_patch(struct req *r)
{
	struct fval	 v[ME__MAX];
	struct user_patch p;
	char		 hash[AUTH_HASH_MAX];
	int		 st, w = 0;

	if ((st = http_fields(r, me_fields, ME__MAX, v)) != 0)
		return st;
	if (v[ME_PASSWORD].s != NULL) {
		if (r->guest)
			return http_fail(r, 403, "forbidden",
			    "guests have no password");
		if (v[ME_CURRENT_PASSWORD].s == NULL)
			return http_fail(r, 400, "bad_request",
			    "Enter your current password to change it.");
		switch (account_password_try(r->db, r->uid, r->username,
		    auth_device(r), v[ME_CURRENT_PASSWORD].s,
		    v[ME_CURRENT_PASSWORD].len, &w)) {
		case LOGIN_OK:
			break;
		case LOGIN_WRONG:
			return http_fail(r, 403, "forbidden",
			    "The current password is wrong.");
		case LOGIN_LIMIT:
			return http_fail_rate(r, w);
		default:
			return http_fail_db(r);
		}
		if (auth_hash(v[ME_PASSWORD].s, v[ME_PASSWORD].len, hash) == -1)
			return http_fail(r, 500, "internal",
			    "cannot hash password");
	}
	/* A new nickname or picture is an event to every friend: a send. */
	if ((v[ME_NICKNAME].s != NULL || v[ME_AVATAR_URL].s != NULL) &&
	    (st = auth_push_allowed(r)) != 0)
		return st;
	p.nickname = v[ME_NICKNAME].s;
	p.email = v[ME_EMAIL].s;
	p.avatar_url = v[ME_AVATAR_URL].s;
	p.location = v[ME_LOCATION].s;
	p.bio = v[ME_BIO].s;
	p.public_key = v[ME_PUBLIC_KEY].s;
	if (user_update(r->db, r->uid, r->username, r->sid, auth_device(r), &p,
	    v[ME_PASSWORD].s != NULL ? hash : NULL) == -1)
		return http_fail_db(r);
	return reply_me(r, 200, r->uid);
}

/*
 * GET /api/users/{username}: a public profile, with email for friends and
 * oneself, and "friend": whether we are friends.  404 if unknown.
 */
int
h_user_get(struct req *r)
{
	struct json_object	*u = NULL;
	const char		*name = http_path(r, 0);
	int			 rc;

	if (!valid_username(name, strlen(name)))
		return http_fail(r, 404, "not_found", "no such user");
	if ((rc = user_by_name(r->db, r->uid, name, &u)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "no such user");
	return http_reply_json(r, 200, u);
}

/*
 * GET /api/users?q=PREFIX: find people by the start of a user name or a
 * nickname (issue 26): 200 {"users":[...]}, at most 10; 400 for a q of
 * fewer than 2 or more than 32 characters; 429 past 60 a minute.
 */
int
h_user_find(struct req *r)
{
	struct json_object	*o = NULL;
	char			 q[CAP_FIND_MAX * 4 + 1];
	int			 rc;

	if (http_query(r, "q", q, sizeof(q)) != 1 ||
	    !valid_line(q, strlen(q), CAP_FIND_MIN, CAP_FIND_MAX))
		return http_fail(r, 400, "bad_request",
		    "Type 2 to 32 characters: the start of a name.");
	if ((rc = user_find(r->db, r->uid, q, &o)) == -1)
		return http_fail_db(r);
	if (rc > 0)
		return http_fail_rate(r, rc);
	return http_reply_json(r, 200, o);
}
