/*
 * waiter.c: the table of parked polls.  One mutex guards: a hash of users
 * to their parked polls, a min-heap of due times (deadline or recheck), a
 * queue of polls to look at again, and per-user wake generations that
 * close the gap between "fetched nothing" and "parked" (a wake in between
 * bumps the generation and the park fails, so the caller fetches again).
 * One timer thread moves due polls to the queue; deliverer threads (each
 * with a database connection) run the fetch and finish the request.
 * Newest poll wins: parking a second poll of the same session answers the
 * older one at once, since lighttpd never says when a browser left.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_pool.h"
#include "req.h"
#include "util.h"
#include "waiter.h"

#define USER_BUCKETS	16384	/* power of two */
#define GEN_SLOTS	65536	/* power of two */

enum wstate {
	W_PARKED,	/* in the user hash and the heap */
	W_QUEUED,	/* waiting for a deliverer */
	W_BUSY,		/* a deliverer has it */
};

struct waiter {
	struct req	*r;
	waiter_fetch	 fetch;
	enum wstate	 state;
	int		 final;		/* answer now, even if empty */
	uint64_t	 seq;		/* order of arrival: newest poll wins */
	size_t		 heap;		/* index in the heap */
	int64_t		 due;		/* min(deadline, recheck), mono ms */
	struct waiter	*unext;		/* same hash bucket */
	struct waiter	*qnext;		/* queue */
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 timer_cv, queue_cv;
static struct waiter	*users[USER_BUCKETS];
static struct waiter	**heap;
static size_t		 nheap, capheap;
static struct waiter	*qhead, *qtail;
static uint64_t		 gens[GEN_SLOTS];
static size_t		 nparked;
static uint64_t		 arrivals;
static int		 stopping;
static waiter_done	 done_fn;
static struct db	*(*db_fn)(void);
static pthread_t	 timer_thread, *deliverers;
static int		 ndeliverers;

static size_t
ubucket(int64_t uid)
{
	return (size_t)uid & (USER_BUCKETS - 1);
}

/* Heap of parked waiters by due time.  All need mu. */
static void
heap_swap(size_t a, size_t b)
{
	struct waiter	*t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->heap = a;
	heap[b]->heap = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && heap[(i - 1) / 2]->due > heap[i]->due) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	size_t	 l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < nheap && heap[l]->due < heap[m]->due)
			m = l;
		if (l + 1 < nheap && heap[l + 1]->due < heap[m]->due)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void
heap_push(struct waiter *w)
{
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 1024;
		heap = xrealloc(heap, capheap * sizeof(*heap));
	}
	heap[nheap] = w;
	w->heap = nheap++;
	heap_up(w->heap);
}

static void
heap_remove(struct waiter *w)
{
	size_t	 i = w->heap;

	nheap--;
	if (i != nheap) {
		heap[i] = heap[nheap];
		heap[i]->heap = i;
		heap_down(i);
		heap_up(i);
	}
}

/* Take a parked waiter out of the hash and heap.  Needs mu. */
static void
unpark(struct waiter *w)
{
	struct waiter	**p;

	for (p = &users[ubucket(w->r->uid)]; *p != NULL; p = &(*p)->unext)
		if (*p == w) {
			*p = w->unext;
			break;
		}
	heap_remove(w);
	nparked--;
}

/* Append to the deliverers' queue.  Needs mu. */
static void
enqueue(struct waiter *w, int final)
{
	w->state = W_QUEUED;
	w->final |= final;
	w->qnext = NULL;
	if (qtail)
		qtail->qnext = w;
	else
		qhead = w;
	qtail = w;
	pthread_cond_signal(&queue_cv);
}

/* The wake generation of uid: read before fetching, passed to park. */
uint64_t
waiter_gen(int64_t uid)
{
	uint64_t	 g;

	pthread_mutex_lock(&mu);
	g = gens[(size_t)uid & (GEN_SLOTS - 1)];
	pthread_mutex_unlock(&mu);
	return g;
}

