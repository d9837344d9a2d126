/*
 * core_friends.h: friendship rules shared by the native API and the seed
 * 003 adapter.  Each change runs its own transaction and wakes whoever got
 * an event.  Results: FR_OK and the FR_* refusals below, or FR_ERROR.
 */
#ifndef CORE_FRIENDS_H
#define CORE_FRIENDS_H

#include <stdint.h>

#include "util.h"

struct db;
struct json_object;

enum fr_result {
	FR_OK,
	FR_ACCEPTED,	/* request met a pending one from the other side */
	FR_SELF,
	FR_NO_USER,
	FR_ALREADY,	/* already friends */
	FR_DUPLICATE,	/* request already pending */
	FR_NO_REQUEST,
	FR_NOT_FRIENDS,
	FR_ERROR,
	FR_AGAIN,	/* in core_friends.c: a race lost, run it again */
	FR_BLOCKED	/* the asker blocked them: unblock first */
};

struct fr_out {
	int64_t	 request_id;
	int64_t	 other_id;	/* the other user */
	int64_t	 conv_id;	/* direct conversation, when friends */
	int64_t	 created_at;	/* request time, ms */
	int64_t	 answered_at;	/* accept or reject: its event's time, ms */
	int	 quiet;		/* they blocked the asker: nobody is told */
};

enum fr_result friend_request(struct db *, int64_t, const char *,
		    const char *, const char *, struct fr_out *);
enum fr_result friend_accept(struct db *, int64_t, int64_t, struct fr_out *);
enum fr_result friend_reject(struct db *, int64_t, int64_t, struct fr_out *);
enum fr_result friend_remove(struct db *, int64_t, const char *);
enum fr_result friend_request_by_names(struct db *, const char *,
		    const char *, int64_t *);
int	friend_check(struct db *, int64_t, int64_t);
int	friend_tell_self(struct db *, int64_t, const char *, int64_t);
int	friend_request_json(struct db *, int64_t, struct buf *);
int	friend_list(struct db *, int64_t, struct json_object **);
int	friend_requests(struct db *, int64_t, struct json_object **);

#endif /* CORE_FRIENDS_H */
