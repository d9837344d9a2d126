/*
 * core_messages.c: sending and reading messages, shared by the native API
 * and the seed adapters.  The rules (friends only for direct messages,
 * members only, idempotent client_id, gapless seq) live here and in
 * send_batch, which core_send.c runs; this file says what a stored send
 * means: a new message delivered to the recipients' polls after the
 * commit, the first copy of a repeat, or why it was refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_events.h"
#include "core_messages.h"
#include "core_send.h"
#include "core_users.h"
#include "db.h"
#include "util.h"

enum stmt {
	STMT_DIRECT,
	STMT_MEMBER,
	STMT_BY_CLIENT,
	STMT_CONV_EXISTS,
	STMT_HIST_AFTER,
	STMT_HIST_BEFORE,
	STMT_HIST_LAST,
	STMT_ONE,
	STMT_SET_REPLY,
	STMT__MAX
};

#define MSG_COLS "m.id, m.seq, u.username, m.body, m.client_id, " \
	MS("m.sent_at") ", m.conv_id, m.notice, " \
	MS("m.edited_at") ", m.deleted_at IS NOT NULL, m.reply_to, " \
	"r.seq, ru.username, LEFT(r.body, 100), r.deleted_at IS NOT NULL, " \
	MSG_FILE_COL
/* The tables of MSG_COLS: the message, its sender, what it answers. */
#define MSG_FROM "message m JOIN user u ON u.id = m.sender_id " \
	"LEFT JOIN message r ON r.id = m.reply_to " \
	"LEFT JOIN user ru ON ru.id = r.sender_id "
/* Where MSG_COLS's edit and reply part starts (msg_json_edits). */
#define MC_EDITED	8
/*
 * The file a message carries (sql/020: the file of its sender with its
 * client_id), as JSON, or NULL; column MC_FILE.
 */
#define MSG_FILE_COL "(SELECT JSON_OBJECT('id', f.id, 'name', f.name, " \
	"'size', f.size, 'type', f.type, 'width', f.width, 'height', " \
	"f.height) FROM file f WHERE f.owner_id = m.sender_id AND " \
	"f.client_id = m.client_id AND f.state = 2 AND m.deleted_at IS NULL)"
#define MC_FILE		15

static const char *const stmts[STMT__MAX] = {
	/* STMT_DIRECT: the direct conversation with a friend, by name. */
	"SELECT f.conv_id FROM friendship f JOIN user u ON u.id = f.friend_id "
	"WHERE f.user_id = ? AND u.username = ?",
	/* STMT_MEMBER: may this user send here? */
	"SELECT c.kind, c.ended_at IS NOT NULL, "
	"c.kind <> 'direct' OR EXISTS (SELECT 1 FROM friendship f "
	"WHERE f.conv_id = c.id AND f.user_id = m.user_id) "
	"FROM conv_member m JOIN conversation c ON c.id = m.conv_id "
	"WHERE m.conv_id = ? AND m.user_id = ?",
	/* STMT_BY_CLIENT */
	"SELECT m.id, m.conv_id, m.seq, " MS("m.sent_at") ", m.body "
	"FROM message m WHERE m.sender_id = ? AND m.client_id = ?",
	/* STMT_CONV_EXISTS */
	"SELECT id FROM conversation WHERE id = ?",
	/* STMT_HIST_AFTER */
	"SELECT " MSG_COLS " FROM " MSG_FROM
	"WHERE m.conv_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
	/* STMT_HIST_BEFORE */
	"SELECT " MSG_COLS " FROM " MSG_FROM
	"WHERE m.conv_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
	/* STMT_HIST_LAST */
	"SELECT " MSG_COLS " FROM " MSG_FROM
	"WHERE m.conv_id = ? ORDER BY m.seq DESC LIMIT ?",
	/* STMT_ONE: one message as it is now (an edit's or delete's event). */
	"SELECT " MSG_COLS " FROM " MSG_FROM "WHERE m.id = ?",
	/* STMT_SET_REPLY */
	"UPDATE message m JOIN message r ON r.id = ? AND r.conv_id = m.conv_id "
	"SET m.reply_to = r.id WHERE m.id = ?",
};

/*
 * The direct conversation of sender with user name into *conv: MSG_OK,
 * MSG_SELF, MSG_NO_USER, MSG_NOT_FRIENDS or MSG_ERROR.
 */
enum msg_result
msg_resolve_user(struct db *db, int64_t sender, const char *name,
    int64_t *conv)
{
	int64_t	 uid;
	int	 rc;

	if ((rc = db_one(db, conv, stmts[STMT_DIRECT], "is", sender,
	    name)) == 1)
		return MSG_OK;
	if (rc == -1 || (rc = user_id_by_name(db, name, &uid)) == -1)
		return MSG_ERROR;
	if (rc == 0)
		return MSG_NO_USER;
	return uid == sender ? MSG_SELF : MSG_NOT_FRIENDS;
}

