/*
 * api_messages.h: what the front sets up for POST /api/messages: the call
 * that finishes a request answered after its handler returned (a send
 * stored by another thread's batch).
 */
#ifndef API_MESSAGES_H
#define API_MESSAGES_H

struct req;

void	msg_init(void (*)(struct req *));

#endif /* API_MESSAGES_H */
