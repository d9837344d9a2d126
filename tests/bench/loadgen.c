/*
 * loadgen.c: the chat server's load generator (make bench).  One thread,
 * epoll, plain sockets, HTTP/1.1 keep-alive.  It creates its users and
 * friendships through the API (cached in $BENCH_STATE so that the argon2
 * cost is paid once), then runs a scenario and prints one line per result.
 * Every message is counted on both sides: sent (201), received (unique
 * message ids seen by the receivers' polls) and acked; a scenario that
 * loses a message prints LOST and exits 1.
 *
 *   loadgen latency   [pairs] [seconds]      1 msg/s per sender
 *   loadgen throughput [pairs] [seconds]     closed loop, as fast as taken
 *   loadgen idle      [polls]                park polls of distinct guests,
 *                                            then run latency on top
 *   loadgen fanout    [members]              one message to a topic
 *   loadgen footprint                        RSS of the stack, idle
 *   loadgen calibrate [seconds]              the HTTP path alone: the
 *                                            machine's speed right now
 *   loadgen cross     [pairs] [seconds]      latency, each pair's receiver
 *                                            on the node of BENCH_URL2
 *   loadgen throughput2 [pairs] [seconds]    throughput, the same way
 * Settings: BENCH_URL (http://127.0.0.1:PORT/), BENCH_URL2 (a second chat
 * node over the same database: the receivers' node), BENCH_STATE (cache folder),
 * BENCH_STACK (stack folder, for pid files: CPU and RSS), BENCH_WARMUP
 * (seconds of throughput not measured, 5).
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#define MAXEV	512

struct conn;
typedef void (*done_fn)(struct conn *, int status, const char *body, size_t len);

struct conn {
	int		 fd;
	int		 busy;
	char		*out;
	size_t		 outlen, outoff;
	char		*in;
	size_t		 inlen, incap;
	done_fn		 cb;
	void		*arg;
	char		 cookie[64];	/* set-cookie sid, if any */
	int		 answers;	/* on this connection so far */
	const struct sockaddr_in *to;	/* NULL: BENCH_URL's node */
	int		 resent;	/* this request, on a new connection */
};

struct vuser {
	char		 name[48];
	char		 sid[64];
	int64_t		 conv;		/* conversation with the peer */
	struct vuser	*peer;
	struct conn	 poll, send;
	char		 acks[4096];	/* "1,2,3" to ack on the next poll */
	int		 polling;
	int64_t		 next_send;	/* ms, monotonic */
	long		 seq;
	int64_t		 last_msg;	/* fan-out: the last message id seen */
};

static struct sockaddr_in	 addr, addr2;	/* BENCH_URL, BENCH_URL2 */
static char			 host[64] = "127.0.0.1";
static int			 ep;
static const char		*state_dir = "/tmp";
static const char		*stack_dir;

/* Counters of the running scenario. */
static long	 sent, received, acked, errors, dupes;
static int	 stop_sending;
static double	*lat;		/* ms, one per received message */
static size_t	 nlat, caplat;
static unsigned char *seen;	/* by message id */
static size_t	 capseen;

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
now_ms(void)
{
	return now_ns() / 1000000;
}

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("out of memory");
	return p;
}

/* Open a non-blocking connection for c. */
static void
conn_open(struct conn *c)
{
	struct epoll_event	 ev;
	int			 one = 1;

	c->answers = 0;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)(c->to ? c->to : &addr),
	    sizeof(addr)) == -1 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
}

/* Write what is pending; switch to reading when all is out. */
static void
conn_flush(struct conn *c)
{
	struct epoll_event	 ev;
	ssize_t			 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == ENOTCONN)
				return;
			return;	/* reported when reading */
		}
		c->outoff += (size_t)n;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Start a request on c; cb gets the answer (status -1: connection lost). */
