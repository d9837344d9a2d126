/*
 * conf.c: the settings, read once.  CHAT_* comes from the environment;
 * what the environment lacks comes from a settings file, so that hosts
 * that pass no environment to a CGI program (suEXEC drops SetEnv) and cron
 * lines of a control panel need nothing but the file: $CHAT_CONF, else
 * chat.conf in the folder of the running binary (from /proc, else the
 * CGI's SCRIPT_FILENAME).  A missing or unparsable
 * number takes its default from caps.h; out-of-range values are clamped.
 */
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "conf.h"
#include "util.h"

struct conf conf;

static const char *
env_str(const char *name, const char *def)
{
	const char	*v;

	v = getenv(name);
	return v != NULL && *v != '\0' ? v : def;
}

static int
env_int(const char *name, int def, int lo, int hi)
{
	const char	*v;
	char		*end;
	long		 n;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	if (*end != '\0')
		return def;
	return n < lo ? lo : n > hi ? hi : (int)n;
}

/* s without leading and trailing blanks (in place). */
static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/*
 * Read the settings file at path: lines NAME=value, blank lines and lines
 * starting with # skipped, a value may be quoted ("..." or '...').  Only
 * CHAT_ names are taken, and only where the environment has none (the
 * environment wins).  1 read, 0 no such file, -1 unreadable or a bad line
 * (logged, with its number; the good lines still count).
 */
int
conf_file(const char *path)
{
	FILE	*f;
	char	 line[CAP_CONF_LINE], *name, *val, *eq;
	size_t	 len;
	int	 n = 0, rc = 1;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		LOG("settings file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			LOG("settings file %s:%d: line too long", path, n);
			rc = -1;
			while (fgets(line, sizeof(line), f) != NULL &&
			    strchr(line, '\n') == NULL)
				;
			continue;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL ||
		    strncmp(name, "CHAT_", 5) != 0) {
			LOG("settings file %s:%d: not a CHAT_NAME=value line",
			    path, n);
			rc = -1;
			continue;
		}
		*eq = '\0';
		name = trim(name);
		val = trim(eq + 1);
		len = strlen(val);
		if (len >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[len - 1] == val[0]) {
			val[len - 1] = '\0';
			val++;
		}
		if (name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")]
		    != '\0') {
			LOG("settings file %s:%d: bad name", path, n);
			rc = -1;
			continue;
		}
		(void)setenv(name, val, 0);
	}
	fclose(f);
	return rc;
}

/*
 * CHAT_DB_HOST's servers into conf.db: host[:port] separated by commas,
 * an IPv6 address in brackets ([::1]:3306; bare, it has no port); a server
 * without a port takes port (CHAT_DB_PORT).  A bad item is logged and
 * skipped; past CAP_DB_SERVERS, the rest too.
 */
