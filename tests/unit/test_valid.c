/*
 * test_valid.c: every validator of valid.c against tables of good and bad
 * input (empty, exactly at and one past each cap, NUL inside, malformed
 * UTF-8: overlong, surrogates, truncated, above U+10FFFF; control
 * characters), and http_fields() naming the bad field in its 400.
 */
#include "../../cgi-bin/valid.c"
#include "../../cgi-bin/http.h"
#include "../../cgi-bin/req.h"

#include "unit.h"

struct row {
	int		 line;
	const char	*s;
	size_t		 n;
	int		 want;
};

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

/* Run validator fn over rows. */
static void
run(const char *name, validator fn, const struct row *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		check_row(t[i].line, name, t[i].s, t[i].n,
		    fn(t[i].s, t[i].n), t[i].want);
	rep_free();
	unit_end();
}

#define RUN(fn, t)	run(#fn, fn, (t), NROWS(t))

/* UTF-8 that every text field must reject (RFC 3629). */
#define BAD_UTF8_ROWS(prefix)						\
	{ __LINE__, S(prefix "\xc0\x80"), 0 },	/* overlong NUL */	\
	{ __LINE__, S(prefix "\xc1\xbf"), 0 },	/* overlong U+7F */	\
	{ __LINE__, S(prefix "\xe0\x80\xaf"), 0 },	/* overlong / */\
	{ __LINE__, S(prefix "\xe0\x9f\xbf"), 0 },	/* overlong U+7FF */\
	{ __LINE__, S(prefix "\xf0\x8f\xbf\xbf"), 0 },	/* overlong U+FFFF */\
	{ __LINE__, S(prefix "\xed\xa0\x80"), 0 },	/* U+D800 */	\
	{ __LINE__, S(prefix "\xed\xbf\xbf"), 0 },	/* U+DFFF */	\
	{ __LINE__, S(prefix "\xf4\x90\x80\x80"), 0 },	/* U+110000 */	\
	{ __LINE__, S(prefix "\xf5\x80\x80\x80"), 0 },			\
	{ __LINE__, S(prefix "\xf8\x88\x80\x80\x80"), 0 },		\
	{ __LINE__, S(prefix "\xff"), 0 },				\
	{ __LINE__, S(prefix "\xfe"), 0 },				\
	{ __LINE__, S(prefix "\x80"), 0 },	/* lone continuation */	\
	{ __LINE__, S(prefix "\xbf" "abc"), 0 },			\
	{ __LINE__, S(prefix "\xc3"), 0 },	/* truncated */		\
	{ __LINE__, S(prefix "\xe2\x82"), 0 },				\
	{ __LINE__, S(prefix "\xf0\x9f\x98"), 0 },			\
	{ __LINE__, S(prefix "\xc3" "a"), 0 },	/* bad continuation */	\
	{ __LINE__, S(prefix "\xe2\x28\xa1"), 0 },			\
	{ __LINE__, S(prefix "\xf0\x9f\x28\x80"), 0 },			\
	{ __LINE__, S(prefix "\0"), 0 },	/* NUL */		\
	{ __LINE__, S(prefix "a\0b"), 0 }

START_TEST(t_utf8)
{
	const struct row t[] = {
		{ __LINE__, S(""), 1 },
		{ __LINE__, S("a"), 1 },
		{ __LINE__, S("plain ascii ~\x7f"), 1 },
		{ __LINE__, S("\x01\x1f"), 1 },	/* controls are UTF-8 */
		{ __LINE__, S("\xc2\x80"), 1 },	/* U+0080 */
		{ __LINE__, S("\xc3\xa9"), 1 },	/* é */
		{ __LINE__, S("\xdf\xbf"), 1 },	/* U+07FF */
		{ __LINE__, S("\xe0\xa0\x80"), 1 },	/* U+0800 */
		{ __LINE__, S("\xe2\x82\xac"), 1 },	/* € */
		{ __LINE__, S("\xed\x9f\xbf"), 1 },	/* U+D7FF */
		{ __LINE__, S("\xee\x80\x80"), 1 },	/* U+E000 */
		{ __LINE__, S("\xef\xbf\xbf"), 1 },	/* U+FFFF */
		{ __LINE__, S("\xf0\x90\x80\x80"), 1 },	/* U+10000 */
		{ __LINE__, S("\xf0\x9f\x98\x80"), 1 },	/* 😀 */
		{ __LINE__, S("\xf4\x8f\xbf\xbf"), 1 },	/* U+10FFFF */
		{ __LINE__, S("caf\xc3\xa9 \xf0\x9f\x98\x80!"), 1 },
		BAD_UTF8_ROWS(""),
		BAD_UTF8_ROWS("ok "),
	};

	RUN(valid_utf8, t);
}
END_TEST

