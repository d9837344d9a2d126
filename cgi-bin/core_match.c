/*
 * core_match.c: stranger matching (seed 002).  Waiting users sit in
 * match_queue (MySQL, so every process and host shares it).  Joining
 * takes the oldest other waiting user under a server-wide named lock, so
 * two users who join at once meet each other and nobody is lost from the
 * queue or matched twice.  A match is a conversation of kind 'match'; it
 * ends when either side leaves, logs out or goes idle (the sweeper), and
 * the partner gets partner_left.  A user may have several open at once
 * (seed 002: several session windows on one connection), up to
 * CAP_LIVE_MATCHES, each with another stranger.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "core_events.h"
#include "core_match.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_TURN,
	STMT_LIVE,
	STMT_TAKE,
	STMT_DEQUEUE,
	STMT_ENQUEUE,
	STMT_CONV_NEW,
	STMT_MEMBERS,
	STMT_PARTNER,
	STMT_END,
	STMT_LEAVE,
	STMT_LIVE_ALL,
	STMT_NAME,
	STMT_AWAY_SET,
	STMT_AWAY_CLEAR,
	STMT_AWAY_LIVE,
	STMT_AWAY_DONE,
	STMT_REV,
	STMT_REV_MEMBERS,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_TURN: one matcher at a time, across processes and hosts: the
	 * first write of every join (sql/011-match-turn.sql).  Not a named
	 * lock, which Galera does not share between nodes.
	 */
	"UPDATE match_turn SET turns = turns + 1 WHERE id = 1",
	/* STMT_LIVE: how many live matches the user has. */
	"SELECT COUNT(*) FROM conv_member m JOIN conversation c "
	"ON c.id = m.conv_id "
	"WHERE m.user_id = ? AND c.kind = 'match' AND c.ended_at IS NULL",
	/*
	 * STMT_TAKE: the longest-waiting other user this one is not talking
	 * to already, nor just parted from, nor blocked or blocked by (a
	 * primary key lookup each way per candidate).
	 */
	"SELECT q.user_id FROM match_queue q WHERE q.user_id <> ? "
	"AND q.user_id <> ? "
	"AND NOT EXISTS (SELECT 1 FROM conv_member a JOIN conversation c "
	"ON c.id = a.conv_id AND c.kind = 'match' AND c.ended_at IS NULL "
	"JOIN conv_member b ON b.conv_id = c.id AND b.user_id = q.user_id "
	"WHERE a.user_id = ?) "
	"AND NOT EXISTS (SELECT 1 FROM user_block k WHERE k.user_id = ? "
	"AND k.blocked_id = q.user_id) "
	"AND NOT EXISTS (SELECT 1 FROM user_block k WHERE "
	"k.user_id = q.user_id AND k.blocked_id = ?) "
	"ORDER BY q.joined_at, q.user_id LIMIT 1 FOR UPDATE",
	/* STMT_DEQUEUE */
	"DELETE FROM match_queue WHERE user_id = ?",
	/* STMT_ENQUEUE */
	"INSERT IGNORE INTO match_queue (user_id) VALUES (?)",
	/* STMT_CONV_NEW */
	"INSERT INTO conversation (kind) VALUES ('match')",
	/* STMT_MEMBERS */
	"INSERT INTO conv_member (conv_id, user_id) VALUES (?, ?), (?, ?)",
	/*
	 * STMT_PARTNER: the partner as seen in match_found: a stranger is
	 * known by nickname and picture only (issue 26), not by user name.
	 */
	"SELECT id, nickname, avatar_url FROM user WHERE id = ?",
	/* STMT_END */
	"UPDATE conversation SET ended_at = NOW(3), updated_at = NOW(3) "
	"WHERE id = ? AND kind = 'match' AND ended_at IS NULL",
	/* STMT_LEAVE */
	"DELETE FROM conv_member WHERE conv_id = ? AND user_id = ?",
	/* STMT_LIVE_ALL */
	"SELECT c.id FROM conv_member m JOIN conversation c "
	"ON c.id = m.conv_id WHERE m.user_id = ? AND c.kind = 'match' "
	"AND c.ended_at IS NULL",
	/* STMT_NAME */
	"SELECT username FROM user WHERE id = ?",
	/* STMT_AWAY_SET */
	"UPDATE user SET away_at = NOW(3) WHERE id = ?",
	/* STMT_AWAY_CLEAR */
	"UPDATE user FORCE INDEX (PRIMARY) SET away_at = NULL "
	"WHERE id = ? AND away_at IS NOT NULL",
	/*
	 * STMT_AWAY_LIVE: the live matches a user away for ? seconds had
	 * when the page went (not those begun since, on another device);
	 * locks the user row against a DELETE /api/match/away meanwhile.
	 */
	"SELECT c.id FROM user u JOIN conv_member m ON m.user_id = u.id "
	"JOIN conversation c ON c.id = m.conv_id AND c.kind = 'match' "
	"AND c.ended_at IS NULL AND c.created_at <= u.away_at "
	"WHERE u.id = ? AND u.away_at < NOW(3) - INTERVAL ? SECOND "
	"FOR UPDATE",
	/* STMT_AWAY_DONE */
	"UPDATE user FORCE INDEX (PRIMARY) SET away_at = NULL "
	"WHERE id = ? AND away_at < NOW(3) - INTERVAL ? SECOND",
	/*
	 * STMT_REV: the user's own state changed (sql/022): their other
	 * devices, which may not get the event, reload what they show.
	 */
	"UPDATE user SET rev = rev + 1 WHERE id = ?",
	/* STMT_REV_MEMBERS: the same for every member of a match. */
	"UPDATE user u JOIN conv_member m ON m.user_id = u.id "
	"SET u.rev = u.rev + 1 WHERE m.conv_id = ?",
};

