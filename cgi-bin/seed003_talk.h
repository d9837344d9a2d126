/*
 * seed003_talk.h: the seed 003 frames that talk to others, for seed003.c's
 * dispatcher: TYPE "4" a message, "5" an ack, "6" a friendship change.
 * Each takes the frame's CONTENT (or the id acked) and the frame id its
 * reply echoes, and returns the status sent.
 */
#ifndef SEED003_TALK_H
#define SEED003_TALK_H

#include <stddef.h>

struct json_object;
struct req;

int	talk_message(struct req *, struct json_object *, const char *, size_t);
int	talk_ack(struct req *, const char *, size_t, const char *, size_t);
int	talk_friend(struct req *, struct json_object *, const char *, size_t);

#endif /* SEED003_TALK_H */
