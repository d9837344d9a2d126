/*
 * core_watch.c: the cross-host watcher.  One thread per process (chatd)
 * looks for events written on other hosts every CHAT_WATCH_MS and wakes
 * their users here; it is one cheap indexed query, not one per client.
 * It also keeps the last_seen of users waiting in a parked poll fresh.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "caps.h"
#include "conf.h"
#include "core_live.h"
#include "core_watch.h"
#include "db.h"
#include "db_pool.h"
#include "inbox.h"
#include "util.h"
#include "waiter.h"
#include "wake.h"

enum stmt {
	STMT_WATCH,
	STMT_WATCH_START,
	STMT_BEAT,
	STMT_OTHERS,
	STMT__MAX
};

/* Rows of one STMT_WATCH (the LIMIT in its text). */
#define WATCH_PAGE	1000

static const char *const stmts[STMT__MAX] = {
	/* STMT_WATCH: other hosts' events above an id, a page of them. */
	"SELECT id, user_id FROM event WHERE id > ? AND origin <> ? "
	"ORDER BY id LIMIT 1000",
	/* STMT_WATCH_START */
	"SELECT COALESCE(MAX(id), 0) FROM event",
	/* STMT_BEAT: this node is alive (sql/012-node.sql). */
	"INSERT INTO node (id, host, pid, seen_at) VALUES (?, ?, ?, NOW(3)) "
	"ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), "
	"seen_at = NOW(3)",
	/* STMT_OTHERS: other nodes alive. */
	"SELECT COUNT(*) FROM node WHERE id <> ? AND seen_at > NOW(3) - "
	"INTERVAL ? SECOND",
};

/* What the watcher remembers between looks (watch_look). */
struct watch {
	int64_t		 last;		/* highest id seen; -1: not started */
	int64_t		 low;		/* a look reads the ids above this */
	int64_t		 low_next;	/* low from low_at on */
	int64_t		 low_at;	/* mono ms */
	struct ids	 seen;		/* ids above low woken for, ascending */
};

static pthread_once_t	 watch_once = PTHREAD_ONCE_INIT;

/*
 * The watcher's look: users with events written by other hosts
 * since the last looks, appended to out.  Ids are handed out when a
 * transaction inserts, not when it commits, so an event may become visible
 * after one with a higher id was seen (a send batch still storing its
 * other items, a lock wait).  So each look reads every pending event of
 * another host above w->low, which trails the highest id seen by
 * CAP_WATCH_BACK_MS to 2 * CAP_WATCH_BACK_MS, and wakes for those it has
 * not woken for before (w->seen).  An event that commits later still than
 * that is found by the next event, the resend timer or the poll timeout.
 * 0 or -1.
 */
static int
watch_look(struct db *db, struct watch *w, struct ids *out)
{
	struct dbres	*res;
	struct ids	 fresh = { 0 };
	int64_t		 cursor, id, now = mono_ms();
	size_t		 rows, total = 0, k = 0;
	int		 rc = 0;

	if (w->last < 0) {
		if (db_one(db, &w->last, stmts[STMT_WATCH_START], "") < 0)
			return -1;
		w->low = w->low_next = w->last;
		w->low_at = now + CAP_WATCH_BACK_MS;
		return 0;
	}
	if (now >= w->low_at) {
		w->low = w->low_next;
		w->low_next = w->last;
		w->low_at = now + CAP_WATCH_BACK_MS;
	}
	cursor = w->low;
	do {
		if ((res = db_query(db, stmts[STMT_WATCH], "ii", cursor,
		    (int64_t)conf.origin)) == NULL) {
			ids_free(&fresh);
			return -1;
		}
		rows = 0;
		while ((rc = db_row(res)) == 1) {
			rows++;
			cursor = id = db_int(res, 0);
			ids_add(&fresh, id);
			/* Woken for at an earlier look?  Both ascend. */
			while (k < w->seen.n && w->seen.v[k] < id)
				k++;
			if (k == w->seen.n || w->seen.v[k] != id)
				ids_add(out, db_int(res, 1));
		}
		db_res_free(res);
		total += rows;
	} while (rc == 0 && rows == WATCH_PAGE && total < CAP_WATCH_ROWS);
	if (rc == -1) {
		ids_free(&fresh);
		return -1;
	}
	if (cursor > w->last)
		w->last = cursor;
	/* What is still pending is all that can be seen again. */
	ids_free(&w->seen);
	w->seen = fresh;
	return 0;
}