START_TEST(t_utf8_chars)
{
	const struct {
		int		 line;
		const char	*s;
		size_t		 n;
		size_t		 want;
	} t[] = {
		{ __LINE__, S(""), 0 },
		{ __LINE__, S("abc"), 3 },
		{ __LINE__, S("\xc3\xa9"), 1 },
		{ __LINE__, S("a\xe2\x82\xac\xf0\x9f\x98\x80"), 3 },
		{ __LINE__, S("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"), 2 },
		{ __LINE__, S("a\nb"), 3 },
	};
	size_t	 i;

	for (i = 0; i < NROWS(t); i++)
		check_row(t[i].line, "utf8_chars", t[i].s, t[i].n,
		    (long long)utf8_chars(t[i].s, t[i].n),
		    (long long)t[i].want);
	unit_end();
}
END_TEST

START_TEST(t_uint)
{
	const struct {
		int		 line;
		const char	*s;
		int		 want;
		int64_t		 v;
	} t[] = {
		{ __LINE__, "0", 1, 0 },
		{ __LINE__, "7", 1, 7 },
		{ __LINE__, "123", 1, 123 },
		{ __LINE__, "007", 1, 7 },
		{ __LINE__, "999999999999999999", 1, 999999999999999999LL },
		{ __LINE__, "000000000000000001", 1, 1 },
		{ __LINE__, "1000000000000000000", 0, 0 },	/* 19 digits */
		{ __LINE__, "99999999999999999999999", 0, 0 },
		{ __LINE__, "", 0, 0 },
		{ __LINE__, "-1", 0, 0 },
		{ __LINE__, "+1", 0, 0 },
		{ __LINE__, " 1", 0, 0 },
		{ __LINE__, "1 ", 0, 0 },
		{ __LINE__, "1a", 0, 0 },
		{ __LINE__, "0x10", 0, 0 },
		{ __LINE__, "1.5", 0, 0 },
		{ __LINE__, "1e3", 0, 0 },
		{ __LINE__, "\xd9\xa1", 0, 0 },	/* Arabic-Indic one */
	};
	size_t	 i;
	int64_t	 v;
	int	 rc;

	for (i = 0; i < NROWS(t); i++) {
		v = -42;
		rc = valid_uint(t[i].s, &v);
		check_row(t[i].line, "valid_uint", t[i].s, strlen(t[i].s),
		    rc, t[i].want);
		if (rc == 1)
			check_row(t[i].line, "valid_uint value", t[i].s,
			    strlen(t[i].s), v, t[i].v);
		else
			check_row(t[i].line, "valid_uint leaves out", t[i].s,
			    strlen(t[i].s), v, -42);
	}
	unit_end();
}
END_TEST