/* Park w.  Needs mu.  Returns 0 parked, 1 woken meanwhile (not parked). */
static int
park_locked(struct waiter *w, uint64_t gen)
{
	struct req	*r = w->r;
	struct waiter	*o;

	if (stopping)
		return enqueue(w, 1), 0;
	if (gens[(size_t)r->uid & (GEN_SLOTS - 1)] != gen)
		return 1;
	/* Newest poll wins: answer the older poll of this session now. */
	for (o = users[ubucket(r->uid)]; o != NULL; o = o->unext)
		if (o->r->sid == r->sid && o->r->uid == r->uid) {
			if (o->seq > w->seq) {
				enqueue(w, 1);	/* w came back late */
				return 0;
			}
			unpark(o);
			enqueue(o, 1);
			break;
		}
	w->state = W_PARKED;
	w->due = r->poll_deadline;
	if (r->poll_recheck > 0 && r->poll_recheck < w->due)
		w->due = r->poll_recheck;
	w->unext = users[ubucket(r->uid)];
	users[ubucket(r->uid)] = w;
	heap_push(w);
	nparked++;
	if (heap[0] == w)
		pthread_cond_signal(&timer_cv);
	return 0;
}

/*
 * Park r until a wake, its recheck or its deadline; ownership of r passes
 * to the waiter, which later calls fetch and then the done function.
 * Returns 0 parked, 1 when r's user was woken since gen was read: the
 * caller keeps r and fetches again.
 */
int
waiter_park(struct req *r, waiter_fetch fetch, uint64_t gen)
{
	struct waiter	*w;
	int		 rc;

	w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->fetch = fetch;
	pthread_mutex_lock(&mu);
	w->seq = ++arrivals;
	rc = park_locked(w, gen);
	pthread_mutex_unlock(&mu);
	if (rc == 1)
		free(w);
	return rc;
}

/* Users ids have new events: queue their parked polls. */
void
waiter_wake(const int64_t *ids, size_t n)
{
	waiter_wake_here(ids, n, NULL);
}

/* The users with a parked poll (a user may appear twice), into out. */
void
waiter_uids(struct ids *out)
{
	struct waiter	*w;
	size_t		 i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < USER_BUCKETS; i++)
		for (w = users[i]; w != NULL; w = w->unext)
			ids_add(out, w->r->uid);
	pthread_mutex_unlock(&mu);
}

/* Has uid a poll parked here from a session other than sid?  1 or 0. */
int
waiter_other_session(int64_t uid, int64_t sid)
{
	struct waiter	*w;
	int		 found = 0;

	pthread_mutex_lock(&mu);
	for (w = users[ubucket(uid)]; w != NULL && !found; w = w->unext)
		found = w->r->uid == uid && w->r->sid != sid;
	pthread_mutex_unlock(&mu);
	return found;
}

size_t
waiter_count(void)
{
	size_t	 n;

	pthread_mutex_lock(&mu);
	n = nparked;
	pthread_mutex_unlock(&mu);
	return n;
}

