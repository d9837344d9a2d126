/*
 * api_friends.c: GET /api/friends, DELETE /api/friends/{name}, POST and
 * GET /api/friends/requests, and accepting or rejecting a request.  The
 * rules are core_friends.c's; this file checks fields, turns refusals
 * into HTTP and answers.
 */
#include <string.h>

#include <json.h>

#include "api_auth.h"
#include "core_friends.h"
#include "core_safety.h"
#include "core_users.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/* The answer to a refusal, shared by the handlers. */
static int
fail_fr(struct req *r, enum fr_result rc)
{
	switch (rc) {
	case FR_SELF:
		return http_fail(r, 400, "bad_request",
		    "you cannot befriend yourself");
	case FR_NO_USER:
		return http_fail(r, 404, "not_found", "no such user");
	case FR_ALREADY:
		return http_fail(r, 409, "conflict", "you are friends already");
	case FR_DUPLICATE:
		return http_fail(r, 409, "conflict",
		    "you have asked already; wait for an answer");
	case FR_NO_REQUEST:
		return http_fail(r, 404, "not_found", "no such pending request");
	case FR_NOT_FRIENDS:
		return http_fail(r, 404, "not_found",
		    "you are not friends with that user");
	case FR_BLOCKED:
		return http_fail(r, 409, "conflict",
		    "you blocked this user; unblock them first");
	default:
		return http_fail_db(r);
	}
}

/* Reply with request id, plus the conversation when now friends. */
static int
reply_request(struct req *r, int st, int64_t id, int64_t conv)
{
	struct buf	 b = { 0 };
	int		 rc;

	if (friend_request_json(r->db, id, &b) == -1) {
		buf_free(&b);
		return http_fail_db(r);
	}
	if (conv) {
		b.len--;	/* reopen the object */
		buf_addf(&b, ",\"conversation_id\":%lld}", (long long)conv);
	}
	rc = http_reply(r, st, b.p, b.len);
	buf_free(&b);
	return rc;
}

/*
 * POST /api/friends/requests {to, text?}: 201 request; the receiver gets
 * friend_request.  If they had asked us, 200 and we are friends.  Or
 * {conversation_id, text?}: the stranger of that chat, whose user name
 * the asker does not know (issue 26).
 */
int
h_friend_request(struct req *r)
{
	static const struct field fields[] = {
		{ "to",   valid_username,     0 },
		{ "text", valid_request_text, 0 },
	};
	struct json_object	*cv, *u = NULL;
	struct fval		 v[2];
	struct fr_out		 out;
	enum fr_result		 rc;
	int64_t			 conv = 0, other;
	int			 st;

	if ((st = http_fields(r, fields, 2, v)) != 0)
		return st;
	if (json_object_object_get_ex(r->json, "conversation_id", &cv) &&
	    (!json_object_is_type(cv, json_type_int) ||
	    (conv = json_object_get_int64(cv)) <= 0))
		return http_fail(r, 400, "bad_request",
		    "conversation_id is not valid");
	if ((conv != 0) == (v[0].s != NULL))
		return http_fail(r, 400, "bad_request",
		    "give either to or conversation_id");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if (conv != 0) {
		if ((st = safe_partner(r->db, r->uid, conv, &other)) == 0)
			return http_fail(r, 404, "not_found",
			    "no such stranger chat");
		if (st == -1 || user_json_by_id(r->db, other, 0, &u) != 1)
			return http_fail_db(r);
		v[0].s = json_object_get_string(json_object_object_get(u,
		    "username"));
	}
	rc = friend_request(r->db, r->uid, v[0].s, v[1].s, NULL, &out);
	json_object_put(u);
	if (rc == FR_OK)
		return reply_request(r, 201, out.request_id, 0);
	if (rc == FR_ACCEPTED)
		return reply_request(r, 200, out.request_id, out.conv_id);
	return fail_fr(r, rc);
}

/* POST /api/friends/requests/{id}/accept: 200 {conversation_id, friend}. */
int
h_friend_accept(struct req *r)
{
	struct json_object	*o, *u = NULL;
	struct fr_out		 out;
	enum fr_result		 rc;
	int64_t			 id;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad request id");
	if ((rc = friend_accept(r->db, r->uid, id, &out)) != FR_OK)
		return fail_fr(r, rc);
	if (user_json_by_id(r->db, out.other_id, 1, &u) != 1)
		return http_fail_db(r);
	o = json_object_new_object();
	json_object_object_add(o, "conversation_id",
	    json_object_new_int64(out.conv_id));
	json_object_object_add(o, "friend", u);
	return http_reply_json(r, 200, o);
}

/* POST /api/friends/requests/{id}/reject: 204; the sender is told. */
int
h_friend_reject(struct req *r)
{
	struct fr_out	 out;
	enum fr_result	 rc;
	int64_t		 id;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad request id");
	if ((rc = friend_reject(r->db, r->uid, id, &out)) != FR_OK)
		return fail_fr(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/* DELETE /api/friends/{username}: 204; they get friend_removed. */
int
h_friend_delete(struct req *r)
{
	const char	*name = http_path(r, 0);
	enum fr_result	 rc;
	int		 st;

	if (!valid_username(name, strlen(name)))
		return http_fail(r, 404, "not_found", "no such user");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((rc = friend_remove(r->db, r->uid, name)) != FR_OK)
		return fail_fr(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/* GET /api/friends: {"friends":[user + conversation_id]}. */
int
h_friend_list(struct req *r)
{
	struct json_object	*o;

	if (friend_list(r->db, r->uid, &o) == -1)
		return http_fail_db(r);
	return http_reply_json(r, 200, o);
}

/* GET /api/friends/requests: {"incoming":[...], "outgoing":[...]}. */
int
h_friend_requests(struct req *r)
{
	struct json_object	*o;

	if (friend_requests(r->db, r->uid, &o) == -1)
		return http_fail_db(r);
	return http_reply_json(r, 200, o);
}
