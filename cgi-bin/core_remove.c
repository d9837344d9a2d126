/*
 * core_remove.c: a registered user removes their own account (issue 26).
 * Everything that is theirs goes in one transaction: profile, password,
 * friendships and friend requests, sessions, pending events, reset links,
 * pictures no one else shows, stranger chats, group memberships.  The row
 * stays as a tombstone (deleted_at set, user name ~deleted-ID, which no
 * account can have or log in with, nickname "Deleted user"): a message's
 * sender row deletes its messages in cascade (sql/002), and messages
 * already sent stay in the others' history under that name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_accounts.h"
#include "core_auth.h"
#include "core_events.h"
#include "core_match.h"
#include "core_remove.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_LOCK,
	STMT_FRIENDS,
	STMT_REQUESTERS,
	STMT_UNFRIEND,
	STMT_UNFRIENDED,
	STMT_REQUESTS,
	STMT_TOPICS,
	STMT_TOPIC_LOCK,
	STMT_LEAVE,
	STMT_NEXT_OWNER,
	STMT_TOUCH,
	STMT_DIRECTS,
	STMT_EVENTS,
	STMT_RESETS,
	STMT_BLOCKS,
	STMT_DEVICES,
	STMT_PICTURES,
	STMT_PICTURES_KEPT,
	STMT_TOMBSTONE,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_LOCK: the user, held until the end. */
	"SELECT username FROM user FORCE INDEX (PRIMARY) WHERE id = ? "
	"AND guest = 0 AND deleted_at IS NULL FOR UPDATE",
	/* STMT_FRIENDS */
	"SELECT friend_id FROM friendship WHERE user_id = ?",
	/* STMT_REQUESTERS: the other side of each pending request. */
	"SELECT IF(from_id = ?, to_id, from_id) FROM friend_request "
	"WHERE (from_id = ? OR to_id = ?) AND status = 'pending'",
	/* STMT_UNFRIEND */
	"DELETE FROM friendship WHERE user_id = ?",
	/* STMT_UNFRIENDED */
	"DELETE FROM friendship WHERE friend_id = ?",
	/* STMT_REQUESTS: pending or decided, both ways. */
	"DELETE FROM friend_request WHERE from_id = ? OR to_id = ?",
	/* STMT_TOPICS: the topics the user is in, and whether as owner. */
	"SELECT m.conv_id, m.role = 'owner' FROM conv_member m "
	"JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.user_id = ? AND c.kind = 'topic'",
	/* STMT_TOPIC_LOCK: as core_topics.c, before its roles change. */
	"SELECT id FROM conversation WHERE id = ? FOR UPDATE",
	/* STMT_LEAVE */
	"DELETE FROM conv_member WHERE conv_id = ? AND user_id = ?",
	/* STMT_NEXT_OWNER: as core_topics.c's leave. */
	"UPDATE conv_member SET role = 'owner' WHERE conv_id = ? "
	"ORDER BY role = 'admin' DESC, joined_at LIMIT 1",
	/* STMT_TOUCH */
	"UPDATE conversation SET updated_at = NOW(3) WHERE id = ?",
	/* STMT_DIRECTS: direct chats stay, their other side told. */
	"SELECT m.conv_id FROM conv_member m JOIN conversation c "
	"ON c.id = m.conv_id WHERE m.user_id = ? AND c.kind = 'direct'",
	/* STMT_EVENTS */
	"DELETE FROM event WHERE user_id = ?",
	/* STMT_RESETS */
	"DELETE FROM password_reset WHERE user_id = ?",
	/* STMT_BLOCKS: made and received (reports stay, for the admins). */
	"DELETE FROM user_block WHERE user_id = ? OR blocked_id = ?",
	/* STMT_DEVICES: the trusted browsers' tokens (sql/015). */
	"DELETE FROM device WHERE user_id = ?",
	/* STMT_PICTURES: the user's uploads that no one else shows. */
	"DELETE FROM picture WHERE owner_id = ? AND NOT EXISTS (SELECT 1 "
	"FROM user u WHERE u.id <> ? AND u.avatar_url = CONCAT("
	"'/api/pictures/', LOWER(HEX(picture.hash)))) AND NOT EXISTS "
	"(SELECT 1 FROM conversation c WHERE c.avatar_url = CONCAT("
	"'/api/pictures/', LOWER(HEX(picture.hash))))",
	/* STMT_PICTURES_KEPT: shown by others: kept, no longer the user's. */
	"UPDATE picture SET owner_id = NULL WHERE owner_id = ?",
	/* STMT_TOMBSTONE */
	"UPDATE user FORCE INDEX (PRIMARY) SET username = CONCAT('~deleted-', "
	"id), password_hash = NULL, email = '', nickname = 'Deleted user', "
	"avatar_url = '', location = '', bio = '', public_key = '', "
	"online = 0, deleted_at = NOW(3) WHERE id = ?",
};

/* The ids of a one-column query of uid (n copies of it), into *out. */
static int
ids_of(struct db *db, int st, int64_t uid, int n, struct ids *out)
{
	return db_ids(n == 3 ?
	    db_query(db, stmts[st], "iii", uid, uid, uid) :
	    db_query(db, stmts[st], "i", uid), out);
}

/*
 * Friends and those with a pending request either way get friend_removed
 * {"user": name} (their lists follow), then the rows go.  0 or -1.
 */
