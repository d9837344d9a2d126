/*
 * api_poll.c: GET /api/poll and POST /api/ack, and the long-poll the seed
 * adapters' polls share (poll_prepare, poll_run).  A poll acks what it is
 * told, answers at once with due events, else parks (waiter.c) until a
 * wake, a resend falls due, or its timeout; in a process of its own (plain
 * CGI, mod_fcgid) it waits here instead.  Events written on other hosts
 * wake it through the watcher (core_watch.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "api_auth.h"
#include "api_poll.h"
#include "caps.h"
#include "conf.h"
#include "core_events.h"
#include "core_live.h"
#include "core_marker.h"
#include "core_watch.h"
#include "db_pool.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "inbox.h"
#include "req.h"
#include "util.h"
#include "waiter.h"
#include "wake.h"

/*
 * Ack the comma-separated ids in s ("1,2,3") for r's user: by the marker
 * thread in a moment (core_marker.c), else now.  Returns 0, or the status
 * already sent.
 */
static int
poll_ack_list(struct req *r, const char *s)
{
	struct buf	 j = { 0 };
	struct ids	 ids = { 0 };
	const char	*p;
	char		*end;
	unsigned long long v;
	int		 st = 0;
	int64_t		 round;

	for (p = s; *p != '\0'; p = end + (*end == ',')) {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0 || v == 0 || v > INT64_MAX ||
		    (*end != ',' && *end != '\0') ||
		    (*end == ',' && end[1] == '\0') || ids.n >= CAP_ACK_IDS)
			goto bad;
		ids_add(&ids, (int64_t)v);
	}
	if (ids.n == 0)
		goto out;
	if ((round = marker_ack_later(r->uid, ids.v, ids.n)) > 0) {
		/*
		 * Committed before we answer while another node is alive: the
		 * next poll may land there.  Alone, this process skips what it
		 * has queued (marker_pending) and the commit can gather.
		 */
		if (!inbox_is_alone())
			marker_ack_wait(round);
		goto out;
	}
	buf_add_ids(&j, ids.v, ids.n);
	if (event_ack(r->db, r->uid, j.p) == -1)
		st = http_fail_db(r);
	goto out;
bad:
	st = http_fail(r, 400, "bad_request",
	    "ack must be a comma-separated list of event ids");
out:
	buf_free(&j);
	ids_free(&ids);
	return st;
}

/*
 * Read ?timeout= (default 25 s, at most 60) and ?ack=, and ack.  Sets
 * r->poll_deadline.  Returns 0, or the status already sent.
 */
int
poll_prepare(struct req *r)
{
	int64_t	 timeout;
	char	 ack[CAP_QUERY + 1];
	int	 rc;

	if (http_query_int(r, "timeout", CAP_POLL_DEFAULT_S, &timeout) == -1)
		return http_fail(r, 400, "bad_request",
		    "timeout must be a number of seconds");
	if (timeout > CAP_POLL_MAX_S)
		timeout = CAP_POLL_MAX_S;
	r->poll_deadline = mono_ms() + timeout * 1000;
	if ((rc = http_query(r, "ack", ack, sizeof(ack))) == -1)
		return http_fail(r, 400, "bad_request", "bad ack list");
	if (rc == 1)
		return poll_ack_list(r, ack);
	return 0;
}

/*
 * How long a poll that may not wait tells its client to stay away: 1 to
 * 1.5 s (jittered, so that a hundred clients do not come back together),
 * longer while the host has more to run than it has cores (the load
 * average), up to CAP_POLL_AFTER_MAX_MS: a busy shared host slows
 * delivery down rather than drown in polls.
 */
static int
poll_after(void)
{
	double	 load[1];
	long	 cpus;
	int	 ms;

	ms = CAP_POLL_AFTER_MS + (int)(random() % (CAP_POLL_AFTER_MS / 2 + 1));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (getloadavg(load, 1) == 1 && cpus > 0 && load[0] > cpus)
		ms = (int)(ms * load[0] / cpus);
	return ms < CAP_POLL_AFTER_MAX_MS ? ms : CAP_POLL_AFTER_MAX_MS;
}

