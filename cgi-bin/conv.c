/*
 * conv.c: conversations (seed 004's list with unread counts and seed 000's
 * topics).  The list is one query however many conversations: kind, title,
 * avatar, the last message and the unread count (messages after my read
 * mark that I did not send).  Topics: create with friends as members,
 * rename, add and remove members (the owner, or members the owner made
 * admins), leave; every change is a conversation_updated event for the
 * members, in the change's transaction.  Nobody who is not a member reads
 * or changes anything here (403).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "caps.h"
#include "db.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "match.h"
#include "route.h"
#include "users.h"
#include "util.h"
#include "valid.h"
#include "wake.h"

enum stmt {
	STMT_LIST,
	STMT_LIST_BEFORE,
	STMT_ONE,
	STMT_MEMBERS,
	STMT_ROLE,
	STMT_EXISTS,
	STMT_LOCK,
	STMT_SHARE,
	STMT_COUNT,
	STMT_TOPIC_NEW,
	STMT_OWNER_ADD,
	STMT_FRIENDS_ADD,
	STMT_RENAME,
	STMT_TOUCH,
	STMT_TARGET,
	STMT_REMOVE,
	STMT_SET_ROLE,
	STMT_READ,
	STMT_NEXT_OWNER,
	STMT_FRIENDS_NAMED,
	STMT_READ_MARK,
	STMT__MAX
};

/* A JSON array of user names as a derived table, bound as one string. */
#define JSON_NAMES "SELECT DISTINCT j.name FROM JSON_TABLE(?, '$[*]' " \
	"COLUMNS (name VARCHAR(32) PATH '$')) AS j"

/* The list item columns, for member m of conversation c. */
#define CONV_SELECT \
	"SELECT c.id, c.kind, c.title, c.avatar_url, " MS("c.updated_at") \
	", c.last_seq, m.read_seq, c.ended_at IS NOT NULL, " \
	"(SELECT COUNT(*) FROM message x WHERE x.conv_id = c.id " \
	"AND x.seq > m.read_seq AND x.sender_id <> m.user_id), " \
	"lm.id, lm.seq, lu.username, lm.body, lm.client_id, " \
	MS("lm.sent_at") ", ou.username, ou.nickname, ou.avatar_url, " \
	"ou.online, (SELECT JSON_ARRAYAGG(u2.username) FROM conv_member m2 " \
	"JOIN user u2 ON u2.id = m2.user_id WHERE m2.conv_id = c.id), " \
	"m.role " \
	"FROM conv_member m JOIN conversation c ON c.id = m.conv_id " \
	"LEFT JOIN message lm ON lm.conv_id = c.id AND lm.seq = c.last_seq " \
	"LEFT JOIN user lu ON lu.id = lm.sender_id " \
	"LEFT JOIN user ou ON c.kind <> 'topic' AND ou.id = (SELECT " \
	"o.user_id FROM conv_member o WHERE o.conv_id = c.id " \
	"AND o.user_id <> m.user_id LIMIT 1) "

