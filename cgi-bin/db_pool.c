/*
 * db_pool.c: where a handle's MySQL connection comes from.  Each thread
 * owns a handle (struct db); a handle holds a connection, its own or, with
 * a budget (CHAT_DB_CONNS), one from this process's idle list while it
 * works.  Connecting (with the session settings every statement relies
 * on), waiting for a connection, giving it back, closing, and telling a
 * lost connection or a full server from other errors.  What runs on a
 * connection is db.c's.
 */
#include <pthread.h>
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
#include "db_conn.h"
#include "db_pool.h"
#include "util.h"

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
void
db_drop(struct db *db)
{
	if (db->c != NULL)
		conn_close(db->c);
	db->c = NULL;
}

/* Make sure there is a live connection: 0, or -1 when the server is away. */
int
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

/* A lost connection (gone, killed, never made): worth one reconnect. */
int
db_lost(unsigned int e)
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
