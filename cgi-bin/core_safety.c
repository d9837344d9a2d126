/*
 * core_safety.c: blocks, reports and taking back a friend request (issue
 * 26).  A block (user_block) is silent and cheap where it counts: it ends
 * a friendship, and direct messages and group invitations already need
 * one, so the send path checks nothing more; a friend request from the
 * blocked user is stored as usual but never shown nor told
 * (core_friends.c), and stranger matching passes over both sides
 * (core_match.c).  A report copies the stranger chat's last messages as
 * they are, for an admin to read in SQL even after the chat and its guests
 * are gone.
 */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "caps.h"
#include "core_auth.h"
#include "core_events.h"
#include "core_friends.h"
#include "core_match.h"
#include "core_safety.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_PARTNER,
	STMT_USER,
	STMT_BLOCK,
	STMT_UNBLOCK,
	STMT_LIST,
	STMT_MY_REQUEST,
	STMT_LIVE_MATCH,
	STMT_LAST_MSGS,
	STMT_REPORT,
	STMT_CANCEL_TAKE,
	STMT_CANCEL,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_PARTNER: the other side of uid's stranger chat: the other
	 * member, or once they left (their member row goes), whoever else
	 * wrote there.
	 */
	"SELECT o.user_id FROM conv_member m JOIN conversation c "
	"ON c.id = m.conv_id AND c.kind = 'match' "
	"JOIN conv_member o ON o.conv_id = c.id AND o.user_id <> m.user_id "
	"WHERE m.conv_id = ? AND m.user_id = ? "
	"UNION ALL (SELECT x.sender_id FROM conv_member m JOIN conversation c "
	"ON c.id = m.conv_id AND c.kind = 'match' "
	"JOIN message x ON x.conv_id = c.id AND x.sender_id <> m.user_id "
	"WHERE m.conv_id = ? AND m.user_id = ? LIMIT 1) LIMIT 1",
	/* STMT_USER */
	"SELECT username FROM user WHERE id = ?",
	/* STMT_BLOCK */
	"INSERT IGNORE INTO user_block (user_id, blocked_id) VALUES (?, ?)",
	/* STMT_UNBLOCK */
	"DELETE FROM user_block WHERE user_id = ? AND blocked_id = ?",
	/*
	 * STMT_LIST: by nickname and picture only: a stranger's user name
	 * is not theirs to learn by blocking them.
	 */
	"SELECT u.id, u.nickname, u.avatar_url, " MS("b.created_at")
	" FROM user_block b JOIN user u ON u.id = b.blocked_id "
	"WHERE b.user_id = ? ORDER BY b.created_at DESC LIMIT ?",
	/* STMT_MY_REQUEST: my pending request to them, if any. */
	"SELECT id FROM friend_request WHERE from_id = ? AND to_id = ? "
	"AND status = 'pending'",
	/* STMT_LIVE_MATCH: is conv a live stranger chat of uid? */
	"SELECT c.id FROM conv_member m JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.conv_id = ? AND m.user_id = ? AND c.kind = 'match' "
	"AND c.ended_at IS NULL",
	/* STMT_LAST_MSGS */
	"SELECT x.seq, u.username, x.body, " MS("x.sent_at") " FROM message x "
	"JOIN user u ON u.id = x.sender_id WHERE x.conv_id = ? "
	"ORDER BY x.seq DESC LIMIT ?",
	/* STMT_REPORT */
	"INSERT INTO report (reporter_id, reported_id, reporter_name, "
	"reported_name, conversation_id, reason, messages) VALUES (?, ?, "
	"(SELECT username FROM user WHERE id = ?), "
	"(SELECT username FROM user WHERE id = ?), ?, ?, ?)",
	/* STMT_CANCEL_TAKE */
	"SELECT to_id FROM friend_request "
	"WHERE id = ? AND from_id = ? AND status = 'pending' FOR UPDATE",
	/* STMT_CANCEL */
	"UPDATE friend_request SET status = 'canceled', open_pair = NULL, "
	"decided_at = NOW(3) WHERE id = ? AND status = 'pending'",
};

/*
 * The partner of uid's stranger chat conv into *pid: 1, 0 (not a
 * stranger chat of uid's, or nobody else in it), -1.
 */
