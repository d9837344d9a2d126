/*
 * core_edit.h: editing and deleting a sent message; the message a reply
 * answers.
 */
#ifndef CORE_EDIT_H
#define CORE_EDIT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct db;

enum edit_result {
	EDIT_OK,
	EDIT_NO_MSG,		/* no such message, or not a member there */
	EDIT_NOT_YOURS,		/* someone else's (and not a group admin's delete) */
	EDIT_NOTICE,		/* a group notice line: nobody's to change */
	EDIT_DELETED,		/* deleted: nothing to edit */
	EDIT_NOT_FRIENDS,	/* direct chat, friendship ended */
	EDIT_ENDED,		/* stranger chat over */
	EDIT_NO_REPLY,		/* reply: no such message in the conversation */
	EDIT_ERROR
};

enum edit_result msg_reply_find(struct db *, int64_t, int64_t,
		    struct buf *);
enum edit_result msg_edit(struct db *, int64_t, int64_t, const char *,
		    size_t, struct buf *);
enum edit_result msg_delete(struct db *, int64_t, int64_t, struct buf *);

#endif /* CORE_EDIT_H */