/* The timer: move polls whose due time came to the queue. */
static void *
waiter_timer(void *arg)
{
	struct waiter	*w;
	struct timespec	 ts;
	int64_t		 now, due;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		now = mono_ms();
		while (nheap > 0 && heap[0]->due <= now) {
			w = heap[0];
			unpark(w);
			enqueue(w, w->r->poll_deadline <= now);
		}
		due = nheap > 0 ? heap[0]->due : now + 60000;
		ts.tv_sec = due / 1000;
		ts.tv_nsec = (due % 1000) * 1000000;
		pthread_cond_timedwait(&timer_cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/*
 * Fetch for w (taken off the table or queue, state W_BUSY; gen read after
 * the wake that took it) with db, and answer it or park it again.
 * Called without mu.
 */
static void
deliver(struct waiter *w, uint64_t gen, struct db *db)
{
	struct req	*r = w->r;
	int		 answered;

	r->db = db;
	r->poll_recheck = 0;
	if (w->final || mono_ms() >= r->poll_deadline)
		answered = w->fetch(r, 1) >= 0;
	else
		answered = w->fetch(r, 0) != 0;
	if (answered) {
		r->db = NULL;
		done_fn(r);
		free(w);
		return;
	}
	pthread_mutex_lock(&mu);
	if (park_locked(w, gen) == 1)
		enqueue(w, 0);		/* woken meanwhile */
	pthread_mutex_unlock(&mu);
}

/*
 * A deliverer: take a queued poll, fetch with this thread's database
 * connection, and answer it or park it again.
 */
static void *
waiter_deliver(void *arg)
{
	struct waiter	*w;
	struct db	*db;
	uint64_t	 gen;

	(void)arg;
	db = NULL;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (qhead == NULL && !stopping)
			pthread_cond_wait(&queue_cv, &mu);
		if (qhead == NULL)
			break;
		w = qhead;
		if ((qhead = w->qnext) == NULL)
			qtail = NULL;
		w->state = W_BUSY;
		gen = gens[(size_t)w->r->uid & (GEN_SLOTS - 1)];
		pthread_mutex_unlock(&mu);
		if (db == NULL)
			db = db_fn();	/* on first use: CGI polls rarely park */
		deliver(w, gen, db);
		db_release(db);		/* within CHAT_DB_CONNS */
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	db_free(db);
	return NULL;
}

/*
 * waiter_wake, for a caller that will answer one woken poll itself with
 * its own connection db (NULL: none): a direct message's sender, whose
 * thread is awake anyway, so the answer needs no deliverer woken.  Only
 * for a single user: fan-out stays spread over the deliverers.
 */
void
waiter_wake_here(const int64_t *ids, size_t n, struct db *db)
{
	struct waiter	*w, *next, *mine = NULL;
	uint64_t	 gen = 0;
	size_t		 i, slot;

	pthread_mutex_lock(&mu);
	for (i = 0; i < n; i++) {
		slot = (size_t)ids[i] & (GEN_SLOTS - 1);
		gens[slot]++;
		for (w = users[ubucket(ids[i])]; w != NULL; w = next) {
			next = w->unext;
			if (w->r->uid != ids[i])
				continue;
			unpark(w);
			if (mine == NULL && db != NULL && n == 1 && !stopping) {
				mine = w;
				w->state = W_BUSY;
				gen = gens[slot];
			} else
				enqueue(w, 0);
		}
	}
	pthread_mutex_unlock(&mu);
	if (mine != NULL)
		deliver(mine, gen, db);
}

/*
 * Start the timer and n deliverers; done finishes and frees an answered
 * request; dbopen gives each deliverer its connection.  0 or -1.
 */
int
waiter_init(int n, waiter_done done, struct db *(*dbopen)(void))
{
	pthread_condattr_t	 ca;
	int			 i;

	done_fn = done;
	db_fn = dbopen;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&timer_cv, &ca);
	pthread_cond_init(&queue_cv, NULL);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&timer_thread, NULL, waiter_timer, NULL) != 0)
		return -1;
	deliverers = xcalloc((size_t)n, sizeof(*deliverers));
	for (i = 0; i < n; i++)
		if (pthread_create(&deliverers[i], NULL, waiter_deliver,
		    NULL) != 0)
			return -1;
	ndeliverers = n;
	return 0;
}

/*
 * Answer every parked poll (empty: their events stay in MySQL for the
 * next poll) and stop the threads.
 */
void
waiter_stop(void)
{
	int	 i;

	pthread_mutex_lock(&mu);
	stopping = 1;
	while (nheap > 0) {
		struct waiter *w = heap[0];

		unpark(w);
		enqueue(w, 1);
	}
	pthread_cond_broadcast(&queue_cv);
	pthread_cond_signal(&timer_cv);
	pthread_mutex_unlock(&mu);
	pthread_join(timer_thread, NULL);
	for (i = 0; i < ndeliverers; i++)
		pthread_join(deliverers[i], NULL);
}
