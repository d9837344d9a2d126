/*
 * core_topics.c: changes to conversations (seed 000's topics): create
 * with friends as members, rename, add and remove members (the owner, or
 * members the owner made admins), name admins, leave (a stranger chat
 * ends).  Every change is a conversation_updated event for the members,
 * in the change's transaction, and holds the conversation's row so that
 * changes at once take turns.  Results are enum conv_result
 * (core_conv.h).
 */
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "core_conv.h"
#include "core_events.h"
#include "core_match.h"
#include "core_messages.h"
#include "core_topics.h"
#include "db.h"
#include "util.h"
#include "valid.h"
#include "wake.h"

enum stmt {
	STMT_LOCK,
	STMT_COUNT,
	STMT_TOPIC_NEW,
	STMT_OWNER_ADD,
	STMT_FRIENDS_ADD,
	STMT_RENAME,
	STMT_TOUCH,
	STMT_TARGET,
	STMT_REMOVE,
	STMT_SET_ROLE,
	STMT_NEXT_OWNER,
	STMT_FRIENDS_NAMED,
	STMT_NAME,
	STMT_NEW_NAMES,
	STMT_NOTICE_SEQ,
	STMT_LAST_SEQ,
	STMT_NOTICE,
	STMT_SAME_TITLE,
	STMT__MAX
};

/* A JSON array of user names as a derived table, bound as one string. */
#define JSON_NAMES "SELECT DISTINCT j.name FROM JSON_TABLE(?, '$[*]' " \
	"COLUMNS (name VARCHAR(32) PATH '$')) AS j"

static const char *const stmts[STMT__MAX] = {
	/* STMT_LOCK: before a conversation's roles are read to change it. */
	"SELECT id FROM conversation WHERE id = ? FOR UPDATE",
	/* STMT_COUNT: the latest, not the transaction's snapshot. */
	"SELECT COUNT(*) FROM conv_member WHERE conv_id = ? LOCK IN SHARE MODE",
	/* STMT_TOPIC_NEW */
	"INSERT INTO conversation (kind, title, creator_id) "
	"VALUES ('topic', ?, ?)",
	/* STMT_OWNER_ADD */
	"INSERT INTO conv_member (conv_id, user_id, role) "
	"VALUES (?, ?, 'owner')",
	/*
	 * STMT_FRIENDS_ADD: the named users who are friends of the adder,
	 * having read what was said before they came (a newcomer's unread
	 * count starts at 0, not at the topic's whole history).
	 */
	"INSERT IGNORE INTO conv_member (conv_id, user_id, read_seq) "
	"SELECT c.id, f.friend_id, c.last_seq FROM conversation c "
	"JOIN friendship f JOIN user u ON u.id = f.friend_id "
	"WHERE c.id = ? AND f.user_id = ? AND u.username IN (" JSON_NAMES ")",
	/* STMT_RENAME */
	"UPDATE conversation SET title = COALESCE(?, title), "
	"avatar_url = COALESCE(?, avatar_url), updated_at = NOW(3) WHERE id = ?",
	/* STMT_TOUCH */
	"UPDATE conversation SET updated_at = NOW(3) WHERE id = ?",
	/* STMT_TARGET: a member by name, with role. */
	"SELECT m.user_id, m.role = 'owner' FROM conv_member m "
	"JOIN user u ON u.id = m.user_id WHERE m.conv_id = ? "
	"AND u.username = ?",
	/* STMT_REMOVE */
	"DELETE FROM conv_member WHERE conv_id = ? AND user_id = ?",
	/* STMT_SET_ROLE */
	"UPDATE conv_member SET role = ? WHERE conv_id = ? AND user_id = ? "
	"AND role <> 'owner'",
	/* STMT_NEXT_OWNER: who inherits a topic its owner left. */
	"UPDATE conv_member SET role = 'owner' WHERE conv_id = ? "
	"ORDER BY role = 'admin' DESC, joined_at LIMIT 1",
	/* STMT_FRIENDS_NAMED: how many of the names are the user's friends. */
	"SELECT COUNT(*) FROM friendship f JOIN user u ON u.id = f.friend_id "
	"WHERE f.user_id = ? AND u.username IN (" JSON_NAMES ")",
	/* STMT_NAME */
	"SELECT username FROM user WHERE id = ?",
	/* STMT_NEW_NAMES: which of the names are not members yet. */
	"SELECT u.username FROM user u WHERE u.username IN (" JSON_NAMES ") "
	"AND NOT EXISTS (SELECT 1 FROM conv_member m WHERE m.conv_id = ? "
	"AND m.user_id = u.id) ORDER BY u.username",
	/* STMT_NOTICE_SEQ: a notice takes the next seq, as a message. */
	"UPDATE conversation SET last_seq = last_seq + 1, updated_at = NOW(3) "
	"WHERE id = ?",
	/* STMT_LAST_SEQ */
	"SELECT last_seq FROM conversation WHERE id = ?",
	/* STMT_NOTICE */
	"INSERT INTO message (conv_id, seq, sender_id, client_id, body, "
	"notice, sent_at) VALUES (?, ?, ?, ?, ?, ?, FROM_UNIXTIME(? / 1000))",
	/* STMT_SAME_TITLE: BINARY, so a change of case is a rename too. */
	"SELECT BINARY title = BINARY ? FROM conversation WHERE id = ?",
};

