/*
 * peer.c: wakes between chat nodes, straight from node to node.  A node
 * that commits events for users sends their ids as one UDP datagram to
 * each node of CHAT_PEERS; a node listening on CHAT_PEER_LISTEN wakes
 * them in its processes at once.  Without it a node hears of another's
 * events only from its watcher (core_watch.c), CHAT_WATCH_MS later; the
 * watcher stays as the safety net for a datagram lost, a node not in the
 * list, a CGI host.
 *
 * A datagram is a header (magic, the sender's origin, its clock in ms),
 * at most PEER_BATCH user ids and an HMAC-SHA-256 of all that under a key
 * derived from CHAT_PEER_KEY: a wake from anyone else, or one older than
 * PEER_SKEW_MS, is dropped unread.  A wake carries no data, only "look in
 * MySQL for these users"; the key keeps a stranger from making every node
 * look for everyone.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "peer.h"
#include "util.h"

#define PEER_MAGIC	0x43485731u	/* "CHW1" */
#define PEER_BATCH	128		/* ids a datagram: it fits one frame */
#define PEER_MAX	32		/* nodes in CHAT_PEERS */
#define PEER_SKEW_MS	10000		/* clocks of nodes agree this well */

struct peer_hdr {
	uint32_t	 magic;
	uint32_t	 origin;
	int64_t		 at;		/* sender's clock, ms since the epoch */
};

struct peer_addr {
	struct sockaddr_storage	 sa;
	socklen_t		 len;
};

static struct peer_addr	 peers[PEER_MAX];
static size_t		 npeers;
static int		 tx4 = -1, tx6 = -1, rx = -1;
static unsigned char	 key[crypto_auth_hmacsha256_KEYBYTES];
static wake_fn		 on_wake;	/* wake.h */
static pthread_t	 rx_thread;
static volatile int	 rx_stop;

