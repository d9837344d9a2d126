/*
 * valid.c: input validation.  Each validator takes a counted string (JSON
 * strings may hold NUL) and answers 1 or 0.  valid_fields() walks a field
 * table over a JSON object and names the first bad field (http_fields()
 * answers that as a 400).  Unknown fields are ignored, so clients may send
 * more.  Knows nothing of HTTP.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* The code point at p (well-formed UTF-8, n bytes left); *len its bytes. */
static unsigned int
code_point(const unsigned char *p, size_t n, size_t *len)
{
	unsigned int	 c = p[0];

	*len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (*len > n)
		*len = n;
	if (*len == 2)
		return (c & 0x1f) << 6 | (p[1] & 0x3f);
	if (*len == 3)
		return (c & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	if (*len == 4)
		return (c & 0x07) << 18 | (p[1] & 0x3f) << 12 |
		    (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	return c;
}

/*
 * Text direction controls: embeddings and overrides (U+202A-U+202E),
 * isolates (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C).  In a
 * name they turn what follows around ("a\u202eevil" shows as "alive"),
 * in the name and in the text beside it.
 */
static int
is_bidi(unsigned int c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

/*
 * Characters that show nothing: white space of every kind, zero-width
 * characters and joiners, fillers that are blank in most fonts, and the
 * direction controls.
 */
static int
is_blank(unsigned int c)
{
	return c <= 0x20 || c == 0x7f || c == 0x85 || c == 0xa0 ||
	    c == 0xad || c == 0x34f || c == 0x115f || c == 0x1160 ||
	    c == 0x1680 || c == 0x180e || (c >= 0x2000 && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) ||
	    c == 0x2800 || c == 0x3000 || c == 0x3164 || c == 0xfeff ||
	    c == 0xffa0 || (c >= 0xe0000 && c <= 0xe007f) || is_bidi(c);
}

/*
 * What is wrong with nickname s (a valid line) beyond its length, as a
 * sentence for the person who typed it, or NULL.  A name of blanks or
 * invisible characters, or one padded with them ("admin\u00a0"), passes
 * for someone else's or for none; a direction control turns the text
 * around.  Refused, not trimmed: the name shown is the name typed.
 */
const char *
nickname_problem(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, len;
	unsigned int		 c;
	int			 shown = 0, lead = 0, last = 0;

	for (i = 0; i < n; i += len) {
		c = code_point(p + i, n - i, &len);
		if (is_bidi(c))
			return "Your name cannot contain text direction "
			    "controls";
		last = is_blank(c);
		if (i == 0)
			lead = last;
		if (!last)
			shown = 1;
	}
	if (!shown)
		return "Your name cannot be only spaces or invisible "
		    "characters";
	if (lead || last)
		return "Your name cannot start or end with a space or an "
		    "invisible character";
	return NULL;
}

int
valid_nickname(const char *s, size_t n)
{
	return valid_line(s, n, 1, CAP_NICKNAME) &&
	    nickname_problem(s, n) == NULL;
}

/*
 * A user name for a new account: guest- names are the guests' own
 * (account_guest), so a registered user cannot pass for a guest.
 */
int
valid_new_username(const char *s, size_t n)
{
	return valid_username(s, n) && !(n >= 6 &&
	    strncasecmp(s, "guest-", 6) == 0);
}

/* Why validator v refused s, when it can say more than "not valid". */
static const char *
valid_why(validator v, const char *s, size_t n)
{
	if (v == valid_nickname && valid_line(s, n, 1, CAP_NICKNAME))
		return nickname_problem(s, n);
	if (v == valid_new_username && valid_username(s, n))
		return "User names starting with guest- are kept for guests.";
	if (v == valid_username || v == valid_new_username)
		return "A user name is 3 to 32 letters, digits, dots, _ or -.";
	if (v == valid_password)
		return "A password needs at least 8 characters.";
	return NULL;
}

/*
 * What a person calls field name, for "… is not valid": the messages are
 * shown as they are, so they name no internal field.  NULL: a field no
 * form sends (the answer names it, for the programmer).
 */
static const char *
valid_label(const char *name)
{
	static const char *const t[][2] = {
		{ "username",	"That user name" },
		{ "to",		"That user name" },
		{ "password",	"That password" },
		{ "email",	"That email address" },
		{ "nickname",	"That nickname" },
		{ "avatar_url",	"That picture link" },
		{ "location",	"That location" },
		{ "bio",	"That text about you" },
		{ "public_key",	"That public key" },
		{ "title",	"That group name" },
		{ "body",	"That message" },
		{ "text",	"That request text" },
		{ "reason",	"That reason" },
		{ "token",	"That link" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i][0], name) == 0)
			return t[i][1];
	return NULL;
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
	const char		*msg;
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
			msg = valid_why(f[i].valid, out[i].s, out[i].len);
			if (msg != NULL)
				snprintf(why, whysz, "%s", msg);
			else if ((msg = valid_label(f[i].name)) != NULL)
				snprintf(why, whysz, "%s is not valid.", msg);
			else
				snprintf(why, whysz, "%s is not valid",
				    f[i].name);
			return 0;
		}
	}
	return 1;
}
