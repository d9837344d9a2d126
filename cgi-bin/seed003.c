/*
 * seed003.c: the adapter for the frames of seed 003 (shared/seeds/
 * 003_fd3dec27408feecf.txt).  POST /api/frame takes one frame
 * {"MID","CONTENT","TYPE"} (CONTENT an object or a JSON string holding it)
 * and answers the reply frame the document shows; GET /api/frames
 * long-polls the pushes (TYPE "4" messages, TYPE "6" friend notices),
 * which the client acks with TYPE "5".  Every rule is the native one:
 * this file parses, calls users.c, friends.c, messages.c, events.c and
 * poll.c, and formats.  Also seed_fetch(), shared with seed002.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "auth.h"
#include "caps.h"
#include "db.h"
#include "events.h"
#include "friends.h"
#include "handlers.h"
#include "http.h"
#include "messages.h"
#include "poll.h"
#include "seed.h"
#include "users.h"
#include "util.h"
#include "valid.h"

enum stmt {
	STMT_ACK,
	STMT_CONV_DIRECT,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_ACK: the user's pending events a frame id names: a message by
	 * its client_id, a friend notice by the request's client_ref or
	 * "fr<request id>", any event by "ev<event id>".  Exact (binary)
	 * comparison; only the owner's rows, and only those handed out
	 * already: stamped sent, or handed out by this process and waiting
	 * for the stamp (a JSON array of their ids).  Senders choose message
	 * ids, so another sender's message of the same id may be waiting,
	 * not yet seen: an ack must not take it away.
	 */
	"DELETE FROM event WHERE user_id = ? "
	"AND " EVENT_HANDED_OUT " "
	"AND (CONCAT('ev', id) = ? OR "
	"(type = 'message' AND JSON_VALUE(payload, '$.message.client_id') "
	"COLLATE utf8mb4_bin = ?) OR "
	"(type IN ('friend_request', 'friend_accepted', 'friend_rejected') "
	"AND (JSON_VALUE(payload, '$.request.client_ref') "
	"COLLATE utf8mb4_bin = ? OR "
	"CONCAT('fr', JSON_VALUE(payload, '$.request.id')) = ?)))",
	/* STMT_CONV_DIRECT: is this a direct (friends') conversation? */
	"SELECT kind = 'direct' FROM conversation WHERE id = ?",
};

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
	{ "userName", valid_username, F_REQUIRED },	/* SU_USERNAME */
	{ "hashValue", valid_password, F_REQUIRED },	/* SU_PASSWORD */
	{ "emailAddress", valid_email, 0 },		/* SU_EMAIL */
	{ "nickName", valid_nickname, 0 },		/* SU_NICKNAME */
	{ "profilePicture", valid_seed_picture, 0 },	/* SU_PICTURE */
	{ "location", valid_location, 0 },		/* SU_LOCATION */
	{ "personalDescription", valid_bio, 0 },	/* SU_BIO */
	{ "rsaPublicKey", valid_public_key, 0 },	/* SU_PUBLIC_KEY */
};

/* The TYPE "6" frame's own type: what to do about a friendship. */
enum friend_op {
	FOP_REQUEST = 1,
	FOP_ACCEPT,
	FOP_REJECT,
	FOP_DELETE,
	FOP__MAX
};

/* String member k of object o (borrowed, length in *n), or NULL. */
static const char *
get_str(struct json_object *o, const char *k, size_t *n)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*n = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Integer member k of o, or 0 when absent or not an integer. */
static int64_t
get_int(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/*
 * A small enumeration sent as "1" or 1: its value in 1..max-1, or 0.
 */
static int
get_enum(struct json_object *o, const char *k, int max)
{
	struct json_object	*v;
	const char		*s;
	int64_t			 n = 0;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (json_object_get_string_len(v) == 1 && s[0] >= '1' &&
		    s[0] <= '9')		/* "3\u0000junk" is not "3" */
			n = s[0] - '0';
	}
	return n >= 1 && n < max ? (int)n : 0;
}

/* Is the counted name the logged-in user's (names ignore case)? */
static int
is_me(struct req *r, const char *s, size_t n)
{
	return s != NULL && n == strlen(r->username) &&
	    strncasecmp(s, r->username, n) == 0;
}