/* "host:port" or "[v6]:port" into *a.  0 or -1. */
static int
peer_resolve(const char *s, size_t n, struct peer_addr *a, int passive)
{
	struct addrinfo	 hints, *res;
	char		 buf[300], *host, *port;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((port = strrchr(buf, ':')) == NULL)
		return -1;
	*port++ = '\0';
	host = buf;
	if (host[0] == '[' && port - buf >= 3 && port[-2] == ']') {
		host++;
		port[-2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if (getaddrinfo(*host != '\0' ? host : NULL, port, &hints, &res) != 0)
		return -1;
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The receiving thread: verify, then wake the users on this host. */
static void *
peer_rx(void *arg)
{
	unsigned char	 buf[sizeof(struct peer_hdr) + PEER_BATCH *
			    sizeof(int64_t) + crypto_auth_hmacsha256_BYTES];
	int64_t		 ids[PEER_BATCH];
	struct peer_hdr	 h;
	ssize_t		 n;
	size_t		 body;
	int64_t		 skew;
	int		 told = 0;

	(void)arg;
	while (!rx_stop) {
		if ((n = recv(rx, buf, sizeof(buf), 0)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if ((size_t)n < sizeof(h) + crypto_auth_hmacsha256_BYTES)
			continue;
		body = (size_t)n - crypto_auth_hmacsha256_BYTES;
		if ((body - sizeof(h)) % sizeof(int64_t) != 0 ||
		    crypto_auth_hmacsha256_verify(buf + body, buf, body,
		    key) != 0)
			continue;
		memcpy(&h, buf, sizeof(h));
		if (h.magic != PEER_MAGIC || h.origin == conf.origin)
			continue;
		skew = now_ms() - h.at;
		if (skew > PEER_SKEW_MS || skew < -PEER_SKEW_MS) {
			if (!told++)
				LOG("peer wakes from node %u dropped: its clock "
				    "is %lld ms off this one's (the watcher "
				    "still wakes, later)", h.origin,
				    (long long)skew);
			continue;
		}
		memcpy(ids, buf + sizeof(h), body - sizeof(h));
		if (body > sizeof(h))
			on_wake(ids, (body - sizeof(h)) / sizeof(int64_t));
	}
	return NULL;
}

/*
 * Read CHAT_PEERS, CHAT_PEER_LISTEN and CHAT_PEER_KEY.  With listen set,
 * bind CHAT_PEER_LISTEN and hand the wakes received to fn (from a thread
 * of its own); otherwise only send.  Nothing set: nothing done.  A
 * setting that does not work is logged and leaves peer wakes off (the
 * watcher still wakes).  0, or -1 when off for a fault.
 */
int
peer_init(int listen, wake_fn fn)
{
	struct peer_addr	 a;
	struct timeval		 tv = { 0, 200000 };
	const char		*s, *e;
	int			 sz = 1 << 20;

	if (conf.peers == NULL && conf.peer_listen == NULL)
		return 0;
	if (sodium_init() < 0)
		return -1;
	if (conf.peer_key == NULL || strlen(conf.peer_key) < 16) {
		LOG("CHAT_PEERS/CHAT_PEER_LISTEN without a CHAT_PEER_KEY of 16 "
		    "characters or more: no peer wakes (the watcher wakes)");
		return -1;
	}
	crypto_generichash(key, sizeof(key),
	    (const unsigned char *)conf.peer_key, strlen(conf.peer_key),
	    (const unsigned char *)"chat peer wakes", 15);
	for (s = conf.peers; s != NULL && *s != '\0'; s = *e ? e + 1 : e) {
		e = s + strcspn(s, ",");
		while (s < e && *s == ' ')
			s++;
		if (s == e)
			continue;
		if (npeers == PEER_MAX) {
			LOG("CHAT_PEERS: more than %d nodes; the rest are "
			    "woken by their watchers", PEER_MAX);
			break;
		}
		if (peer_resolve(s, (size_t)(e - s), &peers[npeers], 0) == -1) {
			LOG("CHAT_PEERS: cannot resolve %.*s (host:port)",
			    (int)(e - s), s);
			continue;
		}
		npeers++;
	}
	tx4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	tx6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (!listen || conf.peer_listen == NULL)
		return 0;
	if (peer_resolve(conf.peer_listen, strlen(conf.peer_listen), &a,
	    1) == -1) {
		LOG("CHAT_PEER_LISTEN: cannot resolve %s (host:port)",
		    conf.peer_listen);
		return -1;
	}
	if ((rx = socket(a.sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(rx, (struct sockaddr *)&a.sa, a.len) == -1) {
		LOG("CHAT_PEER_LISTEN %s: %s: no peer wakes reach this "
		    "process (the watcher wakes)", conf.peer_listen,
		    strerror(errno));
		close(rx);
		rx = -1;
		return -1;
	}
	on_wake = fn;
	if (pthread_create(&rx_thread, NULL, peer_rx, NULL) != 0) {
		close(rx);
		rx = -1;
		return -1;
	}
	return 0;
}

/* Tell every node of CHAT_PEERS to wake these users. */
void
peer_tell(const int64_t *ids, size_t n)
{
	unsigned char	 buf[sizeof(struct peer_hdr) + PEER_BATCH *
			    sizeof(int64_t) + crypto_auth_hmacsha256_BYTES];
	struct peer_hdr	 h;
	size_t		 i, k, chunk, body;
	int		 fd;

	if (npeers == 0 || n == 0)
		return;
	h.magic = PEER_MAGIC;
	h.origin = conf.origin;
	for (k = 0; k < n; k += chunk) {
		chunk = n - k > PEER_BATCH ? PEER_BATCH : n - k;
		h.at = now_ms();
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), ids + k, chunk * sizeof(*ids));
		body = sizeof(h) + chunk * sizeof(*ids);
		crypto_auth_hmacsha256(buf + body, buf, body, key);
		for (i = 0; i < npeers; i++) {
			fd = peers[i].sa.ss_family == AF_INET6 ? tx6 : tx4;
			/* Lost (a full queue, a node down): the watcher. */
			if (fd != -1)
				(void)sendto(fd, buf, body +
				    crypto_auth_hmacsha256_BYTES, 0,
				    (struct sockaddr *)&peers[i].sa,
				    peers[i].len);
		}
	}
}

/* Stop listening (the sanitizer build wants the thread joined). */
void
peer_stop(void)
{
	if (rx != -1) {
		rx_stop = 1;
		shutdown(rx, SHUT_RDWR);
		pthread_join(rx_thread, NULL);
		close(rx);
		rx = -1;
	}
}
