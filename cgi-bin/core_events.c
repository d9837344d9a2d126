/*
 * core_events.c: the pending-ACK list (table event).  Every event for a
 * user is a row until that user acks it.  A poll hands out the rows that
 * are due (never sent, or sent CHAT_RESEND_S ago and not acked) in id
 * order and stamps them sent (core_marker.c, a moment later); an ack
 * deletes rows, only the owner's.  Pushes run inside the caller's
 * transaction; waking the users is the caller's job, after the commit
 * (wake.h), or event_deliver's for pushes it can feed to this process's
 * inboxes (inbox.h), so that their polls need no query.  Too many pending
 * events become one resync (event_trim).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "caps.h"
#include "conf.h"
#include "core_events.h"
#include "core_marker.h"
#include "db.h"
#include "inbox.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_PUSH,
	STMT_PUSH_AT,
	STMT_PUSH_FRIENDS,
	STMT_PUSH_MEMBERS,
	STMT_FETCH,
	STMT_MARK_SENT,
	STMT_ACK,
	STMT_FRIEND_IDS,
	STMT_MEMBER_IDS,
	STMT_TRIM_CUT,
	STMT_TRIM_OLD,
	STMT_TRIM_CONVS,
	STMT_TRIM_DROP,
	STMT_TRIM_RESYNC_DROP,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_PUSH */
	"INSERT INTO event (user_id, type, payload, origin) VALUES (?, ?, ?, ?)",
	/* STMT_PUSH_AT */
	"INSERT INTO event (user_id, type, payload, origin, created_at) "
	"VALUES (?, ?, ?, ?, FROM_UNIXTIME(? / 1000))",
	/* STMT_PUSH_FRIENDS */
	"INSERT INTO event (user_id, type, payload, origin) "
	"SELECT friend_id, ?, ?, ? FROM friendship WHERE user_id = ?",
	/* STMT_PUSH_MEMBERS: says who got it, in the same round trip. */
	"INSERT INTO event (user_id, type, payload, origin) "
	"SELECT user_id, ?, ?, ? FROM conv_member "
	"WHERE conv_id = ? AND user_id <> ? RETURNING user_id",
	/* STMT_FETCH: every pending row (up to a window), due or not. */
	"SELECT id, type, payload, " MS("created_at") ", "
	"sent_at IS NULL OR sent_at <= NOW(3) - INTERVAL ? SECOND, "
	"COALESCE(TIMESTAMPDIFF(MICROSECOND, NOW(3), "
	"sent_at + INTERVAL ? SECOND) DIV 1000, 0), origin "
	"FROM event WHERE user_id = ? ORDER BY id LIMIT ?",
	/* STMT_MARK_SENT */
	"UPDATE " JSON_IDS " STRAIGHT_JOIN event e ON e.id = j.id "
	"SET e.sent_at = NOW(3), e.attempts = e.attempts + 1 "
	"WHERE e.user_id = ?",
	/* STMT_ACK */
	"DELETE e FROM " JSON_IDS " STRAIGHT_JOIN event e ON e.id = j.id "
	"WHERE e.user_id = ?",
	/* STMT_FRIEND_IDS */
	"SELECT friend_id FROM friendship WHERE user_id = ?",
	/* STMT_MEMBER_IDS */
	"SELECT user_id FROM conv_member WHERE conv_id = ? AND user_id <> ?",
	/* STMT_TRIM_CUT: the newest row of uid's to drop: the one n newer. */
	"SELECT id FROM event WHERE user_id = ? ORDER BY id DESC "
	"LIMIT 1 OFFSET ?",
	/* STMT_TRIM_OLD: the newest of uid's rows this old, if uid is away. */
	"SELECT COALESCE(MAX(e.id), 0) FROM event e "
	"JOIN user u ON u.id = e.user_id AND u.online = 0 "
	"AND u.last_seen < NOW(3) - INTERVAL ? SECOND "
	"WHERE e.user_id = ? AND e.type <> 'resync' "
	"AND e.created_at < NOW(3) - INTERVAL ? SECOND",
	/*
	 * STMT_TRIM_CONVS: the conversations of uid's rows up to an id (a
	 * message's, or a read mark's, a conversation_updated's...) and those
	 * a pending resync names, uid still a member.
	 */
	"SELECT DISTINCT t.c FROM ("
	"SELECT CAST(COALESCE(JSON_VALUE(payload, '$.message.conversation_id'), "
	"JSON_VALUE(payload, '$.conversation_id')) AS UNSIGNED) AS c "
	"FROM event WHERE user_id = ? AND id <= ? AND type <> 'resync' "
	"UNION SELECT j.c FROM event e, JSON_TABLE(e.payload, "
	"'$.conversations[*]' COLUMNS (c BIGINT UNSIGNED PATH '$')) AS j "
	"WHERE e.user_id = ? AND e.type = 'resync') AS t "
	"JOIN conv_member m ON m.conv_id = t.c AND m.user_id = ? "
	"ORDER BY t.c LIMIT ?",
	/* STMT_TRIM_DROP: by uid's index; locks no gap past the kept rows. */
	"DELETE FROM event WHERE user_id = ? AND id <= ?",
	/* STMT_TRIM_RESYNC_DROP: the resync pending before (a new one comes). */
	"DELETE FROM event WHERE user_id = ? AND type = 'resync'",
};