START_TEST(t_line_text)
{
	const struct {
		int		 line;
		const char	*s;
		size_t		 n, min, max;
		int		 line_want, text_want;
	} t[] = {
		{ __LINE__, S(""), 0, 5, 1, 1 },
		{ __LINE__, S(""), 1, 5, 0, 0 },
		{ __LINE__, S("ab"), 2, 2, 1, 1 },
		{ __LINE__, S("abc"), 2, 2, 0, 0 },
		{ __LINE__, S("\xc3\xa9\xc3\xa9"), 2, 2, 1, 1 },	/* chars */
		{ __LINE__, S("a\tb"), 0, 9, 0, 1 },
		{ __LINE__, S("a\nb"), 0, 9, 0, 1 },
		{ __LINE__, S("a\r\nb"), 0, 9, 0, 1 },
		{ __LINE__, S("a\x01" "b"), 0, 9, 0, 0 },
		{ __LINE__, S("a\x1b[31m"), 0, 9, 0, 0 },
		{ __LINE__, S("a\x7f"), 0, 9, 0, 0 },
		{ __LINE__, S("a\0b"), 0, 9, 0, 0 },
		{ __LINE__, S("a\xc3"), 0, 9, 0, 0 },
		{ __LINE__, S("\xc2\x85"), 0, 9, 1, 1 },	/* U+0085 is UTF-8 */
	};
	size_t	 i;

	for (i = 0; i < NROWS(t); i++) {
		check_row(t[i].line, "valid_line", t[i].s, t[i].n,
		    valid_line(t[i].s, t[i].n, t[i].min, t[i].max),
		    t[i].line_want);
		check_row(t[i].line, "valid_text", t[i].s, t[i].n,
		    valid_text(t[i].s, t[i].n, t[i].min, t[i].max),
		    t[i].text_want);
	}
	unit_end();
}
END_TEST

START_TEST(t_username)
{
	const struct row t[] = {
		{ __LINE__, S("abc"), 1 },
		{ __LINE__, S("Bob"), 1 },
		{ __LINE__, S("a.b"), 1 },
		{ __LINE__, S("a-b_c.D9"), 1 },
		{ __LINE__, S("123"), 1 },
		{ __LINE__, S("___"), 1 },
		{ __LINE__, R("a", 3), 1 },
		{ __LINE__, R("z", 32), 1 },
		{ __LINE__, R("Z9", 16), 1 },
		{ __LINE__, S(""), 0 },
		{ __LINE__, S("a"), 0 },
		{ __LINE__, R("a", 2), 0 },
		{ __LINE__, R("a", 33), 0 },
		{ __LINE__, R("a", 1000), 0 },
		{ __LINE__, S("a b"), 0 },
		{ __LINE__, S("ab "), 0 },
		{ __LINE__, S(" ab"), 0 },
		{ __LINE__, S("ab@c"), 0 },
		{ __LINE__, S("ab/c"), 0 },
		{ __LINE__, S("ab\\c"), 0 },
		{ __LINE__, S("ab?c"), 0 },
		{ __LINE__, S("ab%c"), 0 },
		{ __LINE__, S("ab+c"), 0 },
		{ __LINE__, S("ab<c>"), 0 },
		{ __LINE__, S("ab'c"), 0 },
		{ __LINE__, S("ab\"c"), 0 },
		{ __LINE__, S("ab:c"), 0 },
		{ __LINE__, S("ab;c"), 0 },
		{ __LINE__, S("ab,c"), 0 },
		{ __LINE__, S("ab*c"), 0 },
		{ __LINE__, S("abc\n"), 0 },
		{ __LINE__, S("abc\t"), 0 },
		{ __LINE__, S("ab\x7f"), 0 },
		{ __LINE__, S("abc\0"), 0 },
		{ __LINE__, S("ab\0c"), 0 },
		{ __LINE__, S("caf\xc3\xa9"), 0 },	/* not ASCII */
		{ __LINE__, S("\xd0\xb0\xd0\xb1\xd0\xb2"), 0 },	/* Cyrillic */
		{ __LINE__, S("ab\xc3"), 0 },
		{ __LINE__, S("ab\xef\xbc\xa1"), 0 },	/* fullwidth A */
	};

	RUN(valid_username, t);
}
END_TEST

START_TEST(t_password)
{
	const struct row t[] = {
		{ __LINE__, R("p", 8), 1 },
		{ __LINE__, S("correct horse battery"), 1 },
		{ __LINE__, R("p", 1024), 1 },
		{ __LINE__, R("\xc3\xa9", 4), 1 },	/* 8 bytes, 4 chars */
		{ __LINE__, R("\xc3\xa9", 512), 1 },	/* 1024 bytes */
		{ __LINE__, S("tab\there ok"), 1 },
		{ __LINE__, S(""), 0 },
		{ __LINE__, R("p", 7), 0 },
		{ __LINE__, R("\xc3\xa9", 3), 0 },	/* 6 bytes */
		{ __LINE__, R("p", 1025), 0 },
		{ __LINE__, R("\xc3\xa9", 513), 0 },	/* 1026 bytes */
		{ __LINE__, R("p", 100000), 0 },
		{ __LINE__, S("passw\0rd"), 0 },
		{ __LINE__, S("password\0"), 0 },
		BAD_UTF8_ROWS("password"),
	};

	RUN(valid_password, t);
}
END_TEST

