/*
 * poll.h: the long-poll receive shared by the native API and the seed
 * adapters: parse timeout and acks, fetch, park, and the cross-host
 * watcher.
 */
#ifndef POLL_H
#define POLL_H

#include "waiter.h"

struct req;

int	poll_prepare(struct req *);
int	poll_run(struct req *, waiter_fetch);
int	poll_ack_list(struct req *, const char *);

#endif /* POLL_H */
