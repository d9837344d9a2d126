/*
 * test_util.c: the log's repeat throttle.  A line repeated within the
 * quiet time is written once; the next one after it says how many were
 * held back; other lines, and the same text from another place, are
 * written as they come.
 */
#include "../../cgi-bin/util.c"

#include "unit.h"

/* The lines written to f so far, counted; the last one into last. */
static int
err_lines(FILE *f, char *last, size_t cap)
{
	char	 line[2048];
	int	 n = 0;

	fflush(stderr);
	rewind(f);
	last[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		snprintf(last, cap, "%s", line);
	}
	return n;
}

/* One place that logs. */
static void
say(int code)
{
	LOG("mysql connect: Can't connect (%d)", code);
}

START_TEST(t_repeats_held_back_and_counted)
{
	FILE	*f = capture_to(stderr);
	char	 last[2048];
	int	 i;

	log_quiet_ms = 200;
	for (i = 0; i < 50; i++)
		say(111);
	ck_assert_int_eq(err_lines(f, last, sizeof(last)), 1);
	ck_assert_ptr_null(strstr(last, "more like it"));

	say(2002);			/* other text */
	for (i = 0; i < 3; i++)		/* same text, another place */
		LOG("mysql connect: Can't connect (%d)", 111);
	ck_assert_int_eq(err_lines(f, last, sizeof(last)), 3);

	usleep(250 * 1000);
	say(111);
	ck_assert_int_eq(err_lines(f, last, sizeof(last)), 4);
	ck_assert_ptr_nonnull(strstr(last, "Can't connect (111) (and 49 more "
	    "like it in the 0 s before)"));
	fclose(f);
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("util");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_repeats_held_back_and_counted);
	return unit_run("util", tc);
}
