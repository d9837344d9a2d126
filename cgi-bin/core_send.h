/*
 * core_send.h: the send batcher.  Sends that arrive together are stored
 * together by one CALL send_batch; a send's owner waits for its result
 * (send_queued), or gives it an answer function that whoever stores it
 * calls (send_async).  What a result means is core_messages.h's.
 */
#ifndef CORE_SEND_H
#define CORE_SEND_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core_events.h"
#include "util.h"

struct db;
struct send;

/* Called by the thread that stored s, which it now owns (send_async). */
typedef void (*send_answer_fn)(struct db *, struct send *);

/*
 * One send on its way through the send queue.  The owner fills the input
 * (msg_send_init); whoever stores it fills the result; state says how far
 * it got.  A send with an answer function has no owner waiting: whoever
 * stores it calls answer, which frees it.
 */
struct send {
	int64_t		 sender, conv, sent_at;
	const char	*sname, *cid, *body;
	size_t		 clen, blen;
	struct buf	 tail;		/* the event JSON after "seq" */
	struct buf	 more;		/* keys added to the message JSON, e.g.
					   ",\"reply_to\":{...}" (core_edit.c) */
	int64_t		 reply_to;	/* the message it answers, or 0 */
	enum { SEND_QUEUED, SEND_TAKEN, SEND_DONE, SEND_ALONE } state;
	int64_t		 code, id, seq;	/* its outcome in send_batch's results */
	struct pushed	 to;		/* the recipients' events */
	struct send	*next;
	send_answer_fn	 answer;	/* NULL: its owner waits on cv */
	void		*arg;		/* the answer's, e.g. the request */
	pthread_cond_t	 cv;
	int		 waiting;
};

/* How one more send would fare (send_room). */
enum { SEND_FULL, SEND_WAIT, SEND_FREE };

int	send_store(struct db *, struct send **, size_t);
int	send_room(void);
void	send_queued(struct db *, struct send *);
void	send_async(struct db *, struct send *);

#endif /* CORE_SEND_H */
