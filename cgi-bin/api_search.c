/*
 * api_search.c: GET /api/search, message search in the user's own
 * conversations (issue 24).  What it looks up and why is core_search.c's.
 */
#include <stdint.h>
#include <string.h>

#include "caps.h"
#include "core_search.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/*
 * GET /api/search?q=&conversation_id=&before=&limit=: 200 {"results":
 * [message + conversation_kind, title], "next_before"}, newest first;
 * 400 for a q of 0 or more than 100 characters (blanks around it do not
 * count), a bad number, or one character without conversation_id; 403
 * for a conversation the user is not in; 429 past 30 a minute.
 */
int
h_search(struct req *r)
{
	struct search_q	 sq;
	struct buf	 b = { 0 };
	char		 q[CAP_SEARCH_Q_MAX * 4 + 1], *p;
	size_t		 n;
	int		 rc, st;

	memset(&sq, 0, sizeof(sq));
	if ((rc = http_query(r, "q", q, sizeof(q))) == -1 || rc == 0)
		return http_fail(r, 400, "bad_request",
		    "q: give 1 to 100 characters to look for");
	for (p = q; *p == ' '; p++)
		;
	for (n = strlen(p); n > 0 && p[n - 1] == ' '; n--)
		p[n - 1] = '\0';
	if (!valid_line(p, n, 1, CAP_SEARCH_Q_MAX))
		return http_fail(r, 400, "bad_request",
		    "q: give 1 to 100 characters to look for");
	if (http_query_int(r, "conversation_id", 0, &sq.conv) == -1 ||
	    http_query_int(r, "before", 0, &sq.before) == -1 ||
	    http_query_int(r, "limit", CAP_SEARCH_DEFAULT, &sq.limit) == -1 ||
	    sq.conv < 0 || sq.before < 0)
		return http_fail(r, 400, "bad_request",
		    "conversation_id, before and limit are numbers");
	if (sq.limit < 1 || sq.limit > CAP_SEARCH_LIMIT)
		return http_fail(r, 400, "bad_request",
		    "limit must be 1 to 50");
	sq.uid = r->uid;
	sq.q = p;
	sq.qlen = n;
	if ((rc = search_allowed(r->db, r->uid)) == -1)
		return http_fail_db(r);
	if (rc > 0)
		return http_fail_rate(r, rc);
	switch (search_run(r->db, &sq, &b)) {
	case 0:
		st = http_reply(r, 200, b.p, b.len);
		break;
	case SEARCH_SHORT:
		st = http_fail(r, 400, "query_too_short", "one character is "
		    "looked for in one chat only: give conversation_id");
		break;
	case SEARCH_NOT_MEMBER:
		st = http_fail(r, 403, "forbidden",
		    "you are not in this conversation");
		break;
	default:
		st = http_fail_db(r);
		break;
	}
	buf_free(&b);
	return st;
}