/*
 * Begin a change to conversation conv: lock its row, then read uid's role
 * with the lock held.  Every change to a topic's members or roles starts
 * here, so changes at once take turns and each sees the roles the one
 * before left (read before the lock, a repeated leave or removal found
 * nobody to delete: 503; and an owner's leave could pass the topic to an
 * admin being removed or leaving at that moment: no owner).  CONV_OK
 * (transaction open, role in *role as conv_role), else CONV_NO_CONV,
 * CONV_NOT_MEMBER or CONV_ERROR, rolled back.
 */
static enum conv_result
topic_begin(struct db *db, int64_t uid, int64_t conv, int64_t *role)
{
	int	 found, rc = -1;

	if (db_begin(db) == -1)
		return CONV_ERROR;
	if ((found = db_one(db, NULL, stmts[STMT_LOCK], "i", conv)) == 1 &&
	    (rc = conv_role(db, uid, conv, role)) == 1)
		return CONV_OK;
	db_rollback(db);
	if (found == -1 || (found == 1 && rc == -1))
		return CONV_ERROR;
	return found == 0 ? CONV_NO_CONV : CONV_NOT_MEMBER;
}

/*
 * topic_begin for the owner or an admin of topic conv: CONV_OK
 * (transaction open, role in *role), else as topic_begin, CONV_NOT_TOPIC
 * or CONV_NOT_ADMIN, rolled back.
 */
static enum conv_result
topic_admin_begin(struct db *db, int64_t uid, int64_t conv, int64_t *role)
{
	enum conv_result	 rc;

	if ((rc = topic_begin(db, uid, conv, role)) != CONV_OK)
		return rc;
	if (*role == ROLE_ADMIN || *role == ROLE_OWNER)
		return CONV_OK;
	db_rollback(db);
	return *role >= ROLE_NOT_TOPIC ? CONV_NOT_TOPIC : CONV_NOT_ADMIN;
}

/*
 * {"conversation_id":N,"change":"..."} to every member of conv but uid;
 * they are appended to wake.  0 or -1.
 */
static int
push_updated(struct db *db, int64_t uid, int64_t conv, const char *change,
    struct ids *wake)
{
	char	 p[96];

	snprintf(p, sizeof(p), "{\"conversation_id\":%lld,\"change\":\"%s\"}",
	    (long long)conv, change);
	if (event_push_members(db, conv, uid, "conversation_updated", p,
	    wake) == -1)
		return -1;
	return 0;
}

