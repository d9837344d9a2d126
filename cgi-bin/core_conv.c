/*
 * core_conv.c: conversations as their members see them (seed 004's list
 * with unread counts and seed 000's topics).  The list is one query
 * however many conversations: kind, title, avatar, the last message and
 * the unread count (messages after my read mark that I did not send;
 * group notices are nobody's and never count), whether I muted it.
 * Membership and roles, and the read mark, which only moves forward and
 * is a read event for the other members.  Nobody who is not a member
 * reads anything here.  Changes to topics are core_topics.c's.
 */
#include <stdio.h>
#include <string.h>

#include "core_conv.h"
#include "core_events.h"
#include "core_messages.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_LIST,
	STMT_LIST_BEFORE,
	STMT_ONE,
	STMT_MEMBERS,
	STMT_ROLE,
	STMT_EXISTS,
	STMT_SHARE,
	STMT_READ,
	STMT_READ_MARK,
	STMT_CONV_DIRECT,
	STMT_MUTE,
	STMT__MAX
};

/* The list item columns, for member m of conversation c. */
#define CONV_COLS \
	"c.id, c.kind, c.title, c.avatar_url, " MS("c.updated_at") \
	", c.last_seq, m.read_seq, c.ended_at IS NOT NULL, " \
	"(SELECT COUNT(*) FROM message x WHERE x.conv_id = c.id " \
	"AND x.seq > m.read_seq AND x.sender_id <> m.user_id " \
	"AND x.notice IS NULL), " \
	"lm.id, lm.seq, lu.username, lm.body, lm.client_id, " \
	MS("lm.sent_at") ", ou.username, ou.nickname, ou.avatar_url, " \
	"ou.online + 2 * EXISTS (SELECT 1 FROM friendship fo " \
	"WHERE fo.user_id = m.user_id AND fo.friend_id = ou.id), " \
	"(SELECT JSON_ARRAYAGG(u2.username) FROM conv_member m2 " \
	"JOIN user u2 ON u2.id = m2.user_id WHERE m2.conv_id = c.id), " \
	"m.role, lm.notice, m.muted, " MS("lm.edited_at") ", " \
	"lm.deleted_at IS NOT NULL "
#define CONV_JOINS \
	"LEFT JOIN message lm ON lm.conv_id = c.id AND lm.seq = c.last_seq " \
	"LEFT JOIN user lu ON lu.id = lm.sender_id " \
	"LEFT JOIN user ou ON c.kind <> 'topic' AND ou.id = (SELECT " \
	"o.user_id FROM conv_member o WHERE o.conv_id = c.id " \
	"AND o.user_id <> m.user_id LIMIT 1) "
#define CONV_SELECT "SELECT " CONV_COLS \
	"FROM conv_member m JOIN conversation c ON c.id = m.conv_id " CONV_JOINS
/*
 * A page of the list: its ids are chosen first, by narrow rows, and the
 * columns joined to them after, in that order.  Sorted with its text and
 * JSON columns, the page went through an on-disk (Aria) temporary table;
 * MariaDB 10.11.19 crashed once freeing one (docs/BENCHMARKS.md).  In the
 * order written (STRAIGHT_JOIN): the page's rows are sorted alone.
 */
#define CONV_PAGE(where) "SELECT STRAIGHT_JOIN " CONV_COLS \
	"FROM (SELECT c0.id AS pid, c0.updated_at AS pu FROM conv_member m0 " \
	"JOIN conversation c0 ON c0.id = m0.conv_id WHERE m0.user_id = ? " \
	where " ORDER BY c0.updated_at DESC, c0.id DESC LIMIT ?) p " \
	"JOIN conversation c ON c.id = p.pid " \
	"JOIN conv_member m ON m.conv_id = p.pid AND m.user_id = ? " \
	CONV_JOINS "ORDER BY p.pu DESC, p.pid DESC"

