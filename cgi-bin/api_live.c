/*
 * api_live.c: POST /api/conversations/{id}/typing and POST
 * /api/presence/gone, the live signals of issue 25 (core_live.c).
 */
#include <json.h>

#include "api_auth.h"
#include "api_messages.h"
#include "api_poll.h"
#include "caps.h"
#include "core_live.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "waiter.h"

/*
 * POST /api/conversations/{id}/typing {}: I am typing here.  The other
 * members' polls get a typing event (not an event row: no id, not acked,
 * not resent).  204; 429 rate_limited past CAP_TYPING_PER_S a second,
 * and the refusals of a send.
 */
int
h_conv_typing(struct req *r)
{
	enum msg_result	 rc;
	int64_t		 conv;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 404, "not_found", "no such conversation");
	if (!typing_allowed(r->uid)) {
		http_retry_after(r, 1);
		return http_fail(r, 429, "rate_limited",
		    "too many typing signals: at most 3 a second");
	}
	if ((rc = typing_note(r->db, r->uid, conv)) != MSG_OK)
		return msg_fail(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/*
 * POST /api/presence/gone {"ids"?: [...]}: this page went (closed, or
 * left; the web client says so on pagehide with a keepalive request).
 * The event ids are acked first, as POST /api/ack would: sent apart, an
 * ack arriving after this would count as activity and bring the user
 * back online.  Then, unless a poll of another session (another device)
 * waits in this process, the user is offline now and friends get
 * presence online false.  204.
 */
int
h_presence_gone(struct req *r)
{
	struct json_object	*ids;
	int			 st;

	if (json_object_object_get_ex(r->json, "ids", &ids) &&
	    (st = poll_ack_ids(r, ids)) != 0)
		return st;
	if (!waiter_other_session(r->uid, r->sid) &&
	    user_gone(r->db, r->uid) == -1)
		return http_fail_db(r);
	return http_reply(r, 204, NULL, 0);
}
