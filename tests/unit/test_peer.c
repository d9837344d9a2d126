/*
 * test_peer.c: a node wakes users on another node only with a datagram
 * made under the shared key, fresh, from another node: a wake sent with
 * the wrong key, a changed byte, an old clock, a cut length or this
 * node's own origin (every node is given the same list, itself included)
 * wakes nobody.  The node here listens on a UDP port of 127.0.0.1 and
 * lists itself as its peer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../cgi-bin/peer.c"

#include "unit.h"

static pthread_mutex_t	 got_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t		 got[PEER_BATCH];
static size_t		 ngot;
static int		 calls;
static int		 port;
static char		 listen_at[64];

static void
got_fn(const int64_t *ids, size_t n)
{
	pthread_mutex_lock(&got_mu);
	memcpy(got, ids, n * sizeof(*ids));
	ngot = n;
	calls++;
	pthread_mutex_unlock(&got_mu);
}

/* Calls of got_fn so far, after waiting ms for one more than before. */
static int
calls_after(int before, int ms)
{
	int	 c = before;

	while (ms > 0) {
		pthread_mutex_lock(&got_mu);
		c = calls;
		pthread_mutex_unlock(&got_mu);
		if (c > before)
			break;
		usleep(10000);
		ms -= 10;
	}
	return c;
}

static int
free_udp_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 fd, p;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

/*
 * Send a wake as node origin with clock at, MAC'd under k, cut by cut
 * bytes, with byte flip (if >= 0) changed after the MAC was made.
 */
static void
send_raw(uint32_t origin, int64_t at, const unsigned char *k, size_t cut,
    int flip)
{
	unsigned char		 buf[512];
	struct peer_hdr		 h = { PEER_MAGIC, origin, at };
	int64_t			 ids[3] = { 11, 22, 33 };
	struct sockaddr_in	 sa;
	size_t			 body;
	int			 fd;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), ids, sizeof(ids));
	body = sizeof(h) + sizeof(ids);
	crypto_auth_hmacsha256(buf + body, buf, body, k);
	if (flip >= 0)
		buf[flip] ^= 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(sendto(fd, buf, body + crypto_auth_hmacsha256_BYTES -
	    cut, 0, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

START_TEST(t_only_fresh_signed_wakes_of_others)
{
	unsigned char	 other[sizeof(key)];
	int64_t		 mine[2] = { 5, 6 };
	int		 c;

	port = free_udp_port();
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	conf.origin = 7;
	conf.peers = listen_at;		/* the node lists itself too */
	conf.peer_listen = listen_at;
	conf.peer_key = "unit-test-peer-key-0123";
	ck_assert_int_eq(peer_init(1, got_fn), 0);
	ck_assert_uint_eq(npeers, 1);

	/* Its own wake comes back to it and is dropped. */
	peer_tell(mine, 2);
	ck_assert_int_eq(calls_after(0, 300), 0);

	/* Another node's, fresh and signed: woken, these ids. */
	send_raw(9, now_ms(), key, 0, -1);
	ck_assert_int_eq(calls_after(0, 2000), 1);
	ck_assert_uint_eq(ngot, 3);
	ck_assert_int_eq(got[0], 11);
	ck_assert_int_eq(got[2], 33);

	/* The wrong key, a byte changed, a cut MAC, an old clock: nothing. */
	memset(other, 0x5a, sizeof(other));
	send_raw(9, now_ms(), other, 0, -1);
	send_raw(9, now_ms(), key, 0, (int)sizeof(struct peer_hdr) + 3);
	send_raw(9, now_ms(), key, 4, -1);
	send_raw(9, now_ms() - 60000, key, 0, -1);
	ck_assert_int_eq(calls_after(1, 400), 1);

	/* And a good one still goes through after them. */
	send_raw(12, now_ms(), key, 0, -1);
	c = calls_after(1, 2000);
	ck_assert_int_eq(c, 2);
	peer_stop();
}
END_TEST

START_TEST(t_no_key_no_peer_wakes)
{
	conf.peers = "127.0.0.1:9";
	conf.peer_listen = NULL;
	conf.peer_key = "short";
	npeers = 0;
	ck_assert_int_eq(peer_init(0, NULL), -1);
	ck_assert_uint_eq(npeers, 0);	/* nothing is sent unsigned */
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("peer");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_only_fresh_signed_wakes_of_others);
	tcase_add_test(tc, t_no_key_no_peer_wakes);
	return unit_run("peer", tc);
}