static void
conn_req(struct conn *c, const char *method, const char *path,
    const char *sid, const char *body, done_fn cb, void *arg)
{
	char	 head[8192];
	size_t	 blen = body ? strlen(body) : 0;
	int	 n;

	if (c->busy)
		die("connection busy");
	n = snprintf(head, sizeof(head), "%s /api/%s HTTP/1.1\r\nHost: %s\r\n",
	    method, path, host);
	if (sid && *sid)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Cookie: sid=%s\r\n", sid);
	if (body)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n",
		    blen);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	c->out = xrealloc(c->out, (size_t)n + blen);
	memcpy(c->out, head, (size_t)n);
	if (blen)
		memcpy(c->out + n, body, blen);
	c->outlen = (size_t)n + blen;
	c->outoff = 0;
	c->inlen = 0;
	c->cb = cb;
	c->arg = arg;
	c->busy = 1;
	c->resent = 0;
	c->cookie[0] = '\0';
	if (c->fd < 0)
		conn_open(c);
	else {
		struct epoll_event ev = { EPOLLIN | EPOLLOUT, { .ptr = c } };

		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* A complete answer in c->in?  Calls back and returns 1. */
static int
conn_parse(struct conn *c)
{
	char	*end, *p, *cl, *ck;
	size_t	 hlen, blen = 0;
	int	 status, close_after;
	done_fn	 cb;

	if (c->inlen < 12)
		return 0;
	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end - c->in) + 4;
	status = atoi(c->in + 9);
	if ((cl = strcasestr(c->in, "\r\nContent-Length:")) != NULL && cl < end)
		blen = strtoul(cl + 17, NULL, 10);
	if (c->inlen < hlen + blen)
		return 0;
	close_after = (p = strcasestr(c->in, "\r\nConnection: close")) != NULL &&
	    p < end;
	if ((ck = strcasestr(c->in, "\r\nSet-Cookie: sid=")) != NULL && ck < end) {
		size_t n = strcspn(ck + 18, ";\r");

		if (n < sizeof(c->cookie)) {
			memcpy(c->cookie, ck + 18, n);
			c->cookie[n] = '\0';
		}
	}
	c->busy = 0;
	c->answers++;
	if (close_after)
		conn_close(c);
	cb = c->cb;
	end[4 + blen] = '\0';
	cb(c, status, c->in + hlen, blen);
	return 1;
}

static void
conn_event(struct conn *c, uint32_t events)
{
	ssize_t	 n;
	done_fn	 cb;

	if (events & EPOLLOUT)
		conn_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		if (c->incap - c->inlen < 65536) {
			c->incap = c->incap ? c->incap * 2 : 131072;
			c->in = xrealloc(c->in, c->incap + 1);
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			if (conn_parse(c))
				return;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		/* Closed: keep-alive limit or a failure mid-request. */
		conn_close(c);
		if (c->busy && c->inlen == 0 && c->answers > 0 && !c->resent) {
			/*
			 * The server closed an idle kept-alive connection as
			 * the request went out (as browsers do: send again).
			 */
			c->resent = 1;
			c->outoff = 0;
			conn_open(c);
			return;
		}
		if (c->busy) {
			c->busy = 0;
			cb = c->cb;
			cb(c, -1, "", 0);
		}
		return;
	}
}

/* Run the loop for up to ms milliseconds, or until *flag is set. */
static void
run(int64_t ms, int *flag, void (*tick)(void))
{
	struct epoll_event	 evs[MAXEV];
	int64_t			 end = now_ms() + ms;
	int			 i, n;

	while (now_ms() < end && !(flag && *flag)) {
		n = epoll_wait(ep, evs, MAXEV, 2);
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
		if (tick)
			tick();
	}
}

/* ---------- setup through the API ---------- */

static int	 pending;

static void
setup_done(struct conn *c, int st, const char *body, size_t len)
{
	struct vuser	*u = c->arg;
	json_object	*o, *v;

	pending--;
	if (st < 0)
		die("no answer from http://%s:%d/ (is the stack running? "
		    "BENCH_URL)", host, ntohs(addr.sin_port));
	if (st != 200 && st != 201) {
		fprintf(stderr, "setup: %d %.*s\n", st, (int)len, body);
		errors++;
		return;
	}
	if (c->cookie[0])
		snprintf(u->sid, sizeof(u->sid), "%s", c->cookie);
	if ((o = json_tokener_parse(body)) != NULL) {
		if (json_object_object_get_ex(o, "conversation_id", &v))
			u->conv = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "id", &v) &&
		    json_object_object_get_ex(o, "from", NULL))
			u->seq = (long)json_object_get_int64(v);	/* request id */
		if (json_object_object_get_ex(o, "id", &v) &&
		    json_object_object_get_ex(o, "kind", NULL))
			u->conv = json_object_get_int64(v);	/* a new topic */
		json_object_put(o);
	}
}

/* Wait until fewer than max setup requests are out. */
static void
setup_wait(int max)
{
	while (pending >= max)
		run(2, NULL, NULL);
}

