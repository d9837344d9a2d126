/*
 * core_messages.h: sending and reading messages, shared by the native API
 * and the seed adapters.  The rules (friends only for direct messages,
 * members only, idempotent client_id, gapless seq) live here and nowhere
 * else.
 */
#ifndef CORE_MESSAGES_H
#define CORE_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct db;
struct send;

enum msg_result {
	MSG_OK,		/* stored now */
	MSG_REPEAT,	/* same client_id seen before: the first message */
	MSG_NO_USER,
	MSG_SELF,
	MSG_NOT_FRIENDS,
	MSG_NO_CONV,
	MSG_NOT_MEMBER,
	MSG_ENDED,	/* stranger chat over */
	MSG_ERROR
};

struct msg {
	int64_t	 id;
	int64_t	 conv_id;
	int64_t	 seq;
	int64_t	 sent_at;
	char	*body;		/* MSG_REPEAT: the stored body (caller frees) */
	size_t	 body_len;
};

enum msg_result msg_resolve_user(struct db *, int64_t, const char *,
		    int64_t *);
enum msg_result msg_resolve_conv(struct db *, int64_t, int64_t);
enum msg_result msg_send(struct db *, int64_t, const char *, int64_t,
		    const char *, size_t, const char *, size_t, struct msg *);
void	msg_json(struct buf *, const struct msg *, const char *, const char *,
	    size_t, const char *, size_t);
void	msg_json_notice(struct buf *, const char *);
void	msg_json_file(struct buf *, const char *);
int	msg_by_client(struct db *, int64_t, const char *, size_t,
	    struct msg *);
void	msg_send_init(struct send *, int64_t, const char *, int64_t,
	    const char *, size_t, const char *, size_t);
enum msg_result msg_outcome(struct db *, struct send *, struct msg *);
int	msg_history(struct db *, int64_t, int64_t, int64_t, int64_t,
	    struct buf *);
int	msg_one(struct db *, int64_t, struct buf *);
void	msg_json_edited(struct buf *, int64_t, int);
void	msg_json_more(struct buf *, const struct send *);
void	msg_reply_json(struct buf *, int64_t, int64_t, const char *,
	    const char *, size_t, int);

#endif /* CORE_MESSAGES_H */
