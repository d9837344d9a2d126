/*
 * core_friends.c: friend requests (with a note), accept, reject, remove,
 * and the lists.  One pending request per pair is a unique key
 * (open_pair), so two users who ask each other at once meet on that key:
 * the second one accepts the first and they become friends once.
 * Accepting creates (or reuses) their direct conversation; removing keeps
 * its history and stops new direct messages.  Every change is an event
 * for the other side, in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>
#include <sodium.h>

#include "caps.h"
#include "core_events.h"
#include "core_friends.h"
#include "core_users.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_TARGET,
	STMT_ARE_FRIENDS,
	STMT_REQ_NEW,
	STMT_REQ_OPEN,
	STMT_REQ_TAKE,
	STMT_REQ_DECIDE,
	STMT_CONV_DIRECT,
	STMT_MEMBERS_ADD,
	STMT_LINK,
	STMT_UNLINK,
	STMT_LIST,
	STMT_REQ_IN,
	STMT_REQ_OUT,
	STMT_REQ_BY_NAMES,
	STMT_BLOCKED,
	STMT__MAX
};

#define REQ_COLS "r.id, uf.username, ut.username, r.text, " \
	MS("r.created_at") ", r.status, uf.nickname, ut.nickname"

static const char *const stmts[STMT__MAX] = {
	/* STMT_TARGET */
	"SELECT id, guest FROM user WHERE username = ?",
	/* STMT_ARE_FRIENDS */
	"SELECT conv_id FROM friendship WHERE user_id = ? AND friend_id = ?",
	/* STMT_REQ_NEW */
	"INSERT INTO friend_request (from_id, to_id, text, open_pair, "
	"created_at, client_ref) "
	"VALUES (?, ?, ?, ?, FROM_UNIXTIME(? / 1000), ?)",
	/* STMT_REQ_OPEN */
	"SELECT id, from_id, " MS("created_at") " FROM friend_request "
	"WHERE open_pair = ? FOR UPDATE",
	/* STMT_REQ_TAKE */
	"SELECT from_id, " MS("created_at") " FROM friend_request r "
	"WHERE id = ? AND to_id = ? AND status = 'pending' AND NOT EXISTS "
	"(SELECT 1 FROM user_block b WHERE (b.user_id = r.to_id AND "
	"b.blocked_id = r.from_id) OR (b.user_id = r.from_id AND "
	"b.blocked_id = r.to_id)) FOR UPDATE",
	/* STMT_REQ_DECIDE */
	"UPDATE friend_request SET status = ?, open_pair = NULL, "
	"decided_at = NOW(3) WHERE id = ? AND status = 'pending'",
	/* STMT_CONV_DIRECT: the pair's conversation, new or old. */
	"INSERT INTO conversation (kind, user_lo, user_hi) "
	"VALUES ('direct', ?, ?) ON DUPLICATE KEY UPDATE "
	"id = LAST_INSERT_ID(id), updated_at = NOW(3)",
	/* STMT_MEMBERS_ADD */
	"INSERT IGNORE INTO conv_member (conv_id, user_id) "
	"VALUES (?, ?), (?, ?)",
	/* STMT_LINK (already friends: a request left pending by an older
	 * build, accepted now, changes nothing) */
	"INSERT INTO friendship (user_id, friend_id, conv_id) "
	"VALUES (?, ?, ?), (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE conv_id = VALUES(conv_id)",
	/* STMT_UNLINK */
	"DELETE FROM friendship WHERE (user_id = ? AND friend_id = ?) "
	"OR (user_id = ? AND friend_id = ?)",
	/* STMT_LIST */
	"SELECT " USER_COLS ", f.conv_id FROM friendship f "
	"JOIN user u ON u.id = f.friend_id WHERE f.user_id = ? "
	"ORDER BY u.nickname, u.username",
	/* STMT_REQ_IN */
	"SELECT " REQ_COLS " FROM friend_request r "
	"JOIN user uf ON uf.id = r.from_id JOIN user ut ON ut.id = r.to_id "
	"WHERE r.to_id = ? AND r.status = 'pending' AND NOT EXISTS (SELECT 1 "
	"FROM user_block b WHERE b.user_id = r.to_id AND "
	"b.blocked_id = r.from_id) ORDER BY r.id",
	/* STMT_REQ_OUT */
	"SELECT " REQ_COLS " FROM friend_request r "
	"JOIN user uf ON uf.id = r.from_id JOIN user ut ON ut.id = r.to_id "
	"WHERE r.from_id = ? AND r.status = 'pending' ORDER BY r.id",
	/* STMT_REQ_BY_NAMES: the pending request from one user to another. */
	"SELECT r.id FROM friend_request r JOIN user uf ON uf.id = r.from_id "
	"JOIN user ut ON ut.id = r.to_id WHERE uf.username = ? "
	"AND ut.username = ? AND r.status = 'pending'",
	/* STMT_BLOCKED: 1 the asker blocked them, 2 they blocked the asker. */
	"SELECT EXISTS (SELECT 1 FROM user_block WHERE user_id = ? AND "
	"blocked_id = ?) + 2 * EXISTS (SELECT 1 FROM user_block WHERE "
	"user_id = ? AND blocked_id = ?)",
};

