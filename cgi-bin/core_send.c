/*
 * core_send.c: the send batcher.  A send is stored by the stored procedure
 * send_batch (sql/023-send-grams.sql) in one round trip: take
 * the next seq of the conversation (a row lock on it, so seqs are
 * gapless and ordered also under concurrent sends), insert the message
 * (UNIQUE (sender_id, client_id) makes a resend a no-op that returns the
 * first copy), insert one pending event per other member and the
 * message's search grams (core_search.c cuts them).  Sends that
 * arrive together are stored together, several in one transaction (see
 * send_queued); a send alone is a batch of one.  What a stored send means
 * (its answer, its events delivered) is core_messages.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "conf.h"
#include "core_search.h"
#include "core_send.h"
#include "db.h"
#include "util.h"

enum stmt {
	STMT_SEND_BATCH,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_SEND_BATCH: sql/023-send-grams.sql, see
	 * send_queued.  It also checks that each sender may post there (a
	 * member; friends for a direct chat; a live stranger chat), so the
	 * common case needs no query before it; when it refuses,
	 * msg_resolve_conv says why.
	 */
	"CALL send_batch(?, ?)",
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
 * stores the send answers it (s->answer; the request slimmed as a parked
 * poll's).
 * Beyond CAP_SEND_QUEUED of those waiting, a send holds its worker again,
 * so a flood waits in the listen queue instead of in memory.
 */
#define SEND_RUNNING	2
static pthread_mutex_t	 sq_mu = PTHREAD_MUTEX_INITIALIZER;
static struct send	*sq_head, **sq_tail = &sq_head;
static int		 sq_running;
static size_t		 sq_len;	/* sends queued */

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
 * Deadlocks are tried again here.
 */
int
send_store(struct db *db, struct send **v, size_t n)
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
		buf_addc(&items, ',');
		search_grams_json(&items, s->body, s->blen);
		buf_addc(&items, ']');
	}
	buf_addc(&items, ']');
	for (tries = 0; tries < CAP_TX_TRIES && rc == -1; tries++) {
		if (tries > 0)
			tx_backoff(tries - 1);
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
	if (rc == -1 && db_is_retry(db))
		LOG("send: a batch of %zu lost a deadlock or a certification "
		    "conflict %d times (error %u): answered 503 busy", n, tries,
		    db_errno(db));
	buf_free(&items);
	return rc;
}

/*
 * Store one batch of queued sends: called and returns with sq_mu held, a
 * slot free and the queue not empty.  Their owners are woken; the sends
 * with an answer function are answered here, with sq_mu released.
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
	ok = send_store(db, v, n) == 0;
	pthread_mutex_lock(&sq_mu);
	sq_running--;
	for (i = na = 0; i < n; i++) {
		v[i]->state = ok ? SEND_DONE : SEND_ALONE;
		if (v[i]->answer != NULL)
			v[na++] = v[i];		/* ours now */
		else
			pthread_cond_signal(&v[i]->cv);
	}
	if (na == 0)
		return;
	pthread_mutex_unlock(&sq_mu);
	for (i = 0; i < na; i++)
		v[i]->answer(db, v[i]);
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
 * How would one more send fare: SEND_FULL (too many wait without a
 * worker: hold this one's), SEND_WAIT (it will wait for a slot) or
 * SEND_FREE (a slot is free: it runs now, on this thread).
 */
int
send_room(void)
{
	int	 room;

	pthread_mutex_lock(&sq_mu);
	room = sq_len >= CAP_SEND_QUEUED ? SEND_FULL :
	    sq_running >= SEND_RUNNING ? SEND_WAIT : SEND_FREE;
	pthread_mutex_unlock(&sq_mu);
	return room;
}

/*
 * Store s, alone or in a batch with the sends queued with it, on this
 * thread's connection or on another's.  Returns with s SEND_DONE (its
 * result filled in) or SEND_ALONE (its batch failed: run it alone).
 */
void
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
			 * one; sends with an answer function have nobody
			 * waiting.
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

/*
 * Queue s, whose answer function answers it once stored (it owns s then);
 * store batches while a slot is free.
 */
void
send_async(struct db *db, struct send *s)
{
	pthread_mutex_lock(&sq_mu);
	sq_add(s);
	while (sq_head != NULL && sq_running < SEND_RUNNING)
		sq_batch(db);
	pthread_mutex_unlock(&sq_mu);
}
