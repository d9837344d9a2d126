/*
 * seed.c: what the two seed-protocol adapters (seed003_talk.c, seed002.c)
 * share: the long-poll fetch that turns the native events of
 * event_fetch() into the adapter's own items and acks, unseen, the events
 * its protocol has no form for.
 */
#include <json.h>

#include "core_events.h"
#include "http_reply.h"
#include "req.h"
#include "seed.h"
#include "util.h"

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
