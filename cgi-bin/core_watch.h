/*
 * core_watch.h: the cross-host watcher thread: wakes the local polls of
 * users with events written on other hosts, and keeps parked users'
 * last_seen fresh.
 */
#ifndef CORE_WATCH_H
#define CORE_WATCH_H

struct db;

void	watch_start(void);
int	node_beat(struct db *);

#endif /* CORE_WATCH_H */
