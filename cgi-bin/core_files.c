/*
 * core_files.c: files and pictures sent in chats (issue 24, sql/020).  A
 * file is stored in chunks of CAP_FILE_CHUNK bytes, each insert its own
 * transaction (a 10 MB file is 40 small writes, never one giant write
 * set on Galera), then sent as a message of its conversation whose
 * client_id is the file's; only then (state 2) is it served, and only to
 * the members of that conversation.  What its bytes are decides its type
 * (core_pictures.c's magic numbers), never its name.  An upload that
 * never finished, or whose message was never stored, is removed by the
 * sweeper (file_sweep).  Reading and writing HTTP is api_files.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "caps.h"
#include "conf.h"
#include "core_auth.h"
#include "core_files.h"
#include "core_pictures.h"
#include "db.h"
#include "util.h"
#include "valid.h"

enum stmt {
	STMT_USED,
	STMT_BEGIN,
	STMT_CHUNK_PUT,
	STMT_FINISH,
	STMT_SENT,
	STMT_DROP_CHUNKS,
	STMT_DROP,
	STMT_OPEN,
	STMT_CHUNK_GET,
	STMT_SENT_LATE,
	STMT_STALE,
	STMT_OF_MESSAGE,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_USED: what CHAT_UPLOAD_QUOTA counts. */
	"SELECT COALESCE(SUM(size), 0) FROM file "
	"WHERE owner_id = ? AND state >= 1",
	/* STMT_BEGIN */
	"INSERT INTO file (owner_id, conv_id, client_id, name, width, height) "
	"VALUES (?, ?, ?, ?, ?, ?)",
	/* STMT_CHUNK_PUT */
	"INSERT INTO file_chunk (file_id, n, bytes) VALUES (?, ?, ?)",
	/* STMT_FINISH */
	"UPDATE file SET size = ?, type = ?, width = ?, height = ?, "
	"sha256 = ?, state = 1 WHERE id = ?",
	/* STMT_SENT */
	"UPDATE file SET state = 2 WHERE id = ?",
	/* STMT_DROP_CHUNKS: a few at a time, so no delete is a giant one. */
	"DELETE FROM file_chunk WHERE file_id = ? ORDER BY n LIMIT 8",
	/* STMT_DROP */
	"DELETE FROM file WHERE id = ?",
	/*
	 * STMT_OPEN: members only, only once sent, and not once its message
	 * is deleted.
	 */
	"SELECT f.conv_id, f.size, f.type, f.width, f.height, f.name, "
	"f.client_id FROM file f JOIN conv_member cm ON cm.conv_id = "
	"f.conv_id AND cm.user_id = ? JOIN message m ON m.sender_id = "
	"f.owner_id AND m.client_id = f.client_id AND m.deleted_at IS NULL "
	"WHERE f.id = ? AND f.state = 2",
	/* STMT_CHUNK_GET */
	"SELECT bytes FROM file_chunk WHERE file_id = ? AND n = ?",
	/*
	 * STMT_SENT_LATE: stored and sent, but the process ended before it
	 * said so (state 1 with its message there).
	 */
	"UPDATE file f SET f.state = 2 WHERE f.state = 1 AND f.created_at < "
	"NOW(3) - INTERVAL ? SECOND AND EXISTS (SELECT 1 FROM message m "
	"WHERE m.sender_id = f.owner_id AND m.client_id = f.client_id)",
	/* STMT_STALE: never finished, or never sent. */
	"SELECT id FROM file WHERE state < 2 AND created_at < "
	"NOW(3) - INTERVAL ? SECOND LIMIT 100",
	/* STMT_OF_MESSAGE */
	"SELECT id FROM file WHERE owner_id = ? AND client_id = ?",
};

/* Image types served inline, from the bytes; anything else is a file. */
const char *
file_type(const unsigned char *p, size_t n)
{
	const char	*t;

	if ((t = picture_type(p, n)) != NULL)
		return t;
	return "application/octet-stream";
}

/*
 * A file name as sent (UTF-8 checked by the caller, or not: bytes that
 * are not are dropped) made safe to show and to save: no path (the part
 * after the last / or \), no control, direction or line characters
 * (they turn what follows around: "gpj.exe" shown as "exe.jpg"), no dots
 * or blanks at its ends, at most sz - 1 bytes cut at a character's end;
 * "file" when nothing is left.
 */