/* "lo:hi": the open_pair key of two users. */
static void
pair_key(char *out, size_t sz, int64_t a, int64_t b)
{
	snprintf(out, sz, "%lld:%lld", (long long)(a < b ? a : b),
	    (long long)(a < b ? b : a));
}

/* Are a and b friends?  1 yes, 0 no, -1 error. */
int
friend_check(struct db *db, int64_t a, int64_t b)
{
	return db_one(db, NULL, stmts[STMT_ARE_FRIENDS], "ii", a, b);
}

/*
 * Request id as a JSON object {id, from, to, text, ...}, appended to b;
 * with "client_ref" when the seed 003 frame that made it named itself.
 * 0 or -1.
 */
int
friend_request_json(struct db *db, int64_t id, struct buf *b)
{
	static const char *const sql = "SELECT " REQ_COLS ", r.client_ref"
	    " FROM friend_request r JOIN user uf ON uf.id = r.from_id "
	    "JOIN user ut ON ut.id = r.to_id WHERE r.id = ?";
	struct dbres	*res;
	size_t		 n;
	const char	*s;
	int		 rc;

	if ((res = db_query(db, sql, "i", id)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		buf_addf(b, "{\"id\":%lld,\"from\":",
		    (long long)db_int(res, 0));
		s = db_str(res, 1, &n);
		buf_json_str(b, s, n);
		buf_adds(b, ",\"to\":");
		s = db_str(res, 2, &n);
		buf_json_str(b, s, n);
		buf_adds(b, ",\"text\":");
		s = db_str(res, 3, &n);
		buf_json_str(b, s, n);
		buf_addf(b, ",\"created_at\":%lld,\"status\":\"%s\","
		    "\"from_nickname\":", (long long)db_int(res, 4),
		    db_str(res, 5, NULL));
		s = db_str(res, 6, &n);
		buf_json_str(b, s, n);
		buf_adds(b, ",\"to_nickname\":");
		s = db_str(res, 7, &n);
		buf_json_str(b, s, n);
		if (!db_null(res, 8)) {
			buf_adds(b, ",\"client_ref\":");
			s = db_str(res, 8, &n);
			buf_json_str(b, s, n);
		}
		buf_addc(b, '}');
	}
	db_res_free(res);
	return rc == 1 ? 0 : -1;
}

/* The event payload of request id: {"request":{...}}. */
static int
request_payload(struct db *db, int64_t id, struct buf *b)
{
	buf_adds(b, "{\"request\":");
	if (friend_request_json(db, id, b) == -1)
		return -1;
	buf_addc(b, '}');
	return 0;
}

/*
 * Make a and b friends with their direct conversation; request id is
 * accepted and its sender gets friend_accepted, of time at (ms).  Needs an
 * open transaction.  0 or -1.
 */
static int
link_pair(struct db *db, int64_t id, int64_t from, int64_t to, int64_t at,
    int64_t *conv)
{
	struct buf	 p = { 0 };
	int64_t		 lo = from < to ? from : to, hi = from < to ? to : from;
	int		 rc = -1;

	if (db_exec(db, stmts[STMT_REQ_DECIDE], "si", "accepted", id) != 1 ||
	    db_exec(db, stmts[STMT_CONV_DIRECT], "ii", lo, hi) < 0)
		return -1;
	*conv = db_insert_id(db);
	if (db_exec(db, stmts[STMT_MEMBERS_ADD], "iiii", *conv, lo, *conv,
	    hi) < 0 ||
	    db_exec(db, stmts[STMT_LINK], "iiiiii", from, to, *conv, to, from,
	    *conv) < 0 ||
	    request_payload(db, id, &p) == -1 ||
	    event_push_at(db, from, "friend_accepted", p.p, at) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&p);
	return rc;
}

/*
 * The acting user's own friends_changed event ({"change", "user": the
 * other side}): their other pages and devices follow what this one did
 * (the other side's events go to the other side only).  Needs an open
 * transaction.  0 or -1.
 */
int
friend_tell_self(struct db *db, int64_t me, const char *change,
    int64_t other)
{
	struct buf	 p = { 0 };
	struct dbres	*res;
	int		 rc = -1;

	if ((res = db_query(db, "SELECT username FROM user WHERE id = ?", "i",
	    other)) == NULL)
		return -1;
	if (db_row(res) == 1) {
		buf_adds(&p, "{\"change\":");
		buf_json_str(&p, change, strlen(change));
		buf_adds(&p, ",\"user\":");
		buf_json_str(&p, db_str(res, 0, NULL),
		    strlen(db_str(res, 0, NULL)));
		buf_addc(&p, '}');
	}
	db_res_free(res);
	if (p.len > 0 && event_push(db, me, "friends_changed", p.p) == 0)
		rc = 0;
	buf_free(&p);
	return rc;
}

/* One try of friend_request, in a transaction the caller opened. */
static enum fr_result
request_try(struct db *db, int64_t from, int64_t to, const char *text,
    const char *ref, struct fr_out *out)
{
	struct dbres	*res;
	struct buf	 p = { 0 };
	char		 key[48];
	int64_t		 id, other;
	int		 rc;

	if ((rc = friend_check(db, from, to)) != 0)
		return rc == 1 ? FR_ALREADY : FR_ERROR;
	pair_key(key, sizeof(key), from, to);
	out->created_at = now_ms();
	if (db_exec(db, stmts[STMT_REQ_NEW], "iissis", from, to, text, key,
	    out->created_at, ref) == 1) {
		out->request_id = db_insert_id(db);
		/*
		 * Again, now that this request holds the pair's key: the
		 * other side may have accepted an earlier one of ours (and
		 * freed the key) since the first look.  A request stored
		 * then was left pending between friends.
		 */
		if ((rc = friend_check(db, from, to)) != 0)
			return rc == 1 ? FR_ALREADY : FR_ERROR;
		/* To one who blocked the asker: kept, never told. */
		if (!out->quiet &&
		    (request_payload(db, out->request_id, &p) == -1 ||
		    event_push(db, to, "friend_request", p.p) == -1)) {
			buf_free(&p);
			return FR_ERROR;
		}
		buf_free(&p);
		return FR_OK;
	}
	if (!db_is_dup(db))
		return FR_ERROR;
	/* A request of this pair is pending: whose? */
	if ((res = db_query(db, stmts[STMT_REQ_OPEN], "s", key)) == NULL)
		return FR_ERROR;
	rc = db_row(res);
	id = rc == 1 ? db_int(res, 0) : 0;
	other = rc == 1 ? db_int(res, 1) : 0;
	out->created_at = rc == 1 ? db_int(res, 2) : 0;
	db_res_free(res);
	if (rc != 1)
		return FR_AGAIN;	/* decided meanwhile */
	if (other == from)
		return FR_DUPLICATE;
	/* They asked us first: this request accepts theirs. */
	out->request_id = id;
	out->answered_at = now_ms();
	if (link_pair(db, id, to, from, out->answered_at, &out->conv_id) == -1)
		return FR_ERROR;
	return FR_ACCEPTED;
}

/*
 * from asks user name to be friends with note text; ref (NULL: none) is
 * the seed 003 frame id, kept for its pushes.  Runs its own transaction
 * and wakes the receiver.  FR_OK (request made), FR_ACCEPTED
 * (theirs was pending: now friends), FR_SELF, FR_NO_USER, FR_ALREADY,
 * FR_DUPLICATE or FR_ERROR.
 */
enum fr_result
friend_request(struct db *db, int64_t from, const char *name,
    const char *text, const char *ref, struct fr_out *out)
{
	struct dbres	*res;
	enum fr_result	 rc = FR_ERROR;
	int64_t		 blocked;
	int		 i, row, guest = 0;

	memset(out, 0, sizeof(*out));
	if ((res = db_query(db, stmts[STMT_TARGET], "s", name)) == NULL)
		return FR_ERROR;
	if ((row = db_row(res)) == 1) {
		out->other_id = db_int(res, 0);
		guest = (int)db_int(res, 1);
	}
	db_res_free(res);
	if (row == -1)
		return FR_ERROR;
	if (row == 0 || guest)
		return FR_NO_USER;
	if (out->other_id == from)
		return FR_SELF;
	if (db_one(db, &blocked, stmts[STMT_BLOCKED], "iiii", from,
	    out->other_id, out->other_id, from) != 1)
		return FR_ERROR;
	if (blocked & 1)
		return FR_BLOCKED;
	out->quiet = (blocked & 2) != 0;
	for (i = 0; i < CAP_TX_TRIES; i++) {
		if (db_begin(db) == -1)
			return FR_ERROR;
		rc = request_try(db, from, out->other_id, text ? text : "",
		    ref, out);
		if ((rc == FR_OK || rc == FR_ACCEPTED) &&
		    friend_tell_self(db, from, rc == FR_OK ? "requested" :
		    "accepted", out->other_id) == -1)
			rc = FR_ERROR;
		if (rc == FR_OK || rc == FR_ACCEPTED) {
			if (db_commit(db) == -1) {
				db_rollback(db);
				return FR_ERROR;
			}
			wake_user(out->other_id);
			wake_user(from);
			return rc;
		}
		db_rollback(db);
		if (rc != FR_AGAIN && (rc != FR_ERROR || !db_is_retry(db)))
			break;
		tx_backoff(i);
	}
	return rc == FR_AGAIN ? FR_ERROR : rc;
}

/*
 * me accepts request id.  FR_OK with the sender in out->other_id and the
 * conversation in out->conv_id, FR_NO_REQUEST, or FR_ERROR.
 */
enum fr_result
friend_accept(struct db *db, int64_t me, int64_t id, struct fr_out *out)
{
	struct dbres	*res;
	int		 rc, i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < CAP_TX_TRIES; i++) {
		if (db_begin(db) == -1)
			return FR_ERROR;
		if ((res = db_query(db, stmts[STMT_REQ_TAKE], "ii", id,
		    me)) == NULL)
			goto fail;
		if ((rc = db_row(res)) == 1) {
			out->other_id = db_int(res, 0);
			out->created_at = db_int(res, 1);
		}
		db_res_free(res);
		if (rc == 0) {
			db_rollback(db);
			return FR_NO_REQUEST;
		}
		out->request_id = id;
		out->answered_at = now_ms();
		if (rc == -1 ||
		    link_pair(db, id, out->other_id, me, out->answered_at,
		    &out->conv_id) == -1 ||
		    friend_tell_self(db, me, "accepted", out->other_id) == -1 ||
		    db_commit(db) == -1)
			goto fail;
		wake_user(out->other_id);
		wake_user(me);
		return FR_OK;
fail:
		db_rollback(db);
		if (!db_is_retry(db))
			break;
		tx_backoff(i);
	}
	return FR_ERROR;
}