START_TEST(t_email)
{
	char	 at254[255], at255[256];

	/* "a...a@b.c": exactly 254 and 255 characters. */
	memset(at254, 'a', 250);
	memcpy(at254 + 250, "@b.c", 5);
	memset(at255, 'a', 251);
	memcpy(at255 + 251, "@b.c", 5);
	{
		const struct row t[] = {
			{ __LINE__, S(""), 1 },	/* optional */
			{ __LINE__, S("a@b"), 1 },
			{ __LINE__, S("a@b.c"), 1 },
			{ __LINE__, S("first.last+tag@example.org"), 1 },
			{ __LINE__, S("caf\xc3\xa9@example.org"), 1 },
			{ __LINE__, at254, 254, 1 },
			{ __LINE__, at255, 255, 0 },
			{ __LINE__, R("a", 300), 0 },
			{ __LINE__, S("a"), 0 },
			{ __LINE__, S("@"), 0 },
			{ __LINE__, S("ab"), 0 },
			{ __LINE__, S("abc"), 0 },
			{ __LINE__, S("example.org"), 0 },
			{ __LINE__, S("@b.c"), 0 },
			{ __LINE__, S("a@"), 0 },
			{ __LINE__, S("a@@b"), 0 },
			{ __LINE__, S("a@b@c"), 0 },
			{ __LINE__, S("a b@c.d"), 0 },
			{ __LINE__, S("ab@c.d "), 0 },
			{ __LINE__, S("a\"b@c.d"), 0 },
			{ __LINE__, S("a'b@c.d"), 0 },
			{ __LINE__, S("<a@c.d>"), 0 },
			{ __LINE__, S("a(b)@c.d"), 0 },
			{ __LINE__, S("a,b@c.d"), 0 },
			{ __LINE__, S("a;b@c.d"), 0 },
			{ __LINE__, S("a:b@c.d"), 0 },
			{ __LINE__, S("a\\b@c.d"), 0 },
			{ __LINE__, S("a[b]@c.d"), 0 },
			{ __LINE__, S("a@c.d\n"), 0 },
			{ __LINE__, S("a@c.d\r\nBcc: x@y"), 0 },
			{ __LINE__, S("a\t@c.d"), 0 },
			{ __LINE__, S("a\x7f@c.d"), 0 },
			{ __LINE__, S("a@c.d\0"), 0 },
			{ __LINE__, S("a\0@c.d"), 0 },
			{ __LINE__, S("a@c\xc3"), 0 },
			{ __LINE__, S("a@\xed\xa0\x80"), 0 },
			{ __LINE__, S("a@\xc0\xae"), 0 },
		};

		RUN(valid_email, t);
	}
}
END_TEST

START_TEST(t_url)
{
#define H64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const struct row t[] = {
		{ __LINE__, S(""), 1 },	/* optional: no picture */
		{ __LINE__, S("/api/pictures/" H64), 1 },
		{ __LINE__, S("/api/pictures/" "ffffffffffffffffffffffffffffffff"
		    "00000000000000000000000000000000"), 1 },
		/* Anywhere else is refused: a viewer's browser would fetch it. */
		{ __LINE__, S("http://x"), 0 },
		{ __LINE__, S("https://example.org/a.png"), 0 },
		{ __LINE__, S("http://127.0.0.1:8081/x.png"), 0 },
		{ __LINE__, S("//example.org/a.png"), 0 },
		{ __LINE__, S("https://x/api/pictures/" H64), 0 },
		{ __LINE__, S("/api/frames?timeout=0"), 0 },
		{ __LINE__, S("/api/poll?ack=1"), 0 },
		{ __LINE__, S("/api/cmds"), 0 },
		{ __LINE__, S("/api/me"), 0 },
		{ __LINE__, S("/api/pictures/"), 0 },
		{ __LINE__, S("/api/pictures/" H64 "0"), 0 },
		{ __LINE__, S("/api/pictures/" H64 "?x"), 0 },
		{ __LINE__, S("/api/pictures/" H64 "/"), 0 },
		{ __LINE__, S("/api/pictures/0123456789abcdef"), 0 },
		{ __LINE__, S("/api/pictures/" "0123456789ABCDEF0123456789abcdef"
		    "0123456789abcdef0123456789abcdef"), 0 },
		{ __LINE__, S("/api/pictures/" "0123456789abcdeg0123456789abcdef"
		    "0123456789abcdef0123456789abcdef"), 0 },
		{ __LINE__, S("/API/pictures/" H64), 0 },
		{ __LINE__, S(" /api/pictures/" H64), 0 },
		{ __LINE__, S("/api/pictures/../me/" "0123456789abcdef0123456789abc"
		    "def0123456789abcdef01234"), 0 },
		{ __LINE__, S("/api/pictures/\0" "123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef"), 0 },
		{ __LINE__, S("javascript:alert(1)"), 0 },
		{ __LINE__, S("data:image/png;base64,AAAA"), 0 },
	};
