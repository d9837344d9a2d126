/*
 * wake.h: tell the processes on this host that users have new events.
 * Each backend process binds a datagram socket in $CHAT_RUN/wake/; a wake
 * goes to this process's waiters directly and to every other socket there
 * as one datagram of user ids.  Processes on other hosts see new events
 * through the watcher (core_watch.c).
 */
#ifndef WAKE_H
#define WAKE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*wake_fn)(const int64_t *, size_t);

int	wake_init(wake_fn, wake_fn, int);
void	wake_users(const int64_t *, size_t);
void	wake_users_fed(const int64_t *, size_t);
void	wake_here(const int64_t *, size_t);
void	wake_user(int64_t);
void	wake_remote(wake_fn);
void	wake_from_remote(const int64_t *, size_t);
void	wake_stop(void);
int	wake_listen(int, int *);
int	wake_wait(int64_t, int64_t);
void	wake_unlisten(void);

#endif /* WAKE_H */
