/*
 * core_marker.c: what was handed out and what was acked, on its way to
 * MySQL.  One thread per process (chatd) stamps the events of every
 * answer sent and deletes the acks that ride on polls, each in one
 * statement every few milliseconds; until then a fetch here skips them
 * (marker_pending).  And the acks of the seed adapters, which take what
 * was handed out, stamped or still waiting for its stamp.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "core_marker.h"
#include "db.h"
#include "db_pool.h"
#include "inbox.h"
#include "util.h"

enum stmt {
	STMT_ACK_FRAME,
	STMT_ACK_CMDS,
	STMT__MAX
};

/*
 * SQL: an event row handed out already, the ? bound to the JSON array
 * handed_out() writes (the seed adapters' acks take only those).
 */
#define HANDED_OUT	"(sent_at IS NOT NULL OR id IN (SELECT j.id " \
	"FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) " \
	"AS j))"

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_ACK_FRAME: the user's pending events a seed 003 frame id
	 * names: a message by its client_id, a friend notice by the
	 * request's client_ref or "fr<request id>", any event by "ev<event
	 * id>".  Exact (binary) comparison; only the owner's rows, and only
	 * those handed out already: stamped sent, or handed out by this
	 * process and waiting for the stamp (a JSON array of their ids).
	 * Senders choose message ids, so another sender's message of the
	 * same id may be waiting, not yet seen: an ack must not take it
	 * away.
	 */
	"DELETE FROM event WHERE user_id = ? "
	"AND " HANDED_OUT " "
	"AND (CONCAT('ev', id) = ? OR "
	"(type = 'message' AND JSON_VALUE(payload, '$.message.client_id') "
	"COLLATE utf8mb4_bin = ?) OR "
	"(type IN ('friend_request', 'friend_accepted', 'friend_rejected') "
	"AND (JSON_VALUE(payload, '$.request.client_ref') "
	"COLLATE utf8mb4_bin = ? OR "
	"CONCAT('fr', JSON_VALUE(payload, '$.request.id')) = ?)))",
	/*
	 * STMT_ACK_CMDS: the implicit ack of a seed 002 cmds poll: the
	 * user's events with a cmd form that a poll has handed out already:
	 * stamped sent, or handed out by this process and waiting for the
	 * stamp (a JSON array of their ids).
	 */
	"DELETE FROM event WHERE user_id = ? "
	"AND type IN ('message', 'match_found', 'partner_left') "
	"AND " HANDED_OUT,
};

/* The marker's state: see marker_later() below. */
static pthread_mutex_t	 mark_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 mark_cv = PTHREAD_COND_INITIALIZER;
static struct ids	 queued, queued_at, queued_uid;	/* to stamp: event, answered (ms), owner */
static struct ids	 flushing;	/* being stamped now */
static struct ids	 acks, ack_uids;	/* to delete: event, owner */
static struct ids	 acking, acking_uids;	/* being deleted now */
static int		 marker_on;
/* Ack rounds: begun (acks taken from acks), and committed. */
static pthread_cond_t	 done_cv = PTHREAD_COND_INITIALIZER;
static int64_t		 ack_round, ack_done;
static int		 ack_waiting;	/* polls in marker_ack_wait */

/*
 * Stamping events sent is bookkeeping, not delivery: if a stamp is late or
 * lost, an event is only handed out again sooner (clients drop repeats by
 * id).  So in chatd one thread stamps the events of every answer in one
 * statement every few milliseconds, instead of one durable commit per
 * answer on the way to the client.  And it stamps an answer only once it
 * is CAP_STAMP_AGE_MS old: most are acked before that (the client's next
 * poll carries the ack), and an acked event needs no stamp, its row is
 * deleted.  Until stamped or acked, this process knows the event is out
 * (marker_pending) and does not hand it out again.
 */

/* Queue ids for the marker: 1 queued, 0 no marker (stamp them yourself). */
int
marker_later(int64_t uid, const int64_t *ids, size_t n)
{
	int64_t	 now = now_ms();
	size_t	 i;

	pthread_mutex_lock(&mark_mu);
	if (!marker_on) {
		pthread_mutex_unlock(&mark_mu);
		return 0;
	}
	if (queued.n == 0 && n > 0)
		pthread_cond_signal(&mark_cv);
	for (i = 0; i < n; i++) {
		ids_add(&queued, ids[i]);
		ids_add(&queued_at, now);
		ids_add(&queued_uid, uid);
	}
	pthread_mutex_unlock(&mark_mu);
	return 1;
}

/*
 * Write to out, as a JSON array, the events this process handed out to
 * uid whose sent stamp is still waiting (see marker_later), for
 * HANDED_OUT: the seed adapters' acks delete what was handed out, stamped
 * or not yet.
 */
