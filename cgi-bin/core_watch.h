/*
 * core_watch.h: the cross-host watcher thread: wakes the local polls of
 * users with events written on other hosts, and keeps parked users'
 * last_seen fresh.
 */
#ifndef CORE_WATCH_H
#define CORE_WATCH_H

void	watch_start(void);

#endif /* CORE_WATCH_H */
