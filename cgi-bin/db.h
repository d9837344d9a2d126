/*
 * db.h: statements, results and transactions on a thread's handle (its
 * connection comes from db_pool.h), prepared statements only.  Statements
 * are cached per connection, keyed by the address of their static text,
 * prepared on first use and again after a reconnect.
 *
 * Parameter formats: 'i' int64_t, 's' const char * (NULL binds SQL NULL),
 * 'b' const char *, size_t (counted bytes).  Knows nothing of chat.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct dbres;

/* Milliseconds since the epoch of a DATETIME column, as SQL text. */
#define MS(col)	"CAST(UNIX_TIMESTAMP(" col ") * 1000 AS SIGNED)"

/*
 * A JSON array of ids as a table j (column id), bound as one string.
 * Joined first (STRAIGHT_JOIN) so each id is one primary-key lookup:
 * MariaDB runs a single-table UPDATE/DELETE with IN (subquery) as a scan.
 */
#define JSON_IDS	"JSON_TABLE(?, '$[*]' " \
			"COLUMNS (id BIGINT UNSIGNED PATH '$')) AS j"

int		 db_begin(struct db *);
int		 db_commit(struct db *);
void		 db_rollback(struct db *);

long long	 db_exec(struct db *, const char *, const char *, ...);
int64_t		 db_insert_id(struct db *);
struct dbres	*db_query(struct db *, const char *, const char *, ...);
int		 db_one(struct db *, int64_t *, const char *, const char *, ...);

int		 db_next(struct dbres *);
int		 db_row(struct dbres *);
int64_t		 db_int(struct dbres *, int);
const char	*db_str(struct dbres *, int, size_t *);
int		 db_null(struct dbres *, int);
unsigned int	 db_ncol(struct dbres *);
size_t		 db_nrows(struct dbres *);
void		 db_res_free(struct dbres *);
struct ids;
int		 db_ids(struct dbres *, struct ids *);

unsigned int	 db_errno(struct db *);
int		 db_is_dup(struct db *);
int		 db_is_retry(struct db *);
int		 db_alive(struct db *);

#endif /* DB_H */