/*
 * The fetch of a poll that waited: its session may have ended meanwhile
 * (logout everywhere, a password change, in any process or host; their
 * sessions_ended event is what woke it), and an ended session gets a 401,
 * not the events.  See waiter_fetch.
 */
static int
fetch_alive(struct req *r, int final)
{
	if (auth_session_alive(r) != 0)
		return 1;
	return r->poll_fetch(r, final);
}

/*
 * One request per process (plain CGI, mod_fcgid), where a waiting poll
 * holds one of the web server's few workers: the poll waits here, on this
 * thread, holding no MySQL connection, for a wake on a socket of its own
 * (wake.c), its recheck time or its deadline; at most CHAT_PARKED_MAX
 * wait on the host, each for less as more wait.  One that may not wait is
 * answered at once, with when to poll again (poll_after_ms, 1 to 1.5 s:
 * delivery slows to about a second, and nothing fails).  Returns the
 * status sent.
 */
static int
poll_here(struct req *r, waiter_fetch fetch)
{
	int64_t	 now, until, most;
	int	 n, many;

	now = mono_ms();
	/* What this process saw of the user may be stale by now. */
	inbox_forget(&r->uid, 1);
	if (r->poll_deadline <= now ||
	    (n = wake_listen(conf.parked_max, &many)) < 0) {
		if (r->poll_deadline > now)
			r->poll_after_ms = poll_after();
		if (fetch(r, 0) == 0)
			fetch(r, 1);
		return r->status;
	}
	most = (int64_t)CAP_PARK_ONE_S * 1000 *
	    (conf.parked_max - n + 1) / conf.parked_max;
	if (most < CAP_PARK_MIN_S * 1000)
		most = CAP_PARK_MIN_S * 1000;
	if (r->poll_deadline > now + most)
		r->poll_deadline = now + most;
	for (;;) {
		r->poll_recheck = 0;
		if (fetch(r, 0) != 0)
			break;
		if ((now = mono_ms()) >= r->poll_deadline) {
			fetch(r, 1);
			break;
		}
		until = r->poll_deadline;
		if (r->poll_recheck > 0 && r->poll_recheck < until)
			until = r->poll_recheck;
		db_close(r->db);	/* waiting holds no connection */
		(void)wake_wait(r->uid, until);
		fetch = fetch_alive;
	}
	wake_unlisten();
	return r->status;
}

/*
 * Answer r with fetch now if it finds events, else park it.  Returns the
 * status sent, or 0 when parked (the waiter owns r from then on).
 */
int
poll_run(struct req *r, waiter_fetch fetch)
{
	uint64_t	 gen;
	int		 i;

	r->poll_fetch = fetch;
	if (conf.mode != MODE_FASTCGI)
		return poll_here(r, fetch);
	watch_start();
	for (i = 0; i < 3; i++) {
		gen = waiter_gen(r->uid);
		if (fetch(r, 0) != 0)
			return r->status;
		if (mono_ms() >= r->poll_deadline)
			break;
		http_slim(r);	/* it may wait for minutes */
		if (waiter_park(r, fetch_alive, gen) == 0)
			return 0;
	}
	fetch(r, 1);
	return r->status;
}

/*
 * The user's revision (sql/022) when the poll passed one (?rev=): 1 and
 * *rev set, 0 none asked, -1 error.  Changes of the user's own state bump
 * it; they also push an event, whose wake brings every device's poll here.
 */
static int
poll_rev(struct req *r, int64_t *rev)
{
	if (r->poll_rev < 0)
		return 0;
	return event_rev(r->db, r->uid, rev) == 0 ? 1 : -1;
}

/*
 * The native answer: {"events":[...]}, with "rev" when asked (?rev=): at
 * once, even with no events, when the user's revision is not the one the
 * device knows.  See waiter_fetch.
 */
