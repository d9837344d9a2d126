/*
 * test_inbox.c: the inbox never answers for a user it does not know: not
 * before a fetch trusted it, not when an event was committed while that
 * fetch looked, not after any other wake, not once an event in flight
 * falls due, and never while another chat node is alive (an ack made
 * there is only in MySQL).  When it does know, it hands out what sends fed
 * it, in id order, each once, without what was acked.
 */
#include "../../cgi-bin/inbox.c"

#include "unit.h"

static void
setup(void)
{
	conf.resend_s = 15;
	inbox_alone(1);		/* the only node, until a test says otherwise */
}

static void
feed(int64_t uid, int64_t id)
{
	inbox_feed(uid, id, 1000 + id, "message", "{\"x\":1}");
}

/* Take up to max; the ids handed out into got (got[0] = how many). */
static int
take(int64_t uid, size_t max, int64_t got[8], int64_t *next)
{
	struct inbox_ev	*v;
	size_t		 n, i;
	int		 known;

	known = inbox_take(uid, max, &v, &n, next);
	ck_assert_uint_le(n, 7);
	got[0] = (int64_t)n;
	for (i = 0; i < n; i++)
		got[i + 1] = v[i].id;
	inbox_ev_free(v, n);
	return known;
}

START_TEST(t_unknown_until_trusted)
{
	int64_t	 got[8], next;

	ck_assert_int_eq(take(101, 10, got, &next), 0);
	feed(101, 5);	/* not known: the event is only in MySQL */
	ck_assert_int_eq(take(101, 10, got, &next), 0);
	inbox_trust(101, inbox_epoch(101), 0);
	ck_assert_int_eq(take(101, 10, got, &next), 1);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(next, 0);
}
END_TEST

START_TEST(t_fed_in_id_order_once)
{
	int64_t	 got[8], next;

	inbox_trust(102, inbox_epoch(102), 0);
	feed(102, 30);
	feed(102, 10);
	feed(102, 20);
	ck_assert_int_eq(take(102, 10, got, &next), 1);
	ck_assert_int_eq(got[0], 3);
	ck_assert_int_eq(got[1], 10);
	ck_assert_int_eq(got[2], 20);
	ck_assert_int_eq(got[3], 30);
	/* Handed out: in flight, due again in CHAT_RESEND_S. */
	ck_assert_int_gt(next, 14000);
	ck_assert_int_le(next, 15000);
	ck_assert_int_eq(take(102, 10, got, &next), 1);
	ck_assert_int_eq(got[0], 0);
}
END_TEST

START_TEST(t_commit_during_fetch_is_not_seen)
{
	int64_t		 got[8], next;
	uint64_t	 e;

	/* Known, then a fetch from MySQL begins ... */
	inbox_trust(103, inbox_epoch(103), 0);
	e = inbox_epoch(103);
	/* ... a send commits event 7 while it looks ... */
	feed(103, 7);
	/* ... and the fetch, which may not have seen 7, ends. */
	inbox_trust(103, e, 0);
	ck_assert_int_eq(take(103, 10, got, &next), 0);
}
END_TEST

START_TEST(t_other_wakes_forget)
{
	int64_t	 got[8], next, uid = 104, other = 104 + SLOTS;

	inbox_trust(uid, inbox_epoch(uid), 0);
	feed(uid, 1);
	inbox_forget(&uid, 1);
	ck_assert_int_eq(take(uid, 10, got, &next), 0);
	/* A user sharing the slot costs a query, never an event. */
	inbox_trust(uid, inbox_epoch(uid), 0);
	inbox_forget(&other, 1);
	ck_assert_int_eq(take(uid, 10, got, &next), 0);
}
END_TEST

START_TEST(t_known_until_due)
{
	int64_t	 got[8], next;

	inbox_trust(105, inbox_epoch(105), mono_ms() - 1);
	ck_assert_int_eq(take(105, 10, got, &next), 0);
	inbox_trust(105, inbox_epoch(105), mono_ms() + 100);
	ck_assert_int_eq(take(105, 10, got, &next), 1);
	ck_assert_int_gt(next, 0);
	ck_assert_int_le(next, 100);
	usleep(150 * 1000);
	ck_assert_int_eq(take(105, 10, got, &next), 0);
}
END_TEST

START_TEST(t_acked_and_max)
{
	int64_t	 got[8], next, acked[] = { 2 };

	inbox_trust(106, inbox_epoch(106), 0);
	feed(106, 1);
	feed(106, 2);
	feed(106, 3);
	feed(106, 4);
	inbox_drop(106, acked, 1);
	ck_assert_int_eq(take(106, 2, got, &next), 1);
	ck_assert_int_eq(got[0], 2);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], 3);
	ck_assert_int_eq(take(106, 2, got, &next), 1);
	ck_assert_int_eq(got[0], 1);
	ck_assert_int_eq(got[1], 4);
}
END_TEST

START_TEST(t_not_while_another_node_lives)
{
	int64_t	 got[8], next;

	inbox_alone(0);		/* a new process, before its first beat */
	inbox_trust(107, inbox_epoch(107), 0);
	ck_assert_int_eq(take(107, 10, got, &next), 0);
	inbox_alone(1);
	inbox_trust(107, inbox_epoch(107), 0);
	feed(107, 9);
	ck_assert_int_eq(take(107, 10, got, &next), 1);
	ck_assert_int_eq(got[0], 1);
	inbox_alone(0);		/* another node came: what was known is not */
	ck_assert_int_eq(take(107, 10, got, &next), 0);
	inbox_trust(107, inbox_epoch(107), 0);
	ck_assert_int_eq(take(107, 10, got, &next), 0);
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("inbox");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, t_unknown_until_trusted);
	tcase_add_test(tc, t_fed_in_id_order_once);
	tcase_add_test(tc, t_commit_during_fetch_is_not_seen);
	tcase_add_test(tc, t_other_wakes_forget);
	tcase_add_test(tc, t_known_until_due);
	tcase_add_test(tc, t_acked_and_max);
	tcase_add_test(tc, t_not_while_another_node_lives);
	return unit_run("inbox", tc);
}