static void
conf_db_list(const char *v, unsigned int port)
{
	static char	 list[CAP_DB_HOST_LIST];
	char		 was[CAP_DB_HOST_LIST];
	char		*item, *save, *host, *p, *end;
	long		 n;

	conf.db_n = 0;
	if (v == NULL)
		return;
	if (strlen(v) >= sizeof(list))
		LOG("CHAT_DB_HOST: over %zu bytes: the rest is ignored",
		    sizeof(list) - 1);
	snprintf(list, sizeof(list), "%s", v);
	for (item = strtok_r(list, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		host = trim(item);
		if (*host == '\0')
			continue;
		snprintf(was, sizeof(was), "%s", host);
		p = NULL;
		if (*host == '[') {
			if ((end = strchr(host, ']')) == NULL ||
			    (end[1] != '\0' && end[1] != ':'))
				goto bad;
			*end = '\0';
			host++;
			if (end[1] == ':')
				p = end + 2;
		} else if ((p = strchr(host, ':')) != NULL &&
		    strchr(p + 1, ':') == NULL)
			*p++ = '\0';
		else
			p = NULL;	/* none, or a bare IPv6 address */
		n = port;
		if (p != NULL) {
			n = strtol(p, &end, 10);
			if (*p == '\0' || *end != '\0' || n < 1 || n > 65535)
				goto bad;
		}
		if (*host == '\0')
			goto bad;
		if (conf.db_n == CAP_DB_SERVERS) {
			LOG("CHAT_DB_HOST: more than %d servers: the rest are "
			    "ignored", CAP_DB_SERVERS);
			return;
		}
		conf.db[conf.db_n].host = host;
		conf.db[conf.db_n].port = (unsigned int)n;
		conf.db_n++;
		continue;
bad:
		LOG("CHAT_DB_HOST: \"%s\" is not host[:port]: skipped", was);
	}
	if (conf.db_n == 0)
		LOG("CHAT_DB_HOST: no server in \"%s\": the unix socket is "
		    "used", v);
}

/*
 * CHAT_RUN itself is missing, not a folder or not ours to write: wake.c
 * says so (once, in one line), and the host id quietly falls back to the
 * hash.
 */
static int
bad_dir(int e)
{
	return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM ||
	    e == EROFS;
}

/*
 * The id in dir/host-id: 1 to 2^31-1, or 0 when there is none (errno
 * ENOENT) or it cannot be read (logged).
 */
static uint32_t
host_id_read(const char *path)
{
	char		 buf[32], *end;
	ssize_t		 n;
	unsigned long	 id;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (!bad_dir(errno))
			LOG("%s: %s", path, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	id = strtoul(buf, &end, 10);
	if (n <= 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    id < 1 || id > 0x7fffffff) {
		LOG("%s: not a host id (1 to 2147483647): remove it", path);
		errno = EINVAL;
		return 0;
	}
	return (uint32_t)id;
}

/*
 * This host's id, kept in dir/host-id: the one there, else a new random
 * one written there.  What makes processes one host is sharing CHAT_RUN,
 * so the first process of a host makes the file and the others read it;
 * two that start at once each write a temporary file and link it to the
 * name, which only one of them can: the other takes the winner's id.  0
 * when the folder cannot be read or written (logged).
 */
static uint32_t
host_id_kept(const char *dir)
{
	char		 path[PATH_MAX], tmp[PATH_MAX + 32], line[16];
	uint32_t	 id, rnd;
	int		 fd, len, tries, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/host-id", dir) >=
	    sizeof(path))
		return 0;
	for (tries = 0; tries < 2; tries++) {
		if ((id = host_id_read(path)) != 0 || errno != ENOENT)
			return id;
		do {
			if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
				abort();
		} while ((id = rnd & 0x7fffffff) == 0);
		snprintf(tmp, sizeof(tmp), "%s.%ld.%u", path, (long)getpid(),
		    (unsigned)rnd);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644)) == -1) {
			if (!bad_dir(errno))
				LOG("%s: %s: the host id is a hash of the "
				    "host name and CHAT_RUN", tmp,
				    strerror(errno));
			return 0;
		}
		len = snprintf(line, sizeof(line), "%u\n", (unsigned)id);
		if (write(fd, line, (size_t)len) != len || fsync(fd) == -1) {
			LOG("%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return 0;
		}
		close(fd);
		rc = link(tmp, path) == 0 ? 0 : errno;
		unlink(tmp);
		if (rc == 0)
			return id;
		if (rc != EEXIST) {
			LOG("%s: %s", path, strerror(rc));
			return 0;
		}
		/* Another process of this host linked its id first. */
	}
	return 0;
}

/*
 * FNV-1a: the host id when there is no CHAT_RUN to keep one in, a hash of
 * the host name and the run folder.
 */
static uint32_t
fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The settings file: $CHAT_CONF, else chat.conf beside the binary. */
static void
conf_find(void)
{
	static char	 path[PATH_MAX];
	const char	*p;
	char		*slash;
	ssize_t		 n;

	if ((p = getenv("CHAT_CONF")) != NULL && *p != '\0') {
		if (conf_file(p) == 0)
			LOG("settings file %s (CHAT_CONF): no such file", p);
		conf.file = p;
		return;
	}
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n > 0 && (size_t)n <= sizeof(path) - sizeof("chat.conf"))
		path[n] = '\0';
	else if ((p = getenv("SCRIPT_FILENAME")) != NULL &&
	    strlen(p) <= sizeof(path) - sizeof("chat.conf"))
		strcpy(path, p);	/* no /proc (a chroot): CGI says */
	else {
		LOG("cannot tell where this program is (no /proc?): no "
		    "chat.conf read; set CHAT_CONF");
		return;
	}
	if ((slash = strrchr(path, '/')) == NULL)
		return;
	strcpy(slash + 1, "chat.conf");
	if (conf_file(path) != 0)
		conf.file = path;
}

