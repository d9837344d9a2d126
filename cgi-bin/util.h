/*
 * util.h: memory that aborts on exhaustion, a growable byte buffer with JSON
 * string escaping, clocks and logging.  Knows nothing of HTTP or chat.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_json_str(struct buf *, const char *, size_t);
void	 buf_add_ids(struct buf *, const int64_t *, size_t);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);

int64_t	 now_ms(void);
int64_t	 mono_ms(void);

#define LOG(...)	util_log(__FILE__, __LINE__, __VA_ARGS__)
void	 util_log(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));



/* A growable list of ids. */
struct ids {
	int64_t	*v;
	size_t	 n;
	size_t	 cap;
};

void	 ids_add(struct ids *, int64_t);
void	 ids_free(struct ids *);
void	 tx_backoff(int);
#endif /* UTIL_H */