void
file_name_clean(const char *in, char *out, size_t sz)
{
	const unsigned char	*p;
	unsigned int		 c;
	size_t			 len, o = 0, i;
	const char		*base;

	for (base = in; *in != '\0'; in++)
		if (*in == '/' || *in == '\\')
			base = in + 1;
	for (p = (const unsigned char *)base; *p != '\0'; p += len) {
		len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		for (i = 1; i < len; i++)
			if (p[i] == '\0')
				break;
		if (i < len || !valid_utf8((const char *)p, len)) {
			len = 1;
			continue;
		}
		/* The lead byte's bits, then six from each that follows. */
		c = len == 1 ? *p : *p & (0x7fu >> len);
		for (i = 1; i < len; i++)
			c = c << 6 | (p[i] & 0x3fu);
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
		    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 &&
		    c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
		    c == 0xfeff || c == '"')
			continue;
		if (o + len >= sz)
			break;
		memcpy(out + o, p, len);
		o += len;
	}
	out[o] = '\0';
	/* Leading and trailing dots and spaces: ".", "..", " x ". */
	for (i = 0; out[i] == '.' || out[i] == ' '; i++)
		;
	memmove(out, out + i, o - i + 1);
	o -= i;
	while (o > 0 && (out[o - 1] == '.' || out[o - 1] == ' '))
		out[--o] = '\0';
	if (o == 0)
		snprintf(out, sz, "file");
}

/*
 * Would n more bytes take uid's files over CHAT_UPLOAD_QUOTA?  1 yes, 0
 * no, -1.  Files being uploaded are not counted (their size is 0 until
 * stored): the size of each is checked again once it is known.
 */
int
file_over_quota(struct db *db, int64_t uid, int64_t n)
{
	int64_t	 used;

	if (conf.upload_quota == 0)
		return 0;
	if (db_one(db, &used, stmts[STMT_USED], "i", uid) != 1)
		return -1;
	return used + n > conf.upload_quota;
}

/*
 * May uid upload n more bytes (n: what it says it sends)?  FILE_ROOM, or
 * why not: FILE_QUOTA, FILE_RATE with the seconds to wait in *wait.  The
 * rate is counted in MySQL (a rate_limit row a minute), as the finds.
 */
enum file_room
file_allowed(struct db *db, int64_t uid, int64_t n, int *wait)
{
	char	 key[64];
	int64_t	 win, now = time(NULL);
	int	 rc;

	*wait = 0;
	if ((rc = file_over_quota(db, uid, n)) != 0)
		return rc == 1 ? FILE_QUOTA : FILE_ERROR;
	if (conf.upload_rate == 0)
		return FILE_ROOM;
	snprintf(key, sizeof(key), "upload:%lld:%lld", (long long)uid,
	    (long long)(now / 60));
	if ((rc = auth_window_take(db, key, CAP_LOGIN_WINDOW_S,
	    conf.upload_rate, &win)) == -1)
		return FILE_ERROR;
	if (rc == 0)
		return FILE_ROOM;
	*wait = (int)(60 - now % 60);
	return FILE_RATE;
}

/*
 * Start storing f (owner uid; f->conv, name, width and height set): its
 * row, uploading; f->id and f->cid (its message's client_id, random, so
 * no earlier message of the sender has it) filled.  0 or -1.
 */
int
file_begin(struct db *db, int64_t uid, struct file *f)
{
	unsigned char	 rnd[12];
	char		 hex[25];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(f->cid, sizeof(f->cid), "file-%s", hex);
	if (db_exec(db, stmts[STMT_BEGIN], "iissii", uid, f->conv, f->cid,
	    f->name, (int64_t)f->width, (int64_t)f->height) < 0)
		return -1;
	f->id = db_insert_id(db);
	return 0;
}

/* Chunk n (len bytes at p) of file id, in a transaction of its own. */
int
file_chunk_put(struct db *db, int64_t id, int64_t n, const char *p,
    size_t len)
{
	return db_exec(db, stmts[STMT_CHUNK_PUT], "iib", id, n, p, len) < 0 ?
	    -1 : 0;
}

/*
 * Every chunk of f is stored: its size, type (from the first bytes),
 * width and height (images only) and SHA-256.  0 or -1.
 */
int
file_finish(struct db *db, struct file *f, const unsigned char sha[32])
{
	if (strcmp(f->type, "application/octet-stream") == 0)
		f->width = f->height = 0;
	return db_exec(db, stmts[STMT_FINISH], "isiibi", f->size, f->type,
	    (int64_t)f->width, (int64_t)f->height, (const char *)sha,
	    (size_t)32, f->id) < 0 ? -1 : 0;
}

