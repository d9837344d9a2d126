/*
 * main.c: the FastCGI front.  CHAT_THREADS worker threads take turns in
 * FCGX_Accept_r on one listening socket, each with its own MySQL
 * connection; a parked long-poll is handed to the waiter and the worker
 * accepts the next request.  SIGTERM/SIGINT stop accepting, let running
 * requests finish, answer parked polls (their events stay in MySQL) and
 * exit 0.  Started outside FastCGI, the same binary answers one request
 * as plain CGI.
 *
 * Listening socket: $CHAT_FCGI_SOCKET (a unix socket path it creates), or
 * fd 0 when lighttpd spawns it.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

#include "auth.h"
#include "caps.h"
#include "conf.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "inbox.h"
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

/* CGI mode: the one request is done. */
static pthread_mutex_t	 cgi_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cgi_cv = PTHREAD_COND_INITIALIZER;
static int		 cgi_done;

/*
 * A wake this process did not feed (another process's, the watcher's, an
 * unfed push): what its inboxes know of these users is stale.
 */
static void
wake_here_fn(const int64_t *ids, size_t n)
{
	inbox_forget(ids, n);
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
	FCGX_Detach(&job->f);
	FCGX_Finish_r(&job->f);
	http_free(&job->r);
	free(job);
}

/* A worker: accept, dispatch, finish, until stopping. */
static void *
worker(void *arg)
{
	struct db	*db;
	struct job	*job;
	int		 rc;

	(void)arg;
	db = db_open();
	thread_db = db;
	while (!stopping) {
		job = xcalloc(1, sizeof(*job));
		FCGX_InitRequest(&job->f, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
		pthread_mutex_lock(&accept_mu);
		rc = stopping ? -1 : FCGX_Accept_r(&job->f);
		pthread_mutex_unlock(&accept_mu);
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
		if (route_dispatch(&job->r) == 0)
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
	pthread_t	*th;
	sigset_t	 set;
	int		 i, sig;

	if (sock_path != NULL) {
		umask(0117);	/* socket for lighttpd: owner and group */
		if ((listen_fd = FCGX_OpenSocket(sock_path,
		    CAP_FCGI_BACKLOG)) < 0) {
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

	if (waiter_init(conf.deliverers, job_done, db_open) == -1 ||
	    wake_init(wake_here_fn, wake_fed_fn, 1) == -1 ||
	    event_marker_start() == -1) {
		LOG("cannot start the waiter");
		return 1;
	}
	write_pid();
	th = xcalloc((size_t)conf.threads, sizeof(*th));
	for (i = 0; i < conf.threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	LOG("chatd %ld: %d workers, %d deliverers, listening on %s",
	    (long)getpid(), conf.threads, conf.deliverers,
	    sock_path ? sock_path : "fd 0");

	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP);

	LOG("signal %d: stopping", sig);
	stopping = 1;
	/* Wake the workers blocked in accept(). */
	shutdown(listen_fd, SHUT_RDWR);
	for (i = 0; i < conf.threads; i++)
		pthread_join(th[i], NULL);
	close(listen_fd);
	if (sock_path != NULL)
		unlink(sock_path);
	waiter_stop();
	event_marker_stop();
	wake_stop();
	remove_pid();
	free(th);
	LOG("stopped");
	return 0;
}

/* CGI mode: the waiter's done function. */
static void
cgi_finish(struct req *r)
{
	(void)r;
	pthread_mutex_lock(&cgi_mu);
	cgi_done = 1;
	pthread_cond_signal(&cgi_cv);
	pthread_mutex_unlock(&cgi_mu);
}

/* Plain CGI: one request from the environment, stdin and stdout. */
static int
cgi(void)
{
	struct req	 r;

	signal(SIGPIPE, SIG_IGN);
	if (waiter_init(1, cgi_finish, db_open) == -1 ||
	    wake_init(wake_here_fn, wake_fed_fn, 1) == -1)
		return 1;
	http_init(&r, NULL, environ);
	r.db = db_open();
	if (route_dispatch(&r) == 0) {
		pthread_mutex_lock(&cgi_mu);
		while (!cgi_done)
			pthread_cond_wait(&cgi_cv, &cgi_mu);
		pthread_mutex_unlock(&cgi_mu);
	}
	fflush(stdout);
	wake_stop();
	db_free(r.db);
	http_free(&r);
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
	raise_fd_limit();
	if (mysql_library_init(0, NULL, NULL) != 0 || auth_init() == -1) {
		LOG("cannot initialise libraries");
		return 1;
	}
	if (FCGX_Init() != 0)
		return 1;
	sock = getenv("CHAT_FCGI_SOCKET");
	if (sock == NULL && FCGX_IsCGI())
		return cgi();
	return serve(sock);
}
