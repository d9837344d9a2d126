/*
 * inbox.h: what this process knows to be due for a user, so that most
 * polls are answered without asking MySQL.  A fetch from MySQL that saw all
 * of a user's events makes their inbox known; events this process commits
 * are fed into it; any other change it hears of (a wake from elsewhere, an
 * unfed push) makes it unknown again, as does time.  MySQL stays the truth:
 * the inbox only ever says "nothing else is due" for a short while.
 */
#ifndef INBOX_H
#define INBOX_H

#include <stddef.h>
#include <stdint.h>

struct inbox_ev {
	int64_t	 id;
	int64_t	 at;		/* created, ms since the epoch */
	char	*type;
	char	*payload;	/* JSON object text */
};

uint64_t	inbox_epoch(int64_t);
void		inbox_trust(int64_t, uint64_t, int64_t);
void		inbox_feed(int64_t, int64_t, int64_t, const char *,
		    const char *);
void		inbox_forget(const int64_t *, size_t);
int		inbox_known(int64_t);
int		inbox_take(int64_t, size_t, struct inbox_ev **, size_t *,
		    int64_t *);
void		inbox_drop(int64_t, const int64_t *, size_t);
void		inbox_ev_free(struct inbox_ev *, size_t);
void		inbox_alone(int);
int		inbox_is_alone(void);

#endif /* INBOX_H */