static const char *const stmts[STMT__MAX] = {
	/* STMT_LIST */
	CONV_SELECT "WHERE m.user_id = ? "
	"ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
	/* STMT_LIST_BEFORE: the page after an item (its updated_at, id). */
	CONV_SELECT "WHERE m.user_id = ? AND (c.updated_at < FROM_UNIXTIME(? "
	"/ 1000) OR (c.updated_at = FROM_UNIXTIME(? / 1000) AND c.id < ?)) "
	"ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
	/* STMT_ONE */
	CONV_SELECT "WHERE m.user_id = ? AND m.conv_id = ?",
	/* STMT_MEMBERS */
	"SELECT u.username, u.nickname, u.avatar_url, u.online, m.role, "
	"m.read_seq FROM conv_member m JOIN user u ON u.id = m.user_id "
	"WHERE m.conv_id = ? ORDER BY m.joined_at, u.username",
	/* STMT_ROLE: 0 member, 1 admin, 2 owner; 3 + when not a topic. */
	"SELECT (m.role = 'admin') + 2 * (m.role = 'owner') "
	"+ 3 * (c.kind <> 'topic') + 10 * (c.kind = 'match') "
	"FROM conv_member m JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.conv_id = ? AND m.user_id = ?",
	/* STMT_EXISTS */
	"SELECT id FROM conversation WHERE id = ?",
	/* STMT_LOCK: before a conversation's roles are read to change it. */
	"SELECT id FROM conversation WHERE id = ? FOR UPDATE",
	/* STMT_SHARE: the same, shared, before my own member row. */
	"SELECT id FROM conversation WHERE id = ? LOCK IN SHARE MODE",
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
	/* STMT_READ: the mark only moves forward, and not past the end. */
	"UPDATE conv_member m JOIN conversation c ON c.id = m.conv_id "
	"SET m.read_seq = LEAST(?, c.last_seq) WHERE m.conv_id = ? "
	"AND m.user_id = ? AND m.read_seq < LEAST(?, c.last_seq)",
	/* STMT_NEXT_OWNER: who inherits a topic its owner left. */
	"UPDATE conv_member SET role = 'owner' WHERE conv_id = ? "
	"ORDER BY role = 'admin' DESC, joined_at LIMIT 1",
	/* STMT_FRIENDS_NAMED: how many of the names are the user's friends. */
	"SELECT COUNT(*) FROM friendship f JOIN user u ON u.id = f.friend_id "
	"WHERE f.user_id = ? AND u.username IN (" JSON_NAMES ")",
	/* STMT_READ_MARK: the stored mark (seq may have been clamped). */
	"SELECT read_seq FROM conv_member WHERE conv_id = ? AND user_id = ?",
};

enum role {
	ROLE_MEMBER,
	ROLE_ADMIN,
	ROLE_OWNER,
	ROLE_NOT_TOPIC = 3,	/* direct or match: no roles */
};

/* r is not in conversation conv: 404 if it does not exist, else 403. */
static int
not_member(struct req *r, int exists)
{
	if (!exists)
		return -http_fail(r, 404, "not_found", "no such conversation");
	return -http_fail(r, 403, "forbidden",
	    "you are not in this conversation");
}

/*
 * r's user in conversation conv: 1 member (role in *role, kind flags as
 * STMT_ROLE), or the status already sent (404 no conversation, 403 not a
 * member, 503) as a negative number.
 */
static int
member_of(struct req *r, int64_t conv, int64_t *role)
{
	int	 rc;

	if ((rc = db_one(r->db, role, stmts[STMT_ROLE], "ii", conv,
	    r->uid)) == 1)
		return 1;
	if (rc == -1)
		return -http_fail_db(r);
	if ((rc = db_one(r->db, NULL, stmts[STMT_EXISTS], "i", conv)) == -1)
		return -http_fail_db(r);
	return not_member(r, rc);
}

/*
 * Begin a change to conversation conv: lock its row, then read r's role
 * with the lock held.  Every change to a topic's members or roles starts
 * here, so changes at once take turns and each sees the roles the one
 * before left (read before the lock, a repeated leave or removal found
 * nobody to delete: 503; and an owner's leave could pass the topic to an
 * admin being removed or leaving at that moment: no owner).  1 (role as
 * member_of), or the status sent, negated, and rolled back.
 */
