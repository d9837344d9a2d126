/*
 * sweeper.c: chat-sweep, run by cron every minute (`* * * * *`).  One run
 * does a round every CHAT_SWEEP_S seconds for CHAT_SWEEP_RUN_S (60) seconds;
 * --once does one round.  A round, in bounded batches, each its own
 * transaction:
 *   - users idle for CHAT_IDLE_S go offline: friends get presence, match
 *     partners get partner_left, their queue place goes, and what they were
 *     handed but never acked is queued again (sent_at = NULL);
 *   - users whose page went CHAT_AWAY_S ago (POST /api/match/away) and
 *     who did not come back: the stranger chats they had then end;
 *   - events handed out CHAT_RESEND_S ago and not acked are queued again
 *     (seed 003: resend every 15 s; polls also resend them on their own);
 *   - expired sessions, old rate-limit windows and, CHAT_GUEST_TTL_S after
 *     their last session ended, guests and their stranger chats are removed;
 *   - users with more than CHAT_EVENTS_MAX pending events, and (once a
 *     minute) users offline with events CHAT_EVENTS_AGE_S old, lose the
 *     oldest and get one resync event instead (event_trim).
 * Two sweepers at once are safe: every change is conditional on the state
 * it changes (online = 1, ...), so a row is changed and announced once;
 * the trim of pending events runs in one sweeper at a time: a lease row
 * (schema_lock id 2, beside migrate.sh's id 1), not a named lock, which
 * is per server and so per node on a Galera cluster.
 * Prints what it changed; exits non-zero on failure, for cron's mail.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <sodium.h>

#include "caps.h"
#include "conf.h"
#include "core_events.h"
#include "core_files.h"
#include "core_live.h"
#include "core_match.h"
#include "core_search.h"
#include "core_users.h"
#include "db.h"
#include "db_pool.h"
#include "peer.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_IDLE,
	STMT_REQUEUE_USER,
	STMT_REQUEUE,
	STMT_SESSIONS,
	STMT_WINDOWS,
	STMT_GUESTS,
	STMT_GUEST_CONVS,
	STMT_GUEST_DELETE,
	STMT_AWAY,
	STMT_OVER_CAP,
	STMT_AGED,
	STMT_TRIM_LOCK,
	STMT_TRIM_MINE,
	STMT_TRIM_UNLOCK,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_IDLE */
	"SELECT id FROM user WHERE online = 1 "
	"AND last_seen < NOW(3) - INTERVAL ? SECOND ORDER BY last_seen LIMIT ?",
	/*
	 * STMT_REQUEUE_USER (by the user's index, not k_event_sent: see
	 * core_users.c)
	 */
	"UPDATE event FORCE INDEX (k_event_user) SET sent_at = NULL "
	"WHERE user_id = ? AND sent_at IS NOT NULL",
	/* STMT_REQUEUE */
	"UPDATE event SET sent_at = NULL "
	"WHERE sent_at < NOW(3) - INTERVAL ? SECOND LIMIT ?",
	/* STMT_SESSIONS (the interval is 0: batches() binds two values) */
	"DELETE FROM session WHERE expires_at < NOW(3) - INTERVAL ? SECOND "
	"LIMIT ?",
	/* STMT_WINDOWS */
	"DELETE FROM rate_limit WHERE win < ? LIMIT ?",
	/* STMT_GUESTS: guests with no live session, quiet for the TTL. */
	"SELECT u.id FROM user u WHERE u.guest = 1 "
	"AND u.last_seen < NOW(3) - INTERVAL ? SECOND "
	"AND NOT EXISTS (SELECT 1 FROM session s WHERE s.user_id = u.id "
	"AND s.expires_at > NOW(3)) LIMIT ?",
	/*
	 * STMT_GUEST_CONVS: a guest's stranger chats go with it, also those
	 * it left (no membership, but its messages), before its messages go
	 * with the account: a chat is never kept with holes in its seqs.
	 */
	"DELETE FROM conversation WHERE kind = 'match' AND id IN ("
	"SELECT conv_id FROM conv_member WHERE user_id = ? UNION "
	"SELECT conv_id FROM message WHERE sender_id = ?)",
	/* STMT_GUEST_DELETE: sessions, events, memberships cascade. */
	"DELETE u FROM user u FORCE INDEX (PRIMARY) WHERE u.id = ? AND u.guest = 1",
	/* STMT_AWAY: pages gone CHAT_AWAY_S ago, their users not back. */
	"SELECT id FROM user WHERE away_at < NOW(3) - INTERVAL ? SECOND "
	"LIMIT ?",
	/*
	 * STMT_OVER_CAP: users with more than CHAT_EVENTS_MAX pending events.
	 * A scan of the index k_event_user, whose size the cap bounds.
	 */
	"SELECT user_id FROM event GROUP BY user_id HAVING COUNT(*) > ? "
	"LIMIT ?",
	/* STMT_AGED: offline users with events CHAT_EVENTS_AGE_S old. */
	"SELECT DISTINCT e.user_id FROM "
	"(SELECT NOW(3) - INTERVAL ? SECOND AS t) AS a "
	"JOIN event e ON e.created_at < a.t AND e.type <> 'resync' "
	"JOIN user u ON u.id = e.user_id AND u.online = 0 "
	"AND u.last_seen < a.t LIMIT ?",
	/*
	 * STMT_TRIM_LOCK: one sweeper trims at a time (two resyncs else): take
	 * the lease if it is free or run out (a sweeper killed mid-trim).
	 */
	"INSERT INTO schema_lock (id, holder, until) "
	"VALUES (2, ?, NOW(3) + INTERVAL 120 SECOND) ON DUPLICATE KEY UPDATE "
	"holder = IF(until < NOW(3), VALUES(holder), holder), "
	"until = IF(holder = VALUES(holder), VALUES(until), until)",
	/* STMT_TRIM_MINE: whose it is now. */
	"SELECT holder = ? FROM schema_lock WHERE id = 2",
	/* STMT_TRIM_UNLOCK */
	"DELETE FROM schema_lock WHERE id = 2 AND holder = ?",
};

