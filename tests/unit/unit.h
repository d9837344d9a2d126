/*
 * unit.h: what the unit tests share.  Table rows carry __LINE__ and a
 * counted input (S("...") keeps NULs inside); a failing row prints file,
 * line and the input, escaped, and every row runs before the test fails.
 * rep() builds long inputs for the boundary rows; capture_*() collect what
 * a CGI-mode answer wrote to stdout.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#define UNIT_FN	static __attribute__((unused))

/* A string literal as counted bytes: S("a\0b") is 3 bytes. */
#define S(lit)	(lit), (sizeof(lit) - 1)

static int	 unit_fails;

/* Print s (n bytes) with non-printable bytes escaped, at most ~60 bytes. */
UNIT_FN void
unit_show(const char *s, size_t n)
{
	size_t	 i, lim = n > 60 ? 48 : n;

	fputc('"', stderr);
	for (i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('"', stderr);
	if (lim < n)
		fprintf(stderr, "... (%zu bytes)", n);
}

/* One row: report (and count) got != want. */
UNIT_FN void
unit_row(const char *file, int line, const char *what, const char *s,
    size_t n, long long got, long long want)
{
	if (got == want)
		return;
	unit_fails++;
	fprintf(stderr, "%s:%d: %s(", file, line, what);
	unit_show(s, n);
	fprintf(stderr, ") = %lld, want %lld\n", got, want);
}

#define check_row(line, what, s, n, got, want) \
	unit_row(__FILE__, (line), (what), (s), (n), (got), (want))

/* End of a table test: fail it if any row failed. */
#define unit_end() do {							\
	ck_assert_msg(unit_fails == 0, "%d row(s) failed, see above",	\
	    unit_fails);						\
	unit_fails = 0;							\
} while (0)

/* Long inputs, freed by rep_free() at the end of each test. */
static char	*rep_pool[64];
static size_t	 rep_n;

/* unit repeated k times (a new string; its length in *len if asked). */
UNIT_FN char *
rep(const char *u, size_t k)
{
	size_t	 ul = strlen(u), i;
	char	*p;

	p = malloc(ul * k + 1);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < k; i++)
		memcpy(p + i * ul, u, ul);
	p[ul * k] = '\0';
	ck_assert_uint_lt(rep_n, sizeof(rep_pool) / sizeof(rep_pool[0]));
	rep_pool[rep_n++] = p;
	return p;
}

/* rep() as counted bytes, for a table row. */
#define R(u, k)	rep((u), (k)), strlen(u) * (k)

UNIT_FN void
rep_free(void)
{
	while (rep_n > 0)
		free(rep_pool[--rep_n]);
}

/* Send stream s (stdout, stderr) to a fresh temporary file. */
UNIT_FN FILE *
capture_to(FILE *s)
{
	FILE	*f;

	fflush(s);
	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ne(dup2(fileno(f), fileno(s)), -1);
	return f;
}

/* Send stdout to a fresh temporary file (CGI-mode answers go there). */
UNIT_FN FILE *
capture_start(void)
{
	return capture_to(stdout);
}

/* What was written since capture_start() (a new string). */
UNIT_FN char *
capture_text(FILE *f)
{
	char	*p;
	long	 n;

	fflush(stdout);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	p = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	rewind(f);
	if (n > 0)
		ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	return p;
}

/* Make stdin read the n bytes of s (for http_read_body in CGI mode). */
UNIT_FN void
stdin_from(const char *s, size_t n)
{
	char	 path[] = "/tmp/unit-stdin.XXXXXX";
	int	 fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	if (n > 0)
		ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
	close(fd);
	/* freopen, not dup2: stdio would keep serving its old buffer. */
	ck_assert_ptr_nonnull(freopen(path, "r", stdin));
	unlink(path);
}


/*
 * Run the one test case tc of a suite named name; the exit status of a
 * test program: 0 when every test passed.
 */
UNIT_FN int
unit_run(const char *name, TCase *tc)
{
	Suite	*s;
	SRunner	*sr;
	int	 nf;

	s = suite_create(name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}

#endif /* UNIT_H */
