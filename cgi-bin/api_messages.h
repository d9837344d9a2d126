/*
 * api_messages.h: what the front sets up for POST /api/messages: the call
 * that finishes a request answered after its handler returned (a send
 * stored by another thread's batch); and the answer to a refused send,
 * which a typing signal shares (api_live.c).
 */
#ifndef API_MESSAGES_H
#define API_MESSAGES_H

#include "core_messages.h"

struct req;

void	msg_init(void (*)(struct req *));
int	msg_fail(struct req *, enum msg_result);

#endif /* API_MESSAGES_H */