static const char *const stmts[STMT__MAX] = {
	/* STMT_LIST */
	CONV_PAGE(""),
	/* STMT_LIST_BEFORE: the page after an item (its updated_at, id). */
	CONV_PAGE("AND (c0.updated_at < FROM_UNIXTIME(? / 1000) OR "
	"(c0.updated_at = FROM_UNIXTIME(? / 1000) AND c0.id < ?))"),
	/* STMT_ONE */
	CONV_SELECT "WHERE m.user_id = ? AND m.conv_id = ?",
	/*
	 * STMT_MEMBERS: who is online shows to the members of a group, to
	 * oneself and to friends (issue 26), not to a stranger or an
	 * ex-friend.
	 */
	"SELECT u.username, u.nickname, u.avatar_url, u.online AND "
	"(c.kind = 'topic' OR u.id = ? OR EXISTS (SELECT 1 FROM friendship f "
	"WHERE f.user_id = ? AND f.friend_id = u.id)), m.role, "
	"m.read_seq FROM conv_member m JOIN user u ON u.id = m.user_id "
	"JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.conv_id = ? ORDER BY m.joined_at, u.username",
	/* STMT_ROLE: 0 member, 1 admin, 2 owner; 3 + when not a topic. */
	"SELECT (m.role = 'admin') + 2 * (m.role = 'owner') "
	"+ 3 * (c.kind <> 'topic') + 10 * (c.kind = 'match') "
	"FROM conv_member m JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.conv_id = ? AND m.user_id = ?",
	/* STMT_EXISTS */
	"SELECT id FROM conversation WHERE id = ?",
	/* STMT_SHARE: its row, shared, before my own member row (conv_read). */
	"SELECT id FROM conversation WHERE id = ? LOCK IN SHARE MODE",
	/* STMT_READ: the mark only moves forward, and not past the end. */
	"UPDATE conv_member m JOIN conversation c ON c.id = m.conv_id "
	"SET m.read_seq = LEAST(?, c.last_seq) WHERE m.conv_id = ? "
	"AND m.user_id = ? AND m.read_seq < LEAST(?, c.last_seq)",
	/* STMT_READ_MARK: the stored mark (seq may have been clamped). */
	"SELECT read_seq FROM conv_member WHERE conv_id = ? AND user_id = ?",
	/* STMT_CONV_DIRECT: is this a direct (friends') conversation? */
	"SELECT kind = 'direct' FROM conversation WHERE id = ?",
	/* STMT_MUTE */
	"UPDATE conv_member SET muted = ? WHERE conv_id = ? AND user_id = ?",
};

/*
 * uid's role in conversation conv into *role (ROLE_* and kind flags:
 * + ROLE_NOT_TOPIC when not a topic, + ROLE_MATCH more when a stranger
 * chat).  1 a member, 0 not (or no such conversation), -1 error.
 */
int
conv_role(struct db *db, int64_t uid, int64_t conv, int64_t *role)
{
	return db_one(db, role, stmts[STMT_ROLE], "ii", conv, uid);
}

/*
 * Is uid a member of conversation conv?  CONV_OK (role in *role, as
 * conv_role), CONV_NO_CONV, CONV_NOT_MEMBER or CONV_ERROR.
 */
enum conv_result
conv_member(struct db *db, int64_t uid, int64_t conv, int64_t *role)
{
	int	 rc;

	if ((rc = conv_role(db, uid, conv, role)) == 1)
		return CONV_OK;
	if (rc == -1)
		return CONV_ERROR;
	if ((rc = db_one(db, NULL, stmts[STMT_EXISTS], "i", conv)) == -1)
		return CONV_ERROR;
	return rc == 0 ? CONV_NO_CONV : CONV_NOT_MEMBER;
}

/* Append column c of res as a JSON string. */
static void
add_str(struct buf *b, struct dbres *res, int c)
{
	size_t		 n;
	const char	*s = db_str(res, c, &n);

	buf_json_str(b, s, n);
}

