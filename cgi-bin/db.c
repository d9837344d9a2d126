/*
 * db.c: the MySQL layer.  A struct db is one connection with its statement
 * cache; each thread owns one.  Every value is bound; there is no call here
 * that takes SQL built at run time.  Lost connections are reopened and the
 * statement retried once when no transaction is open; inside a transaction
 * the error goes up and db_rollback() reconnects.  A statement run on its
 * own that loses a deadlock is run again (it was rolled back whole).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "caps.h"
#include "conf.h"
#include "db.h"
#include "util.h"

#define DB_PARAMS	16
#define DB_CACHE	128	/* statements per connection, power of two */

struct stmt_slot {
	const char	*sql;	/* key: address of static statement text */
	MYSQL_STMT	*st;
};

/* One MySQL connection and its prepared statements. */
struct conn {
	MYSQL		*my;
	struct conn	*next;		/* in the idle list */
	struct stmt_slot cache[DB_CACHE];
};

struct db {
	struct conn	*c;		/* NULL: holds none now */
	int		 in_tx;
	int		 broken;	/* connection lost inside a transaction */
	unsigned int	 err;
	int64_t		 insert_id;
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
 * The connection budget (CHAT_DB_CONNS): the most connections this process
 * opens, shared by every thread.  With a budget, a handle holds a
 * connection only while it works (db_release() gives it back to the idle
 * list between requests); without one (0) each handle keeps its own.
 */
static pthread_mutex_t	 pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 pool_cv = PTHREAD_COND_INITIALIZER;
static struct conn	*pool_idle;	/* open, not held */
static int		 pool_open;	/* open, held or idle */

/* The server's own "too many connections": worth waiting for. */
static int
is_full(unsigned int e)
{
	return e == ER_CON_COUNT_ERROR || e == ER_TOO_MANY_USER_CONNECTIONS ||
	    e == ER_USER_LIMIT_REACHED;
}

/*
 * Open a connection with the CHAT_DB_* settings; NULL (logged) on failure,
 * with the server's reason in *err (1045 for a wrong password, 2002 when
 * nothing listens).  A server that says it has too many connections (the
 * account's max_user_connections on a shared host: every process of the
 * account counts) is asked again, with growing pauses, until deadline
 * (monotonic ms).
 */
static MYSQL *
db_connect(unsigned int *err, int64_t deadline)
{
	MYSQL		*my;
	unsigned int	 timeout = 10, e;
	my_bool		 off = 0;
	useconds_t	 pause = 10000;

	for (;;) {
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
		if (mysql_real_connect(my, conf.db_host, conf.db_user,
		    conf.db_pass, conf.db_name, conf.db_port,
		    conf.db_host ? NULL : conf.db_socket, 0) != NULL)
			return my;
		if ((e = mysql_errno(my)) == 0)
			e = CR_CONNECTION_ERROR;
		*err = e;
		if (!is_full(e) || mono_ms() + pause / 1000 >= deadline) {
			if (is_full(e))
				LOG("mysql connect: error %u, the database "
				    "allows no more connections (%s): lower "
				    "CHAT_DB_CONNS, the processes (mod_fcgid's "
				    "FcgidMaxProcessesPerClass) or what else "
				    "uses this account", e, mysql_error(my));
			else
				LOG("mysql connect: %s", mysql_error(my));
			mysql_close(my);
			return NULL;
		}
		mysql_close(my);
		usleep(pause + (useconds_t)(random() % (pause / 2 + 1)));
		if (pause < 200000)
			pause *= 2;
	}
}

/* Close a connection and every statement prepared on it. */
static void
conn_close(struct conn *c)
{
	size_t	 i;

	for (i = 0; i < DB_CACHE; i++)
		if (c->cache[i].st != NULL)
			mysql_stmt_close(c->cache[i].st);
	if (c->my != NULL)
		mysql_close(c->my);
	free(c);
	pthread_mutex_lock(&pool_mu);
	pool_open--;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
}

/*
 * A connection for a handle: an idle one, else a new one within the
 * budget, else wait for one to be given back for CAP_DB_WAIT_MS.  NULL
 * with *err set: DB_BUDGET when none came (the budget is all in use), the
 * server's error when it refused.
 */
static struct conn *
conn_get(unsigned int *err)
{
	struct conn	*c;
	struct timespec	 ts;
	int64_t		 deadline;
	int		 rc = 0;

	deadline = mono_ms() + CAP_DB_WAIT_MS;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CAP_DB_WAIT_MS / 1000;
	ts.tv_nsec += (CAP_DB_WAIT_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool_mu);
	while (pool_idle == NULL && conf.db_conns > 0 &&
	    pool_open >= conf.db_conns && rc == 0)
		rc = pthread_cond_timedwait(&pool_cv, &pool_mu, &ts);
	if ((c = pool_idle) != NULL) {
		pool_idle = c->next;
		pthread_mutex_unlock(&pool_mu);
		c->next = NULL;
		return c;
	}
	if (conf.db_conns > 0 && pool_open >= conf.db_conns) {
		pthread_mutex_unlock(&pool_mu);
		*err = DB_BUDGET;
		LOG("all %d MySQL connections of CHAT_DB_CONNS were busy for "
		    "%d ms: answered 503 busy", conf.db_conns, CAP_DB_WAIT_MS);
		return NULL;
	}
	pool_open++;
	pthread_mutex_unlock(&pool_mu);
	c = xcalloc(1, sizeof(*c));
	if ((c->my = db_connect(err, deadline)) == NULL) {
		conn_close(c);
		return NULL;
	}
	return c;
}

/* Close the handle's connection and every cached statement. */
static void
db_drop(struct db *db)
{
	if (db->c != NULL)
		conn_close(db->c);
	db->c = NULL;
}

/* Make sure there is a live connection: 0, or -1 when the server is away. */
static int
db_ensure(struct db *db)
{
	if (db->c != NULL && !db->broken)
		return 0;
	db_drop(db);
	db->broken = 0;
	db->in_tx = 0;
	if ((db->c = conn_get(&db->err)) == NULL)
		return -1;
	return 0;
}

/*
 * A handle for this thread.  Without a budget it connects now if it can
 * (and otherwise on first use, so a process starts, and answers 503, while
 * MySQL is away); with one, on first use.
 */
struct db *
db_open(void)
{
	struct db	*db;

	db = xcalloc(1, sizeof(*db));
	if (conf.db_conns == 0)
		(void)db_ensure(db);
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

/*
 * Done with the database for now (a request answered or parked, a round
 * of a helper thread): with a budget, give the connection back for others
 * (it stays open in the idle list).  Not inside a transaction.
 */
void
db_release(struct db *db)
{
	if (db == NULL || db->c == NULL || db->in_tx || conf.db_conns == 0)
		return;
	if (db->broken) {
		db_drop(db);
		db->broken = 0;
		return;
	}
	pthread_mutex_lock(&pool_mu);
	db->c->next = pool_idle;
	pool_idle = db->c;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	db->c = NULL;
}

/*
 * Hold no connection at all for a while (a poll that waits in a process
 * of its own, plain CGI or mod_fcgid): close the handle's connection and
 * the idle ones.  The next statement connects again.
 */
void
db_close(struct db *db)
{
	struct conn	*c;

	if (db != NULL && !db->in_tx)
		db_drop(db);
	pthread_mutex_lock(&pool_mu);
	c = pool_idle;
	pool_idle = NULL;
	pthread_mutex_unlock(&pool_mu);
	while (c != NULL) {
		struct conn *next = c->next;

		conn_close(c);
		c = next;
	}
}

/*
 * The database had no connection for us: the budget, or the server's
 * limit (503 busy, not "unavailable": it is up, try again in a moment).
 */
int
db_is_busy(struct db *db)
{
	return db->err == DB_BUDGET || is_full(db->err);
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
	if (mysql_ping(db->c->my) == 0)
		return 0;
	db_drop(db);
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_ping(db->c->my) != 0) {
		db->err = mysql_errno(db->c->my);
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
		if (!is_lost(db->err))
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
		if (!is_lost(db->err))
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
		if (is_lost(db->err))
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