/*
 * May sender post to conversation conv?  MSG_OK, MSG_NO_CONV,
 * MSG_NOT_MEMBER, MSG_NOT_FRIENDS (direct, friendship ended), MSG_ENDED
 * (stranger chat over) or MSG_ERROR.
 */
enum msg_result
msg_resolve_conv(struct db *db, int64_t sender, int64_t conv)
{
	struct dbres	*res;
	int		 rc, ended = 0, friends = 1;

	if ((res = db_query(db, stmts[STMT_MEMBER], "ii", conv,
	    sender)) == NULL)
		return MSG_ERROR;
	if ((rc = db_row(res)) == 1) {
		ended = (int)db_int(res, 1);
		friends = (int)db_int(res, 2);
	}
	db_res_free(res);
	if (rc == -1)
		return MSG_ERROR;
	if (rc == 0) {
		rc = db_one(db, NULL, stmts[STMT_CONV_EXISTS], "i", conv);
		return rc == -1 ? MSG_ERROR : rc == 0 ? MSG_NO_CONV :
		    MSG_NOT_MEMBER;
	}
	if (!friends)
		return MSG_NOT_FRIENDS;
	return ended ? MSG_ENDED : MSG_OK;
}

/*
 * The message JSON's fields after seq, and its closing brace: the part of
 * an event's payload that send_batch does not write itself.
 */
static void
msg_json_rest(struct buf *b, int64_t sent_at, const char *sender,
    const char *body, size_t blen, const char *cid, size_t clen)
{
	buf_adds(b, ",\"sender\":");
	buf_json_str(b, sender, strlen(sender));
	buf_adds(b, ",\"body\":");
	buf_json_str(b, body, blen);
	buf_adds(b, ",\"client_id\":");
	buf_json_str(b, cid, clen);
	buf_addf(b, ",\"sent_at\":%lld}", (long long)sent_at);
}

/*
 * Append the message JSON {id, conversation_id, seq, sender, body,
 * client_id, sent_at} to b.
 */
void
msg_json(struct buf *b, const struct msg *m, const char *sender,
    const char *body, size_t blen, const char *cid, size_t clen)
{
	buf_addf(b, "{\"id\":%lld,\"conversation_id\":%lld,\"seq\":%lld",
	    (long long)m->id, (long long)m->conv_id, (long long)m->seq);
	msg_json_rest(b, m->sent_at, sender, body, blen, cid, clen);
}

/*
 * Make the message JSON just appended to b a group notice: "kind" and
 * "notice" (JSON from core_topics.c, stored as written) before its
 * closing brace.
 */
void
msg_json_notice(struct buf *b, const char *notice)
{
	if (b->len > 0 && b->p[b->len - 1] == '}')
		b->len--;
	buf_adds(b, ",\"kind\":\"notice\",\"notice\":");
	buf_adds(b, notice);
	buf_addc(b, '}');
}

/*
 * "edited_at" (when not 0) and "deleted" (when true) before the closing
 * brace of the message JSON just appended to b.
 */
void
msg_json_edited(struct buf *b, int64_t edited_at, int deleted)
{
	if ((edited_at == 0 && !deleted) || b->len == 0 ||
	    b->p[b->len - 1] != '}')
		return;
	b->len--;
	if (edited_at != 0)
		buf_addf(b, ",\"edited_at\":%lld", (long long)edited_at);
	if (deleted)
		buf_adds(b, ",\"deleted\":true");
	buf_addc(b, '}');
}

/*
 * ,"reply_to":{id, seq, sender, snippet[, deleted]} appended to b: the
 * message answered, as it is now (a deleted one has no snippet).
 */
void
msg_reply_json(struct buf *b, int64_t id, int64_t seq, const char *sender,
    const char *snippet, size_t slen, int deleted)
{
	buf_addf(b, ",\"reply_to\":{\"id\":%lld,\"seq\":%lld,\"sender\":",
	    (long long)id, (long long)seq);
	buf_json_str(b, sender, strlen(sender));
	buf_adds(b, ",\"snippet\":");
	buf_json_str(b, snippet, deleted ? 0 : slen);
	buf_adds(b, deleted ? ",\"deleted\":true}" : "}");
}

/*
 * The message JSON just appended to b, from a row of MSG_COLS whose edit
 * and reply part starts at column c: "edited_at", "deleted" and
 * "reply_to" before its closing brace, each only when it applies.
 */
