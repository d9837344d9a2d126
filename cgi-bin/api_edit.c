/*
 * api_edit.c: PATCH and DELETE /api/messages/{id} (issue 24): a sent
 * message edited or deleted, by core_edit.c.  Both count against the send
 * rate, as a send does.
 */
#include <json.h>

#include "api_edit.h"
#include "core_auth.h"
#include "core_edit.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/* The answer to a refused edit, delete or reply (docs/API.md). */
int
edit_fail(struct req *r, enum edit_result rc)
{
	switch (rc) {
	case EDIT_NO_MSG:
		return http_fail(r, 404, "not_found", "no such message");
	case EDIT_NOT_YOURS:
		return http_fail(r, 403, "not_yours",
		    "this is someone else's message");
	case EDIT_NOTICE:
		return http_fail(r, 403, "notice",
		    "a group notice cannot be changed");
	case EDIT_DELETED:
		return http_fail(r, 409, "deleted",
		    "this message was deleted");
	case EDIT_NOT_FRIENDS:
		return http_fail(r, 403, "not_friends",
		    "you can only message your friends");
	case EDIT_ENDED:
		return http_fail(r, 409, "conflict",
		    "this stranger chat has ended");
	case EDIT_NO_REPLY:
		return http_fail(r, 400, "bad_reply_to",
		    "reply_to is not a message of this conversation");
	default:
		return http_fail_db(r);
	}
}

/* The message as it is now (200), or why not. */
static int
edit_reply(struct req *r, enum edit_result rc, struct buf *b)
{
	int	 st;

	st = rc == EDIT_OK ? http_reply(r, 200, b->p, b->len) :
	    edit_fail(r, rc);
	buf_free(b);
	return st;
}

/* PATCH /api/messages/{id} {body}: one's own message, new text. */
int
h_msg_edit(struct req *r)
{
	static const struct field fields[] = {
		{ "body",	valid_body,	F_REQUIRED },
	};
	struct buf	 b = { 0 };
	struct fval	 v[1];
	int64_t		 id;
	int		 st, wait;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad message id");
	if ((st = http_fields(r, fields, 1, v)) != 0)
		return st;
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	return edit_reply(r, msg_edit(r->db, r->uid, id, v[0].s, v[0].len,
	    &b), &b);
}

/*
 * DELETE /api/messages/{id}: one's own message, or in a group any, for
 * its owner and admins.
 */
int
h_msg_delete(struct req *r)
{
	struct buf	 b = { 0 };
	int64_t		 id;
	int		 wait;

	if (http_path_id(r, 0, &id) == -1)
		return http_fail(r, 400, "bad_request", "bad message id");
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	return edit_reply(r, msg_delete(r->db, r->uid, id, &b), &b);
}
