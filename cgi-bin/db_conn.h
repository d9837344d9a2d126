/*
 * db_conn.h: the layout of a database handle and its connection, shared
 * by db_pool.c (where connections come from) and db.c (what runs on
 * them), and nothing else: struct db is opaque everywhere else.
 */
#ifndef DB_CONN_H
#define DB_CONN_H

#include <stdint.h>

#include <mysql.h>

#define DB_CACHE	128	/* statements per connection, power of two */

struct stmt_slot {
	const char	*sql;	/* key: address of static statement text */
	MYSQL_STMT	*st;
};

/* One MySQL connection and its prepared statements. */
struct conn {
	MYSQL		*my;
	int		 srv;		/* on conf.db[srv] (0: the socket) */
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

#endif /* DB_CONN_H */