static void
msg_json_edits(struct buf *b, struct dbres *res, int c)
{
	const char	*snip;
	size_t		 n;

	msg_json_edited(b, db_null(res, c) ? 0 : db_int(res, c),
	    db_int(res, c + 1) != 0);
	/* A reply to a message since gone (its conversation's) shows none. */
	if (!db_null(res, c + 2) && !db_null(res, c + 3) && b->len > 0 &&
	    b->p[b->len - 1] == '}') {
		b->len--;
		snip = db_str(res, c + 5, &n);
		msg_reply_json(b, db_int(res, c + 2), db_int(res, c + 3),
		    db_str(res, c + 4, NULL), snip, n, db_int(res, c + 6) != 0);
		buf_addc(b, '}');
	}
}

/*
 * Make the message JSON just appended to b a file's: "kind" and "file"
 * (JSON of core_files.c or of MSG_FILE_COL) before its closing brace.
 */
void
msg_json_file(struct buf *b, const char *file)
{
	if (b->len > 0 && b->p[b->len - 1] == '}')
		b->len--;
	buf_adds(b, ",\"kind\":\"file\",\"file\":");
	buf_adds(b, file);
	buf_addc(b, '}');
}

/* The first message sent with this client_id: 1 found, 0, -1. */
int
msg_by_client(struct db *db, int64_t sender, const char *cid, size_t clen,
    struct msg *out)
{
	struct dbres	*res;
	const char	*body;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_BY_CLIENT], "ib", sender, cid,
	    clen)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		out->id = db_int(res, 0);
		out->conv_id = db_int(res, 1);
		out->seq = db_int(res, 2);
		out->sent_at = db_int(res, 3);
		body = db_str(res, 4, &out->body_len);
		out->body = xstrndup(body, out->body_len);
	}
	db_res_free(res);
	return rc;
}

/* The keys s adds (s->more) before the closing brace of its JSON in b. */
void
msg_json_more(struct buf *b, const struct send *s)
{
	if (s->more.len == 0 || b->len == 0 || b->p[b->len - 1] != '}')
		return;
	b->len--;
	buf_add(b, s->more.p, s->more.len);
	buf_addc(b, '}');
}

/*
 * Store what stored message id answers (s->reply_to): after send_batch,
 * which does not know of replies; a repeat writes it again.  0 or -1.
 */
static int
msg_set_reply(struct db *db, const struct send *s, int64_t id)
{
	if (s->reply_to == 0)
		return 0;
	return db_exec(db, stmts[STMT_SET_REPLY], "ii", s->reply_to,
	    id) < 0 ? -1 : 0;
}

/* Take the time of s and write its event's JSON after "seq". */
static void
msg_stamp(struct send *s)
{
	s->sent_at = now_ms();
	buf_reset(&s->tail);
	msg_json_rest(&s->tail, s->sent_at, s->sname, s->body, s->blen,
	    s->cid, s->clen);
	msg_json_more(&s->tail, s);
	buf_addc(&s->tail, '}');
}

/* Fill in s, a message from sender (user name sname) to conv, and stamp it. */
void
msg_send_init(struct send *s, int64_t sender, const char *sname,
    int64_t conv, const char *cid, size_t clen, const char *body,
    size_t blen)
{
	s->sender = sender;
	s->conv = conv;
	s->sname = sname;
	s->cid = cid;
	s->clen = clen;
	s->body = body;
	s->blen = blen;
	msg_stamp(s);
}

/*
 * What became of s, back from the send queue (core_send.c): retry it
 * alone if its batch failed or its sender's earlier copy rolled back, say
 * why it was refused, or deliver it.  As msg_send.
 */
enum msg_result
msg_outcome(struct db *db, struct send *s, struct msg *out)
{
	struct send	*sp = s;
	struct buf	 p = { 0 };
	enum msg_result	 rc = MSG_ERROR;
	int		 tries;

	memset(out, 0, sizeof(*out));
	for (tries = 0; tries < 3; tries++) {
		/* send_store retries deadlocks itself. */
		if (tries > 0)
			msg_stamp(s);
		out->conv_id = s->conv;
		out->sent_at = s->sent_at;
		if ((tries > 0 || s->state == SEND_ALONE) &&
		    send_store(db, &sp, 1) == -1)
			break;
		if (s->code == 1) {
			/*
			 * Not allowed (any more).  A retry of a send that was
			 * stored before the friendship, membership or stranger
			 * chat ended still answers the first copy.
			 */
			switch (msg_by_client(db, s->sender, s->cid, s->clen,
			    out)) {
			case 1:
				rc = MSG_REPEAT;
				goto out;
			case -1:
				goto out;
			}
			/* Say why. */
			rc = msg_resolve_conv(db, s->sender, s->conv);
			if (rc == MSG_OK)
				rc = MSG_ERROR;
			break;
		}
		if (s->code == 2) {
			/* A resend: answer the first copy. */
			switch (msg_by_client(db, s->sender, s->cid, s->clen,
			    out)) {
			case 1:
				(void)msg_set_reply(db, s, out->id);
				rc = MSG_REPEAT;
				goto out;
			case 0:
				continue;	/* its sender's tx rolled back */
			default:
				goto out;
			}
		}
		out->id = s->id;
		out->seq = s->seq;
		buf_reset(&p);
		buf_adds(&p, "{\"message\":");
		msg_json(&p, out, s->sname, s->body, s->blen, s->cid, s->clen);
		msg_json_more(&p, s);
		buf_addc(&p, '}');
		if (msg_set_reply(db, s, out->id) == -1)
			LOG("send: reply_to of message %lld not stored",
			    (long long)out->id);
		s->to.type = xstrdup("message");
		s->to.payload = xstrdup(p.p);
		event_deliver(&s->to);
		rc = MSG_OK;
		break;
	}
out:
	buf_free(&p);
	pushed_free(&s->to);
	return rc;
}