/* me rejects request id: FR_OK (sender told), FR_NO_REQUEST, FR_ERROR. */
enum fr_result
friend_reject(struct db *db, int64_t me, int64_t id, struct fr_out *out)
{
	struct dbres	*res;
	struct buf	 p = { 0 };
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return FR_ERROR;
	if ((res = db_query(db, stmts[STMT_REQ_TAKE], "ii", id, me)) == NULL)
		goto fail;
	if ((rc = db_row(res)) == 1) {
		out->other_id = db_int(res, 0);
		out->created_at = db_int(res, 1);
	}
	db_res_free(res);
	if (rc == 0) {
		db_rollback(db);
		return FR_NO_REQUEST;
	}
	out->request_id = id;
	out->answered_at = now_ms();
	if (rc == -1 ||
	    db_exec(db, stmts[STMT_REQ_DECIDE], "si", "rejected", id) != 1 ||
	    request_payload(db, id, &p) == -1 ||
	    event_push_at(db, out->other_id, "friend_rejected", p.p,
	    out->answered_at) == -1 ||
	    friend_tell_self(db, me, "rejected", out->other_id) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	buf_free(&p);
	wake_user(out->other_id);
	wake_user(me);
	return FR_OK;
fail:
	buf_free(&p);
	db_rollback(db);
	return FR_ERROR;
}

/*
 * me ends the friendship with user name; they get friend_removed.  The
 * conversation and its history stay.  FR_OK, FR_NOT_FRIENDS, FR_ERROR.
 */
enum fr_result
friend_remove(struct db *db, int64_t me, const char *name)
{
	struct buf	 p = { 0 };
	struct dbres	*res;
	int64_t		 other = 0;
	long long	 n;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_TARGET], "s", name)) == NULL)
		return FR_ERROR;
	if ((rc = db_row(res)) == 1)
		other = db_int(res, 0);
	db_res_free(res);
	if (rc != 1)
		return rc == 0 ? FR_NOT_FRIENDS : FR_ERROR;
	if (db_begin(db) == -1)
		return FR_ERROR;
	if ((n = db_exec(db, stmts[STMT_UNLINK], "iiii", me, other, other,
	    me)) != 2) {
		db_rollback(db);
		return n == 0 ? FR_NOT_FRIENDS : FR_ERROR;
	}
	if ((res = db_query(db, "SELECT username FROM user WHERE id = ?", "i",
	    me)) == NULL)
		goto fail;
	if (db_row(res) == 1) {
		buf_adds(&p, "{\"user\":");
		buf_json_str(&p, db_str(res, 0, NULL),
		    strlen(db_str(res, 0, NULL)));
		buf_addc(&p, '}');
	}
	db_res_free(res);
	if (p.len == 0 || event_push(db, other, "friend_removed", p.p) == -1 ||
	    friend_tell_self(db, me, "removed", other) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	buf_free(&p);
	wake_user(other);
	wake_user(me);
	return FR_OK;
fail:
	buf_free(&p);
	db_rollback(db);
	return FR_ERROR;
}