#undef H64

	RUN(valid_picture_url, t);
}
END_TEST

START_TEST(t_nickname)
{
	const struct row t[] = {
		{ __LINE__, S("a"), 1 },
		{ __LINE__, S("Bob the Builder"), 1 },
		{ __LINE__, S("Ann Lee"), 1 },
		{ __LINE__, S("a\xe2\x80\x8d" "b"), 1 },	/* a joiner inside */
		{ __LINE__, S("\xd7\xa9\xd7\xa8\xd7\x94"), 1 },	/* Hebrew */
		{ __LINE__, R("n", 64), 1 },
		{ __LINE__, R("\xc3\xa9", 64), 1 },	/* 64 chars, 128 bytes */
		{ __LINE__, R("\xf0\x9f\x98\x80", 64), 1 },
		{ __LINE__, S("<b>bold</b>"), 1 },	/* escaped on output */
		{ __LINE__, S(""), 0 },
		{ __LINE__, R("n", 65), 0 },
		{ __LINE__, R("\xc3\xa9", 65), 0 },
		{ __LINE__, R("\xf0\x9f\x98\x80", 65), 0 },
		{ __LINE__, S("a\tb"), 0 },
		{ __LINE__, S("a\nb"), 0 },
		{ __LINE__, S("a\rb"), 0 },
		{ __LINE__, S("a\x1b"), 0 },
		{ __LINE__, S("a\x7f"), 0 },
		/* Blanks and invisible characters (issue 26). */
		{ __LINE__, S(" "), 0 },
		{ __LINE__, S("   "), 0 },
		{ __LINE__, S("\xe2\x80\x8b"), 0 },		/* U+200B */
		{ __LINE__, S("\xc2\xa0"), 0 },		/* U+00A0 */
		{ __LINE__, S("\xe3\x80\x80"), 0 },		/* U+3000 */
		{ __LINE__, S("\xef\xbb\xbf"), 0 },		/* U+FEFF */
		{ __LINE__, S("\xe2\x81\xa0\xe2\x80\x8c"), 0 },	/* U+2060 U+200C */
		{ __LINE__, S("\xe3\x85\xa4"), 0 },		/* U+3164 filler */
		{ __LINE__, S("admin\xc2\xa0"), 0 },	/* trailing NBSP */
		{ __LINE__, S(" admin"), 0 },
		{ __LINE__, S("admin "), 0 },
		{ __LINE__, S("\xe2\x80\x8b" "admin"), 0 },
		{ __LINE__, S("a\xe2\x80\xae" "evil"), 0 },	/* U+202E */
		{ __LINE__, S("a\xe2\x80\xaa" "b"), 0 },	/* U+202A */
		{ __LINE__, S("a\xe2\x81\xa6" "b"), 0 },	/* U+2066 */
		{ __LINE__, S("a\xe2\x81\xa9" "b"), 0 },	/* U+2069 */
		{ __LINE__, S("a\xe2\x80\x8f" "b"), 0 },	/* U+200F */
		{ __LINE__, S("a\xd8\x9c" "b"), 0 },		/* U+061C */
		BAD_UTF8_ROWS("nick"),
	};

	RUN(valid_nickname, t);
	ck_assert_str_eq(nickname_problem(S(" ")),
	    "Your name cannot be only spaces or invisible characters");
	ck_assert_str_eq(nickname_problem(S("admin\xc2\xa0")),
	    "Your name cannot start or end with a space or an invisible "
	    "character");
	ck_assert_str_eq(nickname_problem(S("a\xe2\x80\xae" "evil")),
	    "Your name cannot contain text direction controls");
	ck_assert_ptr_null(nickname_problem(S("Ann")));
}
END_TEST

