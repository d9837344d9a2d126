/*
 * core_remove.h: removing one's own account, its messages kept under a
 * tombstone (issue 26).
 */
#ifndef CORE_REMOVE_H
#define CORE_REMOVE_H

#include <stddef.h>
#include <stdint.h>

struct db;

enum remove_result {
	REMOVE_OK,
	REMOVE_WRONG,	/* not the password */
	REMOVE_LIMIT,	/* too many wrong passwords: wait */
	REMOVE_GONE,	/* a guest, or removed already */
	REMOVE_ERROR
};

enum remove_result remove_account(struct db *, int64_t, const char *,
		    const char *, const char *, size_t, int *);

#endif /* CORE_REMOVE_H */