/*
 * Who each user last parted from, for a while: "Next stranger" ends a
 * chat and joins again at once, and the stranger just left, looking for
 * one more chat, was the first one waiting.  Kept by this process (a
 * join on another one may still pair them again); both sides remember.
 */
#define PARTED_SLOTS	4096		/* power of two */
#define PARTED_MS	60000
static pthread_mutex_t	 parted_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t	 uid, other, at;
} parted[PARTED_SLOTS];

static void
parted_set(int64_t uid, int64_t other)
{
	size_t	 i = (size_t)uid & (PARTED_SLOTS - 1);

	pthread_mutex_lock(&parted_mu);
	parted[i].uid = uid;
	parted[i].other = other;
	parted[i].at = mono_ms();
	pthread_mutex_unlock(&parted_mu);
}

/* The user uid parted from in the last PARTED_MS, or 0. */
static int64_t
parted_get(int64_t uid)
{
	size_t	 i = (size_t)uid & (PARTED_SLOTS - 1);
	int64_t	 other = 0;

	pthread_mutex_lock(&parted_mu);
	if (parted[i].uid == uid && mono_ms() - parted[i].at < PARTED_MS)
		other = parted[i].other;
	pthread_mutex_unlock(&parted_mu);
	return other;
}

/*
 * The partner as match_found and POST /api/match show it:
 * {"id","username":null,"nickname","avatar_url"} of user uid, appended
 * to b.
 * 0 or -1.
 */
int
match_partner_json(struct db *db, int64_t uid, struct buf *b)
{
	struct dbres	*res;
	const char	*s;
	size_t		 n;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_PARTNER], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		buf_addf(b, "{\"id\":%lld,\"username\":null,"
		    "\"nickname\":", (long long)db_int(res, 0));
		s = db_str(res, 1, &n);
		buf_json_str(b, s, n);
		buf_adds(b, ",\"avatar_url\":");
		s = db_str(res, 2, &n);
		buf_json_str(b, s, n);
		buf_addc(b, '}');
	}
	db_res_free(res);
	return rc == 1 ? 0 : -1;
}

/* match_found for uid about partner in conv.  Needs a transaction. */
static int
push_found(struct db *db, int64_t uid, int64_t partner, int64_t conv)
{
	struct buf	 p = { 0 };
	int		 rc;

	buf_addf(&p, "{\"conversation_id\":%lld,\"partner\":", (long long)conv);
	rc = match_partner_json(db, partner, &p);
	buf_addc(&p, '}');
	if (rc == 0)
		rc = event_push(db, uid, "match_found", p.p);
	if (rc == 0 && db_exec(db, stmts[STMT_REV], "i", uid) < 0)
		rc = -1;
	buf_free(&p);
	return rc;
}