/*
 * Store a message from sender (user name sname) to conversation conv and
 * queue it for every other member; wake them after the commit.  MSG_OK
 * (new, in *out), MSG_REPEAT (client_id used before: the first message in
 * *out, nothing stored), a refusal of msg_resolve_conv's (not a member, not
 * friends, ended, no such conversation) or MSG_ERROR.
 */
enum msg_result
msg_send(struct db *db, int64_t sender, const char *sname, int64_t conv,
    const char *cid, size_t clen, const char *body, size_t blen,
    struct msg *out)
{
	struct send	 s = { 0 };
	enum msg_result	 rc;

	msg_send_init(&s, sender, sname, conv, cid, clen, body, blen);
	send_queued(db, &s);
	rc = msg_outcome(db, &s, out);
	buf_free(&s.tail);
	return rc;
}

/* Rows of MSG_COLS appended to b as JSON objects, comma-separated. */
static int
msg_rows(struct dbres *res, struct buf *b, int reverse)
{
	struct buf	 *items;
	struct msg	 m;
	size_t		 n = 0, i, blen, clen;
	const char	*body, *cid;
	int		 rc;

	items = xcalloc(db_nrows(res) + 1, sizeof(*items));
	while ((rc = db_row(res)) == 1) {
		m.id = db_int(res, 0);
		m.seq = db_int(res, 1);
		m.sent_at = db_int(res, 5);
		m.conv_id = db_int(res, 6);
		body = db_str(res, 3, &blen);
		cid = db_str(res, 4, &clen);
		msg_json(&items[n], &m, db_str(res, 2, NULL), body, blen,
		    cid, clen);
		if (!db_null(res, 7))
			msg_json_notice(&items[n], db_str(res, 7, NULL));
		msg_json_edits(&items[n], res, MC_EDITED);
		if (!db_null(res, MC_FILE))
			msg_json_file(&items[n], db_str(res, MC_FILE, NULL));
		n++;
	}
	for (i = 0; i < n; i++) {
		struct buf *it = &items[reverse ? n - 1 - i : i];

		if (i)
			buf_addc(b, ',');
		buf_add(b, it->p, it->len);
		buf_free(it);
	}
	free(items);
	return rc;
}

/*
 * The history of conversation conv, {"messages":[...]} in ascending seq,
 * appended to out: the limit messages after seq after, or before seq
 * before, or (both -1) the newest.  The caller checks membership first
 * (msg_resolve_conv).  0 or -1.
 */
int
msg_history(struct db *db, int64_t conv, int64_t after, int64_t before,
    int64_t limit, struct buf *out)
{
	struct dbres	*res;
	int		 rc;

	if (after >= 0)
		res = db_query(db, stmts[STMT_HIST_AFTER], "iii", conv,
		    after, limit);
	else if (before >= 0)
		res = db_query(db, stmts[STMT_HIST_BEFORE], "iii", conv,
		    before, limit);
	else
		res = db_query(db, stmts[STMT_HIST_LAST], "ii", conv, limit);
	if (res == NULL)
		return -1;
	buf_adds(out, "{\"messages\":[");
	rc = msg_rows(res, out, after < 0);
	db_res_free(res);
	if (rc == -1)
		return -1;
	buf_adds(out, "]}");
	return 0;
}

/*
 * Message id as it is now, its JSON appended to out (as in a history):
 * 1, 0 no such message, -1.
 */
int
msg_one(struct db *db, int64_t id, struct buf *out)
{
	struct dbres	*res;
	size_t		 len = out->len;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_ONE], "i", id)) == NULL)
		return -1;
	rc = msg_rows(res, out, 0);
	db_res_free(res);
	if (rc == -1)
		return -1;
	return out->len > len;
}