/*
 * Push one event of type for uid; payload is a JSON object's text (the
 * fields besides id, type and at).  Needs the caller's transaction for
 * atomicity with what caused it.  0 or -1.
 */
int
event_push(struct db *db, int64_t uid, const char *type, const char *payload)
{
	return db_exec(db, stmts[STMT_PUSH], "issi", uid, type, payload,
	    (int64_t)conf.origin) == 1 ? 0 : -1;
}

/* event_push with its time (at, ms since the epoch) given.  0 or -1. */
int
event_push_at(struct db *db, int64_t uid, const char *type,
    const char *payload, int64_t at)
{
	return db_exec(db, stmts[STMT_PUSH_AT], "issii", uid, type, payload,
	    (int64_t)conf.origin, at) == 1 ? 0 : -1;
}

/* The same event for every friend of uid, in one statement.  0 or -1. */
int
event_push_friends(struct db *db, int64_t uid, const char *type,
    const char *payload)
{
	return db_exec(db, stmts[STMT_PUSH_FRIENDS], "ssii", type, payload,
	    (int64_t)conf.origin, uid) < 0 ? -1 : 0;
}

/*
 * The same event for every member of conversation conv but except, in one
 * statement however many members; their ids are appended to to (if not
 * NULL), for the wake after the commit.  0 or -1.
 */
int
event_push_members(struct db *db, int64_t conv, int64_t except,
    const char *type, const char *payload, struct ids *to)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_PUSH_MEMBERS], "ssiii", type,
	    payload, (int64_t)conf.origin, conv, except)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1)
		if (to != NULL)
			ids_add(to, db_int(res, 0));
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * After the commit of events pushed by send_batch (core_messages.c):
 * feed them to this process's inboxes and wake their users.
 */
void
event_deliver(struct pushed *p)
{
	size_t	 i;

	for (i = 0; i < p->uid.n; i++)
		inbox_feed(p->uid.v[i], p->id.v[i], p->at.v[i], p->type,
		    p->payload);
	wake_users_fed(p->uid.v, p->uid.n);
}

void
pushed_free(struct pushed *p)
{
	ids_free(&p->uid);
	ids_free(&p->id);
	ids_free(&p->at);
	free(p->type);
	free(p->payload);
	memset(p, 0, sizeof(*p));
}

/*
 * An event an admin wrote by hand (origin 0, README): its type must be
 * [a-z0-9_]{1,32} and its payload one object json-c can read, written
 * again by json-c as JSON (json-c reads more than JSON: single quotes, raw
 * control characters; spliced as it was, such a payload broke the whole
 * answer), without an id, type or at of its own, which would hide the
 * row's.  0, or -1 (nothing written).
 */
static int
render_foreign(struct buf *out, int64_t id, const char *type, int64_t at,
    const char *payload, size_t plen)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	const char		*c;
	size_t			 tlen = strlen(type);
	int			 ok;

	if (tlen == 0 || tlen > 32 || plen > CAP_BODY)
		return -1;
	for (c = type; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '_'))
			return -1;
	if ((tok = json_tokener_new()) == NULL)
		return -1;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, payload, (int)plen);
	ok = o != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(o, json_type_object);
	for (c = payload + (ok ? tok->char_offset : 0); ok && c < payload + plen;
	    c++)
		ok = *c == ' ' || *c == '\t' || *c == '\n' || *c == '\r';
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return -1;
	}
	buf_addf(out, "{\"id\":%lld,\"type\":\"%s\",\"at\":%lld",
	    (long long)id, type, (long long)at);
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "id") == 0 || strcmp(k, "type") == 0 ||
		    strcmp(k, "at") == 0)
			continue;
		buf_addc(out, ',');
		buf_json_str(out, k, strlen(k));
		buf_addc(out, ':');
		buf_adds(out, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	buf_addc(out, '}');
	json_object_put(o);
	return 0;
}

