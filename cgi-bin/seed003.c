/*
 * seed003.c: the adapter for the frames of seed 003 (shared/seeds/
 * 003_fd3dec27408feecf.txt).  POST /api/frame takes one frame
 * {"MID","CONTENT","TYPE"} (CONTENT an object or a JSON string holding it)
 * and answers the reply frame the document shows: this file signs up,
 * logs in and looks up users (TYPE "1" to "3"), seed003_talk.c does
 * messages, acks and friendship (TYPE "4" to "6") and the pushes of GET
 * /api/frames.  Every rule is the native one: this file parses, calls
 * core_accounts.c (through api_auth.c), core_users.c and
 * core_friends.c, and formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "api_auth.h"
#include "caps.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_friends.h"
#include "core_users.h"
#include "handlers.h"
#include "http_reply.h"
#include "req.h"
#include "seed003_frame.h"
#include "seed003_talk.h"
#include "valid.h"

enum frame_type {
	FRAME_SIGNUP = 1,
	FRAME_LOGIN,
	FRAME_USER,
	FRAME_MESSAGE,
	FRAME_ACK,
	FRAME_FRIEND,
	FRAME__MAX
};

/* The signup frame's CONTENT: the native signup's validators. */
enum signup_field {
	SU_USERNAME,
	SU_PASSWORD,
	SU_EMAIL,
	SU_NICKNAME,
	SU_PICTURE,
	SU_LOCATION,
	SU_BIO,
	SU_PUBLIC_KEY,
	SU__MAX
};

/*
 * The document's profilePicture is a link anywhere ("personalpicture.com/
 * link"): any one line of text is taken, so its clients still sign up,
 * but only the server's own picture path is stored (valid_picture_url);
 * anything else leaves the picture empty.
 */
static int
valid_seed_picture(const char *s, size_t n)
{
	return valid_line(s, n, 0, CAP_AVATAR_URL);
}

static const struct field signup_fields[SU__MAX] = {
	{ "userName", valid_new_username, F_REQUIRED }, /* SU_USERNAME */
	{ "hashValue", valid_password, F_REQUIRED },	/* SU_PASSWORD */
	{ "emailAddress", valid_email, 0 },		/* SU_EMAIL */
	{ "nickName", valid_nickname, 0 },		/* SU_NICKNAME */
	{ "profilePicture", valid_seed_picture, 0 },	/* SU_PICTURE */
	{ "location", valid_location, 0 },		/* SU_LOCATION */
	{ "personalDescription", valid_bio, 0 },	/* SU_BIO */
	{ "rsaPublicKey", valid_public_key, 0 },	/* SU_PUBLIC_KEY */
};

/*
 * TYPE "1": sign up and log in.  "SS" (and the sid cookie), or "SF" with
 * a reason: a taken name or a field the native signup would refuse.
 */
