/*
 * core_events.h: the pending-ACK list in MySQL.  Push an event for one
 * user, for a user's friends or for a conversation's members (one
 * statement however many); fetch what is due for a user; ack; trim; find
 * who to wake.
 */
#ifndef CORE_EVENTS_H
#define CORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct db;

/* Events pushed in a transaction, for event_deliver after its commit. */
struct pushed {
	struct ids	 uid;	/* recipients */
	struct ids	 id;	/* their events */
	struct ids	 at;	/* created, ms since the epoch */
	char		*type;
	char		*payload;
};

int	event_push(struct db *, int64_t, const char *, const char *);
int	event_push_at(struct db *, int64_t, const char *, const char *,
	    int64_t);
int	event_push_friends(struct db *, int64_t, const char *, const char *);
int	event_push_members(struct db *, int64_t, int64_t, const char *,
	    const char *, struct ids *);
void	event_deliver(struct pushed *);
void	pushed_free(struct pushed *);
int	event_fetch(struct db *, int64_t, struct buf *, int *, int64_t *);
int	event_ack(struct db *, int64_t, const char *);
int	event_rev(struct db *, int64_t, int64_t *);
long	event_trim(struct db *, int64_t, int, int, struct ids *);
int	event_friend_ids(struct db *, int64_t, struct ids *);
int	event_member_ids(struct db *, int64_t, int64_t, struct ids *);

#endif /* CORE_EVENTS_H */
