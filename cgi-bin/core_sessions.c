/*
 * core_sessions.c: a user's sessions as devices (issue 26): where each
 * was opened (browser, address), when it was last used, and ending one of
 * them or every other.  The last use is written at most every
 * CAP_SESSION_USED_S per session and process, so a busy client costs no
 * write per request.  Starting and finding sessions is core_auth.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_events.h"
#include "core_sessions.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_DESCRIBE,
	STMT_USED,
	STMT_LIST,
	STMT_END_ONE,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_DESCRIBE */
	"UPDATE session SET user_agent = ?, addr = ?, used_at = NOW(3) "
	"WHERE id = ?",
	/* STMT_USED: no write when it was written lately (another process). */
	"UPDATE session SET used_at = NOW(3) WHERE id = ? AND (used_at IS NULL "
	"OR used_at < NOW(3) - INTERVAL ? SECOND)",
	/* STMT_LIST */
	"SELECT id, user_agent, addr, " MS("created_at") ", "
	MS("COALESCE(used_at, created_at)") " FROM session "
	"WHERE user_id = ? AND expires_at > NOW(3) ORDER BY id DESC",
	/* STMT_END_ONE */
	"DELETE FROM session WHERE id = ? AND user_id = ?",
};

/*
 * Say where session sid was opened: the browser's User-Agent (ua, NULL:
 * none; printable ASCII kept, the rest shown as '?', cut to
 * CAP_SESSION_UA bytes) and the client address.  Right after it started.
 * Failures are logged: the session stands without them.
 */
void
session_describe(struct db *db, int64_t sid, const char *ua,
    const char *addr)
{
	char	 cut[CAP_SESSION_UA + 1], a[65];
	size_t	 i;

	for (i = 0; ua != NULL && ua[i] != '\0' && i < CAP_SESSION_UA; i++)
		cut[i] = ua[i] >= 0x20 && ua[i] < 0x7f ? ua[i] : '?';
	cut[i] = '\0';
	snprintf(a, sizeof(a), "%s", addr != NULL ? addr : "");
	if (db_exec(db, stmts[STMT_DESCRIBE], "ssi", cut, a, sid) < 0)
		LOG("session %lld: cannot store where it was opened",
		    (long long)sid);
}

/*
 * Sessions whose last use this process wrote lately: a direct-mapped
 * table by id (a clash only costs a statement), so that the write happens
 * once every CAP_SESSION_USED_S, not per request.
 */
#define USED_SLOTS	4096

static pthread_mutex_t	 used_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t	 sid;
	int64_t	 at;		/* mono ms */
} used[USED_SLOTS];

/* Session sid made a request: its last use, now and then.  Never fails. */
void
session_used(struct db *db, int64_t sid)
{
	size_t	 k = (uint64_t)sid % USED_SLOTS;
	int64_t	 now = mono_ms();
	int	 fresh;

	pthread_mutex_lock(&used_mu);
	fresh = used[k].sid == sid &&
	    now - used[k].at < CAP_SESSION_USED_S * 1000;
	if (!fresh) {
		used[k].sid = sid;
		used[k].at = now;
	}
	pthread_mutex_unlock(&used_mu);
	if (!fresh)
		(void)db_exec(db, stmts[STMT_USED], "ii", sid,
		    (int64_t)CAP_SESSION_USED_S);
}

/*
 * uid's sessions, newest first, as {"sessions":[{"id","current",
 * "user_agent","addr","created_at","used_at"}]} appended to out; current
 * is the asking one.  0 or -1.
 */
int
session_list(struct db *db, int64_t uid, int64_t current, struct buf *out)
{
	struct dbres	*res;
	const char	*s;
	size_t		 n;
	int		 rc, k = 0;

	if ((res = db_query(db, stmts[STMT_LIST], "i", uid)) == NULL)
		return -1;
	buf_adds(out, "{\"sessions\":[");
	while ((rc = db_row(res)) == 1) {
		buf_addf(out, "%s{\"id\":%lld,\"current\":%s,\"user_agent\":",
		    k++ ? "," : "", (long long)db_int(res, 0),
		    db_int(res, 0) == current ? "true" : "false");
		s = db_str(res, 1, &n);
		buf_json_str(out, s, n);
		buf_adds(out, ",\"addr\":");
		s = db_str(res, 2, &n);
		buf_json_str(out, s, n);
		buf_addf(out, ",\"created_at\":%lld,\"used_at\":%lld}",
		    (long long)db_int(res, 3), (long long)db_int(res, 4));
	}
	db_res_free(res);
	buf_adds(out, "]}");
	return rc == -1 ? -1 : 0;
}

/*
 * Forget uid's sessions here and wake its polls: an ended session's pages
 * get sessions_ended and 401 from then on.
 */
static void
ended(int64_t uid)
{
	auth_forget_user(uid);
	wake_user(uid);
}

/*
 * End uid's session sid (one of its devices); the user's pages get
 * sessions_ended.  1 ended, 0 no such session of uid, -1 error.
 */
int
session_end(struct db *db, int64_t uid, int64_t sid)
{
	long long	 n;

	if (db_begin(db) == -1)
		return -1;
	if ((n = db_exec(db, stmts[STMT_END_ONE], "ii", sid, uid)) != 1) {
		db_rollback(db);
		return n == 0 ? 0 : -1;
	}
	if (event_push(db, uid, "sessions_ended",
	    "{\"reason\":\"signed_out\"}") == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	ended(uid);
	return 1;
}

/* End every session of uid but keep (signing out the other devices).  0, -1. */
int
session_end_others(struct db *db, int64_t uid, int64_t keep)
{
	if (db_begin(db) == -1)
		return -1;
	if (account_sessions_end(db, uid, keep, "signed_out") == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	ended(uid);
	return 0;
}