static int
frame_signup(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	struct account_new u;
	struct fval	 v[SU__MAX];
	char		 why[96], hash[AUTH_HASH_MAX];
	int64_t		 uid;
	int		 rc;

	if (!valid_fields(c, signup_fields, SU__MAX, v, why, sizeof(why)))
		return frame_word(r, "RE_SIGNUP", mid, mlen, "SF", why);
	if ((rc = auth_may_create_reply(r)) != 0)
		return rc;
	if (auth_hash(v[SU_PASSWORD].s, v[SU_PASSWORD].len, hash) == -1)
		return http_fail(r, 500, "internal", "cannot hash password");
	memset(&u, 0, sizeof(u));
	u.username = v[SU_USERNAME].s;
	u.hash = hash;
	u.email = v[SU_EMAIL].s;
	u.nickname = v[SU_NICKNAME].s;
	/* Only the server's own pictures are shown (valid_picture_url). */
	if (v[SU_PICTURE].s != NULL &&
	    valid_picture_url(v[SU_PICTURE].s, v[SU_PICTURE].len))
		u.avatar_url = v[SU_PICTURE].s;
	u.location = v[SU_LOCATION].s;
	u.bio = v[SU_BIO].s;
	u.public_key = v[SU_PUBLIC_KEY].s;
	if ((rc = auth_signup(r, &u, &uid)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return frame_word(r, "RE_SIGNUP", mid, mlen, "SF",
		    "that user name is taken");
	return frame_word(r, "RE_SIGNUP", mid, mlen, "SS", NULL);
}

/*
 * TYPE "2": log in with {USER, PASS}: "LS" and the cookie, or "LF" (the
 * document answers both with TYPE "RE_SIGNUP").  The native login's
 * throttling applies (429).
 */
static int
frame_login(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	const char	*name, *pw;
	size_t		 nlen, pwlen;
	int64_t		 uid;
	int		 st;

	name = frame_str(c, "USER", &nlen);
	pw = frame_str(c, "PASS", &pwlen);
	/* What the native login takes (its valid_any), else just wrong. */
	if (name == NULL || pw == NULL || nlen > CAP_PASSWORD_MAX ||
	    pwlen > CAP_PASSWORD_MAX || !valid_utf8(name, nlen) ||
	    !valid_utf8(pw, pwlen))
		return frame_word(r, "RE_SIGNUP", mid, mlen, "LF", NULL);
	st = auth_login(r, name, nlen, pw, pwlen, &uid);
	if (st == 1)
		return frame_word(r, "RE_SIGNUP", mid, mlen, "LS", NULL);
	if (st == 0)
		return frame_word(r, "RE_SIGNUP", mid, mlen, "LF", NULL);
	return st;
}

/* Member k of user object u as a string (a copy), "" when absent. */
static struct json_object *
user_field(struct json_object *u, const char *k)
{
	const char	*s;
	size_t		 n;

	if ((s = frame_str(u, k, &n)) == NULL)
		return json_object_new_string("");
	return json_object_new_string_len(s, (int)n);
}

/*
 * TYPE "3": a user's profile by name, as RE_GETUSER_SUC (emailAddress
 * only for oneself and friends, else ""), or RE_GETUSER_FAILED.
 */
static int
frame_user(struct req *r, const char *name, size_t nlen, const char *mid,
    size_t mlen)
{
	struct json_object	*u = NULL, *o;
	int64_t			 id = 0;
	int			 rc, friend = 0;

	rc = valid_username(name, nlen) ?
	    user_id_by_name(r->db, name, &id) : 0;
	if (rc == 1 && id != r->uid && (friend = friend_check(r->db, r->uid,
	    id)) == -1)
		rc = -1;
	if (rc == 1)
		rc = user_json_by_id(r->db, id, id == r->uid || friend, &u);
	if (rc == -1)
		return http_fail_db(r);
	if (rc == 0)
		return frame_word(r, "RE_GETUSER_FAILED", mid, mlen,
		    "User could not be found", NULL);
	o = json_object_new_object();
	json_object_object_add(o, "userName", user_field(u, "username"));
	json_object_object_add(o, "emailAddress", user_field(u, "email"));
	json_object_object_add(o, "nickName", user_field(u, "nickname"));
	json_object_object_add(o, "profilePicture",
	    user_field(u, "avatar_url"));
	json_object_object_add(o, "location", user_field(u, "location"));
	json_object_object_add(o, "personalDescription",
	    user_field(u, "bio"));
	json_object_object_add(o, "rsaPublicKey",
	    user_field(u, "public_key"));
	json_object_put(u);
	return frame_reply(r, "RE_GETUSER_SUC", mid, mlen, o, NULL);
}

/*
 * POST /api/frame: one seed 003 frame.  Signup and login frames need no
 * session; the others do (401 otherwise: the document's server does
 * nothing).  A frame that cannot be answered in its own terms (no TYPE,
 * no CONTENT, no id to echo) is a 400.
 */
int
h_frame(struct req *r)
{
	struct json_object	*c = NULL, *v;
	const char		*mid = NULL, *s = NULL;
	size_t			 mlen = 0, slen = 0;
	int			 type, st;

	if ((type = frame_enum(r->json, "TYPE", FRAME__MAX)) == 0)
		return http_fail(r, 400, "bad_request",
		    "TYPE must be \"1\" to \"6\"");
	if (!json_object_object_get_ex(r->json, "CONTENT", &v) || v == NULL)
		return http_fail(r, 400, "bad_request", "CONTENT is required");
	if (json_object_is_type(v, json_type_object))
		c = v;
	else if (!json_object_is_type(v, json_type_string))
		return http_fail(r, 400, "bad_request",
		    "CONTENT must be an object or a string");
	else if (type == FRAME_USER) {
		s = json_object_get_string(v);
		slen = (size_t)json_object_get_string_len(v);
	} else {
		if ((c = frame_parse(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v))) == NULL)
			return http_fail(r, 400, "bad_request",
			    "CONTENT is not a JSON object");
		/* Now r's body owns it: it goes in req_free. */
		json_object_object_add(r->json, "CONTENT", c);
		/* Answered in kind: a client that writes strings reads them. */
		r->content_str = 1;
	}
	if (type == FRAME_USER && s == NULL)
		return http_fail(r, 400, "bad_request",
		    "CONTENT must be a user name");

	/* The id the reply echoes. */
	if (type == FRAME_MESSAGE || type == FRAME_FRIEND)
		mid = frame_str(c, "messageId", &mlen);
	else if ((mid = frame_str(r->json, "MID", &mlen)) == NULL &&
	    type == FRAME_ACK)
		mid = frame_str(c, "MessageId", &mlen);
	if (mid == NULL || mlen > CAP_CLIENT_ID || !valid_utf8(mid, mlen))
		return http_fail(r, 400, "bad_request", type == FRAME_MESSAGE ||
		    type == FRAME_FRIEND ?
		    "CONTENT.messageId must be a string of at most 64 bytes" :
		    "MID must be a string of at most 64 bytes");

	if (type == FRAME_SIGNUP)
		return frame_signup(r, c, mid, mlen);
	if (type == FRAME_LOGIN)
		return frame_login(r, c, mid, mlen);
	if ((st = auth_session(r)) != 0)
		return st;
	user_touch(r->db, r->uid, r->sid_hash, r->username, r->was_online,
	    r->seen_age);
	switch (type) {
	case FRAME_USER:
		return frame_user(r, s, slen, mid, mlen);
	case FRAME_MESSAGE:
		return talk_message(r, c, mid, mlen);
	case FRAME_ACK:
		if ((s = frame_str(c, "MessageId", &slen)) == NULL ||
		    !valid_client_id(s, slen))
			return http_fail(r, 400, "bad_request",
			    "CONTENT.MessageId must be a frame id");
		return talk_ack(r, s, slen, mid, mlen);
	default:
		return talk_friend(r, c, mid, mlen);
	}
}
