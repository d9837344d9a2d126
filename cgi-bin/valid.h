/*
 * valid.h: validators (1 valid, 0 not) over counted strings, and the field
 * tables that check a JSON body against them.  Every text is valid UTF-8
 * without NUL, and capped in characters, before anything uses it.
 */
#ifndef VALID_H
#define VALID_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

typedef int (*validator)(const char *, size_t);

enum field_flag {
	F_REQUIRED = 1 << 0,	/* absent or null: 400 */
};

struct field {
	const char	*name;
	validator	 valid;
	int		 flags;
};

/* A checked field: s is borrowed from the request's JSON (NULL: absent). */
struct fval {
	const char	*s;
	size_t		 len;
};

int	valid_utf8(const char *, size_t);
size_t	utf8_chars(const char *, size_t);
int	valid_uint(const char *, int64_t *);
int	valid_line(const char *, size_t, size_t, size_t);
int	valid_text(const char *, size_t, size_t, size_t);

int	valid_username(const char *, size_t);
int	valid_password(const char *, size_t);
int	valid_email(const char *, size_t);
int	valid_picture_url(const char *, size_t);
int	valid_nickname(const char *, size_t);
const char *nickname_problem(const char *, size_t);
int	valid_new_username(const char *, size_t);
int	valid_location(const char *, size_t);
int	valid_bio(const char *, size_t);
int	valid_public_key(const char *, size_t);
int	valid_request_text(const char *, size_t);
int	valid_title(const char *, size_t);
int	valid_body(const char *, size_t);
int	valid_client_id(const char *, size_t);

int	valid_fields(struct json_object *, const struct field *, size_t,
	    struct fval *, char *, size_t);

#endif /* VALID_H */
