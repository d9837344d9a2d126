/*
 * core_search.c: message search (issue 24) over msg_gram, an inverted
 * index of grams this file writes (sql/021-search.sql): MariaDB has no
 * n-gram parser without plugins, and InnoDB FULLTEXT skips words shorter
 * than 3 characters and cannot cut Chinese.  Grams, queries and why:
 * docs/DESIGN.md, "Message search".  Every hit is confirmed against the
 * body, so grams only narrow: edits, deletes, collisions never show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "core_auth.h"
#include "core_grams.h"
#include "core_search.h"
#include "db.h"
#include "util.h"

#define SEARCH_SLOTS	4		/* grams one query looks up */
#define SEARCH_FLUSH	(256 * 1024)	/* bytes of gram JSON a statement */
#define SEARCH_WINDOW	20000		/* newest message ids looked in first */

/* What a gram row of the JSON_TABLE arrays [[gram, conv, msg], ...] is. */
#define GRAM_ROWS "JSON_TABLE(?, '$[*]' COLUMNS (" \
	"g VARCHAR(16) CHARACTER SET utf8mb4 PATH '$[0]', " \
	"c BIGINT UNSIGNED PATH '$[1]', m BIGINT UNSIGNED PATH '$[2]')) AS j"
/* A hit's columns, and the tables behind them (m: the message). */
#define HIT_COLS "m.id, m.conv_id, m.seq, u.username, m.body, " \
	"m.client_id, " MS("m.sent_at") ", c.kind, IF(c.kind = 'topic', " \
	"c.title, (SELECT pu.nickname FROM conv_member pm JOIN user pu ON " \
	"pu.id = pm.user_id WHERE pm.conv_id = c.id AND pm.user_id <> ? " \
	"LIMIT 1))"
#define HIT_JOIN "JOIN message m ON m.id = g1.msg_id " \
	"JOIN user u ON u.id = m.sender_id JOIN conversation c ON c.id = m.conv_id "
/* The grams of a query, after the member's conversations (cm). */
#define GRAM_JOIN "JOIN msg_gram g1 ON g1.gram = ? AND " \
	"g1.conv_id = cm.conv_id AND g1.msg_id < ? AND g1.msg_id >= ? " \
	"JOIN msg_gram g2 ON g2.gram = ? AND g2.conv_id = g1.conv_id AND " \
	"g2.msg_id = g1.msg_id " \
	"JOIN msg_gram g3 ON g3.gram = ? AND g3.conv_id = g1.conv_id AND " \
	"g3.msg_id = g1.msg_id " \
	"JOIN msg_gram g4 ON g4.gram = ? AND g4.conv_id = g1.conv_id AND " \
	"g4.msg_id = g1.msg_id "

