/*
 * conf.c: read the CHAT_* environment once.  A missing or unparsable number
 * takes its default from caps.h; out-of-range values are clamped.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "conf.h"

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

/* FNV-1a: the host id is a hash of host name and run folder. */
static uint32_t
fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void
conf_load(void)
{
	char	 host[256];

	conf.db_host = env_str("CHAT_DB_HOST", NULL);
	conf.db_port = (unsigned)env_int("CHAT_DB_PORT", 3306, 1, 65535);
	conf.db_socket = env_str("CHAT_DB_SOCKET", NULL);
	conf.db_user = env_str("CHAT_DB_USER", "chat");
	conf.db_pass = env_str("CHAT_DB_PASS", "");
	conf.db_name = env_str("CHAT_DB_NAME", "chat");
	conf.run_dir = env_str("CHAT_RUN", NULL);
	conf.resend_s = env_int("CHAT_RESEND_S", CAP_RESEND_S, 1, 3600);
	conf.idle_s = env_int("CHAT_IDLE_S", CAP_IDLE_S, 1, 86400);
	conf.seen_every_s = conf.idle_s / 4 < CAP_SEEN_WRITE_S ?
	    conf.idle_s / 4 : CAP_SEEN_WRITE_S;
	conf.sweep_s = env_int("CHAT_SWEEP_S", CAP_SWEEP_S, 1, 60);
	conf.sweep_run_s = env_int("CHAT_SWEEP_RUN_S", CAP_SWEEP_RUN_S, 1, 3600);
	conf.guest_ttl_s = env_int("CHAT_GUEST_TTL_S", CAP_GUEST_TTL_S, 0,
	    30 * 86400);
	conf.away_s = env_int("CHAT_AWAY_S", CAP_AWAY_S, 1, 3600);
	conf.watch_ms = env_int("CHAT_WATCH_MS", CAP_WATCH_MS, 0, 60000);
	conf.threads = env_int("CHAT_THREADS", CAP_WORKERS, 1, 64);
	conf.deliverers = env_int("CHAT_DELIVERERS", CAP_DELIVERERS, 1, 64);
	conf.backlog = env_int("CHAT_FCGI_BACKLOG", CAP_FCGI_BACKLOG, 1, 65535);
	conf.send_rate = env_int("CHAT_SEND_RATE", CAP_SEND_RATE, 0, 100000);
	conf.send_burst = env_int("CHAT_SEND_BURST", CAP_SEND_BURST, 1, 100000);
	conf.signup_limit = env_int("CHAT_SIGNUP_LIMIT", CAP_SIGNUP_ADDR, 0,
	    1000000);
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	conf.origin = fnv1a(fnv1a(2166136261u, host),
	    conf.run_dir ? conf.run_dir : "-");
	conf.origin = (uint32_t)env_int("CHAT_HOST_ID",
	    (int)(conf.origin & 0x7fffffff), 0, 0x7fffffff);
}