static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Ids from a one-column query, into out.  0 or -1. */
static int
select_ids(struct db *db, const char *sql, int64_t a, struct ids *out)
{
	out->n = 0;
	return db_ids(db_query(db, sql, "ii", a, (int64_t)CAP_SWEEP_BATCH), out);
}

/*
 * How old last_seen must be for a user to be idle for CHAT_IDLE_S: a
 * request writes it only when it is seen_every_s old (user_touch), so the
 * last request may be that much later; without it a user quiet for 90 s
 * went offline.
 */
#define IDLE_SEEN_S	(conf.idle_s + conf.seen_every_s)

/* User uid offline, if still idle.  1 if it was, 0 if not, -1. */
static int
offline_one(struct db *db, int64_t uid, struct ids *wake)
{
	int	 rc;

	rc = user_set_offline(db, uid, IDLE_SEEN_S, wake);
	if (rc == 1 && (match_user_gone(db, uid, wake) == -1 ||
	    db_exec(db, stmts[STMT_REQUEUE_USER], "i", uid) < 0))
		rc = -1;
	return rc;
}

/* uid's pending events down to CHAT_EVENTS_MAX.  How many went, or -1. */
static int
cap_one(struct db *db, int64_t uid, struct ids *wake)
{
	return (int)event_trim(db, uid, conf.events_max, 0, wake);
}

/* uid's events CHAT_EVENTS_AGE_S old, if away that long.  Count or -1. */
static int
aged_one(struct db *db, int64_t uid, struct ids *wake)
{
	return (int)event_trim(db, uid, 0, conf.events_age_s, wake);
}

/* Guest uid gone for good: its stranger chats and the account.  1 or -1. */
static int
guest_one(struct db *db, int64_t uid, struct ids *wake)
{
	if (match_user_gone(db, uid, wake) == -1 ||
	    db_exec(db, stmts[STMT_GUEST_CONVS], "ii", uid, uid) < 0 ||
	    db_exec(db, stmts[STMT_GUEST_DELETE], "i", uid) < 0)
		return -1;
	return 1;
}

/* Stranger chats of a page gone CHAT_AWAY_S ago end.  1, 0 or -1. */
static int
away_one(struct db *db, int64_t uid, struct ids *wake)
{
	return match_user_away(db, uid, conf.away_s, wake);
}