int
safe_partner(struct db *db, int64_t uid, int64_t conv, int64_t *pid)
{
	return db_one(db, pid, stmts[STMT_PARTNER], "iiii", conv, uid, conv,
	    uid);
}

/*
 * uid withdraws pending request id it sent: the receiver gets
 * friend_canceled, uid's other pages friends_changed.  FR_OK,
 * FR_NO_REQUEST (none such from uid) or FR_ERROR.
 */
enum fr_result
friend_cancel(struct db *db, int64_t uid, int64_t id)
{
	struct buf	 p = { 0 };
	int64_t		 to;
	int		 rc;

	if (db_begin(db) == -1)
		return FR_ERROR;
	if ((rc = db_one(db, &to, stmts[STMT_CANCEL_TAKE], "ii", id,
	    uid)) != 1) {
		db_rollback(db);
		return rc == 0 ? FR_NO_REQUEST : FR_ERROR;
	}
	buf_adds(&p, "{\"request\":");
	if (db_exec(db, stmts[STMT_CANCEL], "i", id) != 1 ||
	    friend_request_json(db, id, &p) == -1)
		goto fail;
	buf_addc(&p, '}');
	if (event_push(db, to, "friend_canceled", p.p) == -1 ||
	    friend_tell_self(db, uid, "canceled", to) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	buf_free(&p);
	wake_user(to);
	wake_user(uid);
	return FR_OK;
fail:
	buf_free(&p);
	db_rollback(db);
	return FR_ERROR;
}

/*
 * uid blocks user other; conv (0: none) is the stranger chat it was done
 * from, which ends (the partner gets partner_left, as after a leave).  A
 * friendship ends as a removal would (friend_removed: the same as an
 * unfriending, nothing more), and uid's own pending request to them is
 * withdrawn (friend_canceled).  SAFE_OK (also when blocked already),
 * SAFE_SELF, SAFE_NO_USER or SAFE_ERROR.
 */
enum safe_result
block_add(struct db *db, int64_t uid, int64_t other, int64_t conv)
{
	struct ids	 wake = { 0 };
	struct dbres	*res;
	char		 name[CAP_USERNAME_MAX + 1];
	int64_t		 req;
	int		 rc;

	if (other == uid)
		return SAFE_SELF;
	if ((res = db_query(db, stmts[STMT_USER], "i", other)) == NULL)
		return SAFE_ERROR;
	if ((rc = db_row(res)) == 1)
		snprintf(name, sizeof(name), "%s", db_str(res, 0, NULL));
	db_res_free(res);
	if (rc != 1)
		return rc == 0 ? SAFE_NO_USER : SAFE_ERROR;
	/* Each its own transaction, before the block: run again, it goes on. */
	if ((rc = friend_check(db, uid, other)) == -1 ||
	    (rc == 1 && friend_remove(db, uid, name) == FR_ERROR))
		return SAFE_ERROR;
	if ((rc = db_one(db, &req, stmts[STMT_MY_REQUEST], "ii", uid,
	    other)) == -1 ||
	    (rc == 1 && friend_cancel(db, uid, req) == FR_ERROR))
		return SAFE_ERROR;
	if (db_begin(db) == -1)
		return SAFE_ERROR;
	if (db_exec(db, stmts[STMT_BLOCK], "ii", uid, other) < 0)
		goto fail;
	if (conv > 0) {
		if ((rc = db_one(db, NULL, stmts[STMT_LIVE_MATCH], "ii", conv,
		    uid)) == -1 ||
		    (rc == 1 && match_leave(db, uid, conv, &wake) == -1))
			goto fail;
	}
	if (db_commit(db) == -1)
		goto fail;
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	return SAFE_OK;
fail:
	db_rollback(db);
	ids_free(&wake);
	return SAFE_ERROR;
}

/* uid unblocks user other: 1 unblocked, 0 was not blocked, -1. */
int
block_remove(struct db *db, int64_t uid, int64_t other)
{
	long long	 n;

	n = db_exec(db, stmts[STMT_UNBLOCK], "ii", uid, other);
	return n < 0 ? -1 : n > 0;
}

/*
 * Whom uid blocked, newest first, {"blocks":[{id, nickname, avatar_url,
 * created_at}]} into *out.  0 or -1.
 */
int
block_list(struct db *db, int64_t uid, struct json_object **out)
{
	struct json_object	*a, *o;
	struct dbres		*res;
	const char		*s;
	size_t			 n;
	int			 rc;

	if ((res = db_query(db, stmts[STMT_LIST], "ii", uid,
	    (int64_t)CAP_BLOCKS_LIST)) == NULL)
		return -1;
	a = json_object_new_array();
	while ((rc = db_row(res)) == 1) {
		o = json_object_new_object();
		json_object_object_add(o, "id",
		    json_object_new_int64(db_int(res, 0)));
		s = db_str(res, 1, &n);
		json_object_object_add(o, "nickname",
		    json_object_new_string_len(s, (int)n));
		s = db_str(res, 2, &n);
		json_object_object_add(o, "avatar_url",
		    json_object_new_string_len(s, (int)n));
		json_object_object_add(o, "created_at",
		    json_object_new_int64(db_int(res, 3)));
		json_object_array_add(a, o);
	}
	db_res_free(res);
	if (rc == -1) {
		json_object_put(a);
		return -1;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "blocks", a);
	return 0;
}

/* The last messages of conv, oldest first, as a JSON array into b. */
static int
last_messages(struct db *db, int64_t conv, struct buf *b)
{
	struct dbres	*res;
	struct buf	 row[CAP_REPORT_MESSAGES];
	const char	*s;
	size_t		 n, i, k = 0;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_LAST_MSGS], "ii", conv,
	    (int64_t)CAP_REPORT_MESSAGES)) == NULL)
		return -1;
	memset(row, 0, sizeof(row));
	while (k < CAP_REPORT_MESSAGES && (rc = db_row(res)) == 1) {
		buf_addf(&row[k], "{\"seq\":%lld,\"sender\":",
		    (long long)db_int(res, 0));
		s = db_str(res, 1, &n);
		buf_json_str(&row[k], s, n);
		buf_adds(&row[k], ",\"body\":");
		s = db_str(res, 2, &n);
		buf_json_str(&row[k], s, n);
		buf_addf(&row[k], ",\"sent_at\":%lld}",
		    (long long)db_int(res, 3));
		k++;
	}
	db_res_free(res);
	buf_addc(b, '[');
	for (i = k; i > 0; i--) {	/* newest first came: turn around */
		if (i < k)
			buf_addc(b, ',');
		buf_add(b, row[i - 1].p, row[i - 1].len);
		buf_free(&row[i - 1]);
	}
	buf_addc(b, ']');
	return 0;
}

