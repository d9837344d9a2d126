/*
 * api_poll.h: the long-poll receive shared by the native API and the seed
 * adapters: parse timeout and acks, fetch, park.
 */
#ifndef API_POLL_H
#define API_POLL_H

#include "waiter.h"

struct json_object;
struct req;

int	poll_prepare(struct req *);
int	poll_run(struct req *, waiter_fetch);
int	poll_ack_ids(struct req *, struct json_object *);

#endif /* API_POLL_H */
