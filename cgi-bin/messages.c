/*
 * messages.c: POST /api/messages and history.  A send is run by the stored
 * procedure send_batch (sql/006-send-batch-one-answer.sql) in one round
 * trip: take the next seq of the conversation (a row lock on it, so seqs
 * are gapless and ordered also under concurrent sends), insert the message
 * (UNIQUE (sender_id, client_id) makes a resend a no-op that returns the
 * first copy), and insert one pending event per other member.  Sends that
 * arrive together are stored together, several in one transaction (see
 * send_queued); a send alone is a batch of one.  The 201 goes out after
 * the commit; then the recipients' polls are woken.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "caps.h"
#include "conf.h"
#include "db.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "messages.h"
#include "route.h"
#include "users.h"
#include "util.h"
#include "valid.h"
#include "wake.h"

enum stmt {
	STMT_DIRECT,
	STMT_MEMBER,
	STMT_SEND_BATCH,
	STMT_BY_CLIENT,
	STMT_CONV_EXISTS,
	STMT_HIST_AFTER,
	STMT_HIST_BEFORE,
	STMT_HIST_LAST,
	STMT__MAX
};

#define MSG_COLS "m.id, m.seq, u.username, m.body, m.client_id, " \
	MS("m.sent_at") ", m.conv_id"

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
	/*
	 * STMT_SEND_BATCH: sql/006-send-batch-one-answer.sql, see
	 * send_queued.  It also checks that each sender may post there (a
	 * member; friends for a direct chat; a live stranger chat), so the
	 * common case needs no query before it; when it refuses,
	 * msg_resolve_conv says why.
	 */
	"CALL send_batch(?, ?)",
	/* STMT_BY_CLIENT */
	"SELECT m.id, m.conv_id, m.seq, " MS("m.sent_at") ", m.body "
	"FROM message m WHERE m.sender_id = ? AND m.client_id = ?",
	/* STMT_CONV_EXISTS */
	"SELECT id FROM conversation WHERE id = ?",
	/* STMT_HIST_AFTER */
	"SELECT " MSG_COLS " FROM message m JOIN user u ON u.id = m.sender_id "
	"WHERE m.conv_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
	/* STMT_HIST_BEFORE */
	"SELECT " MSG_COLS " FROM message m JOIN user u ON u.id = m.sender_id "
	"WHERE m.conv_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
	/* STMT_HIST_LAST */
	"SELECT " MSG_COLS " FROM message m JOIN user u ON u.id = m.sender_id "
	"WHERE m.conv_id = ? ORDER BY m.seq DESC LIMIT ?",
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

/* The first message sent with this client_id: 1 found, 0, -1. */
static int
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

/*
 * One send on its way through the send queue.  The owner fills the input;
 * whoever stores it fills the result; state says how far it got.  A send
 * of POST /api/messages (r set) has no owner waiting: whoever stores it
 * answers it (send_answer) and frees it.
 */
struct send {
	int64_t		 sender, conv, sent_at;
	const char	*sname, *cid, *body;
	size_t		 clen, blen;
	struct buf	 tail;		/* the event JSON after "seq" */
	enum { SEND_QUEUED, SEND_TAKEN, SEND_DONE, SEND_ALONE } state;
	int64_t		 code, id, seq;	/* its outcome in send_batch's results */
	struct pushed	 to;		/* the recipients' events */
	struct send	*next;
	struct req	*r;		/* the request to answer, or NULL */
	pthread_cond_t	 cv;		/* r NULL: its owner waits on it */
	int		 waiting;
};

/*
 * The send queue.  Sends that arrive while SEND_RUNNING batches are being
 * stored wait here; the next thread to find a batch slot free takes up to
 * CAP_SEND_BATCH of them and stores them all in one CALL send_batch: one
 * round trip, one transaction, one commit.  On a quiet server every send
 * finds a slot free and runs alone at once, so batching costs no latency;
 * under load batches grow by themselves.  A send of POST /api/messages
 * does not hold its worker while it waits: the worker goes back to
 * accepting (polls, acks, everything else go on) and the thread that
 * stores the send answers it (the request slimmed as a parked poll's).
 * Beyond CAP_SEND_QUEUED of those waiting, a send holds its worker again,
 * so a flood waits in the listen queue instead of in memory.
 */
