/*
 * conf.h: the settings, read once at start: CHAT_* from the environment,
 * else from a settings file (chat.conf beside the binary, or $CHAT_CONF),
 * else the defaults of caps.h.  Read-only after conf_load() and
 * conf_mode().
 */
#ifndef CONF_H
#define CONF_H

#include <stdint.h>

#include "caps.h"

/* How the process is run (CHAT_MODE, else found out at start). */
enum mode {
	MODE_FASTCGI,	/* a long-lived server: many requests at once */
	MODE_FCGID,	/* FastCGI, one request at a time (Apache mod_fcgid) */
	MODE_CGI	/* one request, one process */
};

/* One database server of CHAT_DB_HOST's list. */
struct conf_db {
	const char	*host;		/* name or address ("[...]" taken off) */
	unsigned int	 port;
};

struct conf {
	const char	*file;		/* the settings file read, or NULL */
	const char	*db_host;	/* CHAT_DB_HOST as given, or NULL */
	unsigned int	 db_port;	/* CHAT_DB_PORT: a server's without one */
	struct conf_db	 db[CAP_DB_SERVERS]; /* CHAT_DB_HOST's servers, in order */
	int		 db_n;		/* how many; 0: the unix socket */
	const char	*db_socket;	/* CHAT_DB_SOCKET: unix socket */
	const char	*db_user;	/* CHAT_DB_USER */
	const char	*db_pass;	/* CHAT_DB_PASS */
	const char	*db_name;	/* CHAT_DB_NAME */
	int		 db_conns;	/* CHAT_DB_CONNS per process; 0: no cap */
	const char	*run_dir;	/* CHAT_RUN: sockets, pid files */
	enum mode	 mode;		/* CHAT_MODE */
	int		 parked_max;	/* CHAT_PARKED_MAX: cgi/fcgid polls waiting per host */
	int		 resend_s;	/* CHAT_RESEND_S */
	int		 idle_s;	/* CHAT_IDLE_S */
	int		 seen_every_s;	/* last_seen written at most this often */
	int		 sweep_s;	/* CHAT_SWEEP_S */
	int		 sweep_run_s;	/* CHAT_SWEEP_RUN_S */
	int		 guest_ttl_s;	/* CHAT_GUEST_TTL_S */
	int		 away_s;	/* CHAT_AWAY_S */
	int		 events_max;	/* CHAT_EVENTS_MAX per user */
	int		 events_age_s;	/* CHAT_EVENTS_AGE_S, offline users */
	int		 watch_ms;	/* CHAT_WATCH_MS; 0: no cross-host scan */
	int		 threads;	/* CHAT_THREADS */
	int		 deliverers;	/* CHAT_DELIVERERS */
	int		 backlog;	/* CHAT_FCGI_BACKLOG */
	int		 send_rate;	/* CHAT_SEND_RATE per s; 0: unlimited */
	int		 send_burst;	/* CHAT_SEND_BURST */
	int		 signup_limit;	/* CHAT_SIGNUP_LIMIT per address; 0: none */
	int		 upload_max;	/* CHAT_UPLOAD_MAX: bytes of one file */
	int		 upload_quota;	/* CHAT_UPLOAD_QUOTA bytes per user; 0: none */
	int		 upload_rate;	/* CHAT_UPLOAD_RATE per user a minute; 0: none */
	const char	*sendmail;	/* CHAT_SENDMAIL: mails go to its stdin */
	const char	*public_url;	/* CHAT_PUBLIC_URL: links in mails; NULL: the request's */
	uint32_t	 origin;	/* this host's id in event.origin (never 0) */
	const char	*peers;		/* CHAT_PEERS: other nodes' wake addresses */
	const char	*peer_listen;	/* CHAT_PEER_LISTEN: this node's, host:port */
	const char	*peer_key;	/* CHAT_PEER_KEY: shared by the nodes */
};

extern struct conf conf;

int	conf_file(const char *);
void	conf_load(void);
void	conf_mode(int, int);

#endif /* CONF_H */