static int
conv_begin(struct req *r, int64_t conv, int64_t *role)
{
	int	 found, rc = -1;

	if (db_begin(r->db) == -1)
		return -http_fail_db(r);
	if ((found = db_one(r->db, NULL, stmts[STMT_LOCK], "i", conv)) == 1 &&
	    (rc = db_one(r->db, role, stmts[STMT_ROLE], "ii", conv,
	    r->uid)) == 1)
		return 1;
	db_rollback(r->db);
	if (found == -1 || (found == 1 && rc == -1))
		return -http_fail_db(r);
	return not_member(r, found);
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
	}
	buf_addf(b, ",\"unread\":%lld,\"updated_at\":%lld,\"last_seq\":%lld,"
	    "\"read_seq\":%lld,\"ended\":%s,\"role\":\"%s\"",
	    (long long)db_int(res, 8), (long long)db_int(res, 4),
	    (long long)db_int(res, 5), (long long)db_int(res, 6),
	    db_int(res, 7) ? "true" : "false", db_str(res, 20, NULL));
	if (!topic && !db_null(res, 15)) {
		buf_adds(b, ",\"peer\":{\"username\":");
		add_str(b, res, 15);
		buf_adds(b, ",\"nickname\":");
		add_str(b, res, 16);
		buf_addf(b, ",\"online\":%s}",
		    db_int(res, 18) ? "true" : "false");
	}
	buf_addc(b, '}');
}

/*
 * GET /api/conversations: newest activity first, one query; with
 * ?before=<updated_at>&before_id=<id> of the last item of a page, the
 * next page.
 */
int
h_conv_list(struct req *r)
{
	struct dbres	*res;
	struct buf	 b = { 0 };
	int64_t		 limit, before, before_id;
	int		 rc, n = 0, hb, hi;

	if (http_query_int(r, "limit", 500, &limit) == -1 || limit < 1 ||
	    limit > 1000)
		return http_fail(r, 400, "bad_request",
		    "limit must be 1 to 1000");
	if ((hb = http_query_int(r, "before", 0, &before)) == -1 ||
	    (hi = http_query_int(r, "before_id", 0, &before_id)) == -1 ||
	    hb != hi)
		return http_fail(r, 400, "bad_request", "before and before_id "
		    "go together: the last item's updated_at and id");
	if (hb)
		res = db_query(r->db, stmts[STMT_LIST_BEFORE], "iiiii",
		    r->uid, before, before, before_id, limit);
	else
		res = db_query(r->db, stmts[STMT_LIST], "ii", r->uid, limit);
	if (res == NULL)
		return http_fail_db(r);
	buf_adds(&b, "{\"conversations\":[");
	while ((rc = db_row(res)) == 1) {
		if (n++)
			buf_addc(&b, ',');
		conv_item(&b, res);
	}
	db_res_free(res);
	if (rc == -1) {
		buf_free(&b);
		return http_fail_db(r);
	}
	buf_adds(&b, "]}");
	rc = http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return rc;
}

/*
 * Reply with conversation conv as r's user sees it: the list item plus
 * "members_detail" (name, nickname, avatar, online, role, read_seq).
 */
static int
reply_conv(struct req *r, int st, int64_t conv)
{
	struct dbres	*res;
	struct buf	 b = { 0 };
	int		 rc, n = 0;

	if ((res = db_query(r->db, stmts[STMT_ONE], "ii", r->uid,
	    conv)) == NULL)
		return http_fail_db(r);
	if ((rc = db_row(res)) != 1) {
		db_res_free(res);
		return rc == 0 ? http_fail(r, 403, "forbidden",
		    "you are not in this conversation") : http_fail_db(r);
	}
	conv_item(&b, res);
	db_res_free(res);
	if ((res = db_query(r->db, stmts[STMT_MEMBERS], "i", conv)) == NULL) {
		buf_free(&b);
		return http_fail_db(r);
	}
	b.len--;	/* reopen the object */
	buf_adds(&b, ",\"members_detail\":[");
	while (db_row(res) == 1) {
		buf_adds(&b, n++ ? ",{\"username\":" : "{\"username\":");
		add_str(&b, res, 0);
		buf_adds(&b, ",\"nickname\":");
		add_str(&b, res, 1);
		buf_adds(&b, ",\"avatar_url\":");
		add_str(&b, res, 2);
		buf_addf(&b, ",\"online\":%s,\"role\":\"%s\",\"read_seq\":%lld}",
		    db_int(res, 3) ? "true" : "false", db_str(res, 4, NULL),
		    (long long)db_int(res, 5));
	}
	db_res_free(res);
	buf_adds(&b, "]}");
	rc = http_reply(r, st, b.p, b.len);
	buf_free(&b);
	return rc;
}

