/*
 * core_search.h: message search over the server's own n-gram index
 * (msg_gram, sql/021-search.sql), for Chinese as well as English, on a
 * plain MariaDB with no plugins.  Writers: a send is indexed in its own
 * transaction (search_grams_json), an edit calls search_forget_message
 * with the old text then search_index_message with the new, a delete
 * search_forget_message; the sweeper catches up on whatever a crash left
 * out (search_catch_up).  Results are always checked against the body,
 * so a forgotten call costs index rows, never a wrong result.
 */
#ifndef CORE_SEARCH_H
#define CORE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct db;

/* What a search asks; conv 0: every conversation of the user. */
struct search_q {
	int64_t		 uid, conv, before, limit;
	const char	*q;
	size_t		 qlen;
};

/* search_run's outcomes besides 0 and -1 */
enum { SEARCH_SHORT = 1, SEARCH_NOT_MEMBER };

int	search_index_message(struct db *, int64_t, int64_t, const char *,
	    size_t);
int	search_forget_message(struct db *, int64_t, int64_t, const char *,
	    size_t);
void	search_grams_json(struct buf *, const char *, size_t);
long	search_catch_up(struct db *);
int	search_allowed(struct db *, int64_t);
int	search_run(struct db *, const struct search_q *, struct buf *);

#endif /* CORE_SEARCH_H */