enum stmt {
	STMT_INDEX,
	STMT_FORGET,
	STMT_MISSING,
	STMT_UPTO,
	STMT_AFTER,
	STMT_NEWEST,
	STMT_SET_UPTO,
	STMT_MEMBER,
	STMT_TOP,
	STMT_FREQ,
	STMT_ALL,
	STMT_ONE,
	STMT_SCAN,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_INDEX: grams of messages, one statement for many rows. */
	"INSERT IGNORE INTO msg_gram (gram, conv_id, msg_id) "
	"SELECT j.g, j.c, j.m FROM " GRAM_ROWS,
	/* STMT_FORGET */
	"DELETE g FROM " GRAM_ROWS " JOIN msg_gram g ON "
	"g.gram = CONVERT(j.g USING binary) AND g.conv_id = j.c AND "
	"g.msg_id = j.m",
	/* STMT_MISSING: of messages given by one gram each, those unindexed. */
	"SELECT j.m FROM " GRAM_ROWS " WHERE NOT EXISTS (SELECT 1 FROM "
	"msg_gram g WHERE g.gram = CONVERT(j.g USING binary) AND "
	"g.conv_id = j.c AND g.msg_id = j.m)",
	"SELECT indexed_upto FROM search_state WHERE id = 1",	/* STMT_UPTO */
	/*
	 * STMT_AFTER: messages past the mark; the last column says whether
	 * one is old enough that its send has indexed it or never will.
	 */
	"SELECT id, conv_id, body, sent_at < NOW(3) - INTERVAL ? SECOND "
	"FROM message WHERE id > ? ORDER BY id LIMIT ?",
	/* STMT_NEWEST: the newest messages past the mark, however young. */
	"SELECT id, conv_id, body, 1 FROM message WHERE id > ? "
	"ORDER BY id DESC LIMIT ?",
	"UPDATE search_state SET indexed_upto = ? WHERE id = 1 AND "
	"indexed_upto < ?",
	"SELECT 1 FROM conv_member WHERE conv_id = ? AND user_id = ?",
	"SELECT COALESCE(MAX(id), 0) FROM message",	/* STMT_TOP */
	/* STMT_FREQ: how common each gram is, counted up to 1000. */
	"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM msg_gram WHERE gram = ? "
	"LIMIT 1000) a), (SELECT COUNT(*) FROM (SELECT 1 FROM msg_gram WHERE "
	"gram = ? LIMIT 1000) b), (SELECT COUNT(*) FROM (SELECT 1 FROM msg_gram "
	"WHERE gram = ? LIMIT 1000) c), (SELECT COUNT(*) FROM (SELECT 1 FROM "
	"msg_gram WHERE gram = ? LIMIT 1000) d)",
	/*
	 * STMT_ALL: in every conversation the user is in now.  Members
	 * first: a user's conversations are few, each then a range of the
	 * primary key per gram.
	 */
	"SELECT STRAIGHT_JOIN " HIT_COLS " FROM conv_member cm " GRAM_JOIN
	HIT_JOIN "WHERE cm.user_id = ? AND LOCATE(?, m.body) > 0 "
	"ORDER BY m.id DESC LIMIT ?",
	/* STMT_ONE: in one conversation. */
	"SELECT STRAIGHT_JOIN " HIT_COLS " FROM conv_member cm " GRAM_JOIN
	HIT_JOIN "WHERE cm.conv_id = ? AND cm.user_id = ? AND "
	"LOCATE(?, m.body) > 0 ORDER BY m.id DESC LIMIT ?",
	/* STMT_SCAN: no gram (one character): the chat's newest messages. */
	"SELECT " HIT_COLS " FROM (SELECT id AS msg_id FROM message WHERE "
	"conv_id = ? AND id < ? ORDER BY seq DESC LIMIT ?) AS g1 " HIT_JOIN
	"WHERE LOCATE(?, m.body) > 0 ORDER BY m.id DESC LIMIT ?",
};

/* Append the rows [gram, conv, msg] of body's grams to the JSON array j. */
static void
gram_rows(struct buf *j, int64_t conv, int64_t msg, const char *body,
    size_t len)
{
	char	(*g)[16];
	size_t	 n, i;

	g = xcalloc(len + 1, sizeof(*g));
	n = grams_cut(body, len, 0, g, len + 1);
	for (i = 0; i < n; i++) {
		buf_addc(j, j->len > 0 ? ',' : '[');
		buf_addc(j, '[');
		buf_json_str(j, g[i], strlen(g[i]));
		buf_addf(j, ",%lld,%lld]", (long long)conv, (long long)msg);
	}
	free(g);
}

/* Run STMT_INDEX or STMT_FORGET over the rows in j, then empty it. */
static int
gram_flush(struct db *db, enum stmt st, struct buf *j)
{
	long long	 rc;

	if (j->len == 0)
		return 0;
	buf_addc(j, ']');
	rc = db_exec(db, stmts[st], "b", j->p, j->len);
	buf_reset(j);
	return rc == -1 ? -1 : 0;
}

/* Run st (STMT_INDEX or STMT_FORGET) for the grams of one message. */
static int
gram_one(struct db *db, enum stmt st, int64_t conv, int64_t msg,
    const char *body, size_t len)
{
	struct buf	 j = { 0 };
	int		 rc;

	gram_rows(&j, conv, msg, body, len);
	rc = gram_flush(db, st, &j);
	buf_free(&j);
	return rc;
}

