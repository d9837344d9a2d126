/*
 * wake.c: same-host wake-ups between processes.  A process that parks
 * polls (chatd, or a CGI poll) listens on $CHAT_RUN/wake/PID.sock; any
 * process that commits events (chatd, CGI, the sweeper) sends the user ids
 * to every socket in that folder.  The folder listing is cached and read
 * again when its mtime changes.  Sockets of dead processes are removed
 * when a send to them is refused.  A process that serves one request at
 * a time (plain CGI, mod_fcgid) listens only while a poll of its waits,
 * on $CHAT_RUN/wake/PID.poll.sock, without a thread (wake_listen,
 * wake_wait); those sockets tell how many polls wait on the host.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "wake.h"

#define WAKE_BATCH	512	/* ids per datagram */
#define WAKE_PEERS	64	/* processes per host */

static wake_fn		 local_fn, fed_fn;
static wake_fn		 remote_fn;	/* other nodes (wake_remote) */
static int		 rx_fd = -1, tx_fd = -1;
static char		 dir[256], self[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t	 rx_thread;
static volatile int	 rx_stop;
static int		 rx_thread_on;	/* listening on wake_rx, for good */

static pthread_mutex_t	 peer_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec	 peer_mtime;
static char		 peers[WAKE_PEERS][sizeof(self)];
static size_t		 npeers;

/* The receiving thread: each datagram is an array of int64_t user ids. */
static void *
wake_rx(void *arg)
{
	int64_t	 ids[WAKE_BATCH];
	ssize_t	 n;

	(void)arg;
	for (;;) {
		n = recv(rx_fd, ids, sizeof(ids), 0);
		if (rx_stop)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if (n >= (ssize_t)sizeof(int64_t) && local_fn != NULL)
			local_fn(ids, (size_t)n / sizeof(int64_t));
	}
	return NULL;
}

/*
 * Set up: fn receives wakes for this process (NULL: none, only send), fed
 * the wakes whose events this process already fed to its inboxes (NULL:
 * fn); listen binds this process's socket so other processes can reach it.
 * Without CHAT_RUN, wakes stay inside the process.  0 or -1.
 */
int
wake_init(wake_fn fn, wake_fn fed, int listen)
{
	struct sockaddr_un	 sa;
	int			 sz = 1 << 20;
	struct timeval		 tv = { 0, 200000 };

	local_fn = fn;
	fed_fn = fed != NULL ? fed : fn;
	if (conf.run_dir == NULL)
		return 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/wake", conf.run_dir) >=
	    sizeof(dir))
		return -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		LOG("CHAT_RUN: cannot make %s (%s): no wakes between "
		    "processes; polls do not wait", dir, strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	if ((tx_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A peer that does not drain its queue costs at most this. */
	setsockopt(tx_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!listen)
		return 0;
	if ((rx_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* wake_stop's shutdown() ends recv(); the timeout is a fallback. */
	setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(self, sizeof(self), "%s/%ld.sock", dir,
	    (long)getpid()) >= sizeof(self)) {
		LOG("wake socket path too long (at most %zu bytes): %s/",
		    sizeof(self) - 1, dir);
		return -1;
	}
	strcpy(sa.sun_path, self);
	unlink(self);
	if (bind(rx_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		LOG("bind %s: %s", self, strerror(errno));
		return -1;
	}
	if (pthread_create(&rx_thread, NULL, wake_rx, NULL) != 0)
		return -1;
	rx_thread_on = 1;
	return 0;
}

/*
 * Polls waiting on this host in processes of their own: their sockets in
 * the folder.  One left by a process that died (killed by the web server
 * at its timeout, say) is removed, not counted.
 */
static int
count_waiting(void)
{
	struct sockaddr_un	 sa;
	DIR			*d;
	struct dirent		*e;
	size_t			 len;
	int			 fd, n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		closedir(d);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 11 || strcmp(e->d_name + len - 10, ".poll.sock") != 0)
			continue;
		if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
		    dir, e->d_name) >= sizeof(sa.sun_path))
			continue;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			n++;
		else if (errno == ECONNREFUSED)
			unlink(sa.sun_path);
	}
	close(fd);
	closedir(d);
	return n;
}

/*
 * This process's poll is about to wait (one request per process): count
 * the polls already waiting on the host, and unless more than max do,
 * listen on a socket of its own, so that a commit from now on wakes it.
 * Returns the count, this one included, or -1 when it may not wait: too
 * many wait (*many set), or no socket (no CHAT_RUN, or it is not
 * writable: logged once).
 */
int
wake_listen(int max, int *many)
{
	struct sockaddr_un	 sa;
	int			 n;

	*many = 0;
	if (rx_fd != -1)
		return 1;
	if (dir[0] == '\0' || tx_fd == -1)
		return -1;
	if ((n = count_waiting()) >= max) {
		*many = 1;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(self, sizeof(self), "%s/%ld.poll.sock", dir,
	    (long)getpid()) >= sizeof(self))
		return -1;
	strcpy(sa.sun_path, self);
	if ((rx_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	unlink(self);
	if (bind(rx_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		LOG("CHAT_RUN: cannot bind %s (%s): polls do not wait", self,
		    strerror(errno));
		close(rx_fd);
		rx_fd = -1;
		self[0] = '\0';
		return -1;
	}
	return n + 1;
}

/*
 * Wait, on this thread, for a wake of uid or until the monotonic time
 * until: 1 woken, 0 time is up.  Wakes of other users go to the wake
 * function (what this process knows of them is stale).
 */
int
wake_wait(int64_t uid, int64_t until)
{
	struct pollfd	 pfd;
	int64_t		 ids[WAKE_BATCH], left;
	ssize_t		 n;
	size_t		 i;

	if (rx_fd == -1)
		return 0;
	pfd.fd = rx_fd;
	pfd.events = POLLIN;
	while ((left = until - mono_ms()) > 0) {
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) <= 0)
			continue;
		while ((n = recv(rx_fd, ids, sizeof(ids), MSG_DONTWAIT)) > 0) {
			if (n < (ssize_t)sizeof(int64_t))
				continue;
			if (local_fn != NULL)
				local_fn(ids, (size_t)n / sizeof(int64_t));
			for (i = 0; i < (size_t)n / sizeof(int64_t); i++)
				if (ids[i] == uid)
					return 1;
		}
	}
	return 0;
}

/* The poll is done waiting: remove its socket (see wake_listen). */
void
wake_unlisten(void)
{
	if (rx_fd == -1 || rx_thread_on)
		return;
	unlink(self);
	close(rx_fd);
	rx_fd = -1;
	self[0] = '\0';
}

/* Read the folder again if it changed.  Needs peer_mu. */
static void
peers_refresh(void)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	size_t		 len;

	if (stat(dir, &st) == -1)
		return;
	if (st.st_mtim.tv_sec == peer_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == peer_mtime.tv_nsec)
		return;
	peer_mtime = st.st_mtim;
	npeers = 0;
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && npeers < WAKE_PEERS) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".sock") != 0)
			continue;
		if ((size_t)snprintf(peers[npeers], sizeof(peers[0]), "%s/%.*s",
		    dir, (int)sizeof(peers[0]), e->d_name) >= sizeof(peers[0]))
			continue;
		if (strcmp(peers[npeers], self) != 0)
			npeers++;
	}
	closedir(d);
}