void
conf_load(void)
{
	char	 host[256];

	conf_find();
	conf.db_host = env_str("CHAT_DB_HOST", NULL);
	conf.db_port = (unsigned)env_int("CHAT_DB_PORT", 3306, 1, 65535);
	conf_db_list(conf.db_host, conf.db_port);
	conf.db_socket = env_str("CHAT_DB_SOCKET", NULL);
	conf.db_user = env_str("CHAT_DB_USER", "chat");
	conf.db_pass = env_str("CHAT_DB_PASS", "");
	conf.db_name = env_str("CHAT_DB_NAME", "chat");
	conf.run_dir = env_str("CHAT_RUN", NULL);
	conf.parked_max = env_int("CHAT_PARKED_MAX", CAP_PARKED_MAX, 0, 10000);
	conf.resend_s = env_int("CHAT_RESEND_S", CAP_RESEND_S, 1, 3600);
	conf.idle_s = env_int("CHAT_IDLE_S", CAP_IDLE_S, 1, 86400);
	conf.seen_every_s = conf.idle_s / 4 < CAP_SEEN_WRITE_S ?
	    conf.idle_s / 4 : CAP_SEEN_WRITE_S;
	conf.sweep_s = env_int("CHAT_SWEEP_S", CAP_SWEEP_S, 1, 60);
	conf.sweep_run_s = env_int("CHAT_SWEEP_RUN_S", CAP_SWEEP_RUN_S, 1, 3600);
	conf.guest_ttl_s = env_int("CHAT_GUEST_TTL_S", CAP_GUEST_TTL_S, 0,
	    30 * 86400);
	conf.away_s = env_int("CHAT_AWAY_S", CAP_AWAY_S, 1, 3600);
	conf.events_max = env_int("CHAT_EVENTS_MAX", CAP_EVENTS_MAX, 1, 10000000);
	conf.events_age_s = env_int("CHAT_EVENTS_AGE_S", CAP_EVENTS_AGE_S, 1,
	    365 * 86400);
	conf.watch_ms = env_int("CHAT_WATCH_MS", CAP_WATCH_MS, 0, 60000);
	conf.peers = env_str("CHAT_PEERS", NULL);
	conf.peer_listen = env_str("CHAT_PEER_LISTEN", NULL);
	conf.peer_key = env_str("CHAT_PEER_KEY", NULL);
	conf.threads = env_int("CHAT_THREADS", CAP_WORKERS, 1, 64);
	conf.deliverers = env_int("CHAT_DELIVERERS", CAP_DELIVERERS, 1, 64);
	conf.backlog = env_int("CHAT_FCGI_BACKLOG", CAP_FCGI_BACKLOG, 1, 65535);
	conf.send_rate = env_int("CHAT_SEND_RATE", CAP_SEND_RATE, 0, 100000);
	conf.send_burst = env_int("CHAT_SEND_BURST", CAP_SEND_BURST, 1, 100000);
	conf.signup_limit = env_int("CHAT_SIGNUP_LIMIT", CAP_SIGNUP_ADDR, 0,
	    1000000);
	conf.upload_max = env_int("CHAT_UPLOAD_MAX", CAP_UPLOAD, 1, 0x7fffffff);
	conf.upload_quota = env_int("CHAT_UPLOAD_QUOTA", CAP_UPLOAD_QUOTA, 0,
	    0x7fffffff);
	conf.upload_rate = env_int("CHAT_UPLOAD_RATE", CAP_UPLOAD_RATE, 0,
	    1000000);
	conf.sendmail = env_str("CHAT_SENDMAIL", "/usr/sbin/sendmail -t -i");
	conf.public_url = env_str("CHAT_PUBLIC_URL", NULL);
	conf.origin = (uint32_t)env_int("CHAT_HOST_ID", 0, 1, 0x7fffffff);
	if (conf.origin == 0 && conf.run_dir != NULL)
		conf.origin = host_id_kept(conf.run_dir);
	if (conf.origin == 0) {
		if (gethostname(host, sizeof(host)) == -1)
			strcpy(host, "?");
		host[sizeof(host) - 1] = '\0';
		conf.origin = fnv1a(fnv1a(2166136261u, host),
		    conf.run_dir ? conf.run_dir : "-") & 0x7fffffff;
		if (conf.origin == 0)
			conf.origin = 1;
	}
	/* Until conf_mode() says otherwise (the sweeper never does). */
	conf.mode = MODE_FASTCGI;
	conf.db_conns = env_int("CHAT_DB_CONNS", 0, 0, 1000);
}

/* 1 when the parent process is Apache (it spawned us: mod_fcgid). */
static int
parent_is_apache(void)
{
	char	 path[64], comm[32];
	FILE	*f;
	int	 yes = 0;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), f) != NULL) {
		comm[strcspn(comm, "\n")] = '\0';
		yes = strcmp(comm, "apache2") == 0 ||
		    strcmp(comm, "httpd") == 0;
	}
	fclose(f);
	return yes;
}

/*
 * Settle how this chatd runs: CHAT_MODE (cgi, fcgid, fastcgi), else plain
 * CGI when cgi is set, else fcgid when it was given its listening socket
 * (no CHAT_FCGI_SOCKET: own_socket 0) by Apache, which sends one request
 * at a time to each process, else fastcgi.  A cgi or fcgid process serves
 * one request at a time on one thread and one MySQL connection.
 */
void
conf_mode(int cgi, int own_socket)
{
	const char	*m;

	m = env_str("CHAT_MODE", "");
	if (strcmp(m, "cgi") == 0)
		conf.mode = MODE_CGI;
	else if (strcmp(m, "fcgid") == 0)
		conf.mode = cgi ? MODE_CGI : MODE_FCGID;
	else if (strcmp(m, "fastcgi") == 0)
		conf.mode = cgi ? MODE_CGI : MODE_FASTCGI;
	else {
		if (*m != '\0')
			LOG("CHAT_MODE=%s: not cgi, fcgid or fastcgi; ignored",
			    m);
		conf.mode = cgi ? MODE_CGI : !own_socket &&
		    parent_is_apache() ? MODE_FCGID : MODE_FASTCGI;
	}
	if (conf.mode != MODE_FASTCGI) {
		conf.threads = 1;
		conf.deliverers = 1;
		conf.db_conns = 1;
	}
}