/* Commit and wake (or, !ok, roll back): CONV_OK or CONV_ERROR. */
static enum conv_result
finish(struct db *db, int ok, struct ids *wake)
{
	if (!ok || db_commit(db) == -1) {
		db_rollback(db);
		ids_free(wake);
		return CONV_ERROR;
	}
	wake_users(wake->v, wake->n);
	ids_free(wake);
	return CONV_OK;
}

/* User uid's name into name (33 bytes): 1, 0 no such user, -1. */
static int
user_name(struct db *db, int64_t uid, char name[33])
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_NAME], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1)
		snprintf(name, 33, "%s", db_str(res, 0, NULL));
	db_res_free(res);
	return rc;
}

/*
 * A group notice in topic conv, in the change's transaction with the
 * conversation's row held: a message from actor (uid, name) with the next
 * seq, so that a member catching up finds it in the history in order;
 * notice says what happened ({"action","actor",...}, JSON) and body the
 * same in words for clients that do not know notices.  Every member gets
 * it as a message event, the actor's other devices too (the change's
 * answer is not the message); they are appended to wake.  It is nobody's
 * message: core_conv.c does not count it unread.  0 or -1.
 */
static int
notice_add(struct db *db, int64_t conv, int64_t actor, const char *aname,
    const char *notice, const char *body, struct ids *wake)
{
	struct buf	 p = { 0 };
	struct msg	 m = { 0 };
	char		 cid[64];
	int		 rc = -1;

	m.conv_id = conv;
	m.sent_at = now_ms();
	if (db_exec(db, stmts[STMT_NOTICE_SEQ], "i", conv) != 1 ||
	    db_one(db, &m.seq, stmts[STMT_LAST_SEQ], "i", conv) != 1)
		return -1;
	/* Unique per (sender, client_id): a conversation's seq is. */
	snprintf(cid, sizeof(cid), "notice-%lld-%lld", (long long)conv,
	    (long long)m.seq);
	if (db_exec(db, stmts[STMT_NOTICE], "iiisssi", conv, m.seq, actor,
	    cid, body, notice, m.sent_at) != 1)
		return -1;
	m.id = db_insert_id(db);
	buf_adds(&p, "{\"message\":");
	msg_json(&p, &m, aname, body, strlen(body), cid, strlen(cid));
	msg_json_notice(&p, notice);
	buf_addc(&p, '}');
	if (event_push_members(db, conv, 0, "message", p.p, wake) == 0)
		rc = 0;
	buf_free(&p);
	return rc;
}

/*
 * The notice of action by uid in conv: on target (a user name) or with
 * title or role (NULL when not; role "admin" or "member"), and its words.
 * With targets (a JSON array of user names), several at once: target is
 * then only the words naming them.  0 or -1.
 */
static int
notice(struct db *db, int64_t conv, int64_t uid, const char *action,
    const char *target, const char *title, const char *role,
    const char *targets, struct ids *wake)
{
	struct buf	 n = { 0 }, body = { 0 };
	char		 actor[33];
	int		 rc;

	if (user_name(db, uid, actor) != 1)
		return -1;
	buf_addf(&n, "{\"action\":\"%s\",\"actor\":", action);
	buf_json_str(&n, actor, strlen(actor));
	if (targets != NULL) {
		buf_adds(&n, ",\"targets\":");
		buf_adds(&n, targets);
	} else if (target != NULL) {
		buf_adds(&n, ",\"target\":");
		buf_json_str(&n, target, strlen(target));
	}
	if (title != NULL) {
		buf_adds(&n, ",\"title\":");
		buf_json_str(&n, title, strlen(title));
	}
	if (role != NULL)
		buf_addf(&n, ",\"role\":\"%s\"", role);
	buf_addc(&n, '}');
	if (strcmp(action, "left") == 0)
		buf_addf(&body, "%s left", actor);
	else if (strcmp(action, "renamed") == 0)
		buf_addf(&body, "%s renamed the group to "
		    "\xe2\x80\x9c%s\xe2\x80\x9d", actor, title);
	else if (strcmp(action, "role") == 0)
		buf_addf(&body, "%s made %s %s", actor, target,
		    strcmp(role, "admin") == 0 ? "an admin" : "a member");
	else
		buf_addf(&body, "%s %s %s", actor, action, target);
	rc = notice_add(db, conv, uid, actor, n.p, body.p, wake);
	buf_free(&n);
	buf_free(&body);
	return rc;
}

