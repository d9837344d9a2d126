/*
 * core_reset.h: a forgotten password reset through a one-time link sent
 * by mail (issue 26).
 */
#ifndef CORE_RESET_H
#define CORE_RESET_H

#include <stddef.h>

struct db;

enum reset_result {
	RESET_OK,
	RESET_LIMIT,	/* too many asks: wait */
	RESET_BAD,	/* no such live link */
	RESET_ERROR
};

enum reset_result reset_ask(struct db *, const char *, const char *,
		    size_t, const char *, int *);
enum reset_result reset_use(struct db *, const char *, size_t,
		    const char *, size_t);

#endif /* CORE_RESET_H */