/* Index message msg of conversation conv: 0 or -1. */
int
search_index_message(struct db *db, int64_t conv, int64_t msg,
    const char *body, size_t len)
{
	return gram_one(db, STMT_INDEX, conv, msg, body, len);
}

/*
 * Take message msg out of the index, body being the text it was indexed
 * with (before an edit or a delete): 0 or -1.  Left undone it costs rows,
 * not results: every hit is checked against the body.
 */
int
search_forget_message(struct db *db, int64_t conv, int64_t msg,
    const char *body, size_t len)
{
	return gram_one(db, STMT_FORGET, conv, msg, body, len);
}

/*
 * The grams of a message about to be sent, as a JSON array of strings
 * appended to j: send_batch (sql/023-send-grams.sql) indexes them in the
 * send's own transaction, so a message is found by search as soon as its
 * send is answered, at no commit of its own.
 */
void
search_grams_json(struct buf *j, const char *body, size_t len)
{
	char	(*g)[16];
	size_t	 n, i;

	g = xcalloc(len + 1, sizeof(*g));
	n = grams_cut(body, len, 0, g, len + 1);
	buf_addc(j, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(j, ',');
		buf_json_str(j, g[i], strlen(g[i]));
	}
	buf_addc(j, ']');
	free(g);
}

/* A message read by search_catch_up. */
struct pending {
	int64_t	 id, conv;
	char	*body;
	size_t	 len;
};

/*
 * One batch of search_catch_up: the messages after the mark (newest: the
 * newest of them), those of them without grams indexed, the mark moved
 * past those old enough (not when newest).  Messages read, or -1.
 */
static long
catch_batch(struct db *db, int newest)
{
	struct dbres	*res;
	struct pending	*p = NULL;
	struct buf	 probe = { 0 }, j = { 0 };
	struct ids	 missing = { 0 };
	char		 g[2][16];
	int64_t		 upto;
	size_t		 n = 0, i, k, ng;
	long		 rc = -1;
	const char	*body;

	if (db_one(db, &upto, stmts[STMT_UPTO], "") != 1)
		return -1;
	if (newest)
		res = db_query(db, stmts[STMT_NEWEST], "ii", upto,
		    (int64_t)CAP_SWEEP_BATCH);
	else
		res = db_query(db, stmts[STMT_AFTER], "iii",
		    (int64_t)CAP_SEARCH_LATE_S, upto, (int64_t)CAP_SWEEP_BATCH);
	if (res == NULL)
		return -1;
	p = xcalloc(db_nrows(res) + 1, sizeof(*p));
	while (db_row(res) == 1 && db_int(res, 3) == 1) {
		p[n].id = db_int(res, 0);
		p[n].conv = db_int(res, 1);
		body = db_str(res, 2, &p[n].len);
		p[n].body = xstrndup(body, p[n].len);
		/* Its first gram tells whether it was indexed. */
		if ((ng = grams_cut(body, p[n].len, 0, g, 1)) == 1) {
			buf_addc(&probe, probe.len > 0 ? ',' : '[');
			buf_addc(&probe, '[');
			buf_json_str(&probe, g[0], strlen(g[0]));
			buf_addf(&probe, ",%lld,%lld]", (long long)p[n].conv,
			    (long long)p[n].id);
		}
		n++;
	}
	db_res_free(res);
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (probe.len > 0) {
		buf_addc(&probe, ']');
		if (db_ids(db_query(db, stmts[STMT_MISSING], "b", probe.p,
		    probe.len), &missing) == -1)
			goto out;
	}
	for (i = 0; i < missing.n; i++)
		for (k = 0; k < n; k++)
			if (p[k].id == missing.v[i]) {
				gram_rows(&j, p[k].conv, p[k].id, p[k].body,
				    p[k].len);
				if (j.len >= SEARCH_FLUSH && gram_flush(db,
				    STMT_INDEX, &j) == -1)
					goto out;
				break;
			}
	if (gram_flush(db, STMT_INDEX, &j) == -1 || (!newest &&
	    db_exec(db, stmts[STMT_SET_UPTO], "ii", p[n - 1].id,
	    p[n - 1].id) == -1))
		goto out;
	rc = (long)n;
out:
	for (i = 0; i < n; i++)
		free(p[i].body);
	free(p);
	ids_free(&missing);
	buf_free(&probe);
	buf_free(&j);
	return rc;
}

