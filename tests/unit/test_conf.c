/*
 * test_conf.c: the settings file (chat.conf).  NAME=value lines, blanks
 * and # comments skipped, quotes taken off, only CHAT_ names, and the
 * environment wins; a bad line is said and skipped, the rest still count.
 * Then the mode: CHAT_MODE, else what the process was started as.
 */
#include "../../cgi-bin/conf.c"

#include "unit.h"

/* Write text to a fresh file; its path. */
static const char *
file_with(const char *text)
{
	static char	 path[] = "/tmp/chat-conf-test.XXXXXX";
	int		 fd;

	strcpy(path, "/tmp/chat-conf-test.XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static void
ck_env(int line, const char *name, const char *want)
{
	const char	*got = getenv(name);

	if ((want == NULL) != (got == NULL) ||
	    (want != NULL && strcmp(want, got) != 0)) {
		fprintf(stderr, "test_conf.c:%d: %s: want %s, got %s\n", line,
		    name, want ? want : "(unset)", got ? got : "(unset)");
		unit_fails++;
	}
}

START_TEST(t_file)
{
	const char	*p;
	char		 big[CAP_CONF_LINE + 100];

	unsetenv("CHAT_DB_USER");
	unsetenv("CHAT_DB_PASS");
	unsetenv("CHAT_DB_NAME");
	unsetenv("CHAT_RUN");
	unsetenv("CHAT_THREADS");
	setenv("CHAT_DB_HOST", "from-env", 1);
	p = file_with(
	    "# the database\n"
	    "\n"
	    "   CHAT_DB_USER = alice  \n"
	    "CHAT_DB_PASS=\"a # b = c\"\n"
	    "CHAT_DB_NAME='chat'\r\n"
	    "CHAT_DB_HOST=from-file\n"
	    "\t# indented comment\n"
	    "CHAT_RUN=/srv/chat/run");		/* no newline at the end */
	ck_assert_int_eq(conf_file(p), 1);
	ck_env(__LINE__, "CHAT_DB_USER", "alice");
	ck_env(__LINE__, "CHAT_DB_PASS", "a # b = c");
	ck_env(__LINE__, "CHAT_DB_NAME", "chat");
	ck_env(__LINE__, "CHAT_DB_HOST", "from-env");	/* env wins */
	ck_env(__LINE__, "CHAT_RUN", "/srv/chat/run");
	unlink(p);

	/* Bad lines: said (-1) and skipped; the good ones still count. */
	unsetenv("CHAT_THREADS");
	p = file_with("LD_PRELOAD=/tmp/x.so\n"
	    "PATH=/tmp\n"
	    "CHAT_DB_USER\n"
	    "CHAT_bad-name=1\n"
	    "CHAT_THREADS=3\n");
	ck_assert_int_eq(conf_file(p), -1);
	ck_env(__LINE__, "CHAT_THREADS", "3");
	ck_env(__LINE__, "LD_PRELOAD", NULL);
	ck_env(__LINE__, "CHAT_bad-name", NULL);
	ck_assert_str_ne(getenv("PATH"), "/tmp");
	unlink(p);

	/* A line over the cap is skipped whole, not read as two. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "CHAT_X=", 7);
	memcpy(big + sizeof(big) - 20, "\nCHAT_Y=1\n", 11);
	unsetenv("CHAT_X");
	unsetenv("CHAT_Y");
	p = file_with(big);
	ck_assert_int_eq(conf_file(p), -1);
	ck_env(__LINE__, "CHAT_X", NULL);
	ck_env(__LINE__, "CHAT_Y", "1");
	unlink(p);

	ck_assert_int_eq(conf_file("/nonexistent/chat.conf"), 0);
	ck_assert_int_eq(unit_fails, 0);
}
END_TEST

START_TEST(t_mode)
{
	unsetenv("CHAT_MODE");
	conf_mode(1, 0);
	ck_assert_int_eq(conf.mode, MODE_CGI);
	ck_assert_int_eq(conf.db_conns, 1);
	ck_assert_int_eq(conf.threads, 1);
	/* Its own socket (lighttpd): the threaded server. */
	conf.threads = 32;
	conf.db_conns = 0;
	conf_mode(0, 1);
	ck_assert_int_eq(conf.mode, MODE_FASTCGI);
	ck_assert_int_eq(conf.threads, 32);
	ck_assert_int_eq(conf.db_conns, 0);
	setenv("CHAT_MODE", "fcgid", 1);
	conf_mode(0, 1);
	ck_assert_int_eq(conf.mode, MODE_FCGID);
	ck_assert_int_eq(conf.db_conns, 1);
	/* Started as CGI, it is CGI whatever the setting says. */
	setenv("CHAT_MODE", "fastcgi", 1);
	conf_mode(1, 0);
	ck_assert_int_eq(conf.mode, MODE_CGI);
	unsetenv("CHAT_MODE");
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("conf");
	tcase_add_test(tc, t_file);
	tcase_add_test(tc, t_mode);
	return unit_run("conf", tc);
}