static int
poll_fetch(struct req *r, int final)
{
	struct buf	 b = { 0 }, t = { 0 };
	int		 n, asked, nt = 0, look;
	int64_t		 next, rev = 0;

	if (final && r->poll_after_ms > 0) {
		buf_addf(&b, "{\"events\":[],\"poll_after_ms\":%d}",
		    r->poll_after_ms);
		http_reply(r, 200, b.p, b.len);
		buf_free(&b);
		return 1;
	}
	if (final) {
		http_reply(r, 200, "{\"events\":[]}", 13);
		return 1;
	}
	buf_adds(&b, "{\"events\":[");
	/*
	 * Typing signals (?typing=, core_live.c): looked for only when
	 * something was heard of the user since the last look in MySQL (a
	 * signal wakes its readers and so makes their inbox unknown).
	 */
	look = r->poll_typing >= 0 && !inbox_known(r->uid);
	if (event_fetch(r->db, r->uid, &b, &n, &next) == -1 ||
	    (look && typing_fetch(r->db, r->uid, r->poll_typing, &t,
	    &nt) == -1)) {
		buf_free(&b);
		buf_free(&t);
		http_fail_db(r);
		return 1;
	}
	if (nt > 0) {		/* events without ids, after the others */
		if (n > 0)
			buf_addc(&b, ',');
		buf_add(&b, t.p, t.len);
	}
	buf_free(&t);
	if ((asked = poll_rev(r, &rev)) == -1) {
		buf_free(&b);
		http_fail_db(r);
		return 1;
	}
	if (n == 0 && nt == 0 && (asked == 0 || rev == r->poll_rev)) {
		buf_free(&b);
		if (next > 0)
			r->poll_recheck = mono_ms() + next;
		return 0;
	}
	buf_adds(&b, "]");
	if (asked)
		buf_addf(&b, ",\"rev\":%lld", (long long)rev);
	buf_adds(&b, "}");
	http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return 1;
}

/*
 * GET /api/poll?timeout=&ack=&rev=&typing=: pending events now, or when one
 * arrives, or at once when the user's revision is not rev; with typing
 * (ms, what the client was last given), typing signals newer than that.
 */
int
h_poll(struct req *r)
{
	int	 st;

	if (http_query_int(r, "rev", -1, &r->poll_rev) == -1)
		return http_fail(r, 400, "bad_request",
		    "rev must be a revision number");
	if (http_query_int(r, "typing", -1, &r->poll_typing) == -1)
		return http_fail(r, 400, "bad_request",
		    "typing must be a time in ms since the epoch");
	if ((st = poll_prepare(r)) != 0)
		return st;
	return poll_run(r, poll_fetch);
}

/*
 * Ack the events of JSON value ids, an array of event ids (POST /api/ack,
 * and what a page going away sends along: api_live.c): 0 done, else the
 * status of the answer given (400 bad ids, 503).
 */
int
poll_ack_ids(struct req *r, struct json_object *ids)
{
	struct json_object	*v;
	struct buf		 j = { 0 };
	size_t			 i, n;
	int64_t			 id;

	if (!json_object_is_type(ids, json_type_array))
		return http_fail(r, 400, "bad_request",
		    "ids must be an array of event ids");
	n = json_object_array_length(ids);
	if (n > CAP_ACK_IDS)
		return http_fail(r, 400, "bad_request", "too many ids");
	buf_addc(&j, '[');
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(v, json_type_int) ||
		    (id = json_object_get_int64(v)) <= 0) {
			buf_free(&j);
			return http_fail(r, 400, "bad_request",
			    "ids must be an array of event ids");
		}
		buf_addf(&j, "%s%lld", i ? "," : "", (long long)id);
	}
	buf_addc(&j, ']');
	if (n > 0 && event_ack(r->db, r->uid, j.p) == -1) {
		buf_free(&j);
		return http_fail_db(r);
	}
	buf_free(&j);
	return 0;
}

/* POST /api/ack {"ids":[...]}: delete these events of mine.  204. */
int
h_ack(struct req *r)
{
	struct json_object	*ids;
	int			 st;

	if (!json_object_object_get_ex(r->json, "ids", &ids))
		return http_fail(r, 400, "bad_request",
		    "ids must be an array of event ids");
	if ((st = poll_ack_ids(r, ids)) != 0)
		return st;
	return http_reply(r, 204, NULL, 0);
}
