/*
 * seed.h: what the two seed-protocol adapters (seed003_talk.c, seed002.c)
 * share: the long-poll fetch that turns the native events of
 * event_fetch() into the adapter's own items and acks, unseen, the events
 * its protocol has no form for (seed.c).
 */
#ifndef SEED_H
#define SEED_H

#include <json.h>

struct req;

/*
 * Turn native event ev ({"id","type","at",...payload}) into zero or one
 * item appended to items: 1 appended, 0 no form in this protocol (the
 * event is acked), -1 database error.  ctx is the fetch's own state.
 */
typedef int (*seed_item)(struct req *, struct json_object *,
		    struct json_object *, void *);

int	seed_fetch(struct req *, int, const char *, seed_item, void *);

#endif /* SEED_H */