/* Create n users named prefix_i (registered or guests), cached. */
static struct vuser *
make_users(const char *kind, int n, int guest)
{
	struct vuser	*us;
	char		 path[512], body[256], line[256];
	FILE		*f;
	int		 i, have = 0;
	struct conn	 probe = { .fd = -1 };

	us = calloc((size_t)n, sizeof(*us));
	for (i = 0; i < n; i++) {
		us[i].poll.fd = us[i].send.fd = -1;
	}
	snprintf(path, sizeof(path), "%s/%s-%d.tsv", state_dir, kind, n);
	if ((f = fopen(path, "r")) != NULL) {
		while (have < n && fgets(line, sizeof(line), f) &&
		    sscanf(line, "%47s %63s %" SCNd64, us[have].name,
		    us[have].sid, &us[have].conv) == 3)
			have++;
		fclose(f);
	}
	if (have == n) {
		/* Still valid?  One look at the first and the last. */
		int ok = 1;

		for (i = 0; i < n; i += n - 1 > 0 ? n - 1 : 1) {
			pending++;
			errors = 0;
			conn_req(&probe, "GET", "me", us[i].sid, NULL,
			    setup_done, &us[i]);
			setup_wait(1);
			if (errors)
				ok = 0;
			if (n == 1)
				break;
		}
		conn_close(&probe);
		errors = 0;
		if (ok)
			return us;
		fprintf(stderr, "cached %s are stale; creating again\n", kind);
	}
	fprintf(stderr, "creating %d %s (once; cached in %s)\n", n, kind, path);
	{
		struct conn	*cs = calloc(16, sizeof(*cs));
		long		 tag = (long)time(NULL) % 100000;

		for (i = 0; i < 16; i++)
			cs[i].fd = -1;
		for (i = 0; i < n; i++) {
			struct conn *c = NULL;

			while (c == NULL) {
				for (int k = 0; k < 16 && !c; k++)
					if (!cs[k].busy)
						c = &cs[k];
				if (c == NULL)
					run(100, NULL, NULL);
			}
			snprintf(us[i].name, sizeof(us[i].name), "b%ld_%s%d",
			    tag, kind, i);
			us[i].conv = 0;
			if (guest)
				snprintf(body, sizeof(body),
				    "{\"nickname\":\"%s\"}", us[i].name);
			else
				snprintf(body, sizeof(body), "{\"username\":\"%s\","
				    "\"password\":\"bench password\"}",
				    us[i].name);
			pending++;
			conn_req(c, "POST", guest ? "guest" : "signup", NULL,
			    body, setup_done, &us[i]);
		}
		setup_wait(1);
		for (i = 0; i < 16; i++)
			conn_close(&cs[i]);
		free(cs);
	}
	if (errors)
		die("could not create users");
	if ((f = fopen(path, "w")) != NULL) {
		for (i = 0; i < n; i++)
			fprintf(f, "%s %s %" PRId64 "\n", us[i].name, us[i].sid,
			    us[i].conv);
		fclose(f);
	}
	return us;
}

/* Make a friend of b (request + accept); b->conv gets the conversation. */
static void
befriend(struct vuser *a, struct vuser *b)
{
	char	 body[128], path[96];

	snprintf(body, sizeof(body), "{\"to\":\"%s\"}", b->name);
	pending++;
	errors = 0;
	conn_req(&a->send, "POST", "friends/requests", a->sid, body,
	    setup_done, a);
	setup_wait(1);
	if (errors)
		die("friend request failed");
	snprintf(path, sizeof(path), "friends/requests/%ld/accept", a->seq);
	pending++;
	conn_req(&b->send, "POST", path, b->sid, "{}", setup_done, b);
	setup_wait(1);
	if (errors)
		die("accept failed");
	a->conv = b->conv;
}

/* Users 2i and 2i+1 are friends with a conversation; cached. */
static struct vuser *
make_pairs(int pairs)
{
	struct vuser	*us;
	char		 kind[32], path[512];
	FILE		*f;
	int		 i, all = 1;

	snprintf(kind, sizeof(kind), "pair");
	us = make_users(kind, pairs * 2, 0);
	for (i = 0; i < pairs * 2; i++)
		if (us[i].conv == 0)
			all = 0;
	if (!all) {
		fprintf(stderr, "making %d friendships (once)\n", pairs);
		for (i = 0; i < pairs; i++)
			befriend(&us[2 * i], &us[2 * i + 1]);
		snprintf(path, sizeof(path), "%s/%s-%d.tsv", state_dir, kind,
		    pairs * 2);
		if ((f = fopen(path, "w")) != NULL) {
			for (i = 0; i < pairs * 2; i++)
				fprintf(f, "%s %s %" PRId64 "\n", us[i].name,
				    us[i].sid, us[i].conv);
			fclose(f);
		}
	}
	for (i = 0; i < pairs; i++) {
		us[2 * i].peer = &us[2 * i + 1];
		us[2 * i + 1].peer = &us[2 * i];
	}
	return us;
}

