/*
 * core_match.h: stranger matching (seed 002).  A queue in MySQL; the first
 * two waiting users get a new match conversation and match_found each.
 */
#ifndef CORE_MATCH_H
#define CORE_MATCH_H

#include <stdint.h>

#include "util.h"

struct db;

enum match_result {
	MATCH_WAITING,
	MATCH_FOUND,
	MATCH_FULL,	/* CAP_LIVE_MATCHES open already */
	MATCH_ERROR
};

struct match_out {
	int64_t	 conv_id;
	int64_t	 partner_id;
};

enum match_result match_join(struct db *, int64_t, struct match_out *);
int	match_cancel(struct db *, int64_t);
int	match_leave(struct db *, int64_t, int64_t, struct ids *);
int	match_user_gone(struct db *, int64_t, struct ids *);
int	match_user_away(struct db *, int64_t, int, struct ids *);
int	match_partner_json(struct db *, int64_t, struct buf *);
int	match_away(struct db *, int64_t);
int	match_back(struct db *, int64_t);

#endif /* CORE_MATCH_H */
