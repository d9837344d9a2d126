/*
 * db.c: what runs on a MySQL connection (db_pool.c hands them out): every
 * statement is prepared, cached per connection and bound; there is no
 * call here that takes SQL built at run time.  Results are buffered on the
 * client and read by column.  Lost connections are reopened and the
 * statement retried once when no transaction is open; inside a transaction
 * the error goes up and db_rollback() reconnects.  A statement run on its
 * own that loses a deadlock is run again (it was rolled back whole).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "db.h"
#include "db_conn.h"
#include "db_pool.h"
#include "util.h"

#define DB_PARAMS	16

struct dbcol {
	char		*buf;
	unsigned long	 len;
	long long	 ival;
	my_bool		 null;
	my_bool		 error;
	int		 numeric;
};

struct dbres {
	struct db	*db;
	MYSQL_STMT	*st;
	unsigned int	 ncol;
	MYSQL_BIND	*bind;
	struct dbcol	*col;
};

/* The cached statement for this text, prepared now if need be. */
static MYSQL_STMT *
db_stmt(struct db *db, const char *sql)
{
	uintptr_t	 h;
	size_t		 i, n;
	MYSQL_STMT	*st;
	my_bool		 on = 1;

	h = (uintptr_t)sql;
	i = (size_t)((h >> 3) ^ (h >> 11)) & (DB_CACHE - 1);
	for (n = 0; n < DB_CACHE; n++, i = (i + 1) & (DB_CACHE - 1)) {
		if (db->c->cache[i].sql == sql)
			return db->c->cache[i].st;
		if (db->c->cache[i].sql == NULL)
			break;
	}
	if (n == DB_CACHE) {
		LOG("statement cache full");
		abort();
	}
	if ((st = mysql_stmt_init(db->c->my)) == NULL)
		abort();
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		db->err = mysql_stmt_errno(st);
		if (!db_lost(db->err))
			LOG("prepare: %s: %s", mysql_stmt_error(st), sql);
		mysql_stmt_close(st);
		return NULL;
	}
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	db->c->cache[i].sql = sql;
	db->c->cache[i].st = st;
	return st;
}

/*
 * Bind the parameters described by fmt and execute sql.  Retries once on a
 * lost connection outside a transaction.  Returns the statement, or NULL
 * with db->err set.
 */
static MYSQL_STMT *
db_run(struct db *db, const char *sql, const char *fmt, va_list ap)
{
	MYSQL_BIND	 b[DB_PARAMS];
	long long	 iv[DB_PARAMS];
	unsigned long	 lv[DB_PARAMS];
	MYSQL_STMT	*st;
	size_t		 n, i;
	int		 try;
	va_list		 aq;

	n = strlen(fmt);
	if (n > DB_PARAMS)
		abort();
	for (try = 0; try < 3; try++) {
		db->err = 0;
		if (db_ensure(db) == -1)
			return NULL;
		if ((st = db_stmt(db, sql)) == NULL)
			goto fail;
		memset(b, 0, sizeof(b));
		va_copy(aq, ap);
		for (i = 0; i < n; i++) {
			switch (fmt[i]) {
			case 'i':
				iv[i] = va_arg(aq, int64_t);
				b[i].buffer_type = MYSQL_TYPE_LONGLONG;
				b[i].buffer = &iv[i];
				break;
			case 's':
				b[i].buffer = va_arg(aq, char *);
				if (b[i].buffer == NULL) {
					b[i].buffer_type = MYSQL_TYPE_NULL;
					break;
				}
				lv[i] = strlen(b[i].buffer);
				b[i].buffer_type = MYSQL_TYPE_STRING;
				b[i].buffer_length = lv[i];
				b[i].length = &lv[i];
				break;
			case 'b':
				b[i].buffer = va_arg(aq, char *);
				lv[i] = va_arg(aq, size_t);
				b[i].buffer_type = MYSQL_TYPE_STRING;
				b[i].buffer_length = lv[i];
				b[i].length = &lv[i];
				break;
			default:
				abort();
			}
		}
		va_end(aq);
		if (mysql_stmt_param_count(st) != n) {
			LOG("statement wants %lu parameters, got %zu: %s",
			    mysql_stmt_param_count(st), n, sql);
			abort();
		}
		if (mysql_stmt_bind_param(st, b) != 0 ||
		    mysql_stmt_execute(st) != 0) {
			db->err = mysql_stmt_errno(st);
			goto fail;
		}
		db->insert_id = (int64_t)mysql_stmt_insert_id(st);
		return st;
fail:
		/*
		 * A statement of its own (no transaction open) that lost a
		 * deadlock was rolled back whole: run it again.
		 */
		if (db->err == ER_LOCK_DEADLOCK && !db->in_tx)
			continue;
		if (!db_lost(db->err) || try > 0)
			break;
		if (db->in_tx) {
			db->broken = 1;
			break;
		}
		db_drop(db);
	}
	if (db->err != ER_DUP_ENTRY && db->err != ER_LOCK_DEADLOCK)
		LOG("mysql error %u: %s: %.60s", db->err,
		    db->c ? mysql_error(db->c->my) : "no connection", sql);
	return NULL;
}