/* GET /api/conversations/{id}: members only. */
int
h_conv_get(struct req *r)
{
	int64_t	 conv, role;
	int	 rc;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((rc = member_of(r, conv, &role)) < 0)
		return -rc;
	return reply_conv(r, 200, conv);
}

/*
 * The "members" field of r's body as a JSON array text of valid user
 * names (1..CAP_TOPIC_MEMBERS, or 0.. when empty_ok) into out, and its
 * length into *n.  0, or the status already sent.
 */
static int
member_names(struct req *r, struct buf *out, size_t *n, int empty_ok)
{
	struct json_object	*a, *v;
	size_t			 i, len;
	const char		*s;

	*n = 0;
	if (!json_object_object_get_ex(r->json, "members", &a) ||
	    !json_object_is_type(a, json_type_array))
		return http_fail(r, 400, "bad_request",
		    "members must be an array of user names");
	*n = json_object_array_length(a);
	if (*n > CAP_TOPIC_MEMBERS)
		return http_fail(r, 400, "bad_request",
		    "a topic holds at most 500 members");
	if (*n == 0 && !empty_ok)
		return http_fail(r, 400, "bad_request",
		    "members must name at least one friend");
	buf_addc(out, '[');
	for (i = 0; i < *n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return http_fail(r, 400, "bad_request",
			    "members must be an array of user names");
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (!valid_username(s, len))
			return http_fail(r, 400, "bad_request",
			    "members holds a name that is not valid");
		if (i)
			buf_addc(out, ',');
		buf_json_str(out, s, len);
	}
	buf_addc(out, ']');
	return 0;
}

/*
 * Distinct names (any case) in a validated list, r's own name not counted
 * (you are in the topic already; the friends-only statements skip you).
 * For the count check.
 */
static size_t
distinct_names(struct req *r)
{
	struct json_object	*a;
	size_t			 i, k, n, d = 0;
	const char		*s, *t;

	json_object_object_get_ex(r->json, "members", &a);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		if (strcasecmp(s, r->username) == 0)
			continue;
		for (k = 0; k < i; k++) {
			t = json_object_get_string(
			    json_object_array_get_idx(a, k));
			if (strcasecmp(s, t) == 0)
				break;
		}
		if (k == i)
			d++;
	}
	return d;
}

/* {"conversation_id":N,"change":"..."} to every member but r's user. */
static int
push_updated(struct req *r, int64_t conv, const char *change,
    struct ids *wake)
{
	char	 p[96];

	snprintf(p, sizeof(p), "{\"conversation_id\":%lld,\"change\":\"%s\"}",
	    (long long)conv, change);
	if (event_push_members(r->db, conv, r->uid, "conversation_updated",
	    p, wake) == -1)
		return -1;
	return 0;
}

/* Commit, wake, and reply with the conversation (or fail and roll back). */
static int
finish(struct req *r, int ok, struct ids *wake, int st, int64_t conv)
{
	if (!ok || db_commit(r->db) == -1) {
		db_rollback(r->db);
		ids_free(wake);
		return http_fail_db(r);
	}
	wake_users(wake->v, wake->n);
	ids_free(wake);
	if (st == 204)
		return http_reply(r, 204, NULL, 0);
	return reply_conv(r, st, conv);
}

/*
 * POST /api/conversations {title, members}: a topic with the creator as
 * owner and the named friends as members (403 not_friends if any named
 * user is not a friend).  201 conversation; members get
 * conversation_updated.
 */