/*
 * uid reports the stranger of its chat conv, with reason (may be empty):
 * a report row with the chat's last messages.  CAP_REPORTS per user in 5
 * minutes; past that SAFE_RATE and *wait seconds.  SAFE_OK, SAFE_NO_CONV,
 * SAFE_RATE or SAFE_ERROR.
 */
enum safe_result
report_add(struct db *db, int64_t uid, int64_t conv, const char *reason,
    int *wait)
{
	struct buf	 msgs = { 0 };
	char		 key[64];
	int64_t		 other, win;
	int		 rc;

	*wait = 0;
	if ((rc = safe_partner(db, uid, conv, &other)) != 1)
		return rc == 0 ? SAFE_NO_CONV : SAFE_ERROR;
	snprintf(key, sizeof(key), "report:%lld", (long long)uid);
	if ((rc = auth_window_take(db, key, CAP_REPORT_WINDOW_S, CAP_REPORTS,
	    &win)) != 0) {
		*wait = rc;
		return rc == -1 ? SAFE_ERROR : SAFE_RATE;
	}
	if (last_messages(db, conv, &msgs) == -1)
		return SAFE_ERROR;
	rc = db_exec(db, stmts[STMT_REPORT], "iiiiiss", uid, other, uid,
	    other, conv, reason ? reason : "", msgs.p) == 1 ? 0 : -1;
	buf_free(&msgs);
	return rc == 0 ? SAFE_OK : SAFE_ERROR;
}