/*
 * uid makes a topic titled title with the d distinct users of names (a
 * JSON array of user names, uid's own not counted) as members and itself
 * as owner; they get conversation_updated.  CONV_OK (*conv),
 * CONV_NOT_FRIENDS (any named user is not uid's friend: nothing made) or
 * CONV_ERROR.
 */
enum conv_result
topic_create(struct db *db, int64_t uid, const char *title,
    const char *names, size_t d, int64_t *conv)
{
	struct ids	 wake = { 0 };
	long long	 added;

	if (db_begin(db) == -1)
		return CONV_ERROR;
	if (db_exec(db, stmts[STMT_TOPIC_NEW], "si", title, uid) != 1)
		goto fail;
	*conv = db_insert_id(db);
	if (db_exec(db, stmts[STMT_OWNER_ADD], "ii", *conv, uid) != 1 ||
	    (added = db_exec(db, stmts[STMT_FRIENDS_ADD], "iis", *conv,
	    uid, names)) < 0)
		goto fail;
	if ((size_t)added != d) {
		db_rollback(db);
		return CONV_NOT_FRIENDS;
	}
	/*
	 * No notice: a new group's history starts empty (last_message
	 * null before the first message, as API.md says).
	 */
	return finish(db, push_updated(db, uid, *conv, "created",
	    &wake) == 0, &wake);
fail:
	db_rollback(db);
	return CONV_ERROR;
}

/*
 * The owner or an admin uid renames topic conv or changes its picture
 * (title, avatar: NULL unchanged).  CONV_OK, a refusal of
 * topic_admin_begin's, or CONV_ERROR.
 */
enum conv_result
topic_patch(struct db *db, int64_t uid, int64_t conv, const char *title,
    const char *avatar)
{
	struct ids		 wake = { 0 };
	enum conv_result	 rc;
	int64_t			 role;

	int64_t			 same = 1;

	if ((rc = topic_admin_begin(db, uid, conv, &role)) != CONV_OK)
		return rc;
	/* A new title is a notice; a picture or the same title is not. */
	if (title != NULL && db_one(db, &same, stmts[STMT_SAME_TITLE], "si",
	    title, conv) != 1) {
		db_rollback(db);
		return CONV_ERROR;
	}
	return finish(db, db_exec(db, stmts[STMT_RENAME], "ssi", title,
	    avatar, conv) >= 0 && (same || notice(db, conv, uid, "renamed",
	    NULL, title, NULL, NULL, &wake) == 0) && push_updated(db, uid, conv,
	    "renamed", &wake) == 0, &wake);
}

/*
 * The owner or an admin uid adds the d distinct users of names (a JSON
 * array of user names, uid's own not counted), friends of theirs, to
 * topic conv; members already in stay as they are.  CONV_OK, a refusal of
 * topic_admin_begin's, CONV_NOT_FRIENDS (nothing added), CONV_FULL or
 * CONV_ERROR.
 */