/* ---------- polling and sending ---------- */

static void poll_start(struct vuser *);

static int	 fan_mode;	/* one message, many receivers */

static void
note_message(struct vuser *u, int64_t id, const char *body)
{
	int64_t	 t;

	if (fan_mode) {
		/* Every member gets the same message: count it per member. */
		if (u->last_msg == id) {
			dupes++;
			return;
		}
		u->last_msg = id;
		goto count;
	}

	if ((size_t)id >= capseen) {
		size_t n = capseen ? capseen : 1 << 20;

		while (n <= (size_t)id)
			n *= 2;
		seen = xrealloc(seen, n);
		memset(seen + capseen, 0, n - capseen);
		capseen = n;
	}
	if (seen[id]) {
		dupes++;
		return;
	}
	seen[id] = 1;
count:
	received++;
	if (sscanf(body, "t=%" SCNd64, &t) == 1) {
		if (nlat == caplat) {
			caplat = caplat ? caplat * 2 : 65536;
			lat = xrealloc(lat, caplat * sizeof(*lat));
		}
		lat[nlat++] = (double)(now_ns() - t) / 1e6;
	}
}

static void
poll_done(struct conn *c, int st, const char *body, size_t len)
{
	struct vuser	*u = c->arg;
	json_object	*o, *evs, *e, *v, *m, *mid, *mb;
	size_t		 i, n, off = 0;

	u->polling = 0;
	if (st != 200) {
		if (st != -1) {
			errors++;
			fprintf(stderr, "poll: %d %.*s\n", st, (int)len, body);
		}
		poll_start(u);	/* lost connection: poll again, acks kept */
		return;
	}
	/* The acks rode on this poll: they are done. */
	for (const char *p = u->acks; *p; p++)
		if (*p == ',')
			acked++;
	if (u->acks[0])
		acked++;
	u->acks[0] = '\0';
	if ((o = json_tokener_parse(body)) == NULL) {
		errors++;
		poll_start(u);
		return;
	}
	if (json_object_object_get_ex(o, "events", &evs)) {
		n = json_object_array_length(evs);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(evs, i);
			if (json_object_object_get_ex(e, "id", &v) &&
			    off + 24 < sizeof(u->acks))
				off += (size_t)snprintf(u->acks + off,
				    sizeof(u->acks) - off, "%s%" PRId64,
				    off ? "," : "", json_object_get_int64(v));
			if (json_object_object_get_ex(e, "message", &m) &&
			    json_object_object_get_ex(m, "id", &mid) &&
			    json_object_object_get_ex(m, "body", &mb))
				note_message(u, json_object_get_int64(mid),
				    json_object_get_string(mb));
		}
	}
	json_object_put(o);
	(void)len;
	poll_start(u);
}

static int	 poll_timeout = 25;

static void
poll_start(struct vuser *u)
{
	char	 path[4200];

	if (u->polling)
		return;
	u->polling = 1;
	snprintf(path, sizeof(path), "poll?timeout=%d%s%s", poll_timeout,
	    u->acks[0] ? "&ack=" : "", u->acks);
	conn_req(&u->poll, "GET", path, u->sid, NULL, poll_done, u);
}

static void send_next(struct vuser *);
static int	 closed_loop;

static void
send_done(struct conn *c, int st, const char *body, size_t len)
{
	struct vuser	*u = c->arg;

	(void)body;
	(void)len;
	if (st == 201)
		sent++;
	else if (st == 429)
		u->next_send = now_ms() + 50;
	else if (st != -1) {
		errors++;
		fprintf(stderr, "send: %d %.*s\n", st, (int)len, body);
	}
	if (closed_loop && !stop_sending && st != 429)
		send_next(u);
}

/*
 * Tells this run's client_ids from earlier runs' (users are reused across
 * runs, and a pid alone repeats): a repeated client_id is answered 200
 * with the first message, as it should be, and counted as an error here.
 */
static unsigned long	 run_tag;

static void
send_next(struct vuser *u)
{
	char	 body[256];

	if (u->send.busy || stop_sending)
		return;
	snprintf(body, sizeof(body), "{\"conversation_id\":%" PRId64
	    ",\"client_id\":\"%s-%lx-%ld\",\"body\":\"t=%" PRId64 "\"}",
	    u->conv, u->name, run_tag, ++u->seq, now_ns());
	conn_req(&u->send, "POST", "messages", u->sid, body, send_done, u);
}

