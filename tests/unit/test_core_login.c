/*
 * test_core_login.c: which rate_limit keys a password attempt is counted
 * under (issue 26), without a database: an IPv4 address whole, an IPv6
 * address by its /64 (one host holds all of it, so each of its addresses
 * alone would be a fresh window), IPv4-mapped IPv6 as IPv4 would be, and
 * user names in any case as one.
 */
#include "../../cgi-bin/core_login.c"

#include "unit.h"

START_TEST(t_addr_key)
{
	static const struct {
		int		 line;
		const char	*addr;
		const char	*want;
	} t[] = {
		{ __LINE__, "127.0.0.1", "login-addr:127.0.0.1" },
		{ __LINE__, "192.0.2.7", "login-addr:192.0.2.7" },
		{ __LINE__, "2001:db8:1:2:3:4:5:6",
		    "login-addr:2001:db8:1:2::/64" },
		{ __LINE__, "2001:db8:1:2:ffff:ffff:ffff:ffff",
		    "login-addr:2001:db8:1:2::/64" },
		{ __LINE__, "2001:DB8:1:2::9", "login-addr:2001:db8:1:2::/64" },
		{ __LINE__, "::1", "login-addr:::/64" },
		{ __LINE__, "::ffff:192.0.2.7", "login-addr:::ffff:192.0.2.7" },
		{ __LINE__, "not an address", "login-addr:not an address" },
		{ __LINE__, "::zz", "login-addr:::zz" },
	};
	char	 key[100];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		addr_key(key, sizeof(key), t[i].addr);
		check_row(t[i].line, "addr_key", t[i].addr, strlen(t[i].addr),
		    strcmp(key, t[i].want) == 0, 1);
		if (strcmp(key, t[i].want) != 0)
			fprintf(stderr, "  got %s\n", key);
	}
	unit_end();
}
END_TEST

START_TEST(t_user_key)
{
	char	 a[100], b[100];

	user_key(a, sizeof(a), "Alice.B_1", 9);
	ck_assert_str_eq(a, "login-user:alice.b_1");
	user_key(b, sizeof(b), "aLICE.b_1", 9);
	ck_assert_str_eq(a, b);
	/* Only nlen bytes count. */
	user_key(b, sizeof(b), "alicexyz", 5);
	ck_assert_str_eq(b, "login-user:alice");
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("login");
	tcase_add_test(tc, t_addr_key);
	tcase_add_test(tc, t_user_key);
	return unit_run("login", tc);
}