enum conv_result
topic_add(struct db *db, int64_t uid, int64_t conv, const char *names,
    size_t d)
{
	struct ids		 wake = { 0 };
	enum conv_result	 rc;
	struct buf		 fresh = { 0 }, arr = { 0 }, words = { 0 };
	struct dbres		*res;
	int64_t			 count, role;
	long long		 added;
	size_t			 i, k;
	int			 st, ok = 1;

	/*
	 * With the conversation's row held two additions at once take
	 * turns, so the second counts the first's members (each counted
	 * only its own and both passed the cap).  Members already in are
	 * skipped by INSERT IGNORE.
	 */
	if ((rc = topic_admin_begin(db, uid, conv, &role)) != CONV_OK)
		return rc;
	if (db_one(db, &count, stmts[STMT_FRIENDS_NAMED], "is", uid,
	    names) != 1)
		goto fail;
	if ((size_t)count != d) {
		db_rollback(db);
		return CONV_NOT_FRIENDS;
	}
	/* Who is new, for the notices: "\0"-separated names in fresh. */
	if ((res = db_query(db, stmts[STMT_NEW_NAMES], "si", names,
	    conv)) == NULL)
		goto fail;
	while ((st = db_row(res)) == 1)
		buf_add(&fresh, db_str(res, 0, NULL),
		    strlen(db_str(res, 0, NULL)) + 1);
	db_res_free(res);
	if (st == -1 || db_exec(db, stmts[STMT_TOUCH], "i", conv) < 0 ||
	    (added = db_exec(db, stmts[STMT_FRIENDS_ADD], "iis", conv, uid,
	    names)) < 0 ||
	    db_one(db, &count, stmts[STMT_COUNT], "i", conv) != 1)
		goto fail;
	if (count > CAP_TOPIC_MEMBERS) {
		db_rollback(db);
		buf_free(&fresh);
		return CONV_FULL;
	}
	/*
	 * One notice for the addition, however many came: one each, to
	 * every member, was a row per pair (500 added to 500: 250,000).
	 */
	for (i = k = 0; i < fresh.len; i += strlen(fresh.p + i) + 1, k++) {
		buf_adds(&arr, k ? "," : "[");
		buf_json_str(&arr, fresh.p + i, strlen(fresh.p + i));
		if (k < 3)
			buf_addf(&words, "%s%s", k ? ", " : "", fresh.p + i);
	}
	buf_addc(&arr, ']');
	if (k > 3)
		buf_addf(&words, " and %zu more", k - 3);
	if (k > 0)
		ok = notice(db, conv, uid, "added", words.p, NULL, NULL,
		    k > 1 ? arr.p : NULL, &wake) == 0;
	buf_free(&fresh);
	buf_free(&arr);
	buf_free(&words);
	return finish(db, ok && push_updated(db, uid, conv, "members",
	    &wake) == 0, &wake);
fail:
	db_rollback(db);
	buf_free(&fresh);
	return CONV_ERROR;
}

