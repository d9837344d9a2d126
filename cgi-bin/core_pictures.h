/*
 * core_pictures.h: pictures kept in MySQL by the SHA-256 of their bytes,
 * their type found from the bytes.
 */
#ifndef CORE_PICTURES_H
#define CORE_PICTURES_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* A picture read by picture_get(). */
struct picture {
	const char	*type;		/* "image/png" ..., static */
	char		*bytes;		/* the caller frees */
	size_t		 len;
};

const char *picture_type(const unsigned char *, size_t);
int	picture_put(struct db *, int64_t, const char *, const char *, size_t,
	    char[65]);
int	picture_get(struct db *, const unsigned char[32], struct picture *);

#endif /* CORE_PICTURES_H */