START_TEST(t_new_username)
{
	const struct row t[] = {
		{ __LINE__, S("alice"), 1 },
		{ __LINE__, S("guest"), 1 },
		{ __LINE__, S("guests"), 1 },
		{ __LINE__, S("my-guest-1"), 1 },
		{ __LINE__, S("guest_1"), 1 },
		{ __LINE__, S("guest-zzz"), 0 },
		{ __LINE__, S("GUEST-zzz"), 0 },
		{ __LINE__, S("Guest-1"), 0 },
		{ __LINE__, S("guest-"), 0 },
		{ __LINE__, S("a b"), 0 },
	};

	RUN(valid_new_username, t);
}
END_TEST

START_TEST(t_location)
{
	const struct row t[] = {
		{ __LINE__, S(""), 1 },
		{ __LINE__, S("Z\xc3\xbcrich"), 1 },
		{ __LINE__, R("l", 128), 1 },
		{ __LINE__, R("\xe2\x82\xac", 128), 1 },
		{ __LINE__, R("l", 129), 0 },
		{ __LINE__, R("\xe2\x82\xac", 129), 0 },
		{ __LINE__, S("a\nb"), 0 },
		{ __LINE__, S("a\tb"), 0 },
		BAD_UTF8_ROWS(""),
	};

	RUN(valid_location, t);
}
END_TEST

START_TEST(t_bio)
{
	const struct row t[] = {
		{ __LINE__, S(""), 1 },
		{ __LINE__, S("line one\nline two\r\n\ttabbed"), 1 },
		{ __LINE__, R("b", 1000), 1 },
		{ __LINE__, R("\xf0\x9f\x98\x80", 1000), 1 },
		{ __LINE__, R("b", 1001), 0 },
		{ __LINE__, R("\xf0\x9f\x98\x80", 1001), 0 },
		{ __LINE__, S("a\x01"), 0 },
		{ __LINE__, S("a\x0b"), 0 },	/* vertical tab */
		{ __LINE__, S("a\x0c"), 0 },	/* form feed */
		{ __LINE__, S("\x1b[2J"), 0 },
		{ __LINE__, S("a\x7f"), 0 },
		BAD_UTF8_ROWS("bio "),
	};

	RUN(valid_bio, t);
}
END_TEST

START_TEST(t_public_key)
{
	const struct row t[] = {
		{ __LINE__, S(""), 1 },
		{ __LINE__, S("-----BEGIN PUBLIC KEY-----\n"
		    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
		    "-----END PUBLIC KEY-----\n"), 1 },
		{ __LINE__, S("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@host"), 1 },
		{ __LINE__, R("k", 8192), 1 },
		{ __LINE__, R("k", 8193), 0 },
		{ __LINE__, S("key\x01"), 0 },
		BAD_UTF8_ROWS("key"),
	};

	RUN(valid_public_key, t);
}
END_TEST

START_TEST(t_request_text)
{
	const struct row t[] = {
		{ __LINE__, S(""), 1 },
		{ __LINE__, S("hi, it's me\nfrom the caf\xc3\xa9"), 1 },
		{ __LINE__, R("r", 500), 1 },
		{ __LINE__, R("\xc3\xa9", 500), 1 },
		{ __LINE__, R("r", 501), 0 },
		{ __LINE__, R("\xc3\xa9", 501), 0 },
		{ __LINE__, S("a\x02"), 0 },
		BAD_UTF8_ROWS("hi"),
	};

	RUN(valid_request_text, t);
}
END_TEST