/*
 * The sweeper's step: index what the sends left out (a crash between a
 * commit and its indexing) and, after the migration, every older message,
 * CAP_SWEEP_BATCH at a time for at most CAP_SEARCH_ROUND_MS a round.  The
 * mark moves only over messages older than CAP_SEARCH_LATE_S (a message
 * with a lower id may commit after one with a higher); the newest
 * CAP_SWEEP_BATCH are looked at every round too, so a send that was not
 * indexed is found within a round, not minutes.  Messages looked at, or -1.
 */
long
search_catch_up(struct db *db)
{
	int64_t	 end = now_ms() + CAP_SEARCH_ROUND_MS;
	long	 n, total = 0;

	do {
		if ((n = catch_batch(db, 0)) == -1)
			return -1;
		total += n;
	} while (n == CAP_SWEEP_BATCH && now_ms() < end);
	if ((n = catch_batch(db, 1)) == -1)
		return -1;
	return total + n;
}

/*
 * Take one search from uid's CAP_SEARCHES a minute: 0, the seconds to
 * wait, or -1.
 */
int
search_allowed(struct db *db, int64_t uid)
{
	char		 key[64];
	int64_t		 win, now = time(NULL);
	int		 rc;

	/* A minute's count in the key, as user_find's (core_users.c). */
	snprintf(key, sizeof(key), "search:%lld:%lld", (long long)uid,
	    (long long)(now / CAP_SEARCH_WINDOW_S));
	if ((rc = auth_window_take(db, key, CAP_LOGIN_WINDOW_S, CAP_SEARCHES,
	    &win)) != 0)
		return rc == -1 ? -1 :
		    (int)(CAP_SEARCH_WINDOW_S - now % CAP_SEARCH_WINDOW_S);
	return 0;
}

/* Append the hits in res as message JSON with "conversation_kind", "title". */
static int
hit_rows(struct dbres *res, struct buf *out, int64_t *last, int64_t *n)
{
	const char	*body, *cid;
	size_t		 blen, clen;
	int		 rc;

	while ((rc = db_row(res)) == 1) {
		/* The message's keys as core_messages.c's msg_json writes. */
		*last = db_int(res, 0);
		if ((*n)++ > 0)
			buf_addc(out, ',');
		buf_addf(out, "{\"id\":%lld,\"conversation_id\":%lld,"
		    "\"seq\":%lld,\"sender\":", (long long)*last,
		    (long long)db_int(res, 1), (long long)db_int(res, 2));
		body = db_str(res, 3, &blen);
		buf_json_str(out, body, blen);
		body = db_str(res, 4, &blen);
		cid = db_str(res, 5, &clen);
		buf_adds(out, ",\"body\":");
		buf_json_str(out, body, blen);
		buf_adds(out, ",\"client_id\":");
		buf_json_str(out, cid, clen);
		buf_addf(out, ",\"sent_at\":%lld,\"conversation_kind\":",
		    (long long)db_int(res, 6));
		buf_json_str(out, db_str(res, 7, NULL), strlen(db_str(res, 7,
		    NULL)));
		buf_adds(out, ",\"title\":");
		body = db_null(res, 8) ? "" : db_str(res, 8, &blen);
		buf_json_str(out, body, strlen(body));
		buf_addc(out, '}');
	}
	return rc;
}

/*
 * Put the rarest of the 4 grams in s first: the join starts from its
 * ranges, the others are primary-key probes.  0 or -1.
 */
