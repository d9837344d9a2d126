/*
 * db_pool.c: where a handle's MySQL connection comes from.  Each thread
 * owns a handle (struct db); a handle holds a connection, its own or, with
 * a budget (CHAT_DB_CONNS), one from this process's idle list while it
 * works.  Connecting (with the session settings every statement relies
 * on) to the first server of CHAT_DB_HOST's list that serves, waiting for
 * a connection, giving it back, closing, and telling a lost connection or
 * a full server from other errors.  What runs on a
 * connection is db.c's.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
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
 * The server of CHAT_DB_HOST's list new connections try first (an index
 * into conf.db): the one the last connection was made to.  The process
 * stays on a server while it serves and moves along the list, wrapping
 * around, when it stops.
 */
static int		 srv_cur;	/* under pool_mu */

/*
 * Not there, or not serving: nothing listens, no route, unknown name, the
 * connection lost, or a Galera node outside the primary component (1047).
 * The next server of the list is tried.
 */
static int
is_down(unsigned int e)
{
	return db_lost(e) || e == CR_CONN_HOST_ERROR || e == CR_UNKNOWN_HOST ||
	    e == CR_IPSOCK_ERROR || e == CR_SOCKET_CREATE_ERROR ||
	    e == ER_SERVER_SHUTDOWN || e == CR_SERVER_HANDSHAKE_ERR;
}

/* Server i of the list for the log: host:port, or the unix socket. */
static const char *
srv_name(int i, char *buf, size_t size)
{
	if (conf.db_n == 0 || strcmp(conf.db[i].host, "localhost") == 0)
		snprintf(buf, size, "%s", conf.db_socket ? conf.db_socket :
		    "the default unix socket");
	else
		snprintf(buf, size, strchr(conf.db[i].host, ':') ?
		    "[%s]:%u" : "%s:%u", conf.db[i].host, conf.db[i].port);
	return buf;
}

/*
 * On a Galera node (@@wsrep_on is 1): is it part of the primary component
 * (wsrep_ready ON)?  A node that is not answers every query with 1047, so
 * it counts as down.  Then every read on this connection waits until the
 * node has applied all writes committed anywhere in the cluster before it
 * (wsrep_sync_wait = 1): an ack made through one node is seen by a poll
 * through another.  The cost is a cluster round trip (a sync message
 * through the group) before each SELECT: measured on three nodes on one
 * machine, 88 us a SELECT by primary key without it, 125 us with it; on
 * a network, add the round trip between the nodes.  A
 * server without wsrep fails the first query (unknown variable) or says
 * 0: nothing to do.  0 serving, -1 not (*err set).
 */
static int
galera_ready(MYSQL *my, unsigned int *err)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 yes;

	if (mysql_query(my, "SELECT @@wsrep_on") != 0) {
		*err = mysql_errno(my);
		return is_down(*err) ? -1 : 0;
	}
	if ((res = mysql_store_result(my)) == NULL)
		goto lost;
	yes = (row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
	    strcmp(row[0], "1") == 0;
	mysql_free_result(res);
	if (!yes)
		return 0;
	if (mysql_query(my, "SHOW STATUS LIKE 'wsrep_ready'") != 0 ||
	    (res = mysql_store_result(my)) == NULL)
		goto lost;
	yes = (row = mysql_fetch_row(res)) != NULL && row[1] != NULL &&
	    strcmp(row[1], "ON") == 0;
	mysql_free_result(res);
	if (!yes) {
		*err = ER_UNKNOWN_COM_ERROR;
		return -1;
	}
	if (mysql_query(my, "SET SESSION wsrep_sync_wait = 1") != 0)
		goto lost;
	return 0;
lost:
	if ((*err = mysql_errno(my)) == 0)
		*err = CR_SERVER_LOST;
	return -1;
}

/*
 * One connection to server i (with the session settings every statement
 * relies on), NULL with the reason in *err.  Host localhost means the
 * unix socket (CHAT_DB_SOCKET, else the library's default), as the
 * client library has it.
 */