/* f's message is stored: it may be served now.  0 or -1. */
int
file_sent(struct db *db, int64_t id)
{
	return db_exec(db, stmts[STMT_SENT], "i", id) < 0 ? -1 : 0;
}

/* Remove file id and its chunks, a few chunks a statement.  0 or -1. */
int
file_drop(struct db *db, int64_t id)
{
	long long	 n;

	while ((n = db_exec(db, stmts[STMT_DROP_CHUNKS], "i", id)) > 0)
		;
	if (n < 0)
		return -1;
	return db_exec(db, stmts[STMT_DROP], "i", id) < 0 ? -1 : 0;
}

/*
 * Remove the file of a message (its sender and client_id), if it has
 * one: for a message deleted, whose file must go too (its bytes gone from
 * the database, not hidden; until then a deleted message's file is
 * neither shown nor served).  Call after the deletion's commit.  0 or -1.
 */
int
file_drop_message(struct db *db, int64_t sender, const char *cid)
{
	int64_t	 id;
	int	 rc;

	if ((rc = db_one(db, &id, stmts[STMT_OF_MESSAGE], "is", sender,
	    cid)) <= 0)
		return rc;
	return file_drop(db, id);
}

/*
 * File id as member uid may read it, into *f: 1, 0 when there is no such
 * file for uid (unknown, not sent, or not a member: the same answer, so
 * ids cannot be probed), -1.  Its type is checked against its first
 * chunk again (a row edited by hand is served as what it is).
 */
int
file_open(struct db *db, int64_t uid, int64_t id, struct file *f)
{
	struct dbres	*res;
	struct buf	 first = { 0 };
	int		 rc;

	memset(f, 0, sizeof(*f));
	if ((res = db_query(db, stmts[STMT_OPEN], "ii", uid, id)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		f->id = id;
		f->conv = db_int(res, 0);
		f->size = db_int(res, 1);
		f->width = (int)db_int(res, 3);
		f->height = (int)db_int(res, 4);
		snprintf(f->name, sizeof(f->name), "%s", db_str(res, 5, NULL));
		snprintf(f->cid, sizeof(f->cid), "%s", db_str(res, 6, NULL));
	}
	db_res_free(res);
	if (rc != 1)
		return rc;
	if (f->size > 0 && file_chunk_get(db, id, 0, &first) != 1) {
		buf_free(&first);
		return -1;
	}
	f->type = file_type((const unsigned char *)first.p, first.len);
	buf_free(&first);
	return 1;
}

/* Chunk n of file id into out (reset first): 1, 0 none, -1. */
int
file_chunk_get(struct db *db, int64_t id, int64_t n, struct buf *out)
{
	struct dbres	*res;
	const char	*p;
	size_t		 len;
	int		 rc;

	buf_reset(out);
	if ((res = db_query(db, stmts[STMT_CHUNK_GET], "ii", id, n)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		p = db_str(res, 0, &len);
		buf_add(out, p, len);
	}
	db_res_free(res);
	return rc;
}

/* The "file" object of f's message: {id, name, size, type, width, height}. */
void
file_json(struct buf *b, const struct file *f)
{
	buf_addf(b, "{\"id\":%lld,\"name\":", (long long)f->id);
	buf_json_str(b, f->name, strlen(f->name));
	buf_addf(b, ",\"size\":%lld,\"type\":\"%s\",\"width\":%d,"
	    "\"height\":%d}", (long long)f->size, f->type, f->width,
	    f->height);
}

/*
 * The sweeper's round: files stored and sent whose process ended before
 * it marked them sent are marked; uploads older than CAP_FILE_STALE_S
 * that never finished or were never sent are removed.  How many were
 * removed, or -1.
 */
long
file_sweep(struct db *db)
{
	struct dbres	*res;
	int64_t		 ids[100];
	long		 n = 0, i;
	int		 rc;

	if (db_exec(db, stmts[STMT_SENT_LATE], "i",
	    (int64_t)CAP_FILE_STALE_S) < 0)
		return -1;
	if ((res = db_query(db, stmts[STMT_STALE], "i",
	    (int64_t)CAP_FILE_STALE_S)) == NULL)
		return -1;
	while (n < 100 && (rc = db_row(res)) == 1)
		ids[n++] = db_int(res, 0);
	db_res_free(res);
	for (i = 0; i < n; i++)
		if (file_drop(db, ids[i]) == -1)
			return -1;
	return n;
}