/*
 * Parse s (n bytes) as one JSON object, the way request bodies are (UTF-8,
 * strict, RFC 8259, depth capped); surrounding white space is allowed.
 * The object, or NULL.
 */
static struct json_object *
parse_object(const char *s, size_t n)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 end;

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	if (http_json_ok(s, n) != 1)
		return NULL;
	tok = json_tokener_new_ex(CAP_JSON_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    end != n || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * A frame's CONTENT as it goes out: the object c, or (as_str) a string
 * holding it, as the document writes most frames.  c is taken.
 */
static struct json_object *
content_out(struct json_object *c, int as_str)
{
	struct json_object	*s;

	if (!as_str)
		return c;
	s = json_object_new_string(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(c);
	return s;
}

/*
 * Answer the reply frame {"CONTENT":{"MessageId":id,"Content":content},
 * "TYPE":type}, with "reason" in CONTENT when not NULL.  content is taken.
 * 200; the status sent.
 */
static int
frame_reply(struct req *r, const char *type, const char *id, size_t idlen,
    struct json_object *content, const char *reason)
{
	struct json_object	*o, *c;

	c = json_object_new_object();
	json_object_object_add(c, "MessageId",
	    json_object_new_string_len(id, (int)idlen));
	json_object_object_add(c, "Content", content);
	if (reason != NULL)
		json_object_object_add(c, "reason",
		    json_object_new_string(reason));
	o = json_object_new_object();
	json_object_object_add(o, "CONTENT", content_out(c, r->content_str));
	json_object_object_add(o, "TYPE", json_object_new_string(type));
	return http_reply_json(r, 200, o);
}

/* A reply frame whose Content is a short word ("SS", "MF", ...). */
static int
frame_word(struct req *r, const char *type, const char *id, size_t idlen,
    const char *word, const char *reason)
{
	return frame_reply(r, type, id, idlen, json_object_new_string(word),
	    reason);
}

/* A reply frame whose Content is a time in ms, as a string. */
static int
frame_time(struct req *r, const char *type, const char *id, size_t idlen,
    int64_t ms)
{
	char	 t[24];

	snprintf(t, sizeof(t), "%lld", (long long)ms);
	return frame_word(r, type, id, idlen, t, NULL);
}

/*
 * Check content c against the n fields of table f, like valid_fields()
 * but answering nothing: 1 valid, 0 not (*why names the field).
 */
static int
check_fields(struct json_object *c, const struct field *f, size_t n,
    struct fval *out, char *why, size_t whysz)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[i].s = NULL;
		out[i].len = 0;
		if (!json_object_object_get_ex(c, f[i].name, &v) || v == NULL) {
			if (!(f[i].flags & F_REQUIRED))
				continue;
			snprintf(why, whysz, "%s is required", f[i].name);
			return 0;
		}
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(why, whysz, "%s must be a string", f[i].name);
			return 0;
		}
		out[i].s = json_object_get_string(v);
		out[i].len = (size_t)json_object_get_string_len(v);
		if (!f[i].valid(out[i].s, out[i].len)) {
			snprintf(why, whysz, "%s is not valid", f[i].name);
			return 0;
		}
	}
	return 1;
}

/*
 * TYPE "1": sign up and log in.  "SS" (and the sid cookie), or "SF" with
 * a reason: a taken name or a field the native signup would refuse.
 */
