/*
 * core_live.h: the live signals that are not events (issue 25): who is
 * typing where, and going offline at once when the last page goes.
 */
#ifndef CORE_LIVE_H
#define CORE_LIVE_H

#include <stdint.h>

#include "core_messages.h"
#include "util.h"

struct db;

int		 typing_allowed(int64_t);
enum msg_result	 typing_note(struct db *, int64_t, int64_t);
int		 typing_fetch(struct db *, int64_t, int64_t, struct buf *,
		    int *);
int		 typing_watch(struct db *, int64_t *, struct ids *);
int		 typing_sweep(struct db *);
int		 user_gone(struct db *, int64_t);

#endif /* CORE_LIVE_H */
