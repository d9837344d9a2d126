/*
 * test_core_auth.c: session tokens (43 characters of base64url for 32 random
 * bytes, never the same twice, stored as the SHA-256 of their text),
 * argon2id password hashes (a round trip, wrong passwords refused, a fresh
 * salt each time), the per-user send bucket, and the 401 for a missing or
 * malformed sid cookie, which needs no database.
 */
#include "../../cgi-bin/core_auth.c"
#include "../../cgi-bin/api_auth.h"
#include "../../cgi-bin/http.h"
#include "../../cgi-bin/req.h"

#include "unit.h"

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

static void
setup(void)
{
	ck_assert_int_eq(auth_init(), 0);
}

static int
is_b64url(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

START_TEST(t_token_format)
{
	char		 tok[AUTH_TOKEN_LEN + 1];
	unsigned char	 hash[32], want[32], raw[64];
	size_t		 rawlen;

	memset(tok, '#', sizeof(tok));
	ck_assert_int_eq(auth_token_new(tok, hash), 0);
	ck_assert_uint_eq(strlen(tok), 43);
	ck_assert_msg(is_b64url(tok), "not base64url: %s", tok);
	/* 43 base64url characters are the 32 bytes, 256 bits. */
	ck_assert_int_eq(sodium_base642bin(raw, sizeof(raw), tok, strlen(tok),
	    NULL, &rawlen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	ck_assert_uint_eq(rawlen, 32);
	/* The stored hash is SHA-256 of the cookie text. */
	crypto_hash_sha256(want, (const unsigned char *)tok, strlen(tok));
	ck_assert_mem_eq(hash, want, 32);
	/* ... and not the raw bytes' hash, nor the token itself. */
	crypto_hash_sha256(want, raw, rawlen);
	ck_assert_mem_ne(hash, want, 32);
	ck_assert_mem_ne(hash, raw, 32);
}
END_TEST

START_TEST(t_tokens_differ)
{
	enum { N = 200 };
	static char	 tok[N][AUTH_TOKEN_LEN + 1];
	static unsigned char hash[N][32];
	int		 i, j, bits[256] = { 0 };
	unsigned char	 raw[32];
	size_t		 rawlen;

	for (i = 0; i < N; i++) {
		ck_assert_int_eq(auth_token_new(tok[i], hash[i]), 0);
		for (j = 0; j < i; j++) {
			ck_assert_str_ne(tok[i], tok[j]);
			ck_assert_mem_ne(hash[i], hash[j], 32);
		}
		ck_assert_int_eq(sodium_base642bin(raw, sizeof(raw), tok[i],
		    AUTH_TOKEN_LEN, NULL, &rawlen, NULL,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
		for (j = 0; j < 256; j++)
			bits[j] += raw[j / 8] >> (j % 8) & 1;
	}
	/* Every bit of the 256 varies: no constant or zeroed bytes. */
	for (j = 0; j < 256; j++)
		ck_assert_msg(bits[j] > 0 && bits[j] < N,
		    "bit %d is always %d", j, bits[j] ? 1 : 0);
}
END_TEST

START_TEST(t_token_hash)
{
	/* FIPS 180-2 test vector for "abc". */
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char	 h[32], h2[32];

	auth_token_hash("abc", 3, h);
	ck_assert_mem_eq(h, abc, 32);
	/* Only len bytes count. */
	auth_token_hash("abcdef", 3, h2);
	ck_assert_mem_eq(h2, abc, 32);
	auth_token_hash("abd", 3, h2);
	ck_assert_mem_ne(h2, abc, 32);
}
END_TEST

START_TEST(t_password_hash)
{
	char	 h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX], *big;
	const char *pw = "correct horse 1";

	ck_assert_int_eq(auth_hash(pw, strlen(pw), h1), 0);
	ck_assert_msg(strncmp(h1, "$argon2id$", 10) == 0, "not argon2id: %s",
	    h1);
	ck_assert_ptr_nonnull(strstr(h1, "m=19456,t=2,"));
	ck_assert_ptr_null(strstr(h1, pw));
	ck_assert_int_eq(auth_verify(h1, pw, strlen(pw)), 1);

	/* Wrong passwords: other text, a prefix, longer, other case. */
	ck_assert_int_eq(auth_verify(h1, "correct horse 2", 15), 0);
	ck_assert_int_eq(auth_verify(h1, pw, strlen(pw) - 1), 0);
	ck_assert_int_eq(auth_verify(h1, "correct horse 11", 16), 0);
	ck_assert_int_eq(auth_verify(h1, "Correct horse 1", 15), 0);
	ck_assert_int_eq(auth_verify(h1, "", 0), 0);

	/* A new salt each time: same password, other hash, both verify. */
	ck_assert_int_eq(auth_hash(pw, strlen(pw), h2), 0);
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(auth_verify(h2, pw, strlen(pw)), 1);

	/* Counted bytes: the longest password, UTF-8. */
	big = rep("\xc3\xa9", 512);
	ck_assert_int_eq(auth_hash(big, 1024, h2), 0);
	ck_assert_int_eq(auth_verify(h2, big, 1024), 1);
	big[1023] = 'x';
	ck_assert_int_eq(auth_verify(h2, big, 1024), 0);
	rep_free();

	/* A malformed stored hash never verifies. */
	ck_assert_int_eq(auth_verify("", pw, strlen(pw)), 0);
	ck_assert_int_eq(auth_verify("$argon2id$garbage", pw, strlen(pw)), 0);

	/* The dummy verification for unknown users runs and returns. */
	auth_verify_dummy(pw, strlen(pw));
	auth_verify_dummy("not a password", 14);
	/*
	 * Its hash is written in auth.c, not made at start: it must be a
	 * hash of the same cost as a real one (else an unknown user name
	 * answers faster), and a real hash.
	 */
	ck_assert_int_eq(crypto_pwhash_str_needs_rehash(auth_dummy_hash,
	    CAP_KDF_OPS, CAP_KDF_MEM), 0);
	ck_assert_int_eq(auth_verify(auth_dummy_hash, "not a password", 14), 1);
}
END_TEST

START_TEST(t_send_bucket)
{
	int	 i;

	conf.send_rate = 2;
	conf.send_burst = 3;

	/* A burst of 3, then refused. */
	for (i = 0; i < 3; i++)
		ck_assert_msg(auth_send_allowed(NULL, 42) == 0, "send %d refused", i);
	ck_assert_int_ne(auth_send_allowed(NULL, 42), 0);
	ck_assert_int_ne(auth_send_allowed(NULL, 42), 0);

	/* Another user has a bucket of its own. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(auth_send_allowed(NULL, 43), 0);
	ck_assert_int_ne(auth_send_allowed(NULL, 43), 0);

	/* 2 per second: after 0.6 s one more (and only one). */
	usleep(600 * 1000);
	ck_assert_int_eq(auth_send_allowed(NULL, 42), 0);
	ck_assert_int_ne(auth_send_allowed(NULL, 42), 0);

	/* After 2 s the bucket is full again, but holds no more than 3. */
	usleep(2000 * 1000);
	for (i = 0; i < 3; i++)
		ck_assert_msg(auth_send_allowed(NULL, 42) == 0, "refill %d refused",
		    i);
	ck_assert_int_ne(auth_send_allowed(NULL, 42), 0);

	/* Rate 0: unlimited. */
	conf.send_rate = 0;
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(auth_send_allowed(NULL, 42), 0);
}
END_TEST

/* n users whose buckets share a set (auth.c's send_set). */
static void
same_set(int64_t *out, size_t n)
{
	size_t		 k = 0, want = send_set(1000000);
	int64_t		 uid;

	for (uid = 1000000; k < n; uid++)
		if (send_set(uid) == want)
			out[k++] = uid;
}

START_TEST(t_send_bucket_shared)
{
	int64_t	 u[CAP_SEND_WAYS + 1];
	int	 i, j, ok;

	conf.send_rate = 2;
	conf.send_burst = 3;
	same_set(u, CAP_SEND_WAYS + 1);

	/*
	 * One account more than the set holds, taking turns as fast as they
	 * can: together no more than the set's buckets hold (each newcomer
	 * used to start full, so they never ran dry).
	 */
	ok = 0;
	for (i = 0; i < 100; i++)
		for (j = 0; j <= CAP_SEND_WAYS; j++)
			ok += auth_send_allowed(NULL, u[j]) == 0;
	ck_assert_int_le(ok, CAP_SEND_WAYS * 3 + 2);
	ck_assert_int_ge(ok, CAP_SEND_WAYS * 3);

	/*
	 * Once the buckets have filled up again, a newcomer to the set is
	 * limited by no one: a whole burst.
	 */
	usleep(2000 * 1000);
	for (j = 0; j < CAP_SEND_WAYS; j++)
		ck_assert_int_eq(auth_send_allowed(NULL, u[j]), 0);
	usleep(1000 * 1000);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(auth_send_allowed(NULL, u[CAP_SEND_WAYS]), 0);
	ck_assert_int_ne(auth_send_allowed(NULL, u[CAP_SEND_WAYS]), 0);
}
END_TEST

/* auth_session without a usable sid cookie: 401, no database needed. */
START_TEST(t_session_no_cookie)
{
	const struct {
		int		 line;
		const char	*cookie;	/* NULL: none */
	} t[] = {
		{ __LINE__, NULL },
		{ __LINE__, "" },
		{ __LINE__, "theme=dark" },
		{ __LINE__, "sid=" },
		{ __LINE__, "sid=abc" },
		{ __LINE__, "sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ __LINE__, "sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ __LINE__, "xsid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ __LINE__, "SID=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	};
	char		 h[128], *env[3], *text;
	struct req	 r;
	FILE		*cap;
	size_t		 i;

	for (i = 0; i < NROWS(t); i++) {
		env[0] = "REQUEST_METHOD=GET";
		env[1] = NULL;
		if (t[i].cookie != NULL) {
			snprintf(h, sizeof(h), "HTTP_COOKIE=%s", t[i].cookie);
			env[1] = h;
		}
		env[2] = NULL;
		http_init(&r, NULL, env);
		cap = capture_start();
		check_row(t[i].line, "auth_session", h, strlen(h),
		    auth_session(&r), 401);
		text = capture_text(cap);
		fclose(cap);
		check_row(t[i].line, "401 error JSON", h, strlen(h),
		    strstr(text, "{\"error\":{\"code\":\"unauthorized\"") !=
		    NULL, 1);
		check_row(t[i].line, "no user", h, strlen(h), r.uid, 0);
		free(text);
		http_free(&r);
	}
	unit_end();
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("auth");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, t_token_format);
	tcase_add_test(tc, t_tokens_differ);
	tcase_add_test(tc, t_token_hash);
	tcase_add_test(tc, t_password_hash);
	tcase_add_test(tc, t_send_bucket);
	tcase_add_test(tc, t_send_bucket_shared);
	tcase_add_test(tc, t_session_no_cookie);
	return unit_run("auth", tc);
}
