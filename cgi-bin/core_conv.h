/*
 * core_conv.h: conversations as their members see them: the list, one
 * conversation, membership and roles, read marks.  The results of these
 * calls and of core_topics.h's changes: CONV_OK, a refusal, or
 * CONV_ERROR (the database).
 */
#ifndef CORE_CONV_H
#define CORE_CONV_H

#include <stdint.h>

#include "util.h"

struct db;

enum conv_result {
	CONV_OK,
	CONV_NO_CONV,		/* no such conversation */
	CONV_NOT_MEMBER,	/* not in this conversation */
	CONV_NOT_TOPIC,		/* a direct or stranger chat: no roles */
	CONV_NOT_ADMIN,		/* only the owner and admins */
	CONV_NOT_OWNER,		/* only the owner */
	CONV_NOT_FRIENDS,	/* a named user is not a friend */
	CONV_FULL,		/* CAP_TOPIC_MEMBERS */
	CONV_NO_MEMBER,		/* the named user is not a member */
	CONV_OWNER,		/* the owner cannot be removed */
	CONV_SELF,		/* to leave, leave */
	CONV_DIRECT,		/* a direct chat ends by removing the friend */
	CONV_ERROR
};

/* A member's role (conv_role), plus the conversation's kind. */
enum role {
	ROLE_MEMBER,
	ROLE_ADMIN,
	ROLE_OWNER,
	ROLE_NOT_TOPIC = 3,	/* direct or match: no roles */
	ROLE_MATCH = 10,	/* and more: a stranger chat */
};

int	conv_role(struct db *, int64_t, int64_t, int64_t *);
enum conv_result conv_member(struct db *, int64_t, int64_t, int64_t *);
int	conv_list(struct db *, int64_t, int64_t, int64_t, int64_t,
	    struct buf *);
enum conv_result conv_json(struct db *, int64_t, int64_t, struct buf *);
enum conv_result conv_read(struct db *, int64_t, const char *, int64_t,
		    int64_t);
int	conv_is_direct(struct db *, int64_t);
enum conv_result conv_mute(struct db *, int64_t, int64_t, int);

#endif /* CORE_CONV_H */