static int
frame_signup(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	struct user_new	 u;
	struct fval	 v[SU__MAX];
	char		 why[96], hash[AUTH_HASH_MAX];
	int64_t		 uid;
	int		 rc;

	if (!check_fields(c, signup_fields, SU__MAX, v, why, sizeof(why)))
		return frame_word(r, "RE_SIGNUP", mid, mlen, "SF", why);
	if ((rc = user_may_create_reply(r)) != 0)
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
	if ((rc = user_create(r, &u, &uid)) == -1)
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

	name = get_str(c, "USER", &nlen);
	pw = get_str(c, "PASS", &pwlen);
	/* What the native login takes (its valid_any), else just wrong. */
	if (name == NULL || pw == NULL || nlen > CAP_PASSWORD_MAX ||
	    pwlen > CAP_PASSWORD_MAX || !valid_utf8(name, nlen) ||
	    !valid_utf8(pw, pwlen))
		return frame_word(r, "RE_SIGNUP", mid, mlen, "LF", NULL);
	st = user_login(r, name, nlen, pw, pwlen, &uid);
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

	if ((s = get_str(u, k, &n)) == NULL)
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

/* Why a send was refused, for MF's reason. */
static const char *
msg_reason(enum msg_result rc)
{
	switch (rc) {
	case MSG_NO_USER:
		return "no such user";
	case MSG_SELF:
		return "you cannot message yourself";
	case MSG_NOT_FRIENDS:
		return "you can only message your friends";
	default:
		return "not allowed";
	}
}

/*
 * TYPE "4": a direct message {messageId, sender, receiver, content} from
 * the logged-in user, messageId as its client_id (a resend is stored
 * once).  "MS", or "MF" with a reason.
 */
static int
frame_message(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	const char	*snd, *rcv, *body;
	size_t		 slen, rlen, blen;
	struct msg	 m;
	enum msg_result	 rc;
	int64_t		 conv;
	int		 wait;

	snd = get_str(c, "sender", &slen);
	rcv = get_str(c, "receiver", &rlen);
	body = get_str(c, "content", &blen);
	if (!is_me(r, snd, slen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "sender must be you");
	if (!valid_client_id(mid, mlen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "messageId must be 1 to 64 printable ASCII characters");
	if (rcv == NULL || !valid_username(rcv, rlen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "no such user");
	if (body == NULL || !valid_body(body, blen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "content must be 1 to 4000 characters");
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	if ((rc = msg_resolve_user(r->db, r->uid, rcv, &conv)) == MSG_OK)
		rc = msg_send(r->db, r->uid, r->username, conv, mid, mlen,
		    body, blen, &m);
	/*
	 * A repeat is "MS" only when it is the same message (a retry): the
	 * same messageId to another friend, or with other content, stored
	 * nothing, and "MS" would have told the sender it was sent.
	 */
	if (rc == MSG_REPEAT && (m.conv_id != conv || m.body_len != blen ||
	    memcmp(m.body, body, blen) != 0)) {
		free(m.body);
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "messageId was already used for another message");
	}
	if (rc == MSG_OK || rc == MSG_REPEAT) {
		free(m.body);
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MS", NULL);
	}
	if (rc == MSG_ERROR)
		return http_fail_db(r);
	return frame_word(r, "RE_MESSAGE", mid, mlen, "MF", msg_reason(rc));
}

/*
 * TYPE "5": ack {MessageId}: delete the logged-in user's pending events
 * handed out already that this frame id names (see STMT_ACK).  RE_ACK "OK", also when none
 * was pending (acks are idempotent).
 */
static int
frame_ack(struct req *r, const char *id, size_t idlen, const char *mid,
    size_t mlen)
{
	char		 s[CAP_CLIENT_ID + 1];
	struct buf	 ids = { 0 };
	long long	 rc;

	snprintf(s, sizeof(s), "%.*s", (int)idlen, id);
	event_handed_out(r->uid, &ids);
	rc = db_exec(r->db, stmts[STMT_ACK], "isssss", r->uid, ids.p, s, s,
	    s, s);
	buf_free(&ids);
	if (rc < 0)
		return http_fail_db(r);
	return frame_word(r, "RE_ACK", mid, mlen, "OK", NULL);
}

/* Why a friendship change was refused, for FAIL's reason. */
static const char *
fr_reason(enum fr_result rc)
{
	switch (rc) {
	case FR_SELF:
		return "you cannot befriend yourself";
	case FR_NO_USER:
		return "no such user";
	case FR_ALREADY:
		return "you are friends already";
	case FR_DUPLICATE:
		return "you have asked already; wait for an answer";
	case FR_NO_REQUEST:
		return "no such pending request";
	case FR_NOT_FRIENDS:
		return "you are not friends with that user";
	default:
		return "not allowed";
	}
}

/*
 * TYPE "6": {messageId, sender, receiver, content, type}: "1" the
 * logged-in sender asks receiver (content is the note; messageId is kept
 * and comes back in the pushes), "2"/"3" the logged-in receiver accepts or
 * rejects sender's pending request, "4" the logged-in sender ends the
 * friendship with receiver.  RE_FRI_REQ with the time in ms as a string,
 * or "FAIL" with a reason.
 */
static int
frame_friend(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	static const char	 t[] = "RE_FRI_REQ";
	const char		*snd, *rcv, *note, *why = NULL;
	size_t			 slen, rlen, nlen = 0;
	struct fr_out		 out;
	enum fr_result		 rc = FR_ERROR;
	int64_t			 id, at;
	char			 ref[CAP_CLIENT_ID + 1];
	int			 op, st;

	snd = get_str(c, "sender", &slen);
	rcv = get_str(c, "receiver", &rlen);
	if ((note = get_str(c, "content", &nlen)) == NULL)
		note = "";
	op = get_enum(c, "type", FOP__MAX);
	if (r->guest)
		why = "guests can only talk to strangers";
	else if (op == 0)
		why = "type must be \"1\" to \"4\"";
	else if (op == FOP_REQUEST || op == FOP_DELETE) {
		if (!is_me(r, snd, slen))
			why = "sender must be you";
		else if (rcv == NULL || !valid_username(rcv, rlen))
			why = "no such user";
	} else if (!is_me(r, rcv, rlen))
		why = "receiver must be you";
	else if (snd == NULL || !valid_username(snd, slen))
		why = "no such user";
	if (why == NULL && op == FOP_REQUEST &&
	    !valid_request_text(note, nlen))
		why = "content must be at most 500 characters";
	if (why == NULL && op == FOP_REQUEST && !valid_client_id(mid, mlen))
		why = "messageId must be 1 to 64 printable ASCII characters";
	if (why != NULL)
		return frame_word(r, t, mid, mlen, "FAIL", why);
	/* As POST /api/friends/requests and DELETE /api/friends/{name}. */
	if ((op == FOP_REQUEST || op == FOP_DELETE) &&
	    (st = auth_push_allowed(r)) != 0)
		return st;
	at = now_ms();
	switch (op) {
	case FOP_REQUEST:
		snprintf(ref, sizeof(ref), "%.*s", (int)mlen, mid);
		rc = friend_request(r->db, r->uid, rcv, note, ref, &out);
		if (rc == FR_ACCEPTED)
			rc = FR_OK;	/* they had asked: now friends */
		else if (rc == FR_OK)
			at = out.created_at;	/* as in the push */
		break;
	case FOP_ACCEPT:
	case FOP_REJECT:
		if ((rc = friend_request_by_names(r->db, snd, r->username,
		    &id)) != FR_OK)
			break;
		rc = op == FOP_ACCEPT ? friend_accept(r->db, r->uid, id, &out) :
		    friend_reject(r->db, r->uid, id, &out);
		if (rc == FR_OK)
			at = out.answered_at;	/* as in the push */
		break;
	case FOP_DELETE:
		rc = friend_remove(r->db, r->uid, rcv);
		break;
	}
	if (rc == FR_OK)
		return frame_time(r, t, mid, mlen, at);
	if (rc == FR_ERROR)
		return http_fail_db(r);
	return frame_word(r, t, mid, mlen, "FAIL", fr_reason(rc));
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

	if ((type = get_enum(r->json, "TYPE", FRAME__MAX)) == 0)
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
		if ((c = parse_object(json_object_get_string(v),
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
		mid = get_str(c, "messageId", &mlen);
	else if ((mid = get_str(r->json, "MID", &mlen)) == NULL &&
	    type == FRAME_ACK)
		mid = get_str(c, "MessageId", &mlen);
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
	user_touch(r);
	switch (type) {
	case FRAME_USER:
		return frame_user(r, s, slen, mid, mlen);
	case FRAME_MESSAGE:
		return frame_message(r, c, mid, mlen);
	case FRAME_ACK:
		if ((s = get_str(c, "MessageId", &slen)) == NULL ||
		    !valid_client_id(s, slen))
			return http_fail(r, 400, "bad_request",
			    "CONTENT.MessageId must be a frame id");
		return frame_ack(r, s, slen, mid, mlen);
	default:
		return frame_friend(r, c, mid, mlen);
	}
}

/*
 * A push frame: {"CONTENT":content,"TYPE":type,"eventId":id}, CONTENT as a
 * string for GET /api/frames?content=string.  content is taken.
 */
static void
push_frame(struct req *r, struct json_object *items,
    struct json_object *content, const char *type, int64_t ev)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "CONTENT", content_out(content,
	    r->content_str));
	json_object_object_add(o, "TYPE", json_object_new_string(type));
	json_object_object_add(o, "eventId", json_object_new_int64(ev));
	json_object_array_add(items, o);
}

/* Member k of o as a new string object ("" when absent). */
static struct json_object *
copy_str(struct json_object *o, const char *k)
{
	const char	*s;
	size_t		 n;

	if ((s = get_str(o, k, &n)) == NULL)
		return json_object_new_string("");
	return json_object_new_string_len(s, (int)n);
}

/* A time in ms as the string the document's pushes carry. */
static struct json_object *
time_str(int64_t ms)
{
	char	 t[24];

	snprintf(t, sizeof(t), "%lld", (long long)ms);
	return json_object_new_string(t);
}

/* The last conversation looked up by frame_item, per fetch. */
struct frame_ctx {
	int64_t	 conv;
	int	 direct;
};

/*
 * seed_item for GET /api/frames: a direct message becomes TYPE "4", a
 * friend notice TYPE "6" (type "1" request, "2" accepted, "3" rejected,
 * "4" removed; for "2" and "3" the sender is the one who answered).  Other
 * events (presence, topics, matches...) have no frame: 0.
 */
static int
frame_item(struct req *r, struct json_object *ev, struct json_object *items,
    void *arg)
{
	struct frame_ctx	*ctx = arg;
	struct json_object	*m, *q, *c;
	const char		*type, *ref;
	char			 id[32];
	size_t			 n;
	int64_t			 evid, conv, direct = 0;
	int			 rc, op;

	if ((type = get_str(ev, "type", &n)) == NULL)
		return 0;
	evid = get_int(ev, "id");
	c = json_object_new_object();
	if (strcmp(type, "message") == 0 &&
	    json_object_object_get_ex(ev, "message", &m)) {
		conv = get_int(m, "conversation_id");
		if (conv != ctx->conv) {
			if ((rc = db_one(r->db, &direct,
			    stmts[STMT_CONV_DIRECT], "i", conv)) == -1) {
				json_object_put(c);
				return -1;
			}
			ctx->direct = rc == 1 && direct == 1;
			ctx->conv = conv;
		}
		if (!ctx->direct) {
			json_object_put(c);
			return 0;
		}
		json_object_object_add(c, "messageId",
		    copy_str(m, "client_id"));
		json_object_object_add(c, "sender", copy_str(m, "sender"));
		json_object_object_add(c, "receiver",
		    json_object_new_string(r->username));
		json_object_object_add(c, "time",
		    time_str(get_int(m, "sent_at")));
		json_object_object_add(c, "content", copy_str(m, "body"));
		push_frame(r, items, c, "4", evid);
		return 1;
	}
	op = strcmp(type, "friend_request") == 0 ? FOP_REQUEST :
	    strcmp(type, "friend_accepted") == 0 ? FOP_ACCEPT :
	    strcmp(type, "friend_rejected") == 0 ? FOP_REJECT :
	    strcmp(type, "friend_removed") == 0 ? FOP_DELETE : 0;
	if (op == 0 || (op != FOP_DELETE &&
	    !json_object_object_get_ex(ev, "request", &q))) {
		json_object_put(c);
		return 0;
	}
	if (op == FOP_DELETE) {
		snprintf(id, sizeof(id), "ev%lld", (long long)evid);
		json_object_object_add(c, "messageId",
		    json_object_new_string(id));
		json_object_object_add(c, "sender", copy_str(ev, "user"));
		json_object_object_add(c, "receiver",
		    json_object_new_string(r->username));
		json_object_object_add(c, "time", time_str(get_int(ev, "at")));
		json_object_object_add(c, "content",
		    json_object_new_string(""));
	} else {
		if ((ref = get_str(q, "client_ref", &n)) != NULL)
			json_object_object_add(c, "messageId",
			    json_object_new_string_len(ref, (int)n));
		else {
			snprintf(id, sizeof(id), "fr%lld",
			    (long long)get_int(q, "id"));
			json_object_object_add(c, "messageId",
			    json_object_new_string(id));
		}
		json_object_object_add(c, "sender",
		    copy_str(q, op == FOP_REQUEST ? "from" : "to"));
		json_object_object_add(c, "receiver",
		    copy_str(q, op == FOP_REQUEST ? "to" : "from"));
		json_object_object_add(c, "time", time_str(op == FOP_REQUEST ?
		    get_int(q, "created_at") : get_int(ev, "at")));
		json_object_object_add(c, "content", copy_str(q, "text"));
	}
	snprintf(id, sizeof(id), "%d", op);
	json_object_object_add(c, "type", json_object_new_string(id));
	push_frame(r, items, c, "6", evid);
	return 1;
}

/*
 * The long-poll fetch both adapters use (see waiter_fetch): the due
 * events of r's user through fn into {"<key>":[...]}; events fn has no
 * form for are acked at once, so they do not come back forever.  A fetch
 * that found only such events looks again (bounded), then reports
 * nothing.  1 answered, 0 nothing (r->poll_recheck may be set).
 */
int
seed_fetch(struct req *r, int final, const char *key, seed_item fn,
    void *ctx)
{
	struct json_object	*evs = NULL, *items = NULL, *o;
	struct buf		 b = { 0 }, quiet = { 0 };
	int64_t			 next = 0;
	size_t			 i, len;
	int			 n, nq, round, rc;

	items = json_object_new_array();
	for (round = 0; !final && round < 4; round++) {
		buf_reset(&b);
		buf_addc(&b, '[');
		if (event_fetch(r->db, r->uid, &b, &n, &next) == -1)
			goto fail;
		buf_addc(&b, ']');
		if (n == 0)
			break;
		if ((evs = json_tokener_parse(b.p)) == NULL ||
		    !json_object_is_type(evs, json_type_array)) {
			LOG("cannot parse the events of user %lld",
			    (long long)r->uid);
			goto fail;
		}
		buf_reset(&quiet);
		buf_addc(&quiet, '[');
		nq = 0;
		len = json_object_array_length(evs);
		for (i = 0; i < len; i++) {
			o = json_object_array_get_idx(evs, i);
			if ((rc = fn(r, o, items, ctx)) == -1)
				goto fail;
			if (rc == 0)
				buf_addf(&quiet, "%s%lld", nq++ ? "," : "",
				    (long long)get_int(o, "id"));
		}
		buf_addc(&quiet, ']');
		json_object_put(evs);
		evs = NULL;
		if (nq > 0 && event_ack(r->db, r->uid, quiet.p) == -1)
			goto fail;
		if (json_object_array_length(items) > 0 || nq == 0)
			break;
	}
	buf_free(&b);
	buf_free(&quiet);
	if (!final && json_object_array_length(items) == 0) {
		json_object_put(items);
		if (next > 0)
			r->poll_recheck = mono_ms() + next;
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, key, items);
	http_reply_json(r, 200, o);
	return 1;
fail:
	json_object_put(evs);
	json_object_put(items);
	buf_free(&b);
	buf_free(&quiet);
	http_fail_db(r);
	return 1;
}

/* The frames poll's fetch (waiter_fetch). */
static int
frames_fetch(struct req *r, int final)
{
	struct frame_ctx	 ctx = { 0, 0 };

	return seed_fetch(r, final, "frames", frame_item, &ctx);
}

/*
 * GET /api/frames?timeout=&ack=&content=: the pushes of seed 003 as
 * {"frames":[...]}, long-polled like GET /api/poll; with content=string
 * each CONTENT is a string holding the object (as the document writes
 * pushes).  A frame stays pending until a TYPE "5" ack names its
 * messageId, or ?ack= its eventId.
 */
int
h_frames(struct req *r)
{
	char	 form[16];
	int	 st;

	if ((st = http_query(r, "content", form, sizeof(form))) == -1 ||
	    (st == 1 && strcmp(form, "string") != 0 &&
	    strcmp(form, "object") != 0))
		return http_fail(r, 400, "bad_request",
		    "content must be \"string\" or \"object\"");
	r->content_str = st == 1 && strcmp(form, "string") == 0;
	if ((st = poll_prepare(r)) != 0)
		return st;
	return poll_run(r, frames_fetch);
}