/*
 * One event as the poll's JSON object, after a comma if not the first;
 * foreign: written by hand, not by chatd (see render_foreign).
 */
static void
render(struct buf *out, int first, int64_t id, const char *type, int64_t at,
    const char *payload, size_t plen, int foreign)
{
	if (!first)
		buf_addc(out, ',');
	if (foreign) {
		if (render_foreign(out, id, type, at, payload, plen) == 0)
			return;
		LOG("event %lld: type or payload is not valid JSON, sent as "
		    "type \"invalid\"", (long long)id);
		buf_addf(out, "{\"id\":%lld,\"type\":\"invalid\","
		    "\"at\":%lld}", (long long)id, (long long)at);
		return;
	}
	buf_addf(out, "{\"id\":%lld,\"type\":\"%s\",\"at\":%lld",
	    (long long)id, type, (long long)at);
	if (plen > 2 && payload[0] == '{') {
		buf_addc(out, ',');
		buf_add(out, payload + 1, plen - 1);
	} else
		buf_addc(out, '}');
}

/* Stamp got sent: by the marker thread, else now.  0 or -1. */
static int
stamp(struct db *db, int64_t uid, const struct ids *got)
{
	struct buf	 csv = { 0 };
	int		 rc = 0;

	if (got->n == 0 || marker_later(uid, got->v, got->n))
		return 0;
	buf_add_ids(&csv, got->v, got->n);
	if (db_exec(db, stmts[STMT_MARK_SENT], "si", csv.p, uid) < 0)
		rc = -1;
	buf_free(&csv);
	return rc;
}

/* event_fetch from uid's inbox: 1 answered from it, 0 unknown. */
static int
fetch_inbox(struct db *db, int64_t uid, struct buf *out, int *n,
    int64_t *next_ms)
{
	struct inbox_ev	*v;
	struct ids	 got = { 0 };
	size_t		 k, i;

	if (!marker_running() ||
	    !inbox_take(uid, CAP_POLL_EVENTS, &v, &k, next_ms))
		return 0;
	for (i = 0; i < k; i++) {
		render(out, i == 0, v[i].id, v[i].type, v[i].at,
		    v[i].payload, strlen(v[i].payload), 0);
		ids_add(&got, v[i].id);
	}
	*n = (int)k;
	(void)stamp(db, uid, &got);
	inbox_ev_free(v, k);
	ids_free(&got);
	return 1;
}

/*
 * Append to out the events due for uid, as comma-separated JSON objects
 * {"id","type","at",...payload}, and stamp them sent.  *n gets how many;
 * *next_ms the milliseconds until the earliest event handed out earlier
 * becomes due again (0: none in flight).  What this process knows of uid
 * (the inbox) answers without a query; a query that saw all of uid's
 * events makes it known.  0 or -1.
 */
int
event_fetch(struct db *db, int64_t uid, struct buf *out, int *n,
    int64_t *next_ms)
{
	struct dbres	*res;
	struct ids	 got = { 0 };
	const char	*type, *payload;
	size_t		 plen, rows = 0;
	int64_t		 due_in, id, due, now;
	uint64_t	 epoch;
	int		 rc, pending;

	*n = 0;
	*next_ms = 0;
	if (fetch_inbox(db, uid, out, n, next_ms))
		return 0;
	epoch = inbox_epoch(uid);
	if ((res = db_query(db, stmts[STMT_FETCH], "iiii",
	    (int64_t)conf.resend_s, (int64_t)conf.resend_s, uid,
	    (int64_t)CAP_POLL_EVENTS)) == NULL)
		return -1;
	while ((rc = db_row(res)) == 1) {
		rows++;
		id = db_int(res, 0);
		pending = marker_pending(id, uid);
		if (pending == 2)
			continue;	/* acked: being deleted */
		if (!db_int(res, 4) || pending) {
			due_in = pending ? conf.resend_s * 1000 : db_int(res, 5);
			if (due_in < 1)
				due_in = 1;
			if (*next_ms == 0 || due_in < *next_ms)
				*next_ms = due_in;
			continue;
		}
		type = db_str(res, 1, NULL);
		payload = db_str(res, 2, &plen);
		render(out, *n == 0, id, type, db_int(res, 3), payload, plen,
		    db_int(res, 6) == 0);
		ids_add(&got, id);
		(*n)++;
	}
	db_res_free(res);
	if (rc != -1 && stamp(db, uid, &got) == -1)
		rc = -1;
	if (rc != -1 && marker_running() && rows < CAP_POLL_EVENTS) {
		/* Saw them all: known until something in flight falls due. */
		now = mono_ms();
		due = *next_ms > 0 ? now + *next_ms : 0;
		if (got.n > 0 && (due == 0 || now + conf.resend_s * 1000 < due))
			due = now + conf.resend_s * 1000;
		inbox_trust(uid, epoch, due);
	}
	ids_free(&got);
	return rc == -1 ? -1 : 0;
}