#define SEND_RUNNING	2
static pthread_mutex_t	 sq_mu = PTHREAD_MUTEX_INITIALIZER;
static struct send	*sq_head, **sq_tail = &sq_head;
static int		 sq_running;
static size_t		 sq_len;	/* sends queued */
static void		(*send_done)(struct req *); /* finishes an answered request */

static void	send_answer(struct db *, struct send *);

/* Requests answered after their handler returned are finished by done. */
void
msg_init(void (*done)(struct req *))
{
	send_done = done;
}

/* One recipient of s's message: its user and event. */
static void
send_to(struct send *s, int64_t uid, int64_t event)
{
	ids_add(&s->to.uid, uid);
	ids_add(&s->to.id, event);
	ids_add(&s->to.at, s->sent_at);	/* the event's created_at */
}

/*
 * The results row of send_batch: [item, code, message id, seq, peer,
 * event id] for each of the n items, in order.  The number of items
 * filled in.
 */
static size_t
send_results(struct send **v, size_t n, const char *p)
{
	int64_t	 f[6];
	size_t	 got = 0, k;
	char	*end;
	int	 i;

	while (got < n) {
		for (i = 0; i < 6; i++) {
			while (*p == '[' || *p == ',' || *p == ']')
				p++;
			f[i] = strtoll(p, &end, 10);
			if (end == p)
				return got;
			p = end;
		}
		if (f[0] != (int64_t)got + 1)
			return got;
		k = got++;
		v[k]->code = f[1];
		v[k]->id = f[2];
		v[k]->seq = f[3];
		if (f[1] == 0 && f[4] != 0)	/* a direct chat's peer */
			send_to(v[k], f[4], f[5]);
	}
	return got;
}

/*
 * Store n sends (one or more) in one CALL send_batch: 0 with every result
 * filled in, -1 if the batch failed as a whole (nothing of it stored).
 */
static int
send_many(struct db *db, struct send **v, size_t n)
{
	struct dbres	*res;
	struct buf	 items = { 0 };
	struct send	*s;
	const char	*out;
	size_t		 i, got = 0;
	int64_t		 k;
	int		 st, more = 0, tries, rc = -1;

	buf_addc(&items, '[');
	for (i = 0; i < n; i++) {
		s = v[i];
		buf_addf(&items, "%s[%lld,%lld,", i ? "," : "",
		    (long long)s->sender, (long long)s->conv);
		buf_json_str(&items, s->cid, s->clen);
		buf_addc(&items, ',');
		buf_json_str(&items, s->body, s->blen);
		buf_addf(&items, ",%lld,", (long long)s->sent_at);
		buf_json_str(&items, s->tail.p, s->tail.len);
		buf_addc(&items, ']');
	}
	buf_addc(&items, ']');
	for (tries = 0; tries < 3 && rc == -1; tries++) {
		for (i = 0; i < n; i++)
			v[i]->to.uid.n = v[i]->to.id.n = v[i]->to.at.n = 0;
		if ((res = db_query(db, stmts[STMT_SEND_BATCH], "bi", items.p,
		    items.len, (int64_t)conf.origin)) == NULL) {
			if (db_is_retry(db))
				continue;
			break;
		}
		/* A topic's recipients (item, user, event), then results. */
		got = 0;
		do {
			while ((st = db_row(res)) == 1) {
				if (db_ncol(res) == 3) {
					k = db_int(res, 0) - 1;
					if (k < 0 || (size_t)k >= n) {
						st = -1;
						break;
					}
					send_to(v[k], db_int(res, 1),
					    db_int(res, 2));
				} else if ((out = db_str(res, 0, NULL)) != NULL)
					got = send_results(v, n, out);
			}
		} while (st == 0 && (more = db_next(res)) == 1);
		db_res_free(res);
		if (st == 0 && more == 0 && got == n)
			rc = 0;
		else if (!db_is_retry(db))
			break;
	}
	buf_free(&items);
	return rc;
}

/*
 * Store one batch of queued sends: called and returns with sq_mu held, a
 * slot free and the queue not empty.  Their owners are woken; the sends
 * of requests are answered here, with sq_mu released.
 */