/* The matching itself, under the lock, in an open transaction. */
static enum match_result
join_locked(struct db *db, int64_t uid, struct match_out *out)
{
	int64_t		 live;
	int		 rc;

	if (db_one(db, &live, stmts[STMT_LIVE], "i", uid) != 1)
		return MATCH_ERROR;
	if (live >= CAP_LIVE_MATCHES)
		return MATCH_FULL;
	if ((rc = db_one(db, &out->partner_id, stmts[STMT_TAKE], "iiiii",
	    uid, parted_get(uid), uid, uid, uid)) == -1)
		return MATCH_ERROR;
	if (rc == 0)
		return db_exec(db, stmts[STMT_ENQUEUE], "i", uid) < 0 ?
		    MATCH_ERROR : MATCH_WAITING;
	if (db_exec(db, stmts[STMT_DEQUEUE], "i", out->partner_id) != 1 ||
	    db_exec(db, stmts[STMT_DEQUEUE], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_CONV_NEW], "") != 1)
		return MATCH_ERROR;
	out->conv_id = db_insert_id(db);
	if (db_exec(db, stmts[STMT_MEMBERS], "iiii", out->conv_id, uid,
	    out->conv_id, out->partner_id) != 2 ||
	    push_found(db, uid, out->partner_id, out->conv_id) == -1 ||
	    push_found(db, out->partner_id, uid, out->conv_id) == -1)
		return MATCH_ERROR;
	return MATCH_FOUND;
}

/*
 * uid wants a(nother) stranger.  MATCH_FOUND (a new match in *out; both
 * sides get match_found), MATCH_WAITING (queued; the match_found event
 * comes later), MATCH_FULL or MATCH_ERROR.
 */
enum match_result
match_join(struct db *db, int64_t uid, struct match_out *out)
{
	enum match_result	 rc = MATCH_ERROR;
	int			 i;

	/*
	 * A join that lost a deadlock or, on a Galera cluster, the race for
	 * the turn row to a join on another node (1213 at commit) is run
	 * again: it then finds that one waiting, and they pair.
	 */
	for (i = 0; i < CAP_TX_TRIES; i++) {
		if (i > 0)
			tx_backoff(i - 1);
		memset(out, 0, sizeof(*out));
		if (db_begin(db) == -1) {
			if (db_is_retry(db))
				continue;
			LOG("match: cannot begin (error %u)", db_errno(db));
			return MATCH_ERROR;
		}
		if (db_exec(db, stmts[STMT_TURN], "") != 1)
			rc = MATCH_ERROR;
		else
			rc = join_locked(db, uid, out);
		if (rc == MATCH_FULL) {
			db_rollback(db);
			return rc;
		}
		if (rc != MATCH_ERROR && db_commit(db) == 0)
			break;
		db_rollback(db);
		rc = MATCH_ERROR;
		/*
		 * No error, but a row that was there is gone (the stranger
		 * taken meanwhile by a join on another Galera node, whose
		 * write came in first): the same conflict; run it again.
		 */
		if (!db_is_retry(db) && db_errno(db) != 0) {
			LOG("match: error %u", db_errno(db));
			return rc;
		}
	}
	if (rc == MATCH_ERROR) {
		LOG("match: lost a deadlock or a certification conflict %d "
		    "times (error %u)", CAP_TX_TRIES, db_errno(db));
		return rc;
	}
	if (rc == MATCH_FOUND) {
		int64_t	 both[2] = { uid, out->partner_id };

		wake_users(both, 2);
	}
	return rc;
}

/* Leave the queue.  0 or -1. */
int
match_cancel(struct db *db, int64_t uid)
{
	return db_exec(db, stmts[STMT_DEQUEUE], "i", uid) < 0 ? -1 : 0;
}

/*
 * End match conv for everyone because uid left it: the other members get
 * partner_left and are added to wake, then uid itself: it gets
 * match_ended, which wakes the polls of its other devices (the one that
 * left may take that event first: they learn by user.rev).  Needs a
 * transaction.  1 ended now, 0 was over already, -1 error.
 */