/*
 * A parked poll is a connected user: keep their last_seen fresh (one
 * UPDATE per 1,000 users every CHAT_IDLE_S / 3) so that the sweeper does
 * not take someone waiting in a poll for idle.
 */
static void
keepalive(struct db *db)
{
	static const char *const sql = "UPDATE JSON_TABLE(?, '$[*]' "
	    "COLUMNS (id BIGINT UNSIGNED PATH '$')) AS j "
	    "STRAIGHT_JOIN user u ON u.id = j.id SET u.last_seen = NOW(3)";
	struct ids	 ids = { 0 };
	struct buf	 j = { 0 };
	size_t		 i;

	waiter_uids(&ids);
	for (i = 0; i < ids.n; i += 1000) {
		buf_reset(&j);
		buf_add_ids(&j, ids.v + i, ids.n - i < 1000 ? ids.n - i : 1000);
		(void)db_exec(db, sql, "s", j.p);
	}
	buf_free(&j);
	ids_free(&ids);
}

/*
 * Say this node is alive and find whether another is.  While another is,
 * this process does not trust what it remembers of users' pending events
 * (inbox.c): a poll acks what it got on whichever node it lands, and an
 * event acked there must not come again from here.  The number of other
 * nodes alive, or -1.
 */
int
node_beat(struct db *db)
{
	char		 host[256];
	int64_t		 others;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (db_exec(db, stmts[STMT_BEAT], "isi", (int64_t)conf.origin, host,
	    (int64_t)getpid()) < 0 ||
	    db_one(db, &others, stmts[STMT_OTHERS], "ii",
	    (int64_t)conf.origin, (int64_t)CAP_NODE_ALIVE_S) != 1) {
		inbox_alone(0);
		return -1;
	}
	inbox_alone(others == 0);
	return (int)others;
}

/*
 * The watcher thread: wake local polls for events other hosts committed
 * (every CHAT_WATCH_MS) and keep parked users' last_seen fresh.
 */
static void *
watcher(void *arg)
{
	struct db	*db;
	struct ids	 ids = { 0 };
	struct watch	 w = { .last = -1 };
	int64_t		 next_keep = 0, next_beat = 0, next_look = 0, now;
	int64_t		 typed = 0;	/* typing_watch's place */
	int		 step;

	(void)arg;
	db = db_open();
	step = conf.watch_ms > 0 ? conf.watch_ms : 1000;
	if (step > CAP_NODE_BEAT_MS)
		step = CAP_NODE_BEAT_MS;
	for (;;) {
		usleep((useconds_t)step * 1000);
		now = mono_ms();
		if (now >= next_beat) {
			(void)node_beat(db);
			next_beat = now + CAP_NODE_BEAT_MS;
		}
		if (now >= next_keep) {
			keepalive(db);
			next_keep = now + (conf.idle_s * 1000) / 3;
		}
		if (conf.watch_ms == 0 || now < next_look) {
			db_release(db);
			continue;
		}
		next_look = now + conf.watch_ms;
		ids.n = 0;
		if (watch_look(db, &w, &ids) != -1)
			wake_here(ids.v, ids.n);
		ids.n = 0;	/* other hosts' typing signals: not events */
		if (typing_watch(db, &typed, &ids) != -1)
			wake_here(ids.v, ids.n);
		db_release(db);		/* within CHAT_DB_CONNS */
	}
	return NULL;
}

static void
watch_thread(void)
{
	pthread_t	 t;

	if (pthread_create(&t, NULL, watcher, NULL) == 0)
		pthread_detach(t);
}

/* Start the watcher thread, once per process (the first poll that parks). */
void
watch_start(void)
{
	pthread_once(&watch_once, watch_thread);
}
