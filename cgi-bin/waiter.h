/*
 * waiter.h: parked long-polls.  A poll with nothing to return is parked
 * here (a few hundred bytes and its descriptor, no thread) until a wake
 * for its user, its recheck time (an event handed out earlier falls due
 * again) or its deadline.  A small pool of threads with their own database
 * connections then calls the poll's fetch function and finishes it.
 * The only code that sleeps.
 */
#ifndef WAITER_H
#define WAITER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct req;
struct db;

/*
 * Look for events and answer r if there are any: 1 answered, 0 nothing
 * (r->poll_recheck may be set).  With final set it must answer (empty).
 */
typedef int (*waiter_fetch)(struct req *, int final);
typedef void (*waiter_done)(struct req *);

int		 waiter_init(int, waiter_done, struct db *(*)(void));
uint64_t	 waiter_gen(int64_t);
int		 waiter_park(struct req *, waiter_fetch, uint64_t);
void		 waiter_wake(const int64_t *, size_t);
void		 waiter_wake_here(const int64_t *, size_t, struct db *);
int		 waiter_other_session(int64_t, int64_t);
size_t		 waiter_count(void);
void		 waiter_uids(struct ids *);
void		 waiter_stop(void);

#endif /* WAITER_H */
