/*
 * util.c: allocation that aborts (inputs are capped before anything is sized
 * from them, so running out of memory is a fault, not bad input), struct buf,
 * clocks and one-line logs to stderr with file and line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void
util_log(const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	struct tm tm;
	time_t	 t;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t = time(NULL);
	gmtime_r(&t, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ %s:%d: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, file, line, msg);
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