static int
end_match(struct db *db, int64_t conv, int64_t uid, struct ids *wake)
{
	struct buf	 p = { 0 };
	struct dbres	*res;
	long long	 n;
	int		 rc = 1;

	if ((n = db_exec(db, stmts[STMT_END], "i", conv)) <= 0)
		return (int)n;
	if ((res = db_query(db, stmts[STMT_NAME], "i", uid)) == NULL)
		return -1;
	if (db_row(res) == 1) {
		buf_addf(&p, "{\"conversation_id\":%lld,\"user\":",
		    (long long)conv);
		buf_json_str(&p, db_str(res, 0, NULL),
		    strlen(db_str(res, 0, NULL)));
		buf_addc(&p, '}');
	}
	db_res_free(res);
	if (p.len == 0 ||
	    event_push_members(db, conv, uid, "partner_left", p.p,
	    wake) == -1 ||
	    db_exec(db, stmts[STMT_REV_MEMBERS], "i", conv) < 0)
		rc = -1;
	buf_reset(&p);
	buf_addf(&p, "{\"conversation_id\":%lld}", (long long)conv);
	if (rc == 1 && event_push(db, uid, "match_ended", p.p) == -1)
		rc = -1;
	ids_add(wake, uid);
	buf_free(&p);
	return rc;
}

/*
 * uid leaves match conv: it ends (partner_left) and uid is no longer a
 * member.  Needs a transaction.  0 or -1.
 */
int
match_leave(struct db *db, int64_t uid, int64_t conv, struct ids *wake)
{
	size_t	 told = wake->n;

	if (end_match(db, conv, uid, wake) == -1 ||
	    db_exec(db, stmts[STMT_LEAVE], "ii", conv, uid) < 0)
		return -1;
	if (wake->n == told + 2) {	/* the partner, told just now, and uid */
		parted_set(uid, wake->v[told]);
		parted_set(wake->v[told], uid);
	}
	return 0;
}

/*
 * uid logged out or went idle: out of the queue, and every live match
 * ends (partners get partner_left; uid keeps the history).  Needs a
 * transaction.  0 or -1.
 */
int
match_user_gone(struct db *db, int64_t uid, struct ids *wake)
{
	struct ids	 convs = { 0 };
	struct dbres	*res;
	size_t		 i;
	int		 rc = 0;

	if (db_exec(db, stmts[STMT_DEQUEUE], "i", uid) < 0 ||
	    (res = db_query(db, stmts[STMT_LIVE_ALL], "i", uid)) == NULL)
		return -1;
	while (db_row(res) == 1)
		ids_add(&convs, db_int(res, 0));
	db_res_free(res);
	for (i = 0; i < convs.n && rc == 0; i++)
		if (end_match(db, convs.v[i], uid, wake) == -1)
			rc = -1;
	ids_free(&convs);
	return rc;
}

/*
 * uid's page went away_s ago or more (POST /api/match/away) and the user
 * did not come back: the stranger chats it had then end (partners get
 * partner_left) and the mark goes.  Needs a transaction.  1 if uid was
 * still away, 0 if not, -1.
 */
int
match_user_away(struct db *db, int64_t uid, int away_s, struct ids *wake)
{
	struct ids	 convs = { 0 };
	struct dbres	*res;
	size_t		 i;
	long long	 n;
	int		 rc = 0;

	if ((res = db_query(db, stmts[STMT_AWAY_LIVE], "ii", uid,
	    (int64_t)away_s)) == NULL)
		return -1;
	while (db_row(res) == 1)
		ids_add(&convs, db_int(res, 0));
	db_res_free(res);
	if ((n = db_exec(db, stmts[STMT_AWAY_DONE], "ii", uid,
	    (int64_t)away_s)) < 0)
		rc = -1;
	else if (n == 1)
		rc = 1;
	for (i = 0; i < convs.n && rc == 1; i++)
		if (end_match(db, convs.v[i], uid, wake) == -1)
			rc = -1;
	ids_free(&convs);
	return rc;
}

/*
 * uid's page with its stranger chats went (POST /api/match/away): unless
 * match_back comes within CHAT_AWAY_S, the sweeper ends the chats open
 * now (match_user_away).  0 or -1.
 */
int
match_away(struct db *db, int64_t uid)
{
	return db_exec(db, stmts[STMT_AWAY_SET], "i", uid) < 0 ? -1 : 0;
}

/* uid is still here after all (a reloaded page).  0 or -1. */
int
match_back(struct db *db, int64_t uid)
{
	return db_exec(db, stmts[STMT_AWAY_CLEAR], "i", uid) < 0 ? -1 : 0;
}