int
h_conv_create(struct req *r)
{
	static const struct field fields[] = {
		{ "title", valid_title, F_REQUIRED },
	};
	struct fval	 title;
	struct buf	 names = { 0 };
	struct ids	 wake = { 0 };
	size_t		 n, d;
	long long	 added;
	int64_t		 conv;
	int		 st;

	if ((st = valid_fields(r, fields, 1, &title)) != 0 ||
	    (st = member_names(r, &names, &n, 0)) != 0) {
		buf_free(&names);
		return st;
	}
	if ((d = distinct_names(r)) == 0) {
		buf_free(&names);
		return http_fail(r, 400, "bad_request",
		    "members must name at least one friend");
	}
	if (d + 1 > CAP_TOPIC_MEMBERS) {	/* + the owner */
		buf_free(&names);
		return http_fail(r, 400, "bad_request",
		    "a topic holds at most 500 members, you included");
	}
	if ((st = auth_push_allowed(r)) != 0) {
		buf_free(&names);
		return st;
	}
	if (db_begin(r->db) == -1) {
		buf_free(&names);
		return http_fail_db(r);
	}
	if (db_exec(r->db, stmts[STMT_TOPIC_NEW], "si", title.s, r->uid) != 1)
		goto fail;
	conv = db_insert_id(r->db);
	if (db_exec(r->db, stmts[STMT_OWNER_ADD], "ii", conv, r->uid) != 1 ||
	    (added = db_exec(r->db, stmts[STMT_FRIENDS_ADD], "iis", conv,
	    r->uid, names.p)) < 0)
		goto fail;
	buf_free(&names);
	if ((size_t)added != d) {
		db_rollback(r->db);
		return http_fail(r, 403, "not_friends",
		    "topic members must be your friends");
	}
	return finish(r, push_updated(r, conv, "created", &wake) == 0, &wake,
	    201, conv);
fail:
	buf_free(&names);
	db_rollback(r->db);
	return http_fail_db(r);
}

/*
 * conv_begin for the owner or an admin of topic conv: 1 (transaction
 * open, role in *role), else the status sent, negated, rolled back.
 */
static int
topic_admin_begin(struct req *r, int64_t conv, int64_t *role)
{
	int	 rc;

	if ((rc = conv_begin(r, conv, role)) < 0)
		return rc;
	if (*role == ROLE_ADMIN || *role == ROLE_OWNER)
		return 1;
	db_rollback(r->db);
	if (*role >= ROLE_NOT_TOPIC)
		return -http_fail(r, 400, "bad_request",
		    "only topics have a title, members and roles to manage");
	return -http_fail(r, 403, "forbidden",
	    "only the owner and admins may do this");
}

/* PATCH /api/conversations/{id} {title?, avatar_url?}: owner or admin. */
int
h_conv_patch(struct req *r)
{
	static const struct field fields[] = {
		{ "title",	valid_title,	0 },
		{ "avatar_url",	valid_picture_url,	0 },
	};
	struct fval	 v[2];
	struct ids	 wake = { 0 };
	int64_t		 conv, role;
	int		 st;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = valid_fields(r, fields, 2, v)) != 0)
		return st;
	if (v[0].s == NULL && v[1].s == NULL)
		return http_fail(r, 400, "bad_request",
		    "give a title or an avatar_url");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((st = topic_admin_begin(r, conv, &role)) < 0)
		return -st;
	return finish(r, db_exec(r->db, stmts[STMT_RENAME], "ssi", v[0].s,
	    v[1].s, conv) >= 0 && push_updated(r, conv, "renamed", &wake) == 0,
	    &wake, 200, conv);
}

/*
 * POST /api/conversations/{id}/members {members}: owner or admin adds
 * friends of theirs (403 not_friends, and nothing added, if any named user
 * is not); members already in stay as they are.  200 conversation.
 */