/* One batch, in one transaction: 0 and *done, or -1 (rolled back). */
static int
batch(struct db *db, const int64_t *v, size_t n,
    int (*one)(struct db *, int64_t, struct ids *), struct ids *wake,
    long *done)
{
	size_t	 j;
	int	 r;

	wake->n = 0;
	*done = 0;
	if (db_begin(db) == -1)
		return -1;
	for (j = 0; j < n; j++) {
		if ((r = one(db, v[j], wake)) == -1)
			break;
		*done += r;
	}
	if (j < n || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * one() for each of who, CAP_SWEEP_TX to a transaction, then a wake for
 * the users told.  A commit (an fsync) per user made a round of 500 idle
 * users a second of the disk's time, every send in it waiting behind
 * those commits.  A batch that loses a deadlock or a lock wait is run
 * once more; one that fails otherwise is rolled back whole and the next
 * round takes its users again.  How many one() changed, or -1.
 */
static long
in_batches(struct db *db, const struct ids *who,
    int (*one)(struct db *, int64_t, struct ids *))
{
	struct ids	 wake = { 0 };
	size_t		 i, k;
	long		 n = 0, done;
	int		 rc = 0;
	unsigned int	 e;

	for (i = 0; i < who->n && rc == 0 && !stop; i += k) {
		k = who->n - i > CAP_SWEEP_TX ? CAP_SWEEP_TX : who->n - i;
		if ((rc = batch(db, who->v + i, k, one, &wake, &done)) == -1 &&
		    ((e = db_errno(db)) == ER_LOCK_DEADLOCK ||
		    e == ER_LOCK_WAIT_TIMEOUT))
			rc = batch(db, who->v + i, k, one, &wake, &done);
		if (rc == 0) {
			n += done;
			wake_users(wake.v, wake.n);
		}
	}
	ids_free(&wake);
	return rc == -1 ? -1 : n;
}

/*
 * one() for the users sql selects (a is its first value), a batch of
 * CAP_SWEEP_BATCH at a time until fewer come (or nothing changed, or
 * CAP_SWEEP_ROUND of them): 500 a round fell behind when more than 100
 * users a second went idle.  How many one() changed, or -1.
 */
static long
select_in_batches(struct db *db, const char *sql, int64_t a,
    int (*one)(struct db *, int64_t, struct ids *))
{
	struct ids	 who = { 0 };
	long		 n = 0, k;
	int		 i;

	for (i = 0; i < CAP_SWEEP_ROUND / CAP_SWEEP_BATCH && !stop; i++) {
		if (select_ids(db, sql, a, &who) == -1 ||
		    (k = in_batches(db, &who, one)) == -1) {
			n = -1;
			break;
		}
		n += k;
		if (who.n < CAP_SWEEP_BATCH || k == 0)
			break;
	}
	ids_free(&who);
	return n;
}

/* Users idle for CHAT_IDLE_S offline (see IDLE_SEEN_S).  How many, or -1. */
static long
sweep_idle(struct db *db)
{
	return select_in_batches(db, stmts[STMT_IDLE], IDLE_SEEN_S,
	    offline_one);
}

/* Users whose page went CHAT_AWAY_S ago.  How many, or -1. */
static long
sweep_away(struct db *db)
{
	return select_in_batches(db, stmts[STMT_AWAY], conf.away_s, away_one);
}

/* Repeat a bounded DELETE/UPDATE until it changes less than a batch. */
static long
batches(struct db *db, const char *sql, int64_t a)
{
	long long	 n;
	long		 total = 0;

	do {
		if ((n = db_exec(db, sql, "ii", a, (int64_t)CAP_SWEEP_BATCH)) < 0)
			return -1;
		total += (long)n;
	} while (n == CAP_SWEEP_BATCH && !stop);
	return total;
}

/*
 * Pending events past CHAT_EVENTS_MAX, and once a minute (or every
 * CHAT_EVENTS_AGE_S, if less) those of users offline for
 * CHAT_EVENTS_AGE_S, dropped (a resync instead: event_trim).
 * A sweeper that finds another at it skips the step.  How many, or -1.
 */
static long
sweep_events(struct db *db)
{
	static time_t	 aged_next;
	static char	 me[96];
	char		 host[64];
	int64_t		 got = 0;
	long		 n, k = 0;

	if (me[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		snprintf(me, sizeof(me), "chat-sweep %s:%ld:%08x", host,
		    (long)getpid(), randombytes_random());
	}
	/*
	 * A conflict with another sweeper taking it at the same moment
	 * (Galera: 1213 at commit) leaves it to that one this round.
	 */
	if (db_exec(db, stmts[STMT_TRIM_LOCK], "s", me) == -1)
		return db_is_retry(db) ? 0 : -1;
	if (db_one(db, &got, stmts[STMT_TRIM_MINE], "s", me) == -1)
		return -1;
	if (got != 1)
		return 0;
	n = select_in_batches(db, stmts[STMT_OVER_CAP], conf.events_max,
	    cap_one);
	if (n != -1 && time(NULL) >= aged_next) {
		aged_next = time(NULL) + (conf.events_age_s < 60 ?
		    conf.events_age_s : 60);
		k = select_in_batches(db, stmts[STMT_AGED], conf.events_age_s,
		    aged_one);
	}
	(void)db_exec(db, stmts[STMT_TRIM_UNLOCK], "s", me);
	return n == -1 || k == -1 ? -1 : n + k;
}

/* Guests with no session, quiet for CHAT_GUEST_TTL_S.  How many, or -1. */
static long
sweep_guests(struct db *db)
{
	return select_in_batches(db, stmts[STMT_GUESTS], conf.guest_ttl_s,
	    guest_one);
}

/*
 * A step's count n, or 0 when it failed (n == -1): logged and *failed
 * set, and the round goes on, so that one step failing every time (a
 * row it cannot change) does not stop the others for good.
 */
static long
step(struct db *db, const char *what, long n, int *failed)
{
	if (n != -1)
		return n;
	LOG("sweep: %s failed: database error %u", what, db_errno(db));
	*failed = 1;
	return 0;
}

/* One round.  0 or -1; prints a line when something changed. */
static int
sweep_round(struct db *db)
{
	long	 idle, away, requeued, sessions, windows, guests, trimmed;
	int64_t	 old_win;
	int	 failed = 0;

	if (db_ping(db) == -1) {
		LOG("sweep: no database: error %u", db_errno(db));
		return -1;
	}
	old_win = (int64_t)(time(NULL) / CAP_LOGIN_WINDOW_S) - 1;
	idle = step(db, "going offline", sweep_idle(db), &failed);
	away = step(db, "pages gone", sweep_away(db), &failed);
	requeued = step(db, "requeue", batches(db, stmts[STMT_REQUEUE],
	    conf.resend_s), &failed);
	sessions = step(db, "expired sessions", batches(db,
	    stmts[STMT_SESSIONS], 0), &failed);
	windows = step(db, "rate windows", batches(db, stmts[STMT_WINDOWS],
	    old_win), &failed);
	guests = step(db, "guests", sweep_guests(db), &failed);
	trimmed = step(db, "pending events cap", sweep_events(db), &failed);
	step(db, "search index", search_catch_up(db), &failed);
	(void)step(db, "old typing signals", typing_sweep(db), &failed);
	(void)step(db, "uploads never finished", file_sweep(db), &failed);
	if (idle || away || requeued || guests || sessions || trimmed)
		printf("sweep: %ld offline, %ld away, %ld requeued, "
		    "%ld guests removed, %ld sessions expired, "
		    "%ld rate windows dropped, %ld events dropped (resync)\n",
		    idle, away, requeued, guests, sessions, windows, trimmed);
	fflush(stdout);
	return failed ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct db	*db;
	time_t		 end;
	int		 once, rc = 0;

	once = argc > 1 && strcmp(argv[1], "--once") == 0;
	if (argc > 1 && !once) {
		fprintf(stderr, "usage: chat-sweep [--once]\n");
		return 2;
	}
	conf_load();
	if (mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: sleep ends early */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	wake_init(NULL, NULL, 0);
	if (peer_init(0, NULL) == 0)	/* requeued events wake other nodes */
		wake_remote(peer_tell);
	db = db_open();
	end = time(NULL) + conf.sweep_run_s;
	do {
		if (sweep_round(db) == -1)
			rc = 1;
		if (once)
			break;
		sleep((unsigned)conf.sweep_s);
	} while (!stop && time(NULL) < end);
	wake_stop();
	db_free(db);
	mysql_library_end();
	return rc;
}
