/*
 * events.h: the pending-ACK list in MySQL.  Push an event for one user, for
 * a user's friends or for a conversation's members (one statement however
 * many); fetch what is due for a user; ack; find who to wake.
 */
#ifndef EVENTS_H
#define EVENTS_H

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
void	event_handed_out(int64_t, struct buf *);

/*
 * SQL: an event row handed out already, the ? bound to the JSON array
 * event_handed_out writes (the seed adapters' acks take only those).
 */
#define EVENT_HANDED_OUT	"(sent_at IS NOT NULL OR id IN (SELECT j.id " \
	"FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) " \
	"AS j))"
void	pushed_free(struct pushed *);
int	event_fetch(struct db *, int64_t, struct buf *, int *, int64_t *);
int	event_ack(struct db *, int64_t, const char *);
int	event_ack_later(int64_t, const int64_t *, size_t);
long	event_trim(struct db *, int64_t, int, int, struct ids *);
int	event_friend_ids(struct db *, int64_t, struct ids *);
int	event_member_ids(struct db *, int64_t, int64_t, struct ids *);
/* What the cross-host watcher remembers between looks (event_watch). */
struct watch {
	int64_t		 last;		/* highest id seen; -1: not started */
	int64_t		 low;		/* a look reads the ids above this */
	int64_t		 low_next;	/* low from low_at on */
	int64_t		 low_at;	/* mono ms */
	struct ids	 seen;		/* ids above low woken for, ascending */
};

int	event_watch(struct db *, struct watch *, struct ids *);
int	event_marker_start(void);
void	event_marker_stop(void);

#endif /* EVENTS_H */