/*
 * Delete uid's events whose ids are in the JSON array ids_json.  Ids of
 * other users' events are ignored: only the owner acks.  0 or -1.
 */
int
event_ack(struct db *db, int64_t uid, const char *ids_json)
{
	return db_exec(db, stmts[STMT_ACK], "si", ids_json, uid) < 0 ? -1 : 0;
}

/*
 * uid's revision (user.rev, sql/022), bumped by changes of the user's own
 * state that the user's other devices may miss the event of.  0 or -1.
 */
int
event_rev(struct db *db, int64_t uid, int64_t *rev)
{
	return db_one(db, rev, "SELECT rev FROM user WHERE id = ?", "i",
	    uid) == 1 ? 0 : -1;
}

/*
 * Bound uid's pending events (issue 21): drop the oldest so that keep
 * rows are left with the resync (age_s 0), or, age_s > 0 and uid offline
 * that long, those created age_s ago.  Messages stay in history: the
 * dropped rows' conversations (and those of the resync pending before,
 * which goes) are named by one new resync event,
 * {"conversations":[ids...]}, the newest of uid's rows; the client
 * fetches their history and the conversation list.  Other dropped events
 * (friend requests...) are in their lists (GET /api/friends/requests).
 * uid is appended to wake when something was dropped.  Needs a
 * transaction; the caller makes sure no other trim of uid runs at once
 * (sweeper.c: a named lock).  How many rows went, or -1.
 */
long
event_trim(struct db *db, int64_t uid, int keep, int age_s, struct ids *wake)
{
	struct ids	 convs = { 0 };
	struct buf	 payload = { 0 };
	int64_t		 cut = 0;
	long long	 n = 0;
	int		 rc;

	if (age_s > 0)
		rc = db_one(db, &cut, stmts[STMT_TRIM_OLD], "iii",
		    (int64_t)age_s, uid, (int64_t)age_s);
	else
		rc = db_one(db, &cut, stmts[STMT_TRIM_CUT], "ii", uid,
		    (int64_t)(keep > 1 ? keep - 1 : 0));
	if (rc == -1)
		return -1;
	if (rc == 0 || cut == 0)
		return 0;
	if (db_ids(db_query(db, stmts[STMT_TRIM_CONVS], "iiiii", uid, cut,
	    uid, uid, (int64_t)CAP_RESYNC_CONVS), &convs) == -1 ||
	    (n = db_exec(db, stmts[STMT_TRIM_DROP], "ii", uid, cut)) < 0) {
		n = -1;
		goto out;
	}
	if (n == 0)		/* acked meanwhile: nothing to catch up */
		goto out;
	if (db_exec(db, stmts[STMT_TRIM_RESYNC_DROP], "i", uid) < 0) {
		n = -1;
		goto out;
	}
	buf_adds(&payload, "{\"conversations\":");
	buf_add_ids(&payload, convs.v, convs.n);
	buf_addc(&payload, '}');
	if (event_push(db, uid, "resync", payload.p) == -1) {
		n = -1;
		goto out;
	}
	ids_add(wake, uid);
out:
	ids_free(&convs);
	buf_free(&payload);
	return (long)n;
}


/* The ids of uid's friends, appended to out.  0 or -1. */
int
event_friend_ids(struct db *db, int64_t uid, struct ids *out)
{
	return db_ids(db_query(db, stmts[STMT_FRIEND_IDS], "i", uid), out);
}

/* The members of conv except one, appended to out.  0 or -1. */
int
event_member_ids(struct db *db, int64_t conv, int64_t except, struct ids *out)
{
	return db_ids(db_query(db, stmts[STMT_MEMBER_IDS], "ii", conv,
	    except), out);
}
