/*
 * core_grams.h: a text cut into search grams (core_grams.c), for
 * core_search.c.
 */
#ifndef CORE_GRAMS_H
#define CORE_GRAMS_H

#include <stddef.h>

size_t	grams_cut(const char *, size_t, int, char (*)[16], size_t);

#endif /* CORE_GRAMS_H */
