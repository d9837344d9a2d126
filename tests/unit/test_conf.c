/*
 * test_conf.c: the settings file (chat.conf).  NAME=value lines, blanks
 * and # comments skipped, quotes taken off, only CHAT_ names, and the
 * environment wins; a bad line is said and skipped, the rest still count.
 * Then the mode: CHAT_MODE, else what the process was started as;
 * CHAT_DB_HOST's list of servers; the host id kept in CHAT_RUN/host-id.
 */
#include "../../cgi-bin/conf.c"

#include <sys/stat.h>

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

/* Write text to the file at path (made anew). */
static void
file_at(const char *path, const char *text)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/* The fallback host id: a hash of this host's name and dir. */
static uint32_t
hash_of(const char *dir)
{
	char		 host[256];
	uint32_t	 h;

	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	h = fnv1a(fnv1a(2166136261u, host), dir) & 0x7fffffff;
	return h == 0 ? 1 : h;
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

START_TEST(t_db_list)
{
	conf_db_list("10.0.0.2:3306, 10.0.0.3,db.example.org:3307,[::1]:3308,"
	    "[fe80::1],::1,bad:port,:3306,[::1,,localhost", 3399);
	ck_assert_int_eq(conf.db_n, 7);
	ck_assert_str_eq(conf.db[0].host, "10.0.0.2");
	ck_assert_int_eq(conf.db[0].port, 3306);
	ck_assert_str_eq(conf.db[1].host, "10.0.0.3");
	ck_assert_int_eq(conf.db[1].port, 3399);	/* CHAT_DB_PORT */
	ck_assert_str_eq(conf.db[2].host, "db.example.org");
	ck_assert_int_eq(conf.db[2].port, 3307);
	ck_assert_str_eq(conf.db[3].host, "::1");
	ck_assert_int_eq(conf.db[3].port, 3308);
	ck_assert_str_eq(conf.db[4].host, "fe80::1");
	ck_assert_int_eq(conf.db[4].port, 3399);
	ck_assert_str_eq(conf.db[5].host, "::1");	/* bare: no port */
	ck_assert_str_eq(conf.db[6].host, "localhost");
	conf_db_list("db1", 3306);
	ck_assert_int_eq(conf.db_n, 1);
	ck_assert_str_eq(conf.db[0].host, "db1");
	ck_assert_int_eq(conf.db[0].port, 3306);
	conf_db_list(NULL, 3306);
	ck_assert_int_eq(conf.db_n, 0);
	conf_db_list("a,b,c,d,e,f,g,h,i,j", 1);
	ck_assert_int_eq(conf.db_n, CAP_DB_SERVERS);
}
END_TEST

/* The host id after conf_load() with CHAT_RUN at dir (NULL: unset). */
static uint32_t
id_in(const char *dir)
{
	unsetenv("CHAT_CONF");
	if (dir != NULL)
		setenv("CHAT_RUN", dir, 1);
	else
		unsetenv("CHAT_RUN");
	conf_load();
	ck_assert_uint_ne(conf.origin, 0);
	ck_assert_uint_le(conf.origin, 0x7fffffff);
	return conf.origin;
}

START_TEST(t_host_id)
{
	char		 dir[] = "/tmp/chat-hostid-test.XXXXXX", path[64];
	uint32_t	 a, b, hash;

	unsetenv("CHAT_HOST_ID");
	setenv("CHAT_CONF", "/dev/null", 1);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/host-id", dir);
	hash = id_in(NULL);		/* no CHAT_RUN: the hash */

	/* Kept across loads from the same folder, in host-id. */
	a = id_in(dir);
	ck_assert_int_eq(access(path, R_OK), 0);
	ck_assert_uint_eq(id_in(dir), a);
	ck_assert_uint_eq(id_in(dir), a);

	/* The same path made again (another host, same name and path):
	 * another id, not the hash of name and path. */
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	b = id_in(dir);
	ck_assert_uint_ne(b, a);
	ck_assert_uint_eq(id_in(dir), b);

	/* An explicit CHAT_HOST_ID wins, and is never 0. */
	setenv("CHAT_HOST_ID", "12345", 1);
	ck_assert_uint_eq(id_in(dir), 12345);
	setenv("CHAT_HOST_ID", "0", 1);
	ck_assert_uint_eq(id_in(dir), 1);
	unsetenv("CHAT_HOST_ID");
	ck_assert_uint_eq(id_in(dir), b);

	/* A bad file: the hash (and said). */
	unlink(path);
	file_at(path, "hello\n");
	ck_assert_uint_ne(id_in(dir), 0);
	unlink(path);

	/* A folder it cannot write: the hash of host name and folder. */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(dir, 0500), 0);
		ck_assert_uint_eq(id_in(dir), hash_of(dir));
		ck_assert_int_eq(access(path, F_OK), -1);
		chmod(dir, 0700);
	}
	ck_assert_uint_eq(id_in("/proc"), hash_of("/proc"));
	ck_assert_uint_eq(id_in("/nonexistent/run"), hash_of("/nonexistent/run"));
	ck_assert_uint_eq(id_in(NULL), hash);
	rmdir(dir);
	unsetenv("CHAT_CONF");
	unsetenv("CHAT_RUN");
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("conf");
	tcase_add_test(tc, t_file);
	tcase_add_test(tc, t_mode);
	tcase_add_test(tc, t_db_list);
	tcase_add_test(tc, t_host_id);
	return unit_run("conf", tc);
}
