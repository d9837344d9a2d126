/*
 * core_live.c: the live signals that are not events (issue 25).
 *
 * Typing: a signal is a row of table typing (one per typist and
 * conversation, overwritten), never an event row: nothing is acked or
 * resent, a late one being worthless.  After the write the other members
 * are woken by the usual paths (this process, the others on the host, the
 * peers); a woken poll that asked for typing (?typing=) reads the rows of
 * its user's conversations newer than what its client was last given.
 * The watcher of another host finds rows by `at` (typing_watch), as it
 * finds events by id.
 *
 * Going offline at once: signing out, or a page closed (POST
 * /api/presence/gone), when no other session of the user waits in a
 * poll here; the sweeper's idle rule stays for the rest.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "conf.h"
#include "core_auth.h"
#include "core_events.h"
#include "core_live.h"
#include "core_messages.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_NOTE,
	STMT_FETCH,
	STMT_WATCH,
	STMT_NOW,
	STMT_SWEEP,
	STMT_OFFLINE,
	STMT_NAME,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_NOTE: one row per typist and conversation. */
	"INSERT INTO typing (conv_id, user_id, at, origin) "
	"VALUES (?, ?, NOW(3), ?) ON DUPLICATE KEY UPDATE at = NOW(3), "
	"origin = VALUES(origin)",
	/*
	 * STMT_FETCH: fresh signals of others in the reader's conversations,
	 * newer than the reader's client was given, not from someone the
	 * reader blocked.  The recent rows are few: k_typing_at first.
	 */
	"SELECT t.conv_id, u.username, u.nickname, " MS("t.at") " "
	"FROM typing t FORCE INDEX (k_typing_at) "
	"JOIN conv_member m ON m.conv_id = t.conv_id AND m.user_id = ? "
	"JOIN user u ON u.id = t.user_id "
	"WHERE t.at > FROM_UNIXTIME(? / 1000) "
	"AND t.at > NOW(3) - INTERVAL ? SECOND AND t.user_id <> ? "
	"AND NOT EXISTS (SELECT 1 FROM user_block b WHERE b.user_id = ? "
	"AND b.blocked_id = t.user_id) ORDER BY t.at LIMIT ?",
	/* STMT_WATCH: members to wake for other hosts' signals. */
	"SELECT m.user_id, " MS("t.at") " FROM typing t "
	"JOIN conv_member m ON m.conv_id = t.conv_id "
	"AND m.user_id <> t.user_id "
	"WHERE t.at > FROM_UNIXTIME(? / 1000) AND t.origin <> ? LIMIT 1000",
	/* STMT_NOW */
	"SELECT " MS("NOW(3)"),
	/* STMT_SWEEP */
	"DELETE FROM typing WHERE at < NOW(3) - INTERVAL ? SECOND",
	/* STMT_OFFLINE: by the primary key (see core_users.c). */
	"UPDATE user FORCE INDEX (PRIMARY) SET online = 0, last_seen = NOW(3) "
	"WHERE id = ? AND online = 1",
	/* STMT_NAME */
	"SELECT username FROM user WHERE id = ?",
};

/*
 * The server's own limit on typing signals, whatever the client does:
 * CAP_TYPING_PER_S a second per user, counted in this process in a small
 * table indexed by user (a collision only starts someone's count afresh).
 * 1 allowed, 0 refused.
 */
int
typing_allowed(int64_t uid)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		int64_t	 uid;
		int64_t	 sec;
		int	 n;
	}			 slot[CAP_TYPING_SLOTS];
	uint64_t		 h;
	int64_t			 now = time(NULL);
	int			 ok = 1;

	h = ((uint64_t)uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32;
	h %= CAP_TYPING_SLOTS;
	pthread_mutex_lock(&mu);
	if (slot[h].uid != uid || slot[h].sec != now) {
		slot[h].uid = uid;
		slot[h].sec = now;
		slot[h].n = 0;
	}
	if (slot[h].n >= CAP_TYPING_PER_S)
		ok = 0;
	else
		slot[h].n++;
	pthread_mutex_unlock(&mu);
	return ok;
}

/*
 * uid types in conversation conv: where they may send (members; direct
 * chats while friends; not an ended stranger chat), write the signal and
 * wake the other members.  MSG_OK or why not (msg_resolve_conv).
 */