/* A member of conv by name: 1 (id, is_owner), 0 not a member, -1. */
static int
target(struct db *db, int64_t conv, const char *name, int64_t *uid,
    int *owner)
{
	struct dbres	*res;
	int		 rc;

	if (!valid_username(name, strlen(name)))
		return 0;
	if ((res = db_query(db, stmts[STMT_TARGET], "is", conv,
	    name)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		*uid = db_int(res, 0);
		*owner = (int)db_int(res, 1);
	}
	db_res_free(res);
	return rc;
}

/*
 * The owner or an admin uid removes member name (not the owner) from
 * topic conv.  The removed member and the others get
 * conversation_updated; the removed one stops receiving.  CONV_OK, a
 * refusal of topic_admin_begin's, CONV_NO_MEMBER, CONV_OWNER, CONV_SELF
 * (leave instead) or CONV_ERROR.
 */
enum conv_result
topic_remove(struct db *db, int64_t uid, int64_t conv, const char *name)
{
	struct ids		 wake = { 0 };
	enum conv_result	 rc;
	int64_t			 role, who = 0;
	int			 st, owner = 0;
	char			 tname[33];

	if ((rc = topic_admin_begin(db, uid, conv, &role)) != CONV_OK)
		return rc;
	if ((st = target(db, conv, name, &who, &owner)) != 1 || owner ||
	    who == uid) {
		db_rollback(db);
		if (st == -1)
			return CONV_ERROR;
		if (st == 0)
			return CONV_NO_MEMBER;
		return owner ? CONV_OWNER : CONV_SELF;
	}
	/*
	 * Tell everyone, the removed member included, then remove.  The
	 * notice names them as stored, not as the path spelled them.
	 */
	return finish(db, user_name(db, who, tname) == 1 &&
	    notice(db, conv, uid, "removed", tname, NULL, NULL, NULL,
	    &wake) == 0 &&
	    push_updated(db, uid, conv, "members", &wake) == 0 &&
	    db_exec(db, stmts[STMT_REMOVE], "ii", conv, who) == 1 &&
	    db_exec(db, stmts[STMT_TOUCH], "i", conv) >= 0, &wake);
}

/*
 * The owner uid makes member name of topic conv an admin or a member
 * again (role "admin" or "member").  CONV_OK, a refusal of topic_begin's,
 * CONV_NOT_OWNER, CONV_NO_MEMBER or CONV_ERROR.
 */
enum conv_result
topic_set_role(struct db *db, int64_t uid, int64_t conv, const char *name,
    const char *role)
{
	struct ids		 wake = { 0 };
	enum conv_result	 rc;
	int64_t			 mine, who = 0;
	long long		 changed;
	int			 st, owner;
	char			 tname[33];

	if ((rc = topic_begin(db, uid, conv, &mine)) != CONV_OK)
		return rc;
	if (mine != ROLE_OWNER) {
		db_rollback(db);
		return CONV_NOT_OWNER;
	}
	if ((st = target(db, conv, name, &who, &owner)) != 1 || owner) {
		db_rollback(db);
		return st == -1 ? CONV_ERROR : CONV_NO_MEMBER;
	}
	/* A notice only when the role changed (0 rows: it was already). */
	if ((changed = db_exec(db, stmts[STMT_SET_ROLE], "sii", role, conv,
	    who)) < 0) {
		db_rollback(db);
		return CONV_ERROR;
	}
	return finish(db, (changed == 0 || (user_name(db, who, tname) == 1 &&
	    notice(db, conv, uid, "role", tname, NULL, role, NULL,
	    &wake) == 0)) &&
	    push_updated(db, uid, conv, "role", &wake) == 0, &wake);
}

/*
 * uid leaves conversation conv: a topic (the owner's role passes to an
 * admin or the longest member; the rest get conversation_updated) or a
 * stranger chat (it ends; the partner gets partner_left).  CONV_OK, a
 * refusal of topic_begin's, CONV_DIRECT or CONV_ERROR.
 */
enum conv_result
topic_leave(struct db *db, int64_t uid, int64_t conv)
{
	struct ids		 wake = { 0 };
	enum conv_result	 rc;
	int64_t			 role;
	int			 ok;

	if ((rc = topic_begin(db, uid, conv, &role)) != CONV_OK)
		return rc;
	if (role >= ROLE_MATCH)
		return finish(db, match_leave(db, uid, conv, &wake) == 0,
		    &wake);
	if (role >= ROLE_NOT_TOPIC) {
		db_rollback(db);
		return CONV_DIRECT;
	}
	/* The next owner is chosen among those still in, with the row held. */
	ok = db_exec(db, stmts[STMT_REMOVE], "ii", conv, uid) == 1 &&
	    (role != ROLE_OWNER ||
	    db_exec(db, stmts[STMT_NEXT_OWNER], "i", conv) >= 0) &&
	    db_exec(db, stmts[STMT_TOUCH], "i", conv) >= 0 &&
	    notice(db, conv, uid, "left", NULL, NULL, NULL, NULL,
	    &wake) == 0 &&
	    push_updated(db, uid, conv, "left", &wake) == 0;
	return finish(db, ok, &wake);
}
