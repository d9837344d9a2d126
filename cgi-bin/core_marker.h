/*
 * core_marker.h: events handed out and acked, on their way to MySQL: the
 * marker thread (chatd) stamps and deletes them in one statement every
 * few milliseconds; until then fetches skip them.  And the seed
 * adapters' acks of what was handed out.
 */
#ifndef CORE_MARKER_H
#define CORE_MARKER_H

#include <stddef.h>
#include <stdint.h>

struct db;

int	marker_start(void);
void	marker_stop(void);
int	marker_running(void);
int	marker_later(int64_t, const int64_t *, size_t);
int	marker_pending(int64_t, int64_t);
int64_t	marker_ack_later(int64_t, const int64_t *, size_t);
void	marker_ack_wait(int64_t);
int	marker_ack_frame(struct db *, int64_t, const char *);
int	marker_ack_cmds(struct db *, int64_t);

#endif /* CORE_MARKER_H */
