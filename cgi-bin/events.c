/*
 * events.c: the pending-ACK list (table event).  Every event for a user is
 * a row until that user acks it.  A poll hands out the rows that are due
 * (never sent, or sent CHAT_RESEND_S ago and not acked) in id order and
 * stamps them sent; an ack deletes rows, only the owner's.  Pushes run
 * inside the caller's transaction; waking the users is the caller's job,
 * after the commit (wake.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "conf.h"
#include "db.h"
#include "events.h"
#include "util.h"

enum stmt {
	STMT_PUSH,
	STMT_PUSH_FRIENDS,
	STMT_PUSH_MEMBERS,
	STMT_FETCH,
	STMT_MARK_SENT,
	STMT_ACK,
	STMT_FRIEND_IDS,
	STMT_MEMBER_IDS,
	STMT_WATCH,
	STMT_WATCH_START,
	STMT__MAX
};

/*
 * A JSON array of ids as a table, bound as one string.  Joined first
 * (STRAIGHT_JOIN) so each id is one primary-key lookup: MariaDB runs a
 * single-table UPDATE/DELETE with IN (subquery) as a scan.
 */
#define JSON_IDS	"JSON_TABLE(?, '$[*]' " \
			"COLUMNS (id BIGINT UNSIGNED PATH '$')) AS j"

static const char *const stmts[STMT__MAX] = {
	/* STMT_PUSH */
	"INSERT INTO event (user_id, type, payload, origin) VALUES (?, ?, ?, ?)",
	/* STMT_PUSH_FRIENDS */
	"INSERT INTO event (user_id, type, payload, origin) "
	"SELECT friend_id, ?, ?, ? FROM friendship WHERE user_id = ?",
	/* STMT_PUSH_MEMBERS: says who got it, in the same round trip. */
	"INSERT INTO event (user_id, type, payload, origin) "
	"SELECT user_id, ?, ?, ? FROM conv_member "
	"WHERE conv_id = ? AND user_id <> ? RETURNING user_id",
	/* STMT_FETCH: every pending row (up to a window), due or not. */
	"SELECT id, type, payload, " MS("created_at") ", "
	"sent_at IS NULL OR sent_at <= NOW(3) - INTERVAL ? SECOND, "
	"COALESCE(TIMESTAMPDIFF(MICROSECOND, NOW(3), "
	"sent_at + INTERVAL ? SECOND) DIV 1000, 0) "
	"FROM event WHERE user_id = ? ORDER BY id LIMIT ?",
	/* STMT_MARK_SENT */
	"UPDATE " JSON_IDS " STRAIGHT_JOIN event e ON e.id = j.id "
	"SET e.sent_at = NOW(3), e.attempts = e.attempts + 1 "
	"WHERE e.user_id = ?",
	/* STMT_ACK */
	"DELETE e FROM " JSON_IDS " STRAIGHT_JOIN event e ON e.id = j.id "
	"WHERE e.user_id = ?",
	/* STMT_FRIEND_IDS */
	"SELECT friend_id FROM friendship WHERE user_id = ?",
	/* STMT_MEMBER_IDS */
	"SELECT user_id FROM conv_member WHERE conv_id = ? AND user_id <> ?",
	/* STMT_WATCH: events other hosts wrote since the last look. */
	"SELECT id, user_id FROM event WHERE id > ? AND origin <> ? "
	"ORDER BY id LIMIT 1000",
	/* STMT_WATCH_START */
	"SELECT COALESCE(MAX(id), 0) FROM event",
};

/* The marker's state: see mark_later() below. */
static pthread_mutex_t	 mark_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 mark_cv = PTHREAD_COND_INITIALIZER;
static struct ids	 queued;	/* to stamp */
static struct ids	 flushing;	/* being stamped now */
static int		 marker_on;
static int	mark_later(const int64_t *, size_t);
static int	mark_pending(int64_t);

/*
 * Push one event of type for uid; payload is a JSON object's text (the
 * fields besides id, type and at).  Needs the caller's transaction for
 * atomicity with what caused it.  0 or -1.
 */
int
event_push(struct db *db, int64_t uid, const char *type, const char *payload)
{
	return db_exec(db, stmts[STMT_PUSH], "issi", uid, type, payload,
	    (int64_t)conf.origin) == 1 ? 0 : -1;
}

