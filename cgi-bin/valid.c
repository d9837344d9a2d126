/*
 * valid.c: input validation.  Each validator takes a counted string (JSON
 * strings may hold NUL) and answers 1 or 0.  valid_fields() walks a field
 * table over a JSON object and names the first bad field (http_fields()
 * answers that as a 400).  Unknown fields are ignored, so clients may send
 * more.  Knows nothing of HTTP.
 */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "caps.h"
#include "valid.h"

/*
 * 1 when s is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no NUL.
 */
int
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	unsigned int	 c, need, min;

	while (p < e) {
		c = *p++;
		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; min = 0x80; c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; min = 0x800; c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; min = 0x10000; c &= 0x07;
		} else
			return 0;
		if ((size_t)(e - p) < need)
			return 0;
		while (need--) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*p++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

/* Characters (code points) in valid UTF-8. */
size_t
utf8_chars(const char *s, size_t n)
{
	size_t	 i, k;

	for (i = k = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* A decimal number of at most 18 digits, no sign: 1 and *out, or 0. */
int
valid_uint(const char *s, int64_t *out)
{
	int64_t	 v = 0;
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return 0;
	*out = v;
	return 1;
}

/* One line of text: min..max characters, no control characters. */
int
valid_line(const char *s, size_t n, size_t min, size_t max)
{
	size_t	 i, k;

	if (!valid_utf8(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	k = utf8_chars(s, n);
	return k >= min && k <= max;
}

/* Free text: min..max characters; tab, CR and LF are the only controls. */
int
valid_text(const char *s, size_t n, size_t min, size_t max)
{
	size_t	 i, k;
	unsigned char c;

	if (!valid_utf8(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f)
			return 0;
	}
	k = utf8_chars(s, n);
	return k >= min && k <= max;
}

/* 3-32 of [A-Za-z0-9_.-]; unique without regard to case (in SQL). */
int
valid_username(const char *s, size_t n)
{
	size_t	 i;
	char	 c;

	if (n < CAP_USERNAME_MIN || n > CAP_USERNAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* 8-1024 bytes of UTF-8 without NUL. */
int
valid_password(const char *s, size_t n)
{
	return n >= CAP_PASSWORD_MIN && n <= CAP_PASSWORD_MAX &&
	    valid_utf8(s, n);
}

/* Empty, or local@domain with no spaces, controls, quotes or brackets. */
int
valid_email(const char *s, size_t n)
{
	const char	*at;
	size_t		 i;

	if (n == 0)
		return 1;
	if (n > CAP_EMAIL || !valid_line(s, n, 3, CAP_EMAIL))
		return 0;
	for (i = 0; i < n; i++)
		if (strchr(" \"'<>(),;:\\[]", s[i]) != NULL)
			return 0;
	if ((at = memchr(s, '@', n)) == NULL || at == s || at == s + n - 1)
		return 0;
	return memchr(at + 1, '@', n - (size_t)(at - s) - 1) == NULL;
}

/*
 * A picture's address (avatar_url of users and topics): empty (none), or
 * the server's own path of an uploaded picture, /api/pictures/ and the
 * 64 lowercase hex digits of its SHA-256.  Nothing else: a picture
 * elsewhere is fetched by every viewer's browser, with the session cookie
 * when it is on the same host (another port is the same site), and tells
 * its owner who looks (issue 21).
 */
int
valid_picture_url(const char *s, size_t n)
{
	static const char	 pre[] = "/api/pictures/";
	size_t			 i, np = sizeof(pre) - 1;

	if (n == 0)
		return 1;
	if (n != np + 64 || memcmp(s, pre, np) != 0)
		return 0;
	for (i = np; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
valid_nickname(const char *s, size_t n)
{
	return valid_line(s, n, 1, CAP_NICKNAME);
}

int
valid_location(const char *s, size_t n)
{
	return valid_line(s, n, 0, CAP_LOCATION);
}

int
valid_bio(const char *s, size_t n)
{
	return valid_text(s, n, 0, CAP_BIO);
}

int
valid_public_key(const char *s, size_t n)
{
	return valid_text(s, n, 0, CAP_PUBLIC_KEY);
}

int
valid_request_text(const char *s, size_t n)
{
	return valid_text(s, n, 0, CAP_REQUEST_TEXT);
}

int
valid_title(const char *s, size_t n)
{
	return valid_line(s, n, 1, CAP_TITLE);
}

/*
 * 1 when well-formed UTF-8 s shows something: a character other than
 * white space and the invisible formatting marks (zero-width space and
 * joiners, direction marks, word joiner, BOM) that alone make an empty
 * bubble.
 */
static int
visible(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, len;
	unsigned int		 c;

	while (i < n) {
		c = p[i];
		len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (len == 2)
			c = (c & 0x1f) << 6 | (p[i + 1] & 0x3f);
		else if (len == 3)
			c = (c & 0x0f) << 12 | (p[i + 1] & 0x3f) << 6 |
			    (p[i + 2] & 0x3f);
		else if (len == 4)
			c = 0x10000;	/* nothing blank up there */
		i += len;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200f) ||
		    (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x2064) ||
		    c == 0x3000 || c == 0xfeff)
			continue;
		return 1;
	}
	return 0;
}

/*
 * A message body: 1-4000 characters, at least one of them visible, stored
 * exactly as sent.
 */
int
valid_body(const char *s, size_t n)
{
	return valid_text(s, n, 1, CAP_BODY_CHARS) && visible(s, n);
}

/* 1-64 printable ASCII characters, no space. */
int
valid_client_id(const char *s, size_t n)
{
	size_t	 i;

	if (n < 1 || n > CAP_CLIENT_ID)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Check object o against the n fields of table f; out[i] receives field i
 * (borrowed from o; s NULL when absent).  Every field is a string.  1 all
 * valid, else 0 with why (whysz bytes) naming the first bad field.
 */
int
valid_fields(struct json_object *o, const struct field *f, size_t n,
    struct fval *out, char *why, size_t whysz)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[i].s = NULL;
		out[i].len = 0;
		if (!json_object_object_get_ex(o, f[i].name, &v) || v == NULL) {
			if (!(f[i].flags & F_REQUIRED))
				continue;
			snprintf(why, whysz, "%s is required", f[i].name);
			return 0;
		}
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(why, whysz, "%s must be a string", f[i].name);
			return 0;
		}
		out[i].s = json_object_get_string(v);
		out[i].len = (size_t)json_object_get_string_len(v);
		if (!f[i].valid(out[i].s, out[i].len)) {
			snprintf(why, whysz, "%s is not valid", f[i].name);
			return 0;
		}
	}
	return 1;
}
