/*
 * db.c: the MySQL layer.  A struct db is one connection with its statement
 * cache; each thread owns one.  Every value is bound; there is no call here
 * that takes SQL built at run time.  Lost connections are reopened and the
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

#include "conf.h"
#include "db.h"
#include "util.h"

#define DB_PARAMS	16
#define DB_CACHE	128	/* statements per connection, power of two */

struct stmt_slot {
	const char	*sql;	/* key: address of static statement text */
	MYSQL_STMT	*st;
};

struct db {
	MYSQL		*my;
	int		 in_tx;
	int		 broken;	/* connection lost inside a transaction */
	unsigned int	 err;
	int64_t		 insert_id;
	struct stmt_slot cache[DB_CACHE];
};

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

/*
 * Open a connection with the CHAT_DB_* settings; NULL (logged) on failure,
 * with the server's reason in *err when err is not NULL (1045 for a wrong
 * password, 2002 when nothing listens).
 */
static MYSQL *
db_connect(unsigned int *err)
{
	MYSQL		*my;
	unsigned int	 timeout = 10;
	my_bool		 off = 0;

	if ((my = mysql_init(NULL)) == NULL)
		abort();
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', "
	    "SESSION tx_isolation = 'READ-COMMITTED', "
	    "SESSION innodb_lock_wait_timeout = 5");
	if (mysql_real_connect(my, conf.db_host, conf.db_user, conf.db_pass,
	    conf.db_name, conf.db_port, conf.db_host ? NULL : conf.db_socket,
	    0) == NULL) {
		LOG("mysql connect: %s", mysql_error(my));
		if (err != NULL && (*err = mysql_errno(my)) == 0)
			*err = CR_CONNECTION_ERROR;
		mysql_close(my);
		return NULL;
	}
	return my;
}

/* Drop the connection and every cached statement. */
static void
db_drop(struct db *db)
{
	size_t	 i;

	for (i = 0; i < DB_CACHE; i++) {
		if (db->cache[i].st != NULL)
			mysql_stmt_close(db->cache[i].st);
		db->cache[i].st = NULL;
		db->cache[i].sql = NULL;
	}
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
}

/* Make sure there is a live connection: 0, or -1 when the server is away. */
static int
db_ensure(struct db *db)
{
	if (db->my != NULL && !db->broken)
		return 0;
	db_drop(db);
	db->broken = 0;
	db->in_tx = 0;
	if ((db->my = db_connect(&db->err)) == NULL)
		return -1;
	return 0;
}

/*
 * A handle for this thread.  It connects now if it can and otherwise on
 * first use, so a process starts (and answers 503) while MySQL is away.
 */
struct db *
db_open(void)
{
	struct db	*db;

	db = xcalloc(1, sizeof(*db));
	db->my = db_connect(&db->err);
	return db;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_drop(db);
	free(db);
}

static int
is_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_SERVER_LOST_EXTENDED ||
	    e == ER_CONNECTION_KILLED || e == 1927 /* ER_CONNECTION_KILLED */;
}

/* 0 when the server answers (reconnecting if needed), else -1. */
int
db_ping(struct db *db)
{
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_ping(db->my) == 0)
		return 0;
	db_drop(db);
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_ping(db->my) != 0) {
		db->err = mysql_errno(db->my);
		return -1;
	}
	return 0;
}

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
		if (db->cache[i].sql == sql)
			return db->cache[i].st;
		if (db->cache[i].sql == NULL)
			break;
	}
	if (n == DB_CACHE) {
		LOG("statement cache full");
		abort();
	}
	if ((st = mysql_stmt_init(db->my)) == NULL)
		abort();
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		db->err = mysql_stmt_errno(st);
		if (!is_lost(db->err))
			LOG("prepare: %s: %s", mysql_stmt_error(st), sql);
		mysql_stmt_close(st);
		return NULL;
	}
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	db->cache[i].sql = sql;
	db->cache[i].st = st;
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
		if (!is_lost(db->err) || try > 0)
			break;
		if (db->in_tx) {
			db->broken = 1;
			break;
		}
		db_drop(db);
	}
	if (db->err != ER_DUP_ENTRY && db->err != ER_LOCK_DEADLOCK)
		LOG("mysql error %u: %s: %.60s", db->err,
		    db->my ? mysql_error(db->my) : "no connection", sql);
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
	if (mysql_query(db->my, "START TRANSACTION") != 0) {
		db->err = mysql_errno(db->my);
		if (!is_lost(db->err))
			LOG("begin: %s", mysql_error(db->my));
		db_drop(db);
		/* One retry on a fresh connection: nothing was done yet. */
		if (db_ensure(db) == -1 ||
		    mysql_query(db->my, "START TRANSACTION") != 0)
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
	rc = mysql_commit(db->my) == 0 ? 0 : -1;
	if (rc == -1) {
		db->err = mysql_errno(db->my);
		LOG("commit: %s", mysql_error(db->my));
		if (is_lost(db->err))
			db->broken = 1;
	}
	db->in_tx = 0;
	return rc;
}

void
db_rollback(struct db *db)
{
	if (db->my != NULL && !db->broken && mysql_rollback(db->my) != 0)
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
