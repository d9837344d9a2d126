/*
 * core_sessions.h: a user's sessions as devices: where each was opened,
 * its last use, ending one or every other (issue 26).
 */
#ifndef CORE_SESSIONS_H
#define CORE_SESSIONS_H

#include <stdint.h>

struct buf;
struct db;

void	session_describe(struct db *, int64_t, const char *, const char *);
void	session_used(struct db *, int64_t);
int	session_list(struct db *, int64_t, int64_t, struct buf *);
int	session_end(struct db *, int64_t, int64_t);
int	session_end_others(struct db *, int64_t, int64_t);

#endif /* CORE_SESSIONS_H */