/* Tell the other processes on this host. */
static void
tell_peers(const int64_t *ids, size_t n)
{
	struct sockaddr_un	 sa;
	size_t			 i, k, chunk;

	if (tx_fd == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	pthread_mutex_lock(&peer_mu);
	peers_refresh();
	for (i = 0; i < npeers; i++) {
		strcpy(sa.sun_path, peers[i]);
		for (k = 0; k < n; k += chunk) {
			chunk = n - k > WAKE_BATCH ? WAKE_BATCH : n - k;
			if (sendto(tx_fd, ids + k, chunk * sizeof(*ids), 0,
			    (struct sockaddr *)&sa, sizeof(sa)) == -1) {
				if (errno == ECONNREFUSED) {
					/* Its process is gone. */
					unlink(peers[i]);
				}
				break;
			}
		}
	}
	pthread_mutex_unlock(&peer_mu);
}

/*
 * Wake n users here through fn, then in the other processes, then on the
 * other nodes (remote_fn) unless the wake came from one.
 */
static void
wake_via(wake_fn fn, const int64_t *ids, size_t n, int remote)
{
	if (n == 0)
		return;
	if (fn != NULL)
		fn(ids, n);
	tell_peers(ids, n);
	if (remote && remote_fn != NULL)
		remote_fn(ids, n);
}

/* Also tell other chat nodes of every wake from here (peer.c). */
void
wake_remote(wake_fn fn)
{
	remote_fn = fn;
}

/* A wake from another node: this process and the others on the host. */
void
wake_from_remote(const int64_t *ids, size_t n)
{
	wake_via(local_fn, ids, n, 0);
}

/* Wake n users: this process's waiters, then the other processes. */
void
wake_users(const int64_t *ids, size_t n)
{
	wake_via(local_fn, ids, n, 1);
}

/* The same, for events this process fed to its inboxes (core_events.c). */
void
wake_users_fed(const int64_t *ids, size_t n)
{
	wake_via(fed_fn, ids, n, 1);
}

/* Wake n users in this process only (the cross-host watcher). */
void
wake_here(const int64_t *ids, size_t n)
{
	if (n > 0 && local_fn != NULL)
		local_fn(ids, n);
}

void
wake_user(int64_t uid)
{
	wake_users(&uid, 1);
}

/* Stop listening and remove this process's socket. */
void
wake_stop(void)
{
	wake_unlisten();
	if (rx_fd != -1) {
		unlink(self);
		/*
		 * Not pthread_cancel(): unwinding a cancelled thread leaves its
		 * stack poisoned and the sanitizer build aborts at its exit.
		 */
		rx_stop = 1;
		shutdown(rx_fd, SHUT_RDWR);
		pthread_join(rx_thread, NULL);
		close(rx_fd);
		rx_fd = -1;
	}
	if (tx_fd != -1)
		close(tx_fd);
	tx_fd = -1;
}