START_TEST(t_title)
{
	const struct row t[] = {
		{ __LINE__, S("t"), 1 },
		{ __LINE__, S("Weekend hike \xf0\x9f\x8f\x94"), 1 },
		{ __LINE__, R("t", 100), 1 },
		{ __LINE__, R("\xe4\xb8\xad", 100), 1 },
		{ __LINE__, S(""), 0 },
		{ __LINE__, R("t", 101), 0 },
		{ __LINE__, R("\xe4\xb8\xad", 101), 0 },
		{ __LINE__, S("a\nb"), 0 },
		{ __LINE__, S("a\tb"), 0 },
		BAD_UTF8_ROWS("title"),
	};

	RUN(valid_title, t);
}
END_TEST

START_TEST(t_body)
{
	char	*mix;

	/* 3999 ASCII characters and one 4-byte character: 4000 chars. */
	mix = rep("a", 4003);
	memcpy(mix + 3999, "\xf0\x9f\x98\x80", 4);
	{
		const struct row t[] = {
			{ __LINE__, S("a"), 1 },
			{ __LINE__, S(" a "), 1 },
			{ __LINE__, S("\xe2\x80\x8b\xc3\xa9"), 1 },	/* ZWSP + é */
			{ __LINE__, S("hello\r\n\tworld"), 1 },
			{ __LINE__, S("\xf0\x9f\x98\x80"), 1 },
			{ __LINE__, S("<script>alert(1)</script>"), 1 },
			{ __LINE__, R("a", 4000), 1 },
			{ __LINE__, R("\xc3\xa9", 4000), 1 },	/* 8000 bytes */
			{ __LINE__, R("\xe2\x82\xac", 4000), 1 },
			{ __LINE__, R("\xf0\x9f\x98\x80", 4000), 1 },
			{ __LINE__, mix, 4003, 1 },
			{ __LINE__, S(""), 0 },
			/* Nothing to see: an empty bubble. */
			{ __LINE__, S(" "), 0 },
			{ __LINE__, S(" \r\n\t "), 0 },
			{ __LINE__, S("\xc2\xa0"), 0 },		/* no-break space */
			{ __LINE__, S("\xe2\x80\x8b\xe2\x80\x8d"), 0 },	/* ZWSP, ZWJ */
			{ __LINE__, S("\xe2\x80\x8f\xe2\x81\xa0"), 0 },	/* RLM, WJ */
			{ __LINE__, S("\xef\xbb\xbf\xe3\x80\x80"), 0 },	/* BOM, ideographic space */
			{ __LINE__, R("a", 4001), 0 },
			{ __LINE__, R("\xc3\xa9", 4001), 0 },
			{ __LINE__, R("\xe2\x82\xac", 4001), 0 },
			{ __LINE__, R("\xf0\x9f\x98\x80", 4001), 0 },
			{ __LINE__, R("a", 65536), 0 },
			{ __LINE__, S("a\x01"), 0 },
			{ __LINE__, S("a\x08"), 0 },	/* backspace */
			{ __LINE__, S("\x1b]0;x\x07"), 0 },
			{ __LINE__, S("a\x7f"), 0 },
			BAD_UTF8_ROWS(""),
			BAD_UTF8_ROWS("message "),
		};

		RUN(valid_body, t);
	}
}
END_TEST

START_TEST(t_client_id)
{
	const struct row t[] = {
		{ __LINE__, S("a"), 1 },
		{ __LINE__, S("0"), 1 },
		{ __LINE__, S("6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"), 1 },
		{ __LINE__, S("!~{}[]|\\\"'"), 1 },	/* printable ASCII */
		{ __LINE__, R("c", 64), 1 },
		{ __LINE__, S(""), 0 },
		{ __LINE__, R("c", 65), 0 },
		{ __LINE__, R("c", 4096), 0 },
		{ __LINE__, S("a b"), 0 },
		{ __LINE__, S(" a"), 0 },
		{ __LINE__, S("a\t"), 0 },
		{ __LINE__, S("a\n"), 0 },
		{ __LINE__, S("a\x7f"), 0 },
		{ __LINE__, S("a\0"), 0 },
		{ __LINE__, S("\0"), 0 },
		{ __LINE__, S("caf\xc3\xa9"), 0 },
		{ __LINE__, S("\xff"), 0 },
	};

	RUN(valid_client_id, t);
}
END_TEST