int
h_conv_add_members(struct req *r)
{
	struct buf	 names = { 0 };
	struct ids	 wake = { 0 };
	int64_t		 conv, count, role;
	long long	 added;
	size_t		 n;
	int		 st;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	/*
	 * With the conversation's row held two additions at once take
	 * turns, so the second counts the first's members (each counted
	 * only its own and both passed the cap).  Members already in are
	 * skipped by INSERT IGNORE.
	 */
	if ((st = member_names(r, &names, &n, 0)) != 0 ||
	    (st = auth_push_allowed(r)) != 0 ||
	    (st = topic_admin_begin(r, conv, &role)) < 0) {
		buf_free(&names);
		return st < 0 ? -st : st;
	}
	if (db_one(r->db, &count, stmts[STMT_FRIENDS_NAMED], "is", r->uid,
	    names.p) != 1) {
		buf_free(&names);
		db_rollback(r->db);
		return http_fail_db(r);
	}
	if ((size_t)count != distinct_names(r)) {
		buf_free(&names);
		db_rollback(r->db);
		return http_fail(r, 403, "not_friends",
		    "you can only add your friends");
	}
	if (db_exec(r->db, stmts[STMT_TOUCH], "i", conv) < 0 ||
	    (added = db_exec(r->db, stmts[STMT_FRIENDS_ADD], "iis", conv,
	    r->uid, names.p)) < 0 ||
	    db_one(r->db, &count, stmts[STMT_COUNT], "i", conv) != 1) {
		buf_free(&names);
		db_rollback(r->db);
		return http_fail_db(r);
	}
	buf_free(&names);
	if (count > CAP_TOPIC_MEMBERS) {
		db_rollback(r->db);
		return http_fail(r, 409, "conflict",
		    "a topic holds at most 500 members");
	}
	return finish(r, push_updated(r, conv, "members", &wake) == 0, &wake,
	    200, conv);
}