/* One list item from a CONV_SELECT row, appended to b. */
static void
conv_item(struct buf *b, struct dbres *res)
{
	const char	*kind = db_str(res, 1, NULL);
	const char	*members;
	size_t		 n;
	int		 topic = strcmp(kind, "topic") == 0;
	int		 match = strcmp(kind, "match") == 0;

	buf_addf(b, "{\"id\":%lld,\"kind\":\"%s\",\"title\":",
	    (long long)db_int(res, 0), kind);
	if (topic)
		add_str(b, res, 2);
	else if (!db_null(res, 16))
		add_str(b, res, 16);		/* the other one's nickname */
	else
		buf_adds(b, strcmp(kind, "match") == 0 ? "\"Stranger\"" :
		    "\"\"");
	buf_adds(b, ",\"avatar_url\":");
	add_str(b, res, topic || db_null(res, 17) ? 3 : 17);
	buf_adds(b, ",\"members\":");
	members = db_str(res, 19, &n);
	if (n > 0)
		buf_add(b, members, n);		/* JSON from MariaDB */
	else
		buf_adds(b, "[]");
	buf_adds(b, ",\"last_message\":");
	if (db_null(res, 9))
		buf_adds(b, "null");
	else {
		buf_addf(b, "{\"id\":%lld,\"conversation_id\":%lld,"
		    "\"seq\":%lld,\"sender\":", (long long)db_int(res, 9),
		    (long long)db_int(res, 0), (long long)db_int(res, 10));
		add_str(b, res, 11);
		buf_adds(b, ",\"body\":");
		add_str(b, res, 12);
		buf_adds(b, ",\"client_id\":");
		add_str(b, res, 13);
		buf_addf(b, ",\"sent_at\":%lld}", (long long)db_int(res, 14));
		if (!db_null(res, 21))
			msg_json_notice(b, db_str(res, 21, NULL));
		msg_json_edited(b, db_null(res, 23) ? 0 : db_int(res, 23),
		    db_int(res, 24) != 0);
	}
	buf_addf(b, ",\"unread\":%lld,\"updated_at\":%lld,\"last_seq\":%lld,"
	    "\"read_seq\":%lld,\"ended\":%s,\"role\":\"%s\"",
	    (long long)db_int(res, 8), (long long)db_int(res, 4),
	    (long long)db_int(res, 5), (long long)db_int(res, 6),
	    db_int(res, 7) ? "true" : "false", db_str(res, 20, NULL));
	if (db_int(res, 22))
		buf_adds(b, ",\"muted\":true");
	/*
	 * The other person: online only to a friend; a stranger by
	 * nickname only, unless they became friends (issue 26).
	 */
	if (!topic && !db_null(res, 15)) {
		buf_adds(b, ",\"peer\":{\"username\":");
		if (match && !(db_int(res, 18) & 2))
			buf_adds(b, "null");
		else
			add_str(b, res, 15);
		buf_adds(b, ",\"nickname\":");
		add_str(b, res, 16);
		buf_addf(b, ",\"online\":%s}",
		    db_int(res, 18) == 3 ? "true" : "false");
	}
	buf_addc(b, '}');
}

/*
 * uid's conversations, newest activity first, one query, as
 * {"conversations":[...]} appended to out: limit of them, or with before
 * (>= 0) and before_id, the updated_at and id of the last item of a page,
 * the next page.  0 or -1.
 */
int
conv_list(struct db *db, int64_t uid, int64_t limit, int64_t before,
    int64_t before_id, struct buf *out)
{
	struct dbres	*res;
	int		 rc, n = 0;

	if (before >= 0)
		res = db_query(db, stmts[STMT_LIST_BEFORE], "iiiiii", uid,
		    before, before, before_id, limit, uid);
	else
		res = db_query(db, stmts[STMT_LIST], "iii", uid, limit, uid);
	if (res == NULL)
		return -1;
	buf_adds(out, "{\"conversations\":[");
	while ((rc = db_row(res)) == 1) {
		if (n++)
			buf_addc(out, ',');
		conv_item(out, res);
	}
	db_res_free(res);
	if (rc == -1)
		return -1;
	buf_adds(out, "]}");
	return 0;
}

/*
 * Conversation conv as uid sees it, appended to out: the list item plus
 * "members_detail" (name, nickname, avatar, online, role, read_seq).
 * CONV_OK, CONV_NOT_MEMBER or CONV_ERROR.
 */