static int
gram_order(struct db *db, const char **s)
{
	struct dbres	*res;
	int64_t		 f[SEARCH_SLOTS], t;
	const char	*x;
	int		 i, k;

	if ((res = db_query(db, stmts[STMT_FREQ], "ssss", s[0], s[1], s[2],
	    s[3])) == NULL || db_row(res) != 1) {
		db_res_free(res);
		return -1;
	}
	for (i = 0; i < SEARCH_SLOTS; i++)
		f[i] = db_int(res, i);
	db_res_free(res);
	for (i = 1; i < SEARCH_SLOTS; i++)
		for (k = i; k > 0 && f[k] < f[k - 1]; k--) {
			t = f[k], f[k] = f[k - 1], f[k - 1] = t;
			x = s[k], s[k] = s[k - 1], s[k - 1] = x;
		}
	return 0;
}

/*
 * Search for q->q in q->uid's conversations (q->conv: in that one only),
 * messages with an id below q->before (0: from the newest), newest first,
 * q->limit at most: {"results":[...], "next_before"} appended to out.
 * 0, SEARCH_SHORT (one character and no conversation), SEARCH_NOT_MEMBER,
 * or -1.
 */
int
search_run(struct db *db, const struct search_q *q, struct buf *out)
{
	struct dbres	*res;
	char		 g[CAP_SEARCH_Q_MAX * 4][16];
	const char	*s[SEARCH_SLOTS];
	int64_t		 before, last = 0, n = 0, one, top = 0, w, low;
	size_t		 ng, i, start;
	int		 rc;

	before = q->before > 0 ? q->before : INT64_MAX;
	if (q->conv > 0) {
		if ((rc = db_one(db, &one, stmts[STMT_MEMBER], "ii", q->conv,
		    q->uid)) == -1)
			return -1;
		if (rc == 0)
			return SEARCH_NOT_MEMBER;
	}
	ng = grams_cut(q->q, q->qlen, 1, g, sizeof(g) / sizeof(g[0]));
	if (ng == 0 && q->conv == 0)
		return SEARCH_SHORT;
	/* At most SEARCH_SLOTS grams, spread over the query; repeats pad. */
	for (i = 0; i < SEARCH_SLOTS && ng > 0; i++)
		s[i] = g[ng <= SEARCH_SLOTS ? (i < ng ? i : ng - 1) :
		    i * (ng - 1) / (SEARCH_SLOTS - 1)];
	if (ng > 0 && gram_order(db, s) == -1)
		return -1;
	/*
	 * A common word is in thousands of the user's messages, all joined
	 * and sorted for the newest few: look in the newest ids first
	 * (SEARCH_WINDOW), then in ten times as many, then in all.
	 */
	if (ng > 0 && db_one(db, &top, stmts[STMT_TOP], "") == -1)
		return -1;
	top = before < top ? before : top;
	for (w = SEARCH_WINDOW, start = out->len; ; w *= 10) {
		low = ng > 0 && top > w ? top - w : 0;
		out->len = start;
		n = 0;
		if (ng == 0)
			res = db_query(db, stmts[STMT_SCAN], "iiiibi", q->uid,
			    q->conv, before, (int64_t)CAP_SEARCH_SCAN, q->q,
			    q->qlen, q->limit);
		else if (q->conv > 0)
			res = db_query(db, stmts[STMT_ONE], "isiisssiibi", q->uid,
			    s[0], before, low, s[1], s[2], s[3], q->conv, q->uid,
			    q->q, q->qlen, q->limit);
		else
			res = db_query(db, stmts[STMT_ALL], "isiisssibi", q->uid,
			    s[0], before, low, s[1], s[2], s[3], q->uid, q->q,
			    q->qlen, q->limit);
		if (res == NULL)
			return -1;
		buf_adds(out, "{\"results\":[");
		rc = hit_rows(res, out, &last, &n);
		db_res_free(res);
		if (rc == -1)
			return -1;
		if (n == q->limit || low == 0)
			break;
	}
	if (n == q->limit)
		buf_addf(out, "],\"next_before\":%lld}", (long long)last);
	else
		buf_adds(out, "],\"next_before\":null}");
	return 0;
}