/* A member of conv by name: 1 (id, is_owner), 0 not a member, -1. */
static int
target(struct req *r, int64_t conv, int64_t *uid, int *owner)
{
	struct dbres	*res;
	const char	*name = route_param(r, 1);
	int		 rc;

	if (!valid_username(name, strlen(name)))
		return 0;
	if ((res = db_query(r->db, stmts[STMT_TARGET], "is", conv,
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
 * DELETE /api/conversations/{id}/members/{username}: owner or admin
 * removes a member (not the owner).  The removed member and the others
 * get conversation_updated; the removed one stops receiving.  204.
 */
int
h_conv_remove_member(struct req *r)
{
	struct ids	 wake = { 0 };
	int64_t		 conv, role, uid = 0;
	int		 st, owner = 0;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((st = topic_admin_begin(r, conv, &role)) < 0)
		return -st;
	if ((st = target(r, conv, &uid, &owner)) != 1 || owner ||
	    uid == r->uid) {
		db_rollback(r->db);
		if (st == -1)
			return http_fail_db(r);
		if (st == 0)
			return http_fail(r, 404, "not_found",
			    "no such member");
		if (owner)
			return http_fail(r, 403, "forbidden",
			    "the owner cannot be removed");
		return http_fail(r, 400, "bad_request",
		    "to leave, use POST .../leave");
	}
	/* Tell everyone, the removed member included, then remove. */
	return finish(r, push_updated(r, conv, "members", &wake) == 0 &&
	    db_exec(r->db, stmts[STMT_REMOVE], "ii", conv, uid) == 1 &&
	    db_exec(r->db, stmts[STMT_TOUCH], "i", conv) >= 0, &wake, 204,
	    conv);
}

/*
 * PATCH /api/conversations/{id}/members/{username} {role: admin|member}:
 * the owner makes or unmakes admins.  200 conversation.
 */
int
h_conv_set_role(struct req *r)
{
	struct json_object	*v;
	struct ids		 wake = { 0 };
	const char		*role;
	int64_t			 conv, mine, uid = 0;
	int			 st, owner;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if (!json_object_object_get_ex(r->json, "role", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (strcmp(role = json_object_get_string(v), "admin") != 0 &&
	    strcmp(role, "member") != 0))
		return http_fail(r, 400, "bad_request",
		    "role must be admin or member");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((st = conv_begin(r, conv, &mine)) < 0)
		return -st;
	if (mine != ROLE_OWNER) {
		db_rollback(r->db);
		return http_fail(r, 403, "forbidden",
		    "only the owner names admins");
	}
	if ((st = target(r, conv, &uid, &owner)) != 1 || owner) {
		db_rollback(r->db);
		return st == -1 ? http_fail_db(r) :
		    http_fail(r, 404, "not_found", "no such member");
	}
	return finish(r, db_exec(r->db, stmts[STMT_SET_ROLE], "sii", role,
	    conv, uid) >= 0 && push_updated(r, conv, "role", &wake) == 0,
	    &wake, 200, conv);
}

/*
 * POST /api/conversations/{id}/read {seq}: my read mark moves up to seq
 * (never back, never past the last message); the other members get a
 * read event {conversation_id, user, seq}.  204.
 */
int
h_conv_read(struct req *r)
{
	struct json_object	*v;
	struct ids		 wake = { 0 };
	struct buf		 p = { 0 };
	int64_t			 conv, seq, role;
	long long		 n;
	int			 st;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if (!json_object_object_get_ex(r->json, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (seq = json_object_get_int64(v)) < 0)
		return http_fail(r, 400, "bad_request",
		    "seq must be a message seq");
	if ((st = member_of(r, conv, &role)) < 0)
		return -st;
	if (db_begin(r->db) == -1)
		return http_fail_db(r);
	/*
	 * The conversation's row before my member row, in the order leaves
	 * and removals take them (STMT_READ alone takes them the other way:
	 * a mark and my removal at once deadlocked, 503).
	 */
	if (db_one(r->db, NULL, stmts[STMT_SHARE], "i", conv) == -1 ||
	    (n = db_exec(r->db, stmts[STMT_READ], "iiii", seq, conv, r->uid,
	    seq)) < 0)
		return finish(r, 0, &wake, 204, conv);
	if (n == 1 && db_one(r->db, &seq, stmts[STMT_READ_MARK], "ii", conv,
	    r->uid) != 1)
		return finish(r, 0, &wake, 204, conv);
	if (n == 1) {
		buf_addf(&p, "{\"conversation_id\":%lld,\"user\":",
		    (long long)conv);
		buf_json_str(&p, r->username, strlen(r->username));
		buf_addf(&p, ",\"seq\":%lld}", (long long)seq);
		/* seq is the stored mark, which may be lower (clamped). */
		st = event_push_members(r->db, conv, r->uid, "read", p.p,
		    &wake) == 0;
		buf_free(&p);
		return finish(r, st, &wake, 204, conv);
	}
	return finish(r, 1, &wake, 204, conv);
}

/*
 * POST /api/conversations/{id}/leave: a topic (the owner's role passes to
 * an admin or the longest member; the rest get conversation_updated) or a
 * stranger chat (it ends; the partner gets partner_left).  204.
 */
int
h_conv_leave(struct req *r)
{
	struct ids	 wake = { 0 };
	int64_t		 conv, role;
	int		 st, ok;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = conv_begin(r, conv, &role)) < 0)
		return -st;
	if (role >= 10)			/* match */
		return finish(r, match_leave(r->db, r->uid, conv, &wake) == 0,
		    &wake, 204, conv);
	if (role >= ROLE_NOT_TOPIC) {
		db_rollback(r->db);
		return http_fail(r, 400, "bad_request",
		    "a direct conversation ends by removing the friend");
	}
	/* The next owner is chosen among those still in, with the row held. */
	ok = db_exec(r->db, stmts[STMT_REMOVE], "ii", conv, r->uid) == 1 &&
	    (role != ROLE_OWNER ||
	    db_exec(r->db, stmts[STMT_NEXT_OWNER], "i", conv) >= 0) &&
	    db_exec(r->db, stmts[STMT_TOUCH], "i", conv) >= 0 &&
	    push_updated(r, conv, "left", &wake) == 0;
	return finish(r, ok, &wake, 204, conv);
}
