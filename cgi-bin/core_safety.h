/*
 * core_safety.h: what keeps someone away (issue 26): blocks, reports from
 * stranger chats, and taking back a friend request.  A block is silent:
 * the blocked user is never told, and what they try fails the way it
 * would without a block.
 */
#ifndef CORE_SAFETY_H
#define CORE_SAFETY_H

#include <stdint.h>

#include "core_friends.h"

struct db;
struct json_object;

enum safe_result {
	SAFE_OK,
	SAFE_SELF,
	SAFE_NO_USER,
	SAFE_NO_CONV,	/* not a stranger chat of yours, or nobody in it */
	SAFE_RATE,	/* too many reports: wait */
	SAFE_ERROR
};

int	safe_partner(struct db *, int64_t, int64_t, int64_t *);
enum safe_result block_add(struct db *, int64_t, int64_t, int64_t);
int	block_remove(struct db *, int64_t, int64_t);
int	block_list(struct db *, int64_t, struct json_object **);
enum safe_result report_add(struct db *, int64_t, int64_t, const char *,
	    int *);
enum fr_result friend_cancel(struct db *, int64_t, int64_t);

#endif /* CORE_SAFETY_H */
