/*
 * inbox.c: see inbox.h.  Each user's inbox is valid while its epoch equals
 * the epoch of the user's slot and its time has not run out.  Every change
 * to a user's events that this process hears of moves the slot's epoch
 * on: a feed also moves the inbox along (it saw the change), anything
 * else leaves it behind, unknown.  A fetch from MySQL reads the epoch
 * before it looks and trusts what it saw only if the epoch did not move
 * meanwhile, so an event committed during that look is never taken for
 * seen.  Slots are shared by users (a hash): a collision costs a query,
 * never an event.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "conf.h"
#include "inbox.h"
#include "util.h"

#define SLOTS		65536	/* epochs; power of two */
#define BUCKETS		16384	/* inboxes; power of two */
#define INBOX_MAX	1000	/* events fed before the inbox gives up */

struct inbox {
	int64_t		 uid;
	uint64_t	 epoch;		/* valid while epochs[slot] is this */
	int64_t		 until;		/* mono ms: known until then */
	int64_t		 due;		/* mono ms: an event handed out falls
					   due again (0: none in flight) */
	struct inbox_ev	*v;
	size_t		 n, cap;
	struct inbox	*next;
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t		 epochs[SLOTS];
static struct inbox	*buckets[BUCKETS];
static unsigned		 trusts;
static int		 alone;		/* no other node alive (inbox_alone) */

static uint64_t *
slot(int64_t uid)
{
	return &epochs[(size_t)uid & (SLOTS - 1)];
}

void
inbox_ev_free(struct inbox_ev *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].payload);
	}
	free(v);
}

/* Unlink and free *p.  Needs mu. */
static void
drop_at(struct inbox **p)
{
	struct inbox	*e = *p;

	*p = e->next;
	inbox_ev_free(e->v, e->n);
	free(e);
}

static struct inbox **
find(int64_t uid)
{
	struct inbox	**p;

	for (p = &buckets[(size_t)uid & (BUCKETS - 1)]; *p != NULL;
	    p = &(*p)->next)
		if ((*p)->uid == uid)
			return p;
	return p;
}

/* uid's inbox if it is valid (an invalid one is freed), or NULL.  Needs mu. */
static struct inbox *
known(int64_t uid, int64_t now)
{
	struct inbox	**p = find(uid);

	if (*p == NULL)
		return NULL;
	if ((*p)->epoch != *slot(uid) || now >= (*p)->until) {
		drop_at(p);
		return NULL;
	}
	return *p;
}

/* Free every inbox that is no longer valid.  Needs mu. */
static void
gc(int64_t now)
{
	struct inbox	**p;
	size_t		 b;

	for (b = 0; b < BUCKETS; b++)
		for (p = &buckets[b]; *p != NULL;)
			if ((*p)->epoch != *slot((*p)->uid) ||
			    now >= (*p)->until)
				drop_at(p);
			else
				p = &(*p)->next;
}

/* The epoch to read before fetching uid's events from MySQL. */
uint64_t
inbox_epoch(int64_t uid)
{
	uint64_t	 e;

	pthread_mutex_lock(&mu);
	e = *slot(uid);
	pthread_mutex_unlock(&mu);
	return e;
}

/*
 * A fetch from MySQL that began at epoch and saw every event of uid has
 * handed out all that was due: nothing else is due until an event in flight
 * falls due at due (mono ms, 0: none), or the inbox's time runs out.  If
 * anything changed since epoch, uid's inbox is forgotten instead.
 */
void
inbox_trust(int64_t uid, uint64_t epoch, int64_t due)
{
	struct inbox	**p, *e;
	int64_t		 now = mono_ms();

	/* Another node may have taken acks we never heard of: trust nothing. */
	if (!__atomic_load_n(&alone, __ATOMIC_RELAXED)) {
		inbox_forget(&uid, 1);
		return;
	}

	pthread_mutex_lock(&mu);
	p = find(uid);
	if (*slot(uid) != epoch) {
		(*slot(uid))++;
		if (*p != NULL)
			drop_at(p);
	} else {
		if ((e = *p) == NULL) {
			e = *p = xcalloc(1, sizeof(*e));
			e->uid = uid;
		}
		inbox_ev_free(e->v, e->n);
		e->v = NULL;
		e->n = e->cap = 0;
		e->epoch = epoch;
		e->due = due;
		e->until = now + CAP_INBOX_MS;
		if (due > 0 && due < e->until)
			e->until = due;
	}
	if (++trusts % 1024 == 0)
		gc(now);
	pthread_mutex_unlock(&mu);
}

/*
 * This process committed event id for uid: add it to uid's inbox if that
 * is known (else it stays unknown; a fetch finds the event in MySQL).
 */
