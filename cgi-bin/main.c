/*
 * main.c: the FastCGI front.  CHAT_THREADS worker threads take turns in
 * FCGX_Accept_r on one listening socket, each with its own MySQL
 * connection; a parked long-poll is handed to the waiter and the worker
 * accepts the next request.  While all of them are busy, the spill thread
 * accepts for them (see spill()), so a burst never overflows the kernel's
 * listen queue.  SIGTERM/SIGINT stop accepting, let running
 * requests finish, answer parked polls (their events stay in MySQL) and
 * exit 0.  Started outside FastCGI, the same binary answers one request
 * as plain CGI.
 *
 * Listening socket: $CHAT_FCGI_SOCKET (a unix socket path it creates), or
 * fd 0 when lighttpd spawns it.
 */
#define _GNU_SOURCE		/* accept4, pipe2 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

#include "api_messages.h"
#include "caps.h"
#include "conf.h"
#include "core_auth.h"
#include "peer.h"
#include "core_marker.h"
#include "core_watch.h"
#include "db_pool.h"
#include "http.h"
#include "http_reply.h"
#include "inbox.h"
#include "req.h"
#include "route.h"
#include "util.h"
#include "waiter.h"
#include "wake.h"

extern char	**environ;

struct job {
	FCGX_Request	 f;
	struct req	 r;
};

static int		 listen_fd = -1;
static volatile int	 stopping;
static pthread_mutex_t	 accept_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * The spill.  Workers take turns in accept(); while every one of them is
 * busy (a burst: every browser polling again at once after a restart, each
 * poll a session lookup), new connections wait in the kernel's listen
 * queue, which holds CHAT_FCGI_BACKLOG and no more than the host's
 * somaxconn (4,096 here).  Past that, lighttpd's connect fails and the
 * browser gets a 500.  So while no worker is waiting for a connection, the
 * spill thread takes the accept turn and accepts into a queue of its own,
 * bounded only by descriptors; a worker whose turn comes takes from that
 * queue before it accepts.  Only the turn holder (accept_mu) accepts, so
 * nothing queued waits behind a worker blocked in accept().
 */
static pthread_mutex_t	 spill_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 spill_cv = PTHREAD_COND_INITIALIZER;
static int		 idle;		/* workers waiting for a request */
static int		 spilling;	/* the spill thread has the turn */
static int		 spill_wake[2] = { -1, -1 };	/* a worker is free */
static struct ids	 spilled;	/* accepted fds, oldest first */
static size_t		 spill_head;

/* A worker waits for a connection (+1) or has one (-1). */
static void
worker_idle(int d)
{
	char	 c = 1;

	pthread_mutex_lock(&spill_mu);
	/* Atomic: the spill also reads it unlocked while it accepts. */
	__atomic_add_fetch(&idle, d, __ATOMIC_RELAXED);
	if (idle == 0)
		pthread_cond_signal(&spill_cv);
	else if (idle == 1 && d > 0 && spilling &&
	    write(spill_wake[1], &c, 1) == -1) {
		/* full: the spill is being woken anyway */
	}
	pthread_mutex_unlock(&spill_mu);
}

/* The oldest spilled connection, or -1. */
static int
spill_take(void)
{
	int	 fd = -1;

	pthread_mutex_lock(&spill_mu);
	if (spill_head < spilled.n)
		fd = (int)spilled.v[spill_head++];
	if (spill_head == spilled.n)
		spill_head = spilled.n = 0;
	pthread_mutex_unlock(&spill_mu);
	return fd;
}

static void *
spill(void *arg)
{
	struct pollfd	 pfd[2];
	char		 buf[64];
	int		 fd;

	(void)arg;
	pfd[0].fd = listen_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = spill_wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		pthread_mutex_lock(&spill_mu);
		while (idle > 0 && !stopping)
			pthread_cond_wait(&spill_cv, &spill_mu);
		pthread_mutex_unlock(&spill_mu);
		if (stopping)
			break;
		pthread_mutex_lock(&accept_mu);
		pthread_mutex_lock(&spill_mu);
		spilling = 1;
		while (idle == 0 && !stopping) {
			pthread_mutex_unlock(&spill_mu);
			pfd[0].revents = pfd[1].revents = 0;
			if (poll(pfd, 2, 1000) > 0 && pfd[1].revents &&
			    read(spill_wake[0], buf, sizeof(buf)) == -1) {
				/* drained already */
			}
			/* Everything waiting, while no worker is free. */
			while ((pfd[0].revents & POLLIN) &&
			    __atomic_load_n(&idle, __ATOMIC_RELAXED) == 0 &&
			    (fd = accept4(listen_fd, NULL, NULL,
			    SOCK_CLOEXEC)) >= 0) {
				pthread_mutex_lock(&spill_mu);
				ids_add(&spilled, fd);
				pthread_mutex_unlock(&spill_mu);
				if (poll(pfd, 1, 0) != 1)
					break;
			}
			pthread_mutex_lock(&spill_mu);
		}
		spilling = 0;
		pthread_mutex_unlock(&spill_mu);
		pthread_mutex_unlock(&accept_mu);
	}
	return NULL;
}