static void
sq_batch(struct db *db)
{
	struct send	*v[CAP_SEND_BATCH], *t;
	size_t		 n, i, j, na;
	int		 ok;

	/*
	 * Take the oldest; order them by conversation (a stable sort: one
	 * conversation's sends keep their order), so that two batches lock
	 * conversations in the same order.
	 */
	for (n = 0; n < CAP_SEND_BATCH && sq_head != NULL; n++) {
		t = sq_head;
		if ((sq_head = t->next) == NULL)
			sq_tail = &sq_head;
		sq_len--;
		t->state = SEND_TAKEN;
		for (j = n; j > 0 && v[j - 1]->conv > t->conv; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	sq_running++;
	pthread_mutex_unlock(&sq_mu);
	ok = send_many(db, v, n) == 0;
	pthread_mutex_lock(&sq_mu);
	sq_running--;
	for (i = na = 0; i < n; i++) {
		v[i]->state = ok ? SEND_DONE : SEND_ALONE;
		if (v[i]->r != NULL)
			v[na++] = v[i];		/* ours now */
		else
			pthread_cond_signal(&v[i]->cv);
	}
	if (na == 0)
		return;
	pthread_mutex_unlock(&sq_mu);
	for (i = 0; i < na; i++)
		send_answer(db, v[i]);
	pthread_mutex_lock(&sq_mu);
}

/* Append s to the send queue (sq_mu held). */
static void
sq_add(struct send *s)
{
	s->state = SEND_QUEUED;
	s->next = NULL;
	*sq_tail = s;
	sq_tail = &s->next;
	sq_len++;
}

/*
 * How would one more send fare: SQ_FULL (too many wait without a worker:
 * hold this one's), SQ_WAIT (it will wait for a slot) or SQ_FREE (a slot
 * is free: it runs now, on this thread).
 */
enum { SQ_FULL, SQ_WAIT, SQ_FREE };
static int
sq_room(void)
{
	int	 room;

	pthread_mutex_lock(&sq_mu);
	room = sq_len >= CAP_SEND_QUEUED ? SQ_FULL :
	    sq_running >= SEND_RUNNING ? SQ_WAIT : SQ_FREE;
	pthread_mutex_unlock(&sq_mu);
	return room;
}

/*
 * Store s, alone or in a batch with the sends queued with it, on this
 * thread's connection or on another's.  Returns with s SEND_DONE (its
 * result filled in) or SEND_ALONE (its batch failed: run it alone).
 */
static void
send_queued(struct db *db, struct send *s)
{
	struct send	*t;
	int		 mine;

	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_lock(&sq_mu);
	sq_add(s);
	for (;;) {
		mine = s->state == SEND_QUEUED || s->state == SEND_TAKEN;
		if (sq_head != NULL && sq_running < SEND_RUNNING) {
			/*
			 * Done: hand the slot to a waiting owner if there is
			 * one; sends of requests have nobody waiting.
			 */
			for (t = sq_head; !mine && t != NULL && !t->waiting;
			    t = t->next)
				;
			if (mine || t == NULL) {
				sq_batch(db);
				continue;
			}
			pthread_cond_signal(&t->cv);
		}
		if (!mine)
			break;
		s->waiting = 1;
		pthread_cond_wait(&s->cv, &sq_mu);
		s->waiting = 0;
	}
	pthread_mutex_unlock(&sq_mu);
	pthread_cond_destroy(&s->cv);
}

/* Queue s, a send of a request; store batches while a slot is free. */
static void
send_async(struct db *db, struct send *s)
{
	pthread_mutex_lock(&sq_mu);
	sq_add(s);
	while (sq_head != NULL && sq_running < SEND_RUNNING)
		sq_batch(db);
	pthread_mutex_unlock(&sq_mu);
}

/* Take the time of s and write its event's JSON after "seq". */
static void
send_stamp(struct send *s)
{
	s->sent_at = now_ms();
	buf_reset(&s->tail);
	msg_json_rest(&s->tail, s->sent_at, s->sname, s->body, s->blen,
	    s->cid, s->clen);
	buf_addc(&s->tail, '}');
}

/* Fill in s, a message from sender (user name sname) to conv, and stamp it. */
static void
send_init(struct send *s, int64_t sender, const char *sname, int64_t conv,
    const char *cid, size_t clen, const char *body, size_t blen)
{
	s->sender = sender;
	s->conv = conv;
	s->sname = sname;
	s->cid = cid;
	s->clen = clen;
	s->body = body;
	s->blen = blen;
	send_stamp(s);
}

/*
 * What became of s, back from the send queue: retry it alone if its batch
 * failed or its sender's earlier copy rolled back, say why it was refused,
 * or deliver it.  As msg_send.
 */
static enum msg_result
send_outcome(struct db *db, struct send *s, struct msg *out)
{
	struct send	*sp = s;
	struct buf	 p = { 0 };
	enum msg_result	 rc = MSG_ERROR;
	int		 tries;

	memset(out, 0, sizeof(*out));
	for (tries = 0; tries < 3; tries++) {
		/* send_many retries deadlocks itself. */
		if (tries > 0)
			send_stamp(s);
		out->conv_id = s->conv;
		out->sent_at = s->sent_at;
		if ((tries > 0 || s->state == SEND_ALONE) &&
		    send_many(db, &sp, 1) == -1)
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
		buf_addc(&p, '}');
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

	send_init(&s, sender, sname, conv, cid, clen, body, blen);
	send_queued(db, &s);
	rc = send_outcome(db, &s, out);
	buf_free(&s.tail);
	return rc;
}

/* The answer to a refused send. */
static int
fail_msg(struct req *r, enum msg_result rc)
{
	switch (rc) {
	case MSG_NO_USER:
		return http_fail(r, 404, "not_found", "no such user");
	case MSG_SELF:
		return http_fail(r, 400, "bad_request",
		    "you cannot message yourself");
	case MSG_NOT_FRIENDS:
		return http_fail(r, 403, "not_friends",
		    "you can only message your friends");
	case MSG_NO_CONV:
		return http_fail(r, 404, "not_found", "no such conversation");
	case MSG_NOT_MEMBER:
		return http_fail(r, 403, "forbidden",
		    "you are not in this conversation");
	case MSG_ENDED:
		return http_fail(r, 409, "conflict",
		    "this stranger chat has ended");
	default:
		return http_fail_db(r);
	}
}

/* The answer to a send: 201 new, 200 a repeat, or why not. */
static int
send_reply(struct req *r, enum msg_result rc, struct msg *m, const char *cid,
    size_t clen, const char *body, size_t blen)
{
	struct buf	 b = { 0 };
	int		 st;

	if (rc != MSG_OK && rc != MSG_REPEAT)
		return fail_msg(r, rc);
	/* A repeat answers what was stored first, body included. */
	if (rc == MSG_REPEAT)
		msg_json(&b, m, r->username, m->body, m->body_len, cid, clen);
	else
		msg_json(&b, m, r->username, body, blen, cid, clen);
	free(m->body);
	st = http_reply(r, rc == MSG_OK ? 201 : 200, b.p, b.len);
	buf_free(&b);
	return st;
}

/*
 * POST /api/messages {to | conversation_id, client_id, body}: 201 message,
 * or 200 with the first message when client_id was used before.
 */
int
h_msg_send(struct req *r)
{
	static const struct field fields[] = {
		{ "client_id",	valid_client_id, F_REQUIRED },
		{ "body",	valid_body,	 F_REQUIRED },
		{ "to",		valid_username,	 0 },
	};
	struct json_object	*cv;
	struct fval		 v[3];
	struct send		*s;
	struct msg		 m;
	enum msg_result		 rc;
	int64_t			 conv = 0;
	int			 st, wait, room;

	if ((st = valid_fields(r, fields, 3, v)) != 0)
		return st;
	if (json_object_object_get_ex(r->json, "conversation_id", &cv)) {
		if (!json_object_is_type(cv, json_type_int) ||
		    (conv = json_object_get_int64(cv)) <= 0)
			return http_fail(r, 400, "bad_request",
			    "conversation_id is not valid");
	}
	if ((conv != 0) == (v[2].s != NULL))
		return http_fail(r, 400, "bad_request",
		    "give either to or conversation_id");
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	/* A conversation id is checked by the send itself. */
	if (conv == 0 && (rc = msg_resolve_user(r->db, r->uid, v[2].s,
	    &conv)) != MSG_OK) {
		/* A retry of a send stored before the friendship ended. */
		if (rc == MSG_NOT_FRIENDS) {
			switch (msg_by_client(r->db, r->uid, v[0].s, v[0].len,
			    &m)) {
			case 1:
				return send_reply(r, MSG_REPEAT, &m, v[0].s,
				    v[0].len, v[1].s, v[1].len);
			case -1:
				return http_fail_db(r);
			}
		}
		return fail_msg(r, rc);
	}
	if (send_done == NULL || (room = sq_room()) == SQ_FULL) {
		rc = msg_send(r->db, r->uid, r->username, conv, v[0].s,
		    v[0].len, v[1].s, v[1].len, &m);
		return send_reply(r, rc, &m, v[0].s, v[0].len, v[1].s,
		    v[1].len);
	}
	/*
	 * Its fields point into r's body, which lives until r is finished:
	 * by send_answer, on this thread or on the one that stores it.
	 */
	s = xcalloc(1, sizeof(*s));
	s->r = r;
	send_init(s, r->uid, r->username, conv, v[0].s, v[0].len, v[1].s,
	    v[1].len);
	/*
	 * Going to wait: give libfcgi's request back first, as a parked
	 * poll does (~11 KB down to ~1.5 KB; the body stays).  If a slot
	 * frees meanwhile, this thread stores it slim all the same.
	 */
	if (room == SQ_WAIT)
		http_slim(r);
	send_async(r->db, s);
	return 0;
}

/* The answer to s, stored (or refused): r is this thread's now. */
static void
send_answer(struct db *db, struct send *s)
{
	struct req	*r = s->r;
	struct msg	 m;
	enum msg_result	 rc;

	r->db = db;
	rc = send_outcome(db, s, &m);
	(void)send_reply(r, rc, &m, s->cid, s->clen, s->body, s->blen);
	buf_free(&s->tail);
	free(s);
	send_done(r);
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
		msg_json(&items[n++], &m, db_str(res, 2, NULL), body, blen,
		    cid, clen);
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
 * GET /api/conversations/{id}/messages?after=|before=&limit=: members
 * only; {"messages":[...]} in ascending seq.  Without after or before,
 * the newest page.
 */
int
h_msg_history(struct req *r)
{
	struct dbres	*res;
	struct buf	 b = { 0 };
	int64_t		 conv, after, before, limit;
	enum msg_result	 rc;
	int		 ha, hb, st;

	if (route_param_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((ha = http_query_int(r, "after", 0, &after)) == -1 ||
	    (hb = http_query_int(r, "before", 0, &before)) == -1 ||
	    http_query_int(r, "limit", CAP_HISTORY_DEFAULT, &limit) == -1 ||
	    (ha == 1 && hb == 1))
		return http_fail(r, 400, "bad_request",
		    "use after or before (seq) and limit, as numbers");
	if (limit < 1 || limit > CAP_HISTORY_LIMIT)
		return http_fail(r, 400, "bad_request",
		    "limit must be 1 to 200");
	rc = msg_resolve_conv(r->db, r->uid, conv);
	if (rc != MSG_OK && rc != MSG_ENDED && rc != MSG_NOT_FRIENDS)
		return fail_msg(r, rc);
	if (ha == 1)
		res = db_query(r->db, stmts[STMT_HIST_AFTER], "iii", conv,
		    after, limit);
	else if (hb == 1)
		res = db_query(r->db, stmts[STMT_HIST_BEFORE], "iii", conv,
		    before, limit);
	else
		res = db_query(r->db, stmts[STMT_HIST_LAST], "ii", conv, limit);
	if (res == NULL)
		return http_fail_db(r);
	buf_adds(&b, "{\"messages\":[");
	st = msg_rows(res, &b, ha != 1);
	db_res_free(res);
	if (st == -1) {
		buf_free(&b);
		return http_fail_db(r);
	}
	buf_adds(&b, "]}");
	st = http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return st;
}