static int
drop_friends(struct db *db, int64_t uid, const char *name, struct ids *wake)
{
	struct ids	 to = { 0 };
	struct buf	 p = { 0 };
	size_t		 i;
	int		 rc = 0;

	buf_adds(&p, "{\"user\":");
	buf_json_str(&p, name, strlen(name));
	buf_addc(&p, '}');
	if (ids_of(db, STMT_FRIENDS, uid, 1, &to) == -1 ||
	    ids_of(db, STMT_REQUESTERS, uid, 3, &to) == -1)
		rc = -1;
	for (i = 0; i < to.n && rc == 0; i++) {
		if (event_push(db, to.v[i], "friend_removed", p.p) == -1)
			rc = -1;
		ids_add(wake, to.v[i]);
	}
	if (rc == 0 &&
	    (db_exec(db, stmts[STMT_UNFRIEND], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_UNFRIENDED], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_REQUESTS], "ii", uid, uid) < 0))
		rc = -1;
	ids_free(&to);
	buf_free(&p);
	return rc;
}

/* conversation_updated {conversation_id, change} to conv's others. */
static int
tell_members(struct db *db, int64_t uid, int64_t conv, const char *change,
    struct ids *wake)
{
	char	 p[112];

	snprintf(p, sizeof(p), "{\"conversation_id\":%lld,\"change\":\"%s\"}",
	    (long long)conv, change);
	return event_push_members(db, conv, uid, "conversation_updated", p,
	    wake);
}

/*
 * Leave every topic as core_topics.c's leave does (an owner's role
 * passes on; the rest are told "left"), and tell the other side of each
 * direct chat, whose title becomes the tombstone's.  0 or -1.
 */
static int
leave_all(struct db *db, int64_t uid, struct ids *wake)
{
	struct ids	 owned = { 0 }, topics = { 0 }, directs = { 0 };
	struct dbres	*res;
	size_t		 i;
	int		 rc = 0;

	if ((res = db_query(db, stmts[STMT_TOPICS], "i", uid)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		ids_add(&topics, db_int(res, 0));
		if (db_int(res, 1))
			ids_add(&owned, db_int(res, 0));
	}
	db_res_free(res);
	rc = rc == -1 ? -1 : 0;
	for (i = 0; i < topics.n && rc == 0; i++)
		if (db_one(db, NULL, stmts[STMT_TOPIC_LOCK], "i",
		    topics.v[i]) == -1 ||
		    db_exec(db, stmts[STMT_LEAVE], "ii", topics.v[i], uid) < 0 ||
		    db_exec(db, stmts[STMT_TOUCH], "i", topics.v[i]) < 0 ||
		    tell_members(db, uid, topics.v[i], "left", wake) == -1)
			rc = -1;
	for (i = 0; i < owned.n && rc == 0; i++)
		if (db_exec(db, stmts[STMT_NEXT_OWNER], "i", owned.v[i]) < 0)
			rc = -1;
	if (rc == 0 && ids_of(db, STMT_DIRECTS, uid, 1, &directs) == -1)
		rc = -1;
	for (i = 0; i < directs.n && rc == 0; i++)
		if (tell_members(db, uid, directs.v[i], "account_removed",
		    wake) == -1)
			rc = -1;
	ids_free(&owned);
	ids_free(&topics);
	ids_free(&directs);
	return rc;
}

/*
 * Remove uid's account (DELETE /api/me) once pw is its password (checked
 * as a password change checks it, from a browser holding device token did
 * or NULL: wrong ones count with the login failures).  All of it in one
 * transaction; after the commit every process forgets uid's sessions,
 * and its pages (sessions_ended, then 401) and the people told wake.
 * REMOVE_OK, REMOVE_WRONG, REMOVE_LIMIT (*wait seconds), REMOVE_GONE (no
 * such registered account) or REMOVE_ERROR.
 */
enum remove_result
remove_account(struct db *db, int64_t uid, const char *name, const char *did,
    const char *pw, size_t pwlen, int *wait)
{
	struct ids	 wake = { 0 };
	struct dbres	*res;
	char		*held = NULL;
	int		 rc;

	switch (account_password_try(db, uid, name, did, pw, pwlen, wait)) {
	case LOGIN_OK:
		break;
	case LOGIN_WRONG:
		return REMOVE_WRONG;
	case LOGIN_LIMIT:
		return REMOVE_LIMIT;
	default:
		return REMOVE_ERROR;
	}
	if (db_begin(db) == -1)
		return REMOVE_ERROR;
	if ((res = db_query(db, stmts[STMT_LOCK], "i", uid)) == NULL)
		goto fail;
	if ((rc = db_row(res)) == 1)
		held = xstrdup(db_str(res, 0, NULL));
	db_res_free(res);
	if (rc != 1) {
		db_rollback(db);
		return rc == 0 ? REMOVE_GONE : REMOVE_ERROR;
	}
	if (drop_friends(db, uid, held, &wake) == -1 ||
	    leave_all(db, uid, &wake) == -1 ||
	    match_user_gone(db, uid, &wake) == -1 ||
	    db_exec(db, stmts[STMT_EVENTS], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_RESETS], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_BLOCKS], "ii", uid, uid) < 0 ||
	    db_exec(db, stmts[STMT_DEVICES], "i", uid) < 0 ||
	    db_exec(db, stmts[STMT_TOMBSTONE], "i", uid) != 1 ||
	    db_exec(db, stmts[STMT_PICTURES], "ii", uid, uid) < 0 ||
	    db_exec(db, stmts[STMT_PICTURES_KEPT], "i", uid) < 0 ||
	    account_sessions_end(db, uid, 0, "account_removed") == -1 ||
	    db_commit(db) == -1)
		goto fail;
	free(held);
	auth_forget_user(uid);
	ids_add(&wake, uid);
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	return REMOVE_OK;
fail:
	free(held);
	db_rollback(db);
	ids_free(&wake);
	return REMOVE_ERROR;
}
