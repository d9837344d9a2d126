/*
 * util.c: allocation that aborts (inputs are capped before anything is sized
 * from them, so running out of memory is a fault, not bad input), struct buf,
 * clocks and one-line logs to stderr with file and line (repeats held
 * back for a while and counted).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		abort();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		abort();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		abort();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Make room for n more bytes plus a NUL; the buffer is always a C string. */
static void
buf_grow(struct buf *b, size_t n)
{
	size_t	 cap;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Append s as a quoted JSON string (RFC 8259 section 7).  Input is valid
 * UTF-8 (checked at the door), so only quote, backslash and control
 * characters need escapes; "<" and ">" are escaped too so that no answer
 * can be read as markup.
 */
void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i, start;
	unsigned char c;

	buf_addc(b, '"');
	for (i = start = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>')
			continue;
		buf_add(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"':  buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: {
			char	 e[6] = { '\\', 'u', '0', '0',
			    hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 6);
		}
		}
	}
	buf_add(b, s + start, n - start);
	buf_addc(b, '"');
}

/* n ids as a JSON array, "[1,2,3]": one bound JSON_TABLE(?) parameter. */
void
buf_add_ids(struct buf *b, const int64_t *v, size_t n)
{
	size_t	 i;

	buf_addc(b, '[');
	for (i = 0; i < n; i++)
		buf_addf(b, "%s%lld", i ? "," : "", (long long)v[i]);
	buf_addc(b, ']');
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Repeats of one line (same place, same text) within LOG_QUIET_MS are
 * counted, not written, and the next one written says how many there
 * were: with MariaDB down every request logged its failed connect, a line
 * per request until the disk filled.  A few slots, by hash; two lines
 * that share a slot just both get written.
 */
#define LOG_SLOTS	64
#define LOG_QUIET_MS	10000

static pthread_mutex_t	 log_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t		 log_quiet_ms = LOG_QUIET_MS;
static struct {
	uint64_t	 key;
	int64_t		 at;		/* written, mono ms */
	unsigned long	 more;		/* held back since */
} log_seen[LOG_SLOTS];

static uint64_t
log_hash(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;	/* FNV-1a */
	return h;
}

void
util_log(const char *file, int line, const char *fmt, ...)
{
	va_list		 ap;
	char		 msg[1024];
	struct tm	 tm;
	time_t		 t;
	uint64_t	 key;
	int64_t		 now, since = 0;
	unsigned long	 more = 0;
	size_t		 slot;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	key = log_hash(log_hash(0xcbf29ce484222325ULL ^ (uint64_t)line, file),
	    msg);
	slot = (size_t)(key % LOG_SLOTS);
	now = mono_ms();
	pthread_mutex_lock(&log_mu);
	if (log_seen[slot].key == key) {
		if (now - log_seen[slot].at < log_quiet_ms) {
			log_seen[slot].more++;
			pthread_mutex_unlock(&log_mu);
			return;
		}
		more = log_seen[slot].more;
		since = now - log_seen[slot].at;
	}
	log_seen[slot].key = key;
	log_seen[slot].at = now;
	log_seen[slot].more = 0;
	pthread_mutex_unlock(&log_mu);
	t = time(NULL);
	gmtime_r(&t, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ %s:%d: %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, file, line, msg);
	if (more > 0)
		fprintf(stderr, " (and %lu more like it in the %lld s before)",
		    more, (long long)(since / 1000));
	fputc('\n', stderr);
}

void
ids_add(struct ids *l, int64_t id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = id;
}

void
ids_free(struct ids *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/*
 * Before try i + 1 of a transaction that lost a deadlock or a Galera
 * certification conflict (both error 1213): a few random milliseconds,
 * more each time, so the two that collided do not collide again.
 * Requests of one pair both ways at once (a double click on each side)
 * insert the same unique key and deadlock each other; run again at once,
 * three tries were not enough for eight.  libsodium's random, not glibc's
 * arc4random (2.36): the static build runs on hosts with glibc 2.34.
 */
void
tx_backoff(int i)
{
	usleep((useconds_t)(1000 + randombytes_uniform(2000u << (i < 6 ? i : 6))));
}