static MYSQL *
srv_open(int i, unsigned int *err)
{
	MYSQL		*my;
	const char	*host = NULL, *sock = conf.db_socket;
	unsigned int	 port = conf.db_port, cto = CAP_DB_CONNECT_S;
	unsigned int	 io = CAP_DB_IO_S;
	my_bool		 off = 0;
	char		 name[300];

	if (conf.db_n > 0) {
		host = conf.db[i].host;
		port = conf.db[i].port;
		if (strcmp(host, "localhost") != 0)
			sock = NULL;
	}
	if ((my = mysql_init(NULL)) == NULL)
		abort();
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &io);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &io);
	mysql_options(my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', "
	    "SESSION tx_isolation = 'READ-COMMITTED', "
	    "SESSION innodb_lock_wait_timeout = 5");
	if (mysql_real_connect(my, host, conf.db_user, conf.db_pass,
	    conf.db_name, port, sock, 0) == NULL) {
		if ((*err = mysql_errno(my)) == 0)
			*err = CR_CONNECTION_ERROR;
		if (!is_full(*err))
			LOG("mysql connect %s: %s",
			    srv_name(i, name, sizeof(name)), mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	if (galera_ready(my, err) == -1) {
		LOG("mysql connect %s: error %u, %s",
		    srv_name(i, name, sizeof(name)), *err,
		    *err == ER_UNKNOWN_COM_ERROR ? "the Galera node is not "
		    "ready (not in the primary component)" : mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	return my;
}

/* Connections now go to server i: say so once when that is a move. */
static void
srv_use(int i, unsigned int why)
{
	char	 from[300], to[300];
	int	 was;

	pthread_mutex_lock(&pool_mu);
	was = srv_cur;
	srv_cur = i;
	pthread_mutex_unlock(&pool_mu);
	if (was != i)
		LOG("database server %s left (error %u): now using %s",
		    srv_name(was, from, sizeof(from)), why,
		    srv_name(i, to, sizeof(to)));
}

/*
 * Open a connection with the CHAT_DB_* settings; NULL (logged) on failure,
 * with the server's reason in *err (1045 for a wrong password, 2002 when
 * nothing listens).  The servers of CHAT_DB_HOST are tried in order from
 * the current one, each once (a dead one costs at most CAP_DB_CONNECT_S),
 * while they are down; *srv says which one answered.  A server that says
 * it has too many connections (the account's max_user_connections on a
 * shared host: every process of the account counts) is asked again, with
 * growing pauses, until deadline (monotonic ms).
 */
static MYSQL *
db_connect(unsigned int *err, int64_t deadline, int *srv)
{
	MYSQL		*my;
	unsigned int	 e = 0, why = 0;
	useconds_t	 pause = 10000;
	int		 first, k, n, i;

	n = conf.db_n > 0 ? conf.db_n : 1;
	for (;;) {
		pthread_mutex_lock(&pool_mu);
		first = srv_cur;
		pthread_mutex_unlock(&pool_mu);
		for (k = 0; k < n; k++) {
			i = (first + k) % n;
			if ((my = srv_open(i, &e)) != NULL) {
				srv_use(i, why);
				*srv = i;
				return my;
			}
			if (k == 0)
				why = e;
			if (!is_down(e))
				break;
		}
		*err = e;
		if (!is_full(e) || mono_ms() + pause / 1000 >= deadline) {
			if (is_full(e))
				LOG("mysql connect: error %u, the database "
				    "allows no more connections: lower "
				    "CHAT_DB_CONNS, the processes (mod_fcgid's "
				    "FcgidMaxProcessesPerClass) or what else "
				    "uses this account", e);
			return NULL;
		}
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
	for (;;) {
		while (pool_idle == NULL && conf.db_conns > 0 &&
		    pool_open >= conf.db_conns && rc == 0)
			rc = pthread_cond_timedwait(&pool_cv, &pool_mu, &ts);
		if ((c = pool_idle) == NULL || c->srv == srv_cur)
			break;
		/* On a server this process has left: most likely dead. */
		pool_idle = c->next;
		pthread_mutex_unlock(&pool_mu);
		conn_close(c);
		pthread_mutex_lock(&pool_mu);
	}
	if (c != NULL) {
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
	if ((c->my = db_connect(err, deadline, &c->srv)) == NULL) {
		conn_close(c);
		return NULL;
	}
	return c;
}

/*
 * A connection to server srv was lost: the idle ones to it most likely
 * were too (the server went away), and the statement that found out is
 * retried once only: close them, so that the retry connects anew,
 * through the list.
 */
static void
pool_forget(int srv)
{
	struct conn	*c, *next, **pp, *dead = NULL;

	pthread_mutex_lock(&pool_mu);
	for (pp = &pool_idle; (c = *pp) != NULL; ) {
		if (c->srv == srv) {
			*pp = c->next;
			c->next = dead;
			dead = c;
		} else
			pp = &c->next;
	}
	pthread_mutex_unlock(&pool_mu);
	for (c = dead; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
}

/*
 * Close the handle's connection and every cached statement; after a lost
 * connection (db->err), the idle ones to that server too.
 */
void
db_drop(struct db *db)
{
	if (db->c != NULL) {
		if (db_lost(db->err))
			pool_forget(db->c->srv);
		conn_close(db->c);
	}
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

/*
 * A lost connection (gone, killed, never made), or a Galera node that
 * left the primary component (1047, "WSREP has not yet prepared node for
 * application use": it did nothing): worth one reconnect, which goes
 * through CHAT_DB_HOST's list.
 */
int
db_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_SERVER_LOST_EXTENDED ||
	    e == ER_CONNECTION_KILLED || e == 1927 /* ER_CONNECTION_KILLED */ ||
	    e == ER_UNKNOWN_COM_ERROR;
}

/* 0 when the server answers (reconnecting if needed), else -1. */
int
db_ping(struct db *db)
{
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_ping(db->c->my) == 0)
		return 0;
	db->err = mysql_errno(db->c->my);
	db_drop(db);
	if (db_ensure(db) == -1)
		return -1;
	if (mysql_ping(db->c->my) != 0) {
		db->err = mysql_errno(db->c->my);
		return -1;
	}
	return 0;
}