void
inbox_feed(int64_t uid, int64_t id, int64_t at, const char *type,
    const char *payload)
{
	struct inbox	*e;
	struct inbox_ev	*ev;

	pthread_mutex_lock(&mu);
	e = known(uid, mono_ms());
	(*slot(uid))++;
	if (e != NULL && e->n >= INBOX_MAX) {
		drop_at(find(uid));
		e = NULL;
	}
	if (e != NULL) {
		if (e->n == e->cap) {
			e->cap = e->cap ? e->cap * 2 : 4;
			e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
		}
		ev = &e->v[e->n++];
		ev->id = id;
		ev->at = at;
		ev->type = xstrdup(type);
		ev->payload = xstrdup(payload);
		e->epoch = *slot(uid);
	}
	pthread_mutex_unlock(&mu);
}

/* Something changed for these users that this process cannot see. */
void
inbox_forget(const int64_t *uids, size_t n)
{
	struct inbox	**p;
	size_t		 i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < n; i++) {
		(*slot(uids[i]))++;
		if (*(p = find(uids[i])) != NULL)
			drop_at(p);
	}
	pthread_mutex_unlock(&mu);
}

/*
 * Is uid's inbox known?  Then nothing was heard of uid since the last look
 * in MySQL: no wake (core_live.c: nor a typing signal).
 */
int
inbox_known(int64_t uid)
{
	int	 k;

	pthread_mutex_lock(&mu);
	k = known(uid, mono_ms()) != NULL;
	pthread_mutex_unlock(&mu);
	return k;
}

static int
by_id(const void *a, const void *b)
{
	const struct inbox_ev	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * If uid's inbox is known, hand out up to max of its events in id order
 * (*v, *n: the caller frees them and stamps them sent) and return 1; *next
 * gets the ms until an event in flight falls due (0: none).  0: unknown,
 * ask MySQL.
 */
int
inbox_take(int64_t uid, size_t max, struct inbox_ev **v, size_t *n,
    int64_t *next)
{
	struct inbox	*e;
	int64_t		 now = mono_ms(), due;
	size_t		 k;

	*v = NULL;
	*n = 0;
	*next = 0;
	pthread_mutex_lock(&mu);
	if ((e = known(uid, now)) == NULL) {
		pthread_mutex_unlock(&mu);
		return 0;
	}
	if (e->n > 0) {
		qsort(e->v, e->n, sizeof(*e->v), by_id);
		k = e->n < max ? e->n : max;
		*v = xmalloc(k * sizeof(**v));
		memcpy(*v, e->v, k * sizeof(**v));
		memmove(e->v, e->v + k, (e->n - k) * sizeof(*e->v));
		e->n -= k;
		*n = k;
		due = now + (int64_t)conf.resend_s * 1000;
		if (e->due == 0 || due < e->due)
			e->due = due;
		if (due < e->until)
			e->until = due;
	}
	if (e->due > 0)
		*next = e->due > now ? e->due - now : 1;
	pthread_mutex_unlock(&mu);
	return 1;
}

/* uid acked these ids: they are not due any more. */
void
inbox_drop(int64_t uid, const int64_t *ids, size_t n)
{
	struct inbox	*e;
	size_t		 i, k, w;

	pthread_mutex_lock(&mu);
	if ((e = known(uid, mono_ms())) != NULL && e->n > 0) {
		for (i = w = 0; i < e->n; i++) {
			for (k = 0; k < n && ids[k] != e->v[i].id; k++)
				;
			if (k < n) {
				free(e->v[i].type);
				free(e->v[i].payload);
			} else
				e->v[w++] = e->v[i];
		}
		e->n = w;
	}
	pthread_mutex_unlock(&mu);
}

/*
 * Whether this is the only chat node alive (core_watch.c, every second).
 * Until it says so, and while another node is alive, no inbox is trusted:
 * every poll reads MySQL, where acks made through the other nodes are.
 */
void
inbox_alone(int yes)
{
	size_t	 i;

	if (!yes && __atomic_exchange_n(&alone, 0, __ATOMIC_RELAXED)) {
		/* What was trusted a moment ago is not any more. */
		pthread_mutex_lock(&mu);
		for (i = 0; i < SLOTS; i++)
			epochs[i]++;
		pthread_mutex_unlock(&mu);
	}
	if (yes)
		__atomic_store_n(&alone, 1, __ATOMIC_RELAXED);
}

/* Is this the only chat node alive (inbox_alone)?  1 yes, 0 not known to be. */
int
inbox_is_alone(void)
{
	return __atomic_load_n(&alone, __ATOMIC_RELAXED);
}