/* The same event for every friend of uid, in one statement.  0 or -1. */
int
event_push_friends(struct db *db, int64_t uid, const char *type,
    const char *payload)
{
	return db_exec(db, stmts[STMT_PUSH_FRIENDS], "ssii", type, payload,
	    (int64_t)conf.origin, uid) < 0 ? -1 : 0;
}

/*
 * The same event for every member of conversation conv but except, in one
 * statement however many members; their ids are appended to to (if not
 * NULL), for the wake after the commit.  0 or -1.
 */
int
event_push_members(struct db *db, int64_t conv, int64_t except,
    const char *type, const char *payload, struct ids *to)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_PUSH_MEMBERS], "ssiii", type,
	    payload, (int64_t)conf.origin, conv, except)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1)
		if (to != NULL)
			ids_add(to, db_int(res, 0));
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * Append to out the events due for uid, as comma-separated JSON objects
 * {"id","type","at",...payload}, and stamp them sent.  *n gets how many;
 * *next_ms the milliseconds until the earliest event handed out earlier
 * becomes due again (0: none in flight).  0 or -1.
 */
int
event_fetch(struct db *db, int64_t uid, struct buf *out, int *n,
    int64_t *next_ms)
{
	struct dbres	*res;
	struct buf	 csv = { 0 };
	struct ids	 got = { 0 };
	const char	*type, *payload;
	size_t		 plen, i;
	int64_t		 due_in, id;
	int		 rc, pending;

	*n = 0;
	*next_ms = 0;
	if ((res = db_query(db, stmts[STMT_FETCH], "iiii",
	    (int64_t)conf.resend_s, (int64_t)conf.resend_s, uid,
	    (int64_t)CAP_POLL_EVENTS)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		id = db_int(res, 0);
		pthread_mutex_lock(&mark_mu);
		pending = mark_pending(id);
		pthread_mutex_unlock(&mark_mu);
		if (!db_int(res, 4) || pending) {
			due_in = pending ? conf.resend_s * 1000 : db_int(res, 5);
			if (due_in < 1)
				due_in = 1;
			if (*next_ms == 0 || due_in < *next_ms)
				*next_ms = due_in;
			continue;
		}
		type = db_str(res, 1, NULL);
		payload = db_str(res, 2, &plen);
		if (*n > 0)
			buf_addc(out, ',');
		buf_addf(out, "{\"id\":%lld,\"type\":\"%s\",\"at\":%lld",
		    (long long)id, type, (long long)db_int(res, 3));
		if (plen > 2 && payload[0] == '{') {
			buf_addc(out, ',');
			buf_add(out, payload + 1, plen - 1);
		} else
			buf_addc(out, '}');
		ids_add(&got, id);
		(*n)++;
	}
	db_res_free(res);
	if (rc != -1 && got.n > 0 && !mark_later(got.v, got.n)) {
		buf_addc(&csv, '[');
		for (i = 0; i < got.n; i++)
			buf_addf(&csv, "%s%lld", i ? "," : "",
			    (long long)got.v[i]);
		buf_addc(&csv, ']');
		if (db_exec(db, stmts[STMT_MARK_SENT], "si", csv.p, uid) < 0)
			rc = -1;
	}
	buf_free(&csv);
	ids_free(&got);
	return rc == -1 ? -1 : 0;
}

/*
 * Stamping events sent is bookkeeping, not delivery: if a stamp is late or
 * lost, an event is only handed out again sooner (clients drop repeats by
 * id).  So in chatd one thread stamps the events of every answer in one
 * statement every few milliseconds, instead of one durable commit per
 * answer on the way to the client.
 */

/* Queue ids for the marker: 1 queued, 0 no marker (stamp them yourself). */
static int
mark_later(const int64_t *ids, size_t n)
{
	size_t	 i;

	pthread_mutex_lock(&mark_mu);
	if (!marker_on) {
		pthread_mutex_unlock(&mark_mu);
		return 0;
	}
	for (i = 0; i < n; i++)
		ids_add(&queued, ids[i]);
	pthread_cond_signal(&mark_cv);
	pthread_mutex_unlock(&mark_mu);
	return 1;
}

/*
 * Is event id handed out but not stamped yet?  Then it is in flight: a
 * poll must not hand it out again.  Needs mark_mu.
 */
static int
mark_pending(int64_t id)
{
	size_t	 i;

	for (i = 0; i < queued.n; i++)
		if (queued.v[i] == id)
			return 1;
	for (i = 0; i < flushing.n; i++)
		if (flushing.v[i] == id)
			return 1;
	return 0;
}

/* Stamp what is queued, in one statement. */
static void
mark_flush(struct db *db)
{
	static const char *const sql = "UPDATE " JSON_IDS " STRAIGHT_JOIN "
	    "event e ON e.id = j.id SET e.sent_at = NOW(3), "
	    "e.attempts = e.attempts + 1";
	struct buf	 batch = { 0 };
	struct ids	 t;
	size_t		 i;

	pthread_mutex_lock(&mark_mu);
	t = flushing;
	flushing = queued;
	queued = t;
	queued.n = 0;
	buf_addc(&batch, '[');
	for (i = 0; i < flushing.n; i++)
		buf_addf(&batch, "%s%lld", i ? "," : "",
		    (long long)flushing.v[i]);
	buf_addc(&batch, ']');
	pthread_mutex_unlock(&mark_mu);
	if (flushing.n > 0)
		(void)db_exec(db, sql, "s", batch.p);
	pthread_mutex_lock(&mark_mu);
	flushing.n = 0;
	pthread_mutex_unlock(&mark_mu);
	buf_free(&batch);
}

static void *
marker(void *arg)
{
	struct db	*db = arg;

	for (;;) {
		pthread_mutex_lock(&mark_mu);
		while (queued.n == 0 && marker_on)
			pthread_cond_wait(&mark_cv, &mark_mu);
		if (!marker_on && queued.n == 0) {
			pthread_mutex_unlock(&mark_mu);
			break;
		}
		pthread_mutex_unlock(&mark_mu);
		usleep(2000);	/* gather what the other answers add */
		mark_flush(db);
	}
	db_free(db);
	return NULL;
}

static pthread_t	 marker_thread;

/* Start the marker thread (chatd).  0 or -1. */
int
event_marker_start(void)
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
event_marker_stop(void)
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
 * Delete uid's events whose ids are in the JSON array ids_json.  Ids of
 * other users' events are ignored: only the owner acks.  0 or -1.
 */
int
event_ack(struct db *db, int64_t uid, const char *ids_json)
{
	return db_exec(db, stmts[STMT_ACK], "si", ids_json, uid) < 0 ? -1 : 0;
}

static int
collect(struct dbres *res, struct ids *out)
{
	int	 rc;

	if (res == NULL)
		return -1;
	while ((rc = db_row(res)) == 1)
		ids_add(out, db_int(res, 0));
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/* The ids of uid's friends, appended to out.  0 or -1. */
int
event_friend_ids(struct db *db, int64_t uid, struct ids *out)
{
	return collect(db_query(db, stmts[STMT_FRIEND_IDS], "i", uid), out);
}

/* The members of conv except one, appended to out.  0 or -1. */
int
event_member_ids(struct db *db, int64_t conv, int64_t except, struct ids *out)
{
	return collect(db_query(db, stmts[STMT_MEMBER_IDS], "ii", conv,
	    except), out);
}

/*
 * The cross-host watcher's look: users with events written by other hosts
 * since *last (-1: start from now), appended to out; *last advances.
 * 0 or -1.
 *
 * XXX: an event whose id is below *last but whose transaction commits after
 * this look is not seen here; its user is woken by the next event, the
 * resend timer or the poll timeout.  Same-host writers wake directly.
 */
int
event_watch(struct db *db, int64_t *last, struct ids *out)
{
	struct dbres	*res;
	int		 rc;

	if (*last < 0)
		return db_one(db, last, stmts[STMT_WATCH_START], "") < 0 ?
		    -1 : 0;
	if ((res = db_query(db, stmts[STMT_WATCH], "ii", *last,
	    (int64_t)conf.origin)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		*last = db_int(res, 0);
		ids_add(out, db_int(res, 1));
	}
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}
