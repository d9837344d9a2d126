/*
 * api_messages.c: POST /api/messages and GET /api/conversations/{id}/
 * messages.  A send is stored by core_messages.c through the send batcher
 * (core_send.c); a send that would wait for a batch slot does not hold
 * its worker: it is queued with this file's answer function, and the
 * thread that stores it answers it (201 after the commit) and finishes the
 * request.
 */
#include <stdlib.h>

#include <json.h>

#include "api_edit.h"
#include "api_messages.h"
#include "caps.h"
#include "core_auth.h"
#include "core_edit.h"
#include "core_messages.h"
#include "core_send.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

static void	(*send_done)(struct req *); /* finishes an answered request */
static void	send_answer(struct db *, struct send *);

/* Requests answered after their handler returned are finished by done. */
void
msg_init(void (*done)(struct req *))
{
	send_done = done;
}

/* The answer to a refused send (or typing signal: api_live.c). */
int
msg_fail(struct req *r, enum msg_result rc)
{
	switch (rc) {
	case MSG_NO_USER:
		return http_fail(r, 404, "not_found", "no such user");
	case MSG_SELF:
		return http_fail(r, 400, "bad_request",
		    "you cannot message yourself");
	case MSG_NOT_FRIENDS:
		return http_fail(r, 403, "not_friends",
		    "you can only message your friends");
	case MSG_NO_CONV:
		return http_fail(r, 404, "not_found", "no such conversation");
	case MSG_NOT_MEMBER:
		return http_fail(r, 403, "forbidden",
		    "you are not in this conversation");
	case MSG_ENDED:
		return http_fail(r, 409, "conflict",
		    "this stranger chat has ended");
	default:
		return http_fail_db(r);
	}
}

/*
 * The answer to a send: 201 new, 200 a repeat, or why not.  s: the keys
 * it adds (a reply's), or NULL.
 */
static int
send_reply(struct req *r, enum msg_result rc, struct msg *m, const char *cid,
    size_t clen, const char *body, size_t blen, const struct send *s)
{
	struct buf	 b = { 0 };
	int		 st;

	if (rc != MSG_OK && rc != MSG_REPEAT)
		return msg_fail(r, rc);
	/* A repeat answers what was stored first, body included. */
	if (rc == MSG_REPEAT)
		msg_json(&b, m, r->username, m->body, m->body_len, cid, clen);
	else
		msg_json(&b, m, r->username, body, blen, cid, clen);
	if (s != NULL)
		msg_json_more(&b, s);
	free(m->body);
	st = http_reply(r, rc == MSG_OK ? 201 : 200, b.p, b.len);
	buf_free(&b);
	return st;
}

/*
 * POST /api/messages {to | conversation_id, client_id, body}: 201 message,
 * or 200 with the first message when client_id was used before.
 */