/* The pending request from one user name to another: FR_OK + id or not. */
enum fr_result
friend_request_by_names(struct db *db, const char *from, const char *to,
    int64_t *id)
{
	int	 rc;

	rc = db_one(db, id, stmts[STMT_REQ_BY_NAMES], "ss", from, to);
	return rc == 1 ? FR_OK : rc == 0 ? FR_NO_REQUEST : FR_ERROR;
}

/* uid's friends, {"friends":[user + conversation_id]}, into *out.  0, -1. */
int
friend_list(struct db *db, int64_t uid, struct json_object **out)
{
	struct json_object	*a, *u;
	struct dbres		*res;
	int			 rc;

	if ((res = db_query(db, stmts[STMT_LIST], "i", uid)) == NULL)
		return -1;
	a = json_object_new_array();
	while ((rc = db_row(res)) == 1) {
		u = user_json(res, 0, 1);
		json_object_object_add(u, "conversation_id",
		    json_object_new_int64(db_int(res, USER_NCOLS)));
		json_object_array_add(a, u);
	}
	db_res_free(res);
	if (rc == -1) {
		json_object_put(a);
		return -1;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "friends", a);
	return 0;
}

/* Rows of REQ_COLS as an array of request objects. */
static struct json_object *
request_list(struct dbres *res)
{
	struct json_object	*a, *o;
	size_t			 n;
	const char		*s;

	a = json_object_new_array();
	while (db_row(res) == 1) {
		o = json_object_new_object();
		json_object_object_add(o, "id",
		    json_object_new_int64(db_int(res, 0)));
		s = db_str(res, 1, &n);
		json_object_object_add(o, "from",
		    json_object_new_string_len(s, (int)n));
		s = db_str(res, 2, &n);
		json_object_object_add(o, "to",
		    json_object_new_string_len(s, (int)n));
		s = db_str(res, 3, &n);
		json_object_object_add(o, "text",
		    json_object_new_string_len(s, (int)n));
		json_object_object_add(o, "created_at",
		    json_object_new_int64(db_int(res, 4)));
		json_object_object_add(o, "status",
		    json_object_new_string(db_str(res, 5, NULL)));
		s = db_str(res, 6, &n);
		json_object_object_add(o, "from_nickname",
		    json_object_new_string_len(s, (int)n));
		s = db_str(res, 7, &n);
		json_object_object_add(o, "to_nickname",
		    json_object_new_string_len(s, (int)n));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * uid's pending requests, {"incoming":[...], "outgoing":[...]}, into
 * *out.  0 or -1.
 */
int
friend_requests(struct db *db, int64_t uid, struct json_object **out)
{
	struct dbres	*in, *sent;

	if ((in = db_query(db, stmts[STMT_REQ_IN], "i", uid)) == NULL)
		return -1;
	if ((sent = db_query(db, stmts[STMT_REQ_OUT], "i", uid)) == NULL) {
		db_res_free(in);
		return -1;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "incoming", request_list(in));
	json_object_object_add(*out, "outgoing", request_list(sent));
	db_res_free(in);
	db_res_free(sent);
	return 0;
}