/* A request whose JSON body is text, answers going to a temp file. */
static void
req_json(struct req *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->json = json_tokener_parse(text);
	ck_assert_ptr_nonnull(r->json);
}

static const struct field tfields[] = {
	{ "username",	valid_username,	F_REQUIRED },
	{ "nickname",	valid_nickname,	0 },
	{ "bio",	valid_bio,	0 },
};

START_TEST(t_fields)
{
	const struct {
		int		 line;
		const char	*json;
		int		 want;	/* status */
		const char	*says;	/* in the answer */
	} t[] = {
		{ __LINE__, "{\"username\":\"bob\"}", 0, "" },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":\"B\","
		    "\"extra\":[1,2]}", 0, "" },
		{ __LINE__, "{}", 400, "username is required" },
		{ __LINE__, "{\"username\":null}", 400, "username is required" },
		{ __LINE__, "{\"username\":42}", 400, "username must be a string" },
		{ __LINE__, "{\"username\":[\"bob\"]}", 400,
		    "username must be a string" },
		{ __LINE__, "{\"username\":true}", 400,
		    "username must be a string" },
		{ __LINE__, "{\"username\":\"b\"}", 400,
		    "A user name is 3 to 32 letters" },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":\"\"}", 400,
		    "That nickname is not valid." },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":\"a\\u0000b\"}",
		    400, "That nickname is not valid." },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":\" \"}", 400,
		    "Your name cannot be only spaces or invisible characters" },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":\"a\\u202eb\"}",
		    400, "Your name cannot contain text direction controls" },
		{ __LINE__, "{\"username\":\"bob\",\"bio\":{}}", 400,
		    "bio must be a string" },
		{ __LINE__, "{\"username\":\"bob\",\"nickname\":7,"
		    "\"bio\":7}", 400, "nickname must be a string" },
	};
	struct fval	 out[3];
	struct req	 r;
	FILE		*cap;
	char		*text;
	size_t		 i;
	int		 st;

	for (i = 0; i < NROWS(t); i++) {
		req_json(&r, t[i].json);
		cap = capture_start();
		st = http_fields(&r, tfields, 3, out);
		text = capture_text(cap);
		check_row(t[i].line, "http_fields", t[i].json,
		    strlen(t[i].json), st, t[i].want);
		if (t[i].want != 0) {
			check_row(t[i].line, "status line", t[i].json,
			    strlen(t[i].json),
			    strstr(text, "Status: 400 ") != NULL, 1);
			check_row(t[i].line, "error JSON names the field",
			    t[i].json, strlen(t[i].json),
			    strstr(text, "{\"error\":{\"code\":\"bad_request\","
			    "\"message\":\"") != NULL &&
			    strstr(text, t[i].says) != NULL, 1);
		} else {
			check_row(t[i].line, "nothing sent", t[i].json,
			    strlen(t[i].json), strlen(text), 0);
			check_row(t[i].line, "username out", t[i].json,
			    strlen(t[i].json), out[0].s != NULL &&
			    out[0].len == 3 && memcmp(out[0].s, "bob", 3) == 0,
			    1);
			check_row(t[i].line, "bio absent", t[i].json,
			    strlen(t[i].json), out[2].s == NULL, 1);
		}
		free(text);
		fclose(cap);
		http_free(&r);
	}
	unit_end();
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("validators");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_utf8);
	tcase_add_test(tc, t_utf8_chars);
	tcase_add_test(tc, t_uint);
	tcase_add_test(tc, t_line_text);
	tcase_add_test(tc, t_username);
	tcase_add_test(tc, t_password);
	tcase_add_test(tc, t_email);
	tcase_add_test(tc, t_url);
	tcase_add_test(tc, t_nickname);
	tcase_add_test(tc, t_new_username);
	tcase_add_test(tc, t_location);
	tcase_add_test(tc, t_bio);
	tcase_add_test(tc, t_public_key);
	tcase_add_test(tc, t_request_text);
	tcase_add_test(tc, t_title);
	tcase_add_test(tc, t_body);
	tcase_add_test(tc, t_client_id);
	tcase_add_test(tc, t_fields);
	return unit_run("valid", tc);
}