int
h_msg_send(struct req *r)
{
	static const struct field fields[] = {
		{ "client_id",	valid_client_id, F_REQUIRED },
		{ "body",	valid_body,	 F_REQUIRED },
		{ "to",		valid_username,	 0 },
	};
	struct json_object	*cv;
	struct fval		 v[3];
	struct send		*s;
	struct msg		 m;
	enum msg_result		 rc;
	enum edit_result	 er;
	int64_t			 conv = 0, reply = 0;
	int			 st, wait, room;

	if ((st = http_fields(r, fields, 3, v)) != 0)
		return st;
	if (json_object_object_get_ex(r->json, "conversation_id", &cv)) {
		if (!json_object_is_type(cv, json_type_int) ||
		    (conv = json_object_get_int64(cv)) <= 0)
			return http_fail(r, 400, "bad_request",
			    "conversation_id is not valid");
	}
	if (json_object_object_get_ex(r->json, "reply_to", &cv) &&
	    !json_object_is_type(cv, json_type_null) &&
	    (!json_object_is_type(cv, json_type_int) ||
	    (reply = json_object_get_int64(cv)) <= 0))
		return http_fail(r, 400, "bad_reply_to",
		    "reply_to is not a message id");
	if ((conv != 0) == (v[2].s != NULL))
		return http_fail(r, 400, "bad_request",
		    "give either to or conversation_id");
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	/* A conversation id is checked by the send itself. */
	if (conv == 0 && (rc = msg_resolve_user(r->db, r->uid, v[2].s,
	    &conv)) != MSG_OK) {
		/* A retry of a send stored before the friendship ended. */
		if (rc == MSG_NOT_FRIENDS) {
			switch (msg_by_client(r->db, r->uid, v[0].s, v[0].len,
			    &m)) {
			case 1:
				return send_reply(r, MSG_REPEAT, &m, v[0].s,
				    v[0].len, v[1].s, v[1].len, NULL);
			case -1:
				return http_fail_db(r);
			}
		}
		return msg_fail(r, rc);
	}
	/*
	 * Its fields point into r's body, which lives until r is finished:
	 * by send_answer, on this thread or on the one that stores it.
	 */
	s = xcalloc(1, sizeof(*s));
	/* A reply: a member there, answering a message of it. */
	if (reply != 0 && ((rc = msg_resolve_conv(r->db, r->uid, conv)) !=
	    MSG_OK || (er = msg_reply_find(r->db, conv, reply, &s->more)) !=
	    EDIT_OK)) {
		buf_free(&s->more);
		free(s);
		return rc != MSG_OK ? msg_fail(r, rc) : edit_fail(r, er);
	}
	s->reply_to = reply;
	msg_send_init(s, r->uid, r->username, conv, v[0].s, v[0].len, v[1].s,
	    v[1].len);
	if (send_done == NULL || (room = send_room()) == SEND_FULL) {
		send_queued(r->db, s);
		rc = msg_outcome(r->db, s, &m);
		st = send_reply(r, rc, &m, v[0].s, v[0].len, v[1].s,
		    v[1].len, s);
		buf_free(&s->tail);
		buf_free(&s->more);
		free(s);
		return st;
	}
	s->answer = send_answer;
	s->arg = r;
	/*
	 * Going to wait: give libfcgi's request back first, as a parked
	 * poll does (~11 KB down to ~1.5 KB; the body stays).  If a slot
	 * frees meanwhile, this thread stores it slim all the same.
	 */
	if (room == SEND_WAIT)
		http_slim(r);
	send_async(r->db, s);
	return 0;
}

/* The answer to s, stored (or refused): r is this thread's now. */
static void
send_answer(struct db *db, struct send *s)
{
	struct req	*r = s->arg;
	struct msg	 m;
	enum msg_result	 rc;

	r->db = db;
	rc = msg_outcome(db, s, &m);
	(void)send_reply(r, rc, &m, s->cid, s->clen, s->body, s->blen, s);
	buf_free(&s->tail);
	buf_free(&s->more);
	free(s);
	send_done(r);
}

/*
 * GET /api/conversations/{id}/messages?after=|before=&limit=: members
 * only; {"messages":[...]} in ascending seq.  Without after or before,
 * the newest page.
 */
int
h_msg_history(struct req *r)
{
	struct buf	 b = { 0 };
	int64_t		 conv, after, before, limit;
	enum msg_result	 rc;
	int		 ha, hb, st;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((ha = http_query_int(r, "after", 0, &after)) == -1 ||
	    (hb = http_query_int(r, "before", 0, &before)) == -1 ||
	    http_query_int(r, "limit", CAP_HISTORY_DEFAULT, &limit) == -1 ||
	    (ha == 1 && hb == 1))
		return http_fail(r, 400, "bad_request",
		    "use after or before (seq) and limit, as numbers");
	if (limit < 1 || limit > CAP_HISTORY_LIMIT)
		return http_fail(r, 400, "bad_request",
		    "limit must be 1 to 200");
	rc = msg_resolve_conv(r->db, r->uid, conv);
	if (rc != MSG_OK && rc != MSG_ENDED && rc != MSG_NOT_FRIENDS)
		return msg_fail(r, rc);
	if (msg_history(r->db, conv, ha == 1 ? after : -1,
	    hb == 1 ? before : -1, limit, &b) == -1) {
		buf_free(&b);
		return http_fail_db(r);
	}
	st = http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return st;
}