/* Run a statement that returns no rows: affected rows, or -1. */
long long
db_exec(struct db *db, const char *sql, const char *fmt, ...)
{
	MYSQL_STMT	*st;
	va_list		 ap;
	long long	 n;

	va_start(ap, fmt);
	st = db_run(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	n = (long long)mysql_stmt_affected_rows(st);
	mysql_stmt_free_result(st);
	return n;
}

int64_t
db_insert_id(struct db *db)
{
	return db->insert_id;
}

/*
 * Buffer the statement's current result set on the client and bind its
 * columns into res (sized from max_length: no truncation).  0 or -1.
 */
static int
res_bind(struct dbres *res)
{
	MYSQL_STMT	*st = res->st;
	MYSQL_RES	*meta;
	MYSQL_FIELD	*f;
	unsigned int	 i;

	for (i = 0; i < res->ncol; i++)
		free(res->col[i].buf);
	free(res->col);
	free(res->bind);
	res->col = NULL;
	res->bind = NULL;
	res->ncol = 0;
	if (mysql_stmt_store_result(st) != 0) {
		LOG("store result: %s", mysql_stmt_error(st));
		return -1;
	}
	if ((meta = mysql_stmt_result_metadata(st)) == NULL)
		return -1;
	res->ncol = mysql_num_fields(meta);
	res->bind = xcalloc(res->ncol, sizeof(*res->bind));
	res->col = xcalloc(res->ncol, sizeof(*res->col));
	f = mysql_fetch_fields(meta);
	for (i = 0; i < res->ncol; i++) {
		switch (f[i].type) {
		case MYSQL_TYPE_TINY:
		case MYSQL_TYPE_SHORT:
		case MYSQL_TYPE_LONG:
		case MYSQL_TYPE_INT24:
		case MYSQL_TYPE_LONGLONG:
			res->col[i].numeric = 1;
			res->bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			res->bind[i].buffer = &res->col[i].ival;
			break;
		default:
			res->col[i].buf = xmalloc(f[i].max_length + 1);
			res->bind[i].buffer_type = MYSQL_TYPE_STRING;
			res->bind[i].buffer = res->col[i].buf;
			res->bind[i].buffer_length = f[i].max_length + 1;
			break;
		}
		res->bind[i].length = &res->col[i].len;
		res->bind[i].is_null = &res->col[i].null;
		res->bind[i].error = &res->col[i].error;
	}
	mysql_free_result(meta);
	if (mysql_stmt_bind_result(st, res->bind) != 0) {
		LOG("bind result: %s", mysql_stmt_error(st));
		return -1;
	}
	return 0;
}

/*
 * Run a query and buffer its whole result on the client (so other
 * statements may run while it is read).  The caller frees the result with
 * db_res_free() before running the same statement again.  A CALL may send
 * several result sets: db_next() moves to the next.  NULL on error.
 */
struct dbres *
db_query(struct db *db, const char *sql, const char *fmt, ...)
{
	MYSQL_STMT	*st;
	struct dbres	*res;
	va_list		 ap;

	va_start(ap, fmt);
	st = db_run(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return NULL;
	res = xcalloc(1, sizeof(*res));
	res->st = st;
	res->db = db;
	if (res_bind(res) == -1) {
		db->err = mysql_stmt_errno(st) ? mysql_stmt_errno(st) :
		    CR_UNKNOWN_ERROR;
		db_res_free(res);
		return NULL;
	}
	return res;
}

/*
 * The next result set of a CALL: 1 (read it with db_row), 0 none left
 * (the CALL ended well), -1 error (an error raised after the earlier sets
 * were sent: the CALL failed).
 */
int
db_next(struct dbres *res)
{
	int	 rc;

	for (;;) {
		mysql_stmt_free_result(res->st);
		if ((rc = mysql_stmt_next_result(res->st)) == -1)
			return 0;
		if (rc > 0) {
			res->db->err = mysql_stmt_errno(res->st);
			LOG("mysql error %u: %s", res->db->err,
			    mysql_stmt_error(res->st));
			return -1;
		}
		if (mysql_stmt_field_count(res->st) == 0)
			continue;	/* the CALL's own status */
		if (res_bind(res) == -1) {
			res->db->err = mysql_stmt_errno(res->st);
			return -1;
		}
		return 1;
	}
}

/* Next row: 1, or 0 at the end, or -1 on error. */
int
db_row(struct dbres *res)
{
	int	 rc;

	rc = mysql_stmt_fetch(res->st);
	if (rc == 0)
		return 1;
	if (rc == MYSQL_NO_DATA)
		return 0;
	LOG("fetch: %d %s", rc, mysql_stmt_error(res->st));
	return -1;
}

int64_t
db_int(struct dbres *res, int c)
{
	if ((unsigned int)c >= res->ncol)
		abort();	/* a wrong column index is a bug */
	if (res->col[c].null)
		return 0;
	if (res->col[c].numeric)
		return res->col[c].ival;
	return strtoll(res->col[c].buf, NULL, 10);
}

/* The column as a NUL-terminated string ("" for NULL); borrowed. */
const char *
db_str(struct dbres *res, int c, size_t *len)
{
	struct dbcol	*col;

	if ((unsigned int)c >= res->ncol)
		abort();
	col = &res->col[c];
	if (col->numeric) {
		/* Not used for numbers; keep callers honest. */
		abort();
	}
	if (col->null) {
		if (len)
			*len = 0;
		return "";
	}
	col->buf[col->len] = '\0';
	if (len)
		*len = col->len;
	return col->buf;
}

int
db_null(struct dbres *res, int c)
{
	if ((unsigned int)c >= res->ncol)
		abort();
	return res->col[c].null;
}

/* Columns of the current result set. */
unsigned int
db_ncol(struct dbres *res)
{
	return res->ncol;
}

size_t
db_nrows(struct dbres *res)
{
	return (size_t)mysql_stmt_num_rows(res->st);
}

void
db_res_free(struct dbres *res)
{
	unsigned int	 i;

	if (res == NULL)
		return;
	mysql_stmt_free_result(res->st);
	/* What a CALL sent and nobody read: the connection must be idle. */
	while (mysql_stmt_more_results(res->st) &&
	    mysql_stmt_next_result(res->st) == 0)
		mysql_stmt_free_result(res->st);
	for (i = 0; i < res->ncol; i++)
		free(res->col[i].buf);
	free(res->col);
	free(res->bind);
	free(res);
}

/*
 * The first column of every row of res (the result of a db_query, which
 * may be NULL for its failure) appended to out; res is freed.  0 or -1.
 */
int
db_ids(struct dbres *res, struct ids *out)
{
	int	 rc;

	if (res == NULL)
		return -1;
	while ((rc = db_row(res)) == 1)
		ids_add(out, db_int(res, 0));
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * Run a query whose answer is one integer: 1 found (stored in *out), 0 no
 * row, -1 error.
 */
int
db_one(struct db *db, int64_t *out, const char *sql, const char *fmt, ...)
{
	MYSQL_STMT	*st;
	MYSQL_BIND	 b;
	long long	 v = 0;
	my_bool		 null = 0;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	st = db_run(db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONGLONG;
	b.buffer = &v;
	b.is_null = &null;
	if (mysql_stmt_bind_result(st, &b) != 0) {
		LOG("bind result: %s", mysql_stmt_error(st));
		mysql_stmt_free_result(st);
		return -1;
	}
	rc = mysql_stmt_fetch(st);
	/* Drain: a statement must be read to the end before the next. */
	while (rc == 0 && mysql_stmt_fetch(st) == 0)
		;
	mysql_stmt_free_result(st);
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return -1;
	if (out)
		*out = null ? 0 : v;
	return 1;
}

int
db_begin(struct db *db)
{
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_query(db->c->my, "START TRANSACTION") != 0) {
		db->err = mysql_errno(db->c->my);
		if (!db_lost(db->err))
			LOG("begin: %s", mysql_error(db->c->my));
		db_drop(db);
		/* One retry on a fresh connection: nothing was done yet. */
		if (db_ensure(db) == -1 ||
		    mysql_query(db->c->my, "START TRANSACTION") != 0)
			return -1;
	}
	db->in_tx = 1;
	return 0;
}

int
db_commit(struct db *db)
{
	int	 rc;

	if (db->broken) {
		db->in_tx = 0;
		return -1;
	}
	rc = mysql_commit(db->c->my) == 0 ? 0 : -1;
	if (rc == -1) {
		db->err = mysql_errno(db->c->my);
		LOG("commit: %s", mysql_error(db->c->my));
		if (db_lost(db->err))
			db->broken = 1;
	}
	db->in_tx = 0;
	return rc;
}

void
db_rollback(struct db *db)
{
	if (db->c != NULL && !db->broken && mysql_rollback(db->c->my) != 0)
		db->broken = 1;
	db->in_tx = 0;
	if (db->broken)
		db_drop(db);
	db->broken = 0;
}

unsigned int
db_errno(struct db *db)
{
	return db->err;
}

int
db_is_dup(struct db *db)
{
	return db->err == ER_DUP_ENTRY;
}

/*
 * Deadlock or lock wait timeout (also as 1467, which InnoDB reports when
 * the wait was for the AUTO-INC lock): the transaction may be tried again.
 */
int
db_is_retry(struct db *db)
{
	return db->err == ER_LOCK_DEADLOCK || db->err == ER_LOCK_WAIT_TIMEOUT ||
	    db->err == ER_AUTOINC_READ_FAILED;
}

/* Does the server answer a query now (GET /api/health)?  1 yes, 0 no. */
int
db_alive(struct db *db)
{
	static const char *const sql = "SELECT 1";
	int64_t		 one;

	return db_one(db, &one, sql, "") == 1;
}