enum conv_result
conv_json(struct db *db, int64_t uid, int64_t conv, struct buf *out)
{
	struct dbres	*res;
	int		 rc, n = 0;

	if ((res = db_query(db, stmts[STMT_ONE], "ii", uid, conv)) == NULL)
		return CONV_ERROR;
	if ((rc = db_row(res)) != 1) {
		db_res_free(res);
		return rc == 0 ? CONV_NOT_MEMBER : CONV_ERROR;
	}
	conv_item(out, res);
	db_res_free(res);
	if ((res = db_query(db, stmts[STMT_MEMBERS], "iii", uid, uid,
	    conv)) == NULL)
		return CONV_ERROR;
	out->len--;	/* reopen the object */
	buf_adds(out, ",\"members_detail\":[");
	while (db_row(res) == 1) {
		buf_adds(out, n++ ? ",{\"username\":" : "{\"username\":");
		add_str(out, res, 0);
		buf_adds(out, ",\"nickname\":");
		add_str(out, res, 1);
		buf_adds(out, ",\"avatar_url\":");
		add_str(out, res, 2);
		buf_addf(out, ",\"online\":%s,\"role\":\"%s\","
		    "\"read_seq\":%lld}", db_int(res, 3) ? "true" : "false",
		    db_str(res, 4, NULL), (long long)db_int(res, 5));
	}
	db_res_free(res);
	buf_adds(out, "]}");
	return CONV_OK;
}

/*
 * Move the read mark of uid (user name) in conversation conv up to seq
 * (never back, never past the last message); the other members get a
 * read event {conversation_id, user, seq} and are woken after the commit.
 * CONV_OK (also when the mark did not move), CONV_NO_CONV,
 * CONV_NOT_MEMBER or CONV_ERROR.
 */
enum conv_result
conv_read(struct db *db, int64_t uid, const char *name, int64_t conv,
    int64_t seq)
{
	struct ids		 wake = { 0 };
	struct buf		 p = { 0 };
	enum conv_result	 rc;
	int64_t			 role;
	long long		 n;
	int			 ok = 0;

	if ((rc = conv_member(db, uid, conv, &role)) != CONV_OK)
		return rc;
	if (db_begin(db) == -1)
		return CONV_ERROR;
	/*
	 * The conversation's row before my member row, in the order leaves
	 * and removals take them (STMT_READ alone takes them the other way:
	 * a mark and my removal at once deadlocked, 503).
	 */
	if (db_one(db, NULL, stmts[STMT_SHARE], "i", conv) == -1 ||
	    (n = db_exec(db, stmts[STMT_READ], "iiii", seq, conv, uid,
	    seq)) < 0)
		goto out;
	if (n == 1 && db_one(db, &seq, stmts[STMT_READ_MARK], "ii", conv,
	    uid) != 1)
		goto out;
	if (n == 1) {
		buf_addf(&p, "{\"conversation_id\":%lld,\"user\":",
		    (long long)conv);
		buf_json_str(&p, name, strlen(name));
		buf_addf(&p, ",\"seq\":%lld}", (long long)seq);
		/* seq is the stored mark, which may be lower (clamped). */
		if (event_push_members(db, conv, uid, "read", p.p,
		    &wake) == -1)
			goto out;
	}
	ok = 1;
out:
	buf_free(&p);
	if (!ok || db_commit(db) == -1) {
		db_rollback(db);
		ids_free(&wake);
		return CONV_ERROR;
	}
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	return CONV_OK;
}

/* Is conversation conv a direct one (friends')?  1 yes, 0 no, -1 error. */
int
conv_is_direct(struct db *db, int64_t conv)
{
	int64_t	 direct = 0;
	int	 rc;

	if ((rc = db_one(db, &direct, stmts[STMT_CONV_DIRECT], "i",
	    conv)) == -1)
		return -1;
	return rc == 1 && direct == 1;
}

/*
 * uid mutes (on) or unmutes conversation conv: stored on its member row,
 * so that all its devices follow; they get conversation_updated, change
 * "muted".  CONV_OK, CONV_NO_CONV, CONV_NOT_MEMBER or CONV_ERROR.
 */
enum conv_result
conv_mute(struct db *db, int64_t uid, int64_t conv, int on)
{
	enum conv_result	 rc;
	int64_t			 role;
	char			 p[112];

	if ((rc = conv_member(db, uid, conv, &role)) != CONV_OK)
		return rc;
	snprintf(p, sizeof(p), "{\"conversation_id\":%lld,"
	    "\"change\":\"muted\",\"muted\":%s}", (long long)conv,
	    on ? "true" : "false");
	if (db_begin(db) == -1)
		return CONV_ERROR;
	if (db_exec(db, stmts[STMT_MUTE], "iii", (int64_t)(on != 0), conv,
	    uid) < 0 || event_push(db, uid, "conversation_updated", p) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return CONV_ERROR;
	}
	wake_users(&uid, 1);
	return CONV_OK;
}