static struct vuser	*senders;
static int		 nsenders;

/* Open-loop pacing: each sender once a second, spread over the second. */
static void
tick_paced(void)
{
	int64_t	 t = now_ms();
	int	 i;

	for (i = 0; i < nsenders; i++) {
		struct vuser *u = &senders[2 * i];

		if (!stop_sending && t >= u->next_send && !u->send.busy) {
			u->next_send = t + 1000;
			send_next(u);
		}
	}
}

static void
tick_closed(void)
{
	int64_t	 t = now_ms();
	int	 i;

	for (i = 0; i < nsenders; i++) {
		struct vuser *u = &senders[2 * i];

		if (!stop_sending && !u->send.busy && t >= u->next_send)
			send_next(u);
	}
}

/* The answer to a final POST /api/ack. */
static void
ack_done(struct conn *c, int st, const char *body, size_t len)
{
	struct vuser	*u = c->arg;

	(void)body;
	(void)len;
	if (st != 204) {
		errors++;
		return;
	}
	for (const char *p = u->acks; *p; p++)
		if (*p == ',')
			acked++;
	acked++;
	u->acks[0] = '\0';
}

/* Wait until every sent message arrived and every receiver acked. */
static void
drain(struct vuser *us, int n)
{
	int64_t	 end = now_ms() + 15000;
	int	 i;

	stop_sending = 1;
	while (now_ms() < end) {
		int busy = 0;

		for (i = 0; i < n; i++)
			busy |= us[i].send.busy;
		if (!busy && received >= sent)
			break;
		run(50, NULL, NULL);
	}
	/* The polls are parked: the last acks go by POST /api/ack. */
	for (i = 0; i < n; i++) {
		char	 body[4200];

		if (us[i].acks[0] == '\0' || us[i].send.busy)
			continue;
		snprintf(body, sizeof(body), "{\"ids\":[%s]}", us[i].acks);
		conn_req(&us[i].send, "POST", "ack", us[i].sid, body, ack_done,
		    &us[i]);
	}
	end = now_ms() + 10000;
	while (now_ms() < end) {
		int busy = 0;

		for (i = 0; i < n; i++)
			busy |= us[i].send.busy;
		if (!busy)
			break;
		run(5, NULL, NULL);
	}
}

static int
cmpd(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t	 i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
	return lat[i];
}

/* ---------- processes: CPU and RSS from the stack's pid files ---------- */