static void
handed_out(int64_t uid, struct buf *out)
{
	size_t	 i;
	int	 n = 0;

	buf_addc(out, '[');
	pthread_mutex_lock(&mark_mu);
	for (i = 0; i < queued.n; i++)
		if (queued.v[i] != 0 && queued_uid.v[i] == uid)
			buf_addf(out, "%s%lld", n++ ? "," : "",
			    (long long)queued.v[i]);
	pthread_mutex_unlock(&mark_mu);
	buf_addc(out, ']');
}

/*
 * Is uid's event id handed out but not stamped yet (1)?  Then it is in
 * flight: a poll must not hand it out again.  Acked by uid but not deleted
 * yet (2)?  Then it is gone.  An ack names ids its sender chose, so it
 * counts only with its owner's: anyone else's ack of the id deletes
 * nothing and must hide nothing.  (Handed-out ids came from uid's own
 * rows.)  pending() needs mark_mu.
 */
static int
has(const struct ids *l, int64_t id)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == id)
			return 1;
	return 0;
}

static int
has_owned(const struct ids *l, const struct ids *owner, int64_t id,
    int64_t uid)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == id && owner->v[i] == uid)
			return 1;
	return 0;
}

static int
pending(int64_t id, int64_t uid)
{
	if (has_owned(&acks, &ack_uids, id, uid) ||
	    has_owned(&acking, &acking_uids, id, uid))
		return 2;
	return has(&queued, id) || has(&flushing, id);
}

/* Is uid's event id in flight (1) or acked here (2), as pending()?  0 no. */
int
marker_pending(int64_t id, int64_t uid)
{
	int	 rc;

	pthread_mutex_lock(&mark_mu);
	rc = pending(id, uid);
	pthread_mutex_unlock(&mark_mu);
	return rc;
}

/* Is the marker thread running (chatd)?  Else answers stamp themselves. */
int
marker_running(void)
{
	return marker_on;
}

/*
 * The acks that ride on polls are deleted the same way: by the marker, for
 * every poll of the last few milliseconds in one statement (one commit for
 * all of them).  Until then fetches here skip them, and the poll that
 * carried them waits for that commit before it answers (marker_ack_wait):
 * the client's next poll may land on another process or host, which knows
 * only what MySQL knows, and an acked event must never come again.
 * The round that will take them (> 0), or 0: no marker (ack them yourself).
 */
int64_t
marker_ack_later(int64_t uid, const int64_t *ids, size_t n)
{
	size_t	 i, j;
	int64_t	 round;

	pthread_mutex_lock(&mark_mu);
	if (!marker_on) {
		pthread_mutex_unlock(&mark_mu);
		return 0;
	}
	if (acks.n == 0 && n > 0)
		pthread_cond_signal(&mark_cv);
	for (i = 0; i < n; i++) {
		ids_add(&acks, ids[i]);
		ids_add(&ack_uids, uid);
		for (j = 0; j < queued.n; j++)	/* no stamp needed now */
			if (queued.v[j] == ids[i] && queued_uid.v[j] == uid)
				queued.v[j] = 0;
	}
	round = ack_round + 1;	/* the next swap takes them */
	pthread_mutex_unlock(&mark_mu);
	inbox_drop(uid, ids, n);
	return round;
}

/*
 * Wait until the acks of round (marker_ack_later) are committed, or
 * CAP_ACK_WAIT_MS went by (the database is slow: they are deleted later,
 * and at worst come again, as after a crash).
 */
void
marker_ack_wait(int64_t round)
{
	struct timespec	 ts;
	int64_t		 until = now_ms() + CAP_ACK_WAIT_MS;

	ts.tv_sec = (time_t)(until / 1000);
	ts.tv_nsec = (long)(until % 1000) * 1000000;
	pthread_mutex_lock(&mark_mu);
	ack_waiting++;
	pthread_cond_signal(&mark_cv);
	while (marker_on && ack_done < round)
		if (pthread_cond_timedwait(&done_cv, &mark_mu, &ts) != 0)
			break;
	ack_waiting--;
	pthread_mutex_unlock(&mark_mu);
}

static void
swap(struct ids *a, struct ids *b)
{
	struct ids	 t = *a;

	*a = *b;
	*b = t;
	b->n = 0;
}

/* Drop the first n of a. */
static void
drop_head(struct ids *a, size_t n)
{
	a->n -= n;
	memmove(a->v, a->v + n, a->n * sizeof(*a->v));
}