/*
 * A wake this process did not feed (another process's, the watcher's, an
 * unfed push): what its inboxes know of these users is stale.
 */
static void
wake_here_fn(const int64_t *ids, size_t n)
{
	inbox_forget(ids, n);
	auth_forget_users(ids, n);	/* a session may have ended there */
	waiter_wake(ids, n);
}

/* A worker thread's connection: it answers the polls its sends wake. */
static __thread struct db	*thread_db;

/* A wake for events this process fed to its inboxes (wake_users_fed). */
static void
wake_fed_fn(const int64_t *ids, size_t n)
{
	waiter_wake_here(ids, n, thread_db);
}

/* Finish an answered FastCGI request and free it (waiter_done). */
static void
job_done(struct req *r)
{
	struct job	*job = r->owner;

	/*
	 * Close at once: libfcgi would shut down our side and sleep until
	 * lighttpd closes its own, a sleep and a wake-up per request.  On a
	 * unix socket nothing written is lost by closing first.
	 */
	if (r->slim)
		http_slim_end(r);
	else {
		FCGX_Detach(&job->f);
		FCGX_Finish_r(&job->f);
	}
	http_free(&job->r);
	free(job);
}

/* A worker: accept, dispatch, finish, until stopping. */
static void *
worker(void *arg)
{
	struct db	*db;
	struct job	*job;
	int		 rc, fd;

	(void)arg;
	db = db_open();
	thread_db = db;
	while (!stopping) {
		job = xcalloc(1, sizeof(*job));
		FCGX_InitRequest(&job->f, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
		if ((fd = spill_take()) < 0) {
			/* None spilled: wait for the accept turn. */
			worker_idle(1);
			pthread_mutex_lock(&accept_mu);
			if ((fd = spill_take()) < 0)
				rc = stopping ? -1 : FCGX_Accept_r(&job->f);
			pthread_mutex_unlock(&accept_mu);
			worker_idle(-1);
		}
		if (fd >= 0) {
			/*
			 * Accepted by the spill: FCGX_Accept_r reads the request
			 * from ipcFd when it is set (keepConnection, or its
			 * opening FCGX_Finish_r would close it).
			 */
			job->f.ipcFd = fd;
			job->f.keepConnection = 1;
			rc = stopping ? -1 : FCGX_Accept_r(&job->f);
		}
		if (rc < 0) {
			FCGX_Free(&job->f, 1);
			free(job);
			if (!stopping)
				usleep(10000);
			continue;
		}
		http_init(&job->r, &job->f, NULL);
		job->r.db = db;
		job->r.owner = job;
		rc = route_dispatch(&job->r);
		db_release(db);		/* within CHAT_DB_CONNS: for others */
		if (rc == 0)
			continue;	/* parked: the waiter owns it now */
		job_done(&job->r);
	}
	db_free(db);
	mysql_thread_end();
	return NULL;
}

static void
write_pid(void)
{
	char	 path[512];
	FILE	*f;

	if (conf.run_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/chatd.pid", conf.run_dir);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

static void
remove_pid(void)
{
	char	 path[512];

	if (conf.run_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/chatd.pid", conf.run_dir);
	unlink(path);
}

/* The FastCGI server: workers, waiter, wake socket; returns at SIGTERM. */
static int
serve(const char *sock_path)
{
	pthread_t	*th, spill_th;
	sigset_t	 set;
	int		 i, sig;

	if (sock_path != NULL) {
		umask(0117);	/* socket for lighttpd: owner and group */
		if ((listen_fd = FCGX_OpenSocket(sock_path,
		    conf.backlog)) < 0) {
			LOG("cannot listen on %s", sock_path);
			return 1;
		}
		umask(022);
	} else
		listen_fd = 0;
	fcntl(listen_fd, F_SETFD, FD_CLOEXEC);

	/*
	 * libfcgi's FCGX_Init() installed a SIGTERM handler that only fails
	 * the next accept; take the signals back: every thread blocks them
	 * and this one waits for them.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	msg_init(job_done);
	if (waiter_init(conf.deliverers, job_done, db_open) == -1 ||
	    wake_init(wake_here_fn, wake_fed_fn, 1) == -1 ||
	    marker_start() == -1) {
		LOG("cannot start the waiter");
		return 1;
	}
	/* Other nodes' wakes straight in, ours straight out (logged). */
	(void)peer_init(1, wake_from_remote);
	wake_remote(peer_tell);
	/*
	 * Another chat node alive: it must know of this one before this one
	 * takes acks it would not see (node_beat), so wait for its next beat.
	 */
	{
		struct db	*db = db_open();

		if (node_beat(db) > 0)
			usleep(CAP_NODE_BEAT_MS * 3 / 2 * 1000);
		db_free(db);
	}
	watch_start();
	write_pid();
	if (pipe2(spill_wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		LOG("cannot make a pipe");
		return 1;
	}
	if ((errno = pthread_create(&spill_th, NULL, spill, NULL)) != 0) {
		LOG("cannot start a thread: %s (a process limit: ulimit -u, "
		    "Apache's RLimitNPROC?)", strerror(errno));
		return 1;
	}
	th = xcalloc((size_t)conf.threads, sizeof(*th));
	for (i = 0; i < conf.threads; i++)
		if ((errno = pthread_create(&th[i], NULL, worker, NULL)) != 0) {
			LOG("started %d of %d workers: %s (a process limit: "
			    "ulimit -u, Apache's RLimitNPROC?)", i,
			    conf.threads, strerror(errno));
			if (i == 0)
				return 1;
			conf.threads = i;
		}
	LOG("chatd %ld: %d workers, %d deliverers, listening on %s",
	    (long)getpid(), conf.threads, conf.deliverers,
	    sock_path ? sock_path : "fd 0");

	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP);

	LOG("signal %d: stopping", sig);
	stopping = 1;
	/* Wake the workers blocked in accept(), and the spill. */
	shutdown(listen_fd, SHUT_RDWR);
	pthread_mutex_lock(&spill_mu);
	pthread_cond_signal(&spill_cv);
	pthread_mutex_unlock(&spill_mu);
	pthread_join(spill_th, NULL);
	for (i = 0; i < conf.threads; i++)
		pthread_join(th[i], NULL);
	/* What the spill accepted and no worker took: lighttpd answers 503. */
	while ((i = spill_take()) >= 0)
		close(i);
	close(listen_fd);
	if (sock_path != NULL)
		unlink(sock_path);
	waiter_stop();
	marker_stop();
	peer_stop();
	wake_stop();
	remove_pid();
	free(th);
	LOG("stopped");
	return 0;
}

/*
 * One request per process: plain CGI (one request, then exit) and mod_fcgid
 * (FastCGI, but Apache sends each process one request at a time).  One
 * thread and at most one MySQL connection: no waiter, no marker, no
 * watcher, no send queue; a poll waits on this thread (api_poll.c)
 * holding no connection, so a host's process limit (RLimitNPROC counts
 * threads) and the account's connection limit go as far as they can.
 */
static void
one_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* Without CHAT_RUN, or with one it cannot write (logged): polls do
	 * not wait, clients come back every second or so. */
	(void)wake_init(wake_here_fn, NULL, 0);
	/* Its commits wake polls on other nodes too (CHAT_PEERS). */
	if (peer_init(0, NULL) == 0)
		wake_remote(peer_tell);
}

/* Plain CGI: one request from the environment, stdin and stdout. */
static int
cgi(void)
{
	struct req	 r;

	one_setup();
	http_init(&r, NULL, environ);
	r.db = db_open();
	(void)route_dispatch(&r);	/* never parks in this mode */
	fflush(stdout);
	wake_stop();
	db_free(r.db);
	http_free(&r);
	return 0;
}

/*
 * mod_fcgid: requests one after another on the listening socket Apache
 * gave us (fd 0), on one connection kept between them (Apache's
 * FcgidMaxProcesses times one must fit the account's limit).  Ends when
 * Apache stops the process (SIGTERM fails the accept).
 */
static int
serve_one(void)
{
	FCGX_Request	 f;
	struct req	 r;
	struct db	*db;

	one_setup();
	db = db_open();
	thread_db = db;
	if (FCGX_InitRequest(&f, 0, 0) != 0)
		return 1;
	LOG("chatd %ld: one request at a time (mod_fcgid)", (long)getpid());
	while (FCGX_Accept_r(&f) >= 0) {
		http_init(&r, &f, NULL);
		r.db = db;
		(void)route_dispatch(&r);	/* never parks in this mode */
		FCGX_Detach(&f);
		FCGX_Finish_r(&f);
		http_free(&r);
	}
	wake_stop();
	db_free(db);
	return 0;
}

/* Every parked poll holds a descriptor: allow as many as the host does. */
static void
raise_fd_limit(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(void)
{
	const char	*sock;

	conf_load();
	if (mysql_library_init(0, NULL, NULL) != 0 || auth_init() == -1) {
		LOG("cannot initialise libraries");
		return 1;
	}
	if (FCGX_Init() != 0)
		return 1;
	sock = getenv("CHAT_FCGI_SOCKET");
	conf_mode(sock == NULL && FCGX_IsCGI(), sock != NULL);
	switch (conf.mode) {
	case MODE_CGI:
		return cgi();
	case MODE_FCGID:
		return serve_one();
	default:
		raise_fd_limit();
		return serve(sock);
	}
}
