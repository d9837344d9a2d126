/*
 * peer.h: wakes sent straight from chat node to chat node over UDP
 * (CHAT_PEERS, CHAT_PEER_LISTEN, CHAT_PEER_KEY); the watcher is the
 * safety net.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>
#include <stdint.h>

#include "wake.h"

int	peer_init(int, wake_fn);
void	peer_tell(const int64_t *, size_t);
void	peer_stop(void);

#endif /* PEER_H */