/* Delete the queued acks and stamp the queued answers, a statement each. */
static void
mark_flush(struct db *db)
{
	static const char *const stamp_sql = "UPDATE " JSON_IDS
	    " STRAIGHT_JOIN event e ON e.id = j.id SET e.sent_at = NOW(3), "
	    "e.attempts = e.attempts + 1";
	static const char *const ack_sql = "DELETE e FROM JSON_TABLE(?, "
	    "'$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$[0]', "
	    "u BIGINT UNSIGNED PATH '$[1]')) AS j "
	    "STRAIGHT_JOIN event e ON e.id = j.id WHERE e.user_id = j.u";
	struct buf	 sb = { 0 }, ab = { 0 };
	int64_t		 old = now_ms() - CAP_STAMP_AGE_MS, round;
	size_t		 i;

	pthread_mutex_lock(&mark_mu);
	/* The answers old enough (all when stopping), not acked since. */
	for (i = 0; i < queued.n && (!marker_on || queued_at.v[i] <= old); i++)
		if (queued.v[i] != 0)
			ids_add(&flushing, queued.v[i]);
	if (i > 0) {
		drop_head(&queued, i);
		drop_head(&queued_at, i);
		drop_head(&queued_uid, i);
	}
	swap(&acking, &acks);
	swap(&acking_uids, &ack_uids);
	round = ++ack_round;
	pthread_mutex_unlock(&mark_mu);
	/* flushing and acking are only read by others, under mark_mu. */
	buf_add_ids(&sb, flushing.v, flushing.n);
	buf_addc(&ab, '[');
	for (i = 0; i < acking.n; i++)
		buf_addf(&ab, "%s[%lld,%lld]", i ? "," : "",
		    (long long)acking.v[i], (long long)acking_uids.v[i]);
	buf_addc(&ab, ']');
	if (acking.n > 0 && db_exec(db, ack_sql, "s", ab.p) < 0)
		LOG("%zu acks not deleted: their events come again",
		    acking.n);
	if (flushing.n > 0)
		(void)db_exec(db, stamp_sql, "s", sb.p);
	pthread_mutex_lock(&mark_mu);
	flushing.n = 0;
	acking.n = 0;
	acking_uids.n = 0;
	ack_done = round;
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&mark_mu);
	buf_free(&sb);
	buf_free(&ab);
}

static void *
marker(void *arg)
{
	struct db	*db = arg;
	struct timespec	 ts;
	int64_t		 due;
	int		 waited;

	for (;;) {
		pthread_mutex_lock(&mark_mu);
		/* Until there are acks, a stamp is due, or we stop. */
		while (marker_on && acks.n == 0) {
			if (queued.n == 0) {
				pthread_cond_wait(&mark_cv, &mark_mu);
				continue;
			}
			if ((due = queued_at.v[0] + CAP_STAMP_AGE_MS) <=
			    now_ms())
				break;
			ts.tv_sec = (time_t)(due / 1000);
			ts.tv_nsec = (long)(due % 1000) * 1000000;
			pthread_cond_timedwait(&mark_cv, &mark_mu, &ts);
		}
		if (!marker_on && queued.n == 0 && acks.n == 0) {
			pthread_mutex_unlock(&mark_mu);
			break;
		}
		waited = ack_waiting > 0;
		pthread_mutex_unlock(&mark_mu);
		/*
		 * Gather what the other answers add, unless a poll waits for
		 * its acks: then the commit now, and what came meanwhile with
		 * it (the commit is the wait).
		 */
		if (!waited)
			usleep(2000);
		mark_flush(db);
		db_release(db);		/* within CHAT_DB_CONNS */
	}
	db_free(db);
	return NULL;
}

static pthread_t	 marker_thread;

/* Start the marker thread (chatd).  0 or -1. */
int
marker_start(void)
{
	marker_on = 1;
	if (pthread_create(&marker_thread, NULL, marker, db_open()) != 0) {
		marker_on = 0;
		return -1;
	}
	return 0;
}

/* Stamp what is left and stop the marker thread. */
void
marker_stop(void)
{
	pthread_mutex_lock(&mark_mu);
	if (!marker_on) {
		pthread_mutex_unlock(&mark_mu);
		return;
	}
	marker_on = 0;
	pthread_cond_signal(&mark_cv);
	pthread_mutex_unlock(&mark_mu);
	pthread_join(marker_thread, NULL);
}

/*
 * Seed 003's ack (TYPE "5"): delete uid's events handed out already that
 * frame id id names (STMT_ACK_FRAME).  Acks are idempotent: none pending
 * is no error.  0 or -1.
 */
int
marker_ack_frame(struct db *db, int64_t uid, const char *id)
{
	struct buf	 ids = { 0 };
	long long	 rc;

	handed_out(uid, &ids);
	rc = db_exec(db, stmts[STMT_ACK_FRAME], "isssss", uid, ids.p, id, id,
	    id, id);
	buf_free(&ids);
	return rc < 0 ? -1 : 0;
}

/*
 * Seed 002's implicit ack, at each GET /api/cmds: delete uid's events
 * with a cmd form that an earlier poll handed out (STMT_ACK_CMDS).
 * 0 or -1.
 */
int
marker_ack_cmds(struct db *db, int64_t uid)
{
	struct buf	 ids = { 0 };
	long long	 rc;

	handed_out(uid, &ids);
	rc = db_exec(db, stmts[STMT_ACK_CMDS], "is", uid, ids.p);
	buf_free(&ids);
	return rc < 0 ? -1 : 0;
}
