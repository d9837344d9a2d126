/*
 * api_match.c: POST and DELETE /api/match (join or leave the stranger
 * queue) and POST and DELETE /api/match/away (the page went, or came
 * back).  The matching is core_match.c's.
 */
#include "api_auth.h"
#include "caps.h"
#include "core_match.h"
#include "handlers.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "waiter.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * POST /api/match: {"status":"waiting"}, or {"status":"matched",
 * "conversation_id", "partner"} when someone was waiting (both get
 * match_found).
 */
int
h_match_join(struct req *r)
{
	struct match_out	 out;
	struct buf		 b = { 0 };
	int			 st;

	/* A match tells a stranger: it counts with the user's sends. */
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	switch (match_join(r->db, r->uid, &out)) {
	case MATCH_WAITING:
		return http_reply(r, 200, "{\"status\":\"waiting\"}", 20);
	case MATCH_FULL:
		return http_fail(r, 409, "conflict", "you have "
		    STR(CAP_LIVE_MATCHES) " stranger chats open; end one first");
	case MATCH_FOUND:
		buf_addf(&b, "{\"status\":\"matched\",\"conversation_id\":%lld,"
		    "\"partner\":", (long long)out.conv_id);
		if (match_partner_json(r->db, out.partner_id, &b) == -1) {
			buf_free(&b);
			return http_fail_db(r);
		}
		buf_addc(&b, '}');
		st = http_reply(r, 200, b.p, b.len);
		buf_free(&b);
		return st;
	default:
		return http_fail_db(r);
	}
}

/*
 * POST /api/match/away: the web page with this user's stranger chats
 * went (closed, or reloaded).  Unless DELETE /api/match/away comes within
 * CHAT_AWAY_S, the sweeper ends the chats open now (seed 002: a closed
 * page is a partner gone; lighttpd never tells a backend that a browser
 * left).  A poll of another session (another device) waiting in this
 * process says the user is still here: nothing is marked.  204.
 */
int
h_match_away(struct req *r)
{
	if (!waiter_other_session(r->uid, r->sid) &&
	    match_away(r->db, r->uid) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}

/* DELETE /api/match/away: still here after all (a reloaded page).  204. */
int
h_match_back(struct req *r)
{
	if (match_back(r->db, r->uid) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}

/* DELETE /api/match: leave the queue.  204. */
int
h_match_cancel(struct req *r)
{
	if (match_cancel(r->db, r->uid) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}
