/*
 * db_pool.h: a thread's database handle and where its connection comes
 * from: one MySQL/MariaDB connection per handle, or with CHAT_DB_CONNS
 * set, one of at most that many per process, held while the handle works.
 * Knows nothing of chat.
 */
#ifndef DB_POOL_H
#define DB_POOL_H

struct db;

/* db_errno() when the connection budget (CHAT_DB_CONNS) stayed in use. */
#define DB_BUDGET	59999

struct db	*db_open(void);
void		 db_free(struct db *);
int		 db_ping(struct db *);
void		 db_release(struct db *);
void		 db_close(struct db *);
int		 db_is_busy(struct db *);

/* For db.c: make sure of a live connection, drop it, tell a lost one. */
int		 db_ensure(struct db *);
void		 db_drop(struct db *);
int		 db_lost(unsigned int);

#endif /* DB_POOL_H */