static int
pids_of(const char *name, int *out, int max)
{
	char	 path[512], line[512];
	FILE	*f;
	int	 n = 0, pid;
	DIR	*d;
	struct dirent *e;

	if (stack_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/run/%s.pid", stack_dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) == 1)
		out[n++] = pid;
	fclose(f);
	/* And its children (lighttpd's workers). */
	if ((d = opendir("/proc")) == NULL)
		return n;
	while ((e = readdir(d)) != NULL && n < max) {
		int	 p = atoi(e->d_name), pp = 0;

		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", p);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f)) {
			char *r = strrchr(line, ')');

			if (r && sscanf(r + 2, "%*c %d", &pp) == 1 &&
			    pp == out[0] && strcmp(name, "lighttpd") == 0)
				out[n++] = p;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* CPU seconds (user + system) of a stack part. */
static double
cpu_of(const char *name)
{
	int	 pids[16], n, i;
	double	 s = 0;
	char	 path[64], line[1024];
	FILE	*f;

	n = pids_of(name, pids, 16);
	for (i = 0; i < n; i++) {
		unsigned long ut, st;

		snprintf(path, sizeof(path), "/proc/%d/stat", pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f)) {
			char *r = strrchr(line, ')');

			if (r && sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u "
			    "%*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
				s += (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
	return s;
}

/* Resident memory in MB of a stack part (all its processes). */
static double
rss_of(const char *name)
{
	int	 pids[16], n, i;
	double	 kb = 0;
	char	 path[64], line[256];
	FILE	*f;

	n = pids_of(name, pids, 16);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "VmRSS:", 6) == 0)
				kb += atof(line + 6);
		fclose(f);
	}
	return kb / 1024.0;
}

/* ---------- scenarios ---------- */

static void
reset_counts(void)
{
	sent = received = acked = errors = dupes = 0;
	nlat = 0;
	stop_sending = 0;
}

static int
check_lost(const char *what)
{
	if (received < sent) {
		printf("%-12s LOST %ld of %ld messages\n", what, sent - received,
		    sent);
		return 1;
	}
	if (acked < received)
		printf("%-12s note: %ld delivered but only %ld acked\n", what,
		    received, acked);
	return 0;
}

/*
 * The sorted latencies of the last run, one per line in ms, to
 * $BENCH_STATE/LABEL.lat (bench.sh draws them with latency-svg.awk).
 */
static void
save_latencies(const char *label)
{
	char	 path[1024];
	FILE	*f;
	size_t	 i;

	snprintf(path, sizeof(path), "%s/%s.lat", state_dir, label);
	if ((f = fopen(path, "w")) == NULL)
		return;
	for (i = 0; i < nlat; i++)
		fprintf(f, "%.3f\n", lat[i]);
	fclose(f);
}

/* Every pair's receiver polls (and acks) on the node of BENCH_URL2. */
static struct vuser *
across(struct vuser *us, int pairs)
{
	int	 i;

	if (addr2.sin_port == 0)
		die("cross and throughput2 need BENCH_URL2");
	for (i = 0; i < pairs; i++) {
		us[2 * i + 1].poll.to = &addr2;
		us[2 * i + 1].send.to = &addr2;
	}
	return us;
}

static int
latency(struct vuser *us, int pairs, int seconds, const char *label)
{
	int	 i;

	reset_counts();
	senders = us;
	nsenders = pairs;
	for (i = 0; i < pairs * 2; i++)
		poll_start(&us[i]);
	run(1500, NULL, NULL);		/* let the polls park */
	for (i = 0; i < pairs; i++)
		us[2 * i].next_send = now_ms() + (int64_t)i * 1000 / pairs;
	closed_loop = 0;
	run((int64_t)seconds * 1000, NULL, tick_paced);
	drain(us, pairs * 2);
	qsort(lat, nlat, sizeof(*lat), cmpd);
	printf("%-12s pairs=%d sent=%ld recv=%ld acked=%ld errors=%ld  "
	    "p50=%.2f ms  p99=%.2f ms  p99.9=%.2f ms  max=%.2f ms\n", label,
	    pairs, sent, received, acked, errors, pct(50), pct(99), pct(99.9),
	    nlat ? lat[nlat - 1] : 0.0);
	save_latencies(label);
	return check_lost(label);
}

/*
 * Closed loop: each sender sends its next message when the last one is
 * answered.  The first warm seconds are not measured (a stack just
 * started has a cold buffer pool); their messages are still counted for
 * the loss check at the end.
 */
static int
throughput(struct vuser *us, int pairs, int seconds, int warm,
    const char *label)
{
	double	 c0[3], c1[3], dt;
	int64_t	 t0, t1;
	long	 s0, r0, a0, ds;
	int	 i;

	reset_counts();
	senders = us;
	nsenders = pairs;
	for (i = 0; i < pairs * 2; i++)
		poll_start(&us[i]);
	run(1500, NULL, NULL);
	closed_loop = 1;
	for (i = 0; i < pairs; i++) {
		us[2 * i].next_send = 0;
		send_next(&us[2 * i]);
	}
	run((int64_t)warm * 1000, NULL, tick_closed);
	c0[0] = cpu_of("lighttpd");
	c0[1] = cpu_of("chatd");
	c0[2] = cpu_of("mariadb");
	s0 = sent;
	r0 = received;
	a0 = acked;
	t0 = now_ms();
	run((int64_t)seconds * 1000, NULL, tick_closed);
	t1 = now_ms();
	c1[0] = cpu_of("lighttpd");
	c1[1] = cpu_of("chatd");
	c1[2] = cpu_of("mariadb");
	dt = (double)(t1 - t0) / 1000;
	ds = sent - s0;
	printf("%-12s pairs=%d  sent %.0f msg/s  delivered %.0f msg/s  "
	    "acked %.0f msg/s  (in %d s after %d s of warm-up: sent=%ld "
	    "recv=%ld acked=%ld)\n", label, pairs, (double)ds / dt,
	    (double)(received - r0) / dt, (double)(acked - a0) / dt, seconds,
	    warm, ds, received - r0, acked - a0);
	if (stack_dir && ds > 0)
		printf("%-12s CPU s per 1000 msgs: lighttpd %.3f  chatd %.3f  "
		    "mariadb %.3f\n", label,
		    (c1[0] - c0[0]) * 1000 / (double)ds,
		    (c1[1] - c0[1]) * 1000 / (double)ds,
		    (c1[2] - c0[2]) * 1000 / (double)ds);
	drain(us, pairs * 2);
	closed_loop = 0;
	printf("%-12s all of it: sent=%ld recv=%ld acked=%ld errors=%ld\n",
	    label, sent, received, acked, errors);
	return check_lost(label);
}

static void
footprint(const char *label)
{
	printf("%-12s RSS MB: lighttpd %.1f  chatd %.1f  sweeper %.1f  "
	    "mariadb %.1f\n", label, rss_of("lighttpd"), rss_of("chatd"),
	    rss_of("sweeper"), rss_of("mariadb"));
}

static int
idle(int polls, int pairs, int seconds)
{
	struct vuser	*gs, *us;
	int		 i, parked;

	gs = make_users("guest", polls, 1);
	us = make_pairs(pairs);
	poll_timeout = 60;
	for (i = 0; i < polls; i++) {
		poll_start(&gs[i]);
		if (i % 500 == 499)
			run(50, NULL, NULL);
	}
	run(3000, NULL, NULL);
	for (i = parked = 0; i < polls; i++)
		parked += gs[i].polling;
	printf("%-12s %d of %d guest polls parked\n", "idle", parked, polls);
	footprint("idle");
	poll_timeout = 25;
	return latency(us, pairs, seconds, "idle+latency");
}

static int
fanout(int members)
{
	struct vuser	*us, *owner;
	char		*body, *p;
	int		 i, rounds = 5, r;
	double		 worst[5];
	size_t		 cap;

	us = make_users("fan", members + 1, 0);
	owner = &us[0];
	fan_mode = 1;
	if (us[1].conv == 0) {
		fprintf(stderr, "befriending %d members (once)\n", members);
		/* Each asks the owner: asking counts with the asker's sends. */
		for (i = 1; i <= members; i++)
			befriend(&us[i], owner);
		{
			char path[512];
			FILE *f;

			snprintf(path, sizeof(path), "%s/fan-%d.tsv", state_dir,
			    members + 1);
			if ((f = fopen(path, "w")) != NULL) {
				for (i = 0; i <= members; i++)
					fprintf(f, "%s %s %" PRId64 "\n",
					    us[i].name, us[i].sid,
					    i ? us[i].conv : (int64_t)1);
				fclose(f);
			}
		}
	}
	cap = (size_t)members * 48 + 128;
	body = malloc(cap);
	p = body + sprintf(body, "{\"title\":\"bench\",\"members\":[");
	for (i = 1; i <= members; i++)
		p += sprintf(p, "%s\"%s\"", i > 1 ? "," : "", us[i].name);
	strcpy(p, "]}");
	pending++;
	errors = 0;
	owner->conv = 0;
	conn_req(&owner->send, "POST", "conversations", owner->sid, body,
	    setup_done, owner);
	setup_wait(1);
	free(body);
	if (errors || owner->conv == 0)
		die("could not create the topic");
	for (i = 1; i <= members; i++)
		poll_start(&us[i]);
	run(2000, NULL, NULL);		/* park; conversation_updated drains */
	for (r = 0; r < rounds; r++) {
		long	 before = received;

		reset_counts();
		(void)before;
		stop_sending = 0;
		send_next(owner);
		{
			int64_t end = now_ms() + 10000;

			while (now_ms() < end && (received < members ||
			    owner->send.busy))
				run(5, NULL, NULL);
		}
		qsort(lat, nlat, sizeof(*lat), cmpd);
		worst[r] = nlat ? lat[nlat - 1] : -1;
		if (received < members) {
			printf("%-12s LOST: %ld of %d members got it\n",
			    "fanout", received, members);
			return 1;
		}
		run(200, NULL, NULL);
	}
	qsort(worst, (size_t)rounds, sizeof(double), cmpd);
	printf("%-12s members=%d  last member has it after: median %.1f ms, "
	    "worst %.1f ms (%d messages)\n", "fanout", members,
	    worst[rounds / 2], worst[rounds - 1], rounds);
	return 0;
}

/*
 * The machine's speed at the moment, to read a run against others (this
 * guest swings by a quarter within minutes): the HTTP path alone, lighttpd
 * and chatd answering GET /api/nope (404, no database) on 64 kept-alive
 * connections.  FIELD-NOTES.md measured ~17k req/s with wrk for a trivial
 * libfcgi answer on this machine.
 */
static long	 cal_n;
static int	 cal_stop;

static void
cal_done(struct conn *c, int st, const char *body, size_t len)
{
	(void)body;
	(void)len;
	if (st == 404)
		cal_n++;
	else if (st != -1)
		errors++;
	if (!cal_stop)
		conn_req(c, "GET", "nope", NULL, NULL, cal_done, NULL);
}

static int
calibrate(int seconds)
{
	struct conn	 cs[64];
	int64_t		 t0, t1;
	long		 n0;
	size_t		 i;

	memset(cs, 0, sizeof(cs));
	for (i = 0; i < 64; i++) {
		cs[i].fd = -1;
		conn_req(&cs[i], "GET", "nope", NULL, NULL, cal_done, NULL);
	}
	run(500, NULL, NULL);
	n0 = cal_n;
	t0 = now_ms();
	run((int64_t)seconds * 1000, NULL, NULL);
	t1 = now_ms();
	cal_stop = 1;
	for (i = 0; i < 64; i++) {
		conn_close(&cs[i]);
		free(cs[i].out);
		free(cs[i].in);
	}
	printf("%-12s GET /api/nope (no database), 64 connections: %.0f req/s\n",
	    "calibrate", (double)(cal_n - n0) * 1000 / (double)(t1 - t0));
	if (errors)
		printf("%-12s %ld answers were not 404\n", "calibrate", errors);
	return errors ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	const char	*url, *scen;
	struct rlimit	 rl;
	int		 port = 8080, a1, a2, rc = 0;

	run_tag = (unsigned long)now_ns() ^ ((unsigned long)getpid() << 40);
	if (argc < 2)
		die("usage: loadgen latency|throughput|idle|fanout|footprint|"
		    "calibrate [n] [seconds]");
	scen = argv[1];
	url = getenv("BENCH_URL");
	if (url && sscanf(url, "http://%63[^:/]:%d", host, &port) < 1)
		die("BENCH_URL must be http://HOST:PORT/");
	if (getenv("BENCH_STATE"))
		state_dir = getenv("BENCH_STATE");
	stack_dir = getenv("BENCH_STACK");
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		die("BENCH_URL host must be an IPv4 address on this machine");
	if ((url = getenv("BENCH_URL2")) != NULL && *url != '\0') {
		char	 host2[64];
		int	 port2 = 0;

		if (sscanf(url, "http://%63[^:/]:%d", host2, &port2) != 2 ||
		    inet_pton(AF_INET, host2, &addr2.sin_addr) != 1)
			die("BENCH_URL2 must be http://IPv4:PORT/");
		addr2.sin_family = AF_INET;
		addr2.sin_port = htons((uint16_t)port2);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll: %s", strerror(errno));
	a1 = argc > 2 ? atoi(argv[2]) : 0;
	a2 = argc > 3 ? atoi(argv[3]) : 0;
	if (strcmp(scen, "latency") == 0) {
		int pairs = a1 ? a1 : 100;

		rc = latency(make_pairs(pairs), pairs, a2 ? a2 : 20,
		    getenv("BENCH_LABEL") ? getenv("BENCH_LABEL") : "latency");
	} else if (strcmp(scen, "throughput") == 0) {
		int		 pairs = a1 ? a1 : 500;
		const char	*w = getenv("BENCH_WARMUP");

		rc = throughput(make_pairs(pairs), pairs, a2 ? a2 : 20,
		    w ? atoi(w) : 5, "throughput");
	} else if (strcmp(scen, "throughput2") == 0) {
		int		 pairs = a1 ? a1 : 500;
		const char	*w = getenv("BENCH_WARMUP");

		rc = throughput(across(make_pairs(pairs), pairs), pairs,
		    a2 ? a2 : 20, w ? atoi(w) : 5, "throughput2");
	} else if (strcmp(scen, "cross") == 0) {
		int pairs = a1 ? a1 : 100;

		rc = latency(across(make_pairs(pairs), pairs), pairs,
		    a2 ? a2 : 20, getenv("BENCH_LABEL") ? getenv("BENCH_LABEL") :
		    "cross");
	} else if (strcmp(scen, "idle") == 0) {
		int pairs = getenv("BENCH_PAIRS") ? atoi(getenv("BENCH_PAIRS")) : 100;

		rc = idle(a1 ? a1 : 10000, pairs, a2 ? a2 : 20);
	} else if (strcmp(scen, "fanout") == 0)
		rc = fanout(a1 ? a1 : 200);
	else if (strcmp(scen, "footprint") == 0)
		footprint("footprint");
	else if (strcmp(scen, "calibrate") == 0)
		rc = calibrate(a1 ? a1 : 3);
	else
		die("unknown scenario %s", scen);
	return rc;
}