enum msg_result
typing_note(struct db *db, int64_t uid, int64_t conv)
{
	struct ids	 to = { 0 };
	enum msg_result	 rc;

	if ((rc = msg_resolve_conv(db, uid, conv)) != MSG_OK)
		return rc;
	if (db_exec(db, stmts[STMT_NOTE], "iii", conv, uid,
	    (int64_t)conf.origin) < 0 ||
	    event_member_ids(db, conv, uid, &to) == -1) {
		ids_free(&to);
		return MSG_ERROR;
	}
	wake_users(to.v, to.n);
	ids_free(&to);
	return MSG_OK;
}

/*
 * Append to out, as comma-separated JSON objects without an id
 * ({"type":"typing","at","conversation_id","user","nickname"}), the typing
 * signals for uid newer than since (ms since the epoch) and at most
 * CAP_TYPING_SHOW_S old; *n gets how many.  0 or -1.
 */
int
typing_fetch(struct db *db, int64_t uid, int64_t since, struct buf *out,
    int *n)
{
	struct dbres	*res;
	const char	*s;
	size_t		 len;
	int		 rc;

	*n = 0;
	if ((res = db_query(db, stmts[STMT_FETCH], "iiiiii", uid, since,
	    (int64_t)CAP_TYPING_SHOW_S, uid, uid,
	    (int64_t)CAP_TYPING_ROWS)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		buf_addf(out, "%s{\"type\":\"typing\",\"at\":%lld,"
		    "\"conversation_id\":%lld,\"user\":", *n ? "," : "",
		    (long long)db_int(res, 3), (long long)db_int(res, 0));
		s = db_str(res, 1, &len);
		buf_json_str(out, s, len);
		buf_adds(out, ",\"nickname\":");
		s = db_str(res, 2, &len);
		buf_json_str(out, s, len);
		buf_addc(out, '}');
		(*n)++;
	}
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * The watcher's look at other hosts' typing signals newer than *after (ms;
 * 0: start from now): the members to wake are appended to out, and *after
 * moves on.  A signal is worthless late, so one committed out of order
 * behind a newer one is not looked for again.  0 or -1.
 */
int
typing_watch(struct db *db, int64_t *after, struct ids *out)
{
	struct dbres	*res;
	int64_t		 at;
	int		 rc;

	if (*after == 0)
		return db_one(db, after, stmts[STMT_NOW], "") == 1 ? 0 : -1;
	if ((res = db_query(db, stmts[STMT_WATCH], "ii", *after,
	    (int64_t)conf.origin)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		ids_add(out, db_int(res, 0));
		if ((at = db_int(res, 1)) > *after)
			*after = at;
	}
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/* The sweeper: signals too old to show go.  0 or -1. */
int
typing_sweep(struct db *db)
{
	return db_exec(db, stmts[STMT_SWEEP], "i",
	    (int64_t)CAP_TYPING_KEEP_S) < 0 ? -1 : 0;
}

/*
 * uid's last page went (signed out, closed): offline now, not after the
 * sweeper's idle time, and the friends are told (presence online false)
 * and woken.  The caller knows no other session of uid is live.  What
 * this process remembers of uid's sessions (online, last seen) is
 * forgotten, so that uid's next request anywhere here brings them back
 * online.  0 or -1.
 */
int
user_gone(struct db *db, int64_t uid)
{
	struct ids	 friends = { 0 };
	struct buf	 p = { 0 };
	struct dbres	*res;
	const char	*name;
	long long	 n;
	int		 rc = -1;

	if (db_begin(db) == -1)
		return -1;
	if ((n = db_exec(db, stmts[STMT_OFFLINE], "i", uid)) <= 0) {
		db_rollback(db);	/* nothing written: offline already */
		return n == 0 ? 0 : -1;
	}
	if ((res = db_query(db, stmts[STMT_NAME], "i", uid)) == NULL)
		goto fail;
	if (db_row(res) == 1 && (name = db_str(res, 0, NULL)) != NULL) {
		buf_adds(&p, "{\"user\":");
		buf_json_str(&p, name, strlen(name));
		buf_adds(&p, ",\"online\":false}");
	}
	db_res_free(res);
	if (p.len == 0 ||
	    event_push_friends(db, uid, "presence", p.p) == -1 ||
	    event_friend_ids(db, uid, &friends) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	auth_forget_user(uid);
	wake_users(friends.v, friends.n);
	rc = 0;
	goto out;
fail:
	db_rollback(db);
out:
	ids_free(&friends);
	buf_free(&p);
	return rc;
}
