/*
 * api_safety.c: blocks (POST, GET /api/blocks, DELETE /api/blocks/{id}),
 * reports from stranger chats (POST /api/reports) and taking back a sent
 * friend request (DELETE /api/friends/requests/{id}).  The rules are
 * core_safety.c's; this file checks fields and answers.
 */
#include <string.h>

#include <json.h>

#include "api_auth.h"
#include "caps.h"
#include "core_safety.h"
#include "core_users.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/* A reason: free text, at most CAP_REPORT_REASON characters. */
static int
valid_reason(const char *s, size_t n)
{
	return valid_text(s, n, 0, CAP_REPORT_REASON);
}

/*
 * The body's "conversation_id" into *id: 1, 0 absent, -1 not a positive
 * integer.
 */
static int
body_conv(struct req *r, int64_t *id)
{
	struct json_object	*v;

	*id = 0;
	if (!json_object_object_get_ex(r->json, "conversation_id", &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    (*id = json_object_get_int64(v)) <= 0)
		return -1;
	return 1;
}

/*
 * POST /api/blocks {username} or {conversation_id} (a stranger chat: its
 * partner, and the chat ends): 204.  Guests too: a stranger chat is where
 * they need it.  Counts with the sends (a friendship it ends is told).
 */
int
h_block_add(struct req *r)
{
	static const struct field fields[] = {
		{ "username", valid_username, 0 },
	};
	struct fval	 v[1];
	int64_t		 conv, other = 0;
	int		 st, rc;

	if ((st = http_fields(r, fields, 1, v)) != 0)
		return st;
	if ((rc = body_conv(r, &conv)) == -1)
		return http_fail(r, 400, "bad_request",
		    "conversation_id is not valid");
	if ((rc == 1) == (v[0].s != NULL))
		return http_fail(r, 400, "bad_request",
		    "give either username or conversation_id");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if (conv > 0)
		rc = safe_partner(r->db, r->uid, conv, &other);
	else
		rc = user_id_by_name(r->db, v[0].s, &other);
	if (rc == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", conv > 0 ?
		    "no such stranger chat" : "no such user");
	switch (block_add(r->db, r->uid, other, conv)) {
	case SAFE_OK:
		return http_reply(r, 204, NULL, 0);
	case SAFE_SELF:
		return http_fail(r, 400, "bad_request",
		    "you cannot block yourself");
	case SAFE_NO_USER:
		return http_fail(r, 404, "not_found", "no such user");
	default:
		return http_fail_db(r);
	}
}

/* DELETE /api/blocks/{id}: 204, or 404 when that user was not blocked. */
int
h_block_delete(struct req *r)
{
	int64_t	 id;
	int	 rc;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad user id");
	if ((rc = block_remove(r->db, r->uid, id)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "that user is not blocked");
	return http_reply(r, 204, NULL, 0);
}

/* GET /api/blocks: {"blocks":[{id, nickname, avatar_url, created_at}]}. */
int
h_block_list(struct req *r)
{
	struct json_object	*o;

	if (block_list(r->db, r->uid, &o) == -1)
		return http_fail_db(r);
	return http_reply_json(r, 200, o);
}

/*
 * POST /api/reports {conversation_id, reason?, block?}: the stranger of
 * that chat is reported (the chat's last messages kept with it), and with
 * "block": true blocked as well.  201 {"reported": true}; 404 for a
 * conversation that is not a stranger chat of yours; 429 past 5 in 5
 * minutes.
 */
int
h_report(struct req *r)
{
	static const struct field fields[] = {
		{ "reason", valid_reason, 0 },
	};
	struct json_object	*b;
	struct fval		 v[1];
	int64_t			 conv, other;
	int			 st, wait, block = 0;

	if ((st = http_fields(r, fields, 1, v)) != 0)
		return st;
	if (body_conv(r, &conv) != 1)
		return http_fail(r, 400, "bad_request",
		    "conversation_id is missing or not valid");
	if (json_object_object_get_ex(r->json, "block", &b)) {
		if (!json_object_is_type(b, json_type_boolean))
			return http_fail(r, 400, "bad_request",
			    "block must be true or false");
		block = json_object_get_boolean(b);
	}
	switch (report_add(r->db, r->uid, conv, v[0].s, &wait)) {
	case SAFE_OK:
		break;
	case SAFE_NO_CONV:
		return http_fail(r, 404, "not_found", "no such stranger chat");
	case SAFE_RATE:
		return http_fail_rate(r, wait);
	default:
		return http_fail_db(r);
	}
	if (block && (safe_partner(r->db, r->uid, conv, &other) != 1 ||
	    block_add(r->db, r->uid, other, conv) != SAFE_OK))
		return http_fail_db(r);
	return http_reply(r, 201, "{\"reported\":true}", 17);
}

/*
 * DELETE /api/friends/requests/{id}: the sender takes a pending request
 * back: 204; the receiver gets friend_canceled.  404 for anyone else's
 * request or one no longer pending.
 */
int
h_friend_cancel(struct req *r)
{
	int64_t	 id;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad request id");
	switch (friend_cancel(r->db, r->uid, id)) {
	case FR_OK:
		return http_reply(r, 204, NULL, 0);
	case FR_NO_REQUEST:
		return http_fail(r, 404, "not_found",
		    "no such pending request of yours");
	default:
		return http_fail_db(r);
	}
}
