/*
 * req.h: one request as the handlers see it (struct req), parsed from the
 * FastCGI or CGI environment (http.c) and answered by http_reply.c; the
 * session and long-poll state that hang off it.  Knows nothing of chat
 * but the session's user.  No req.c: the struct is the interface.
 */
#ifndef REQ_H
#define REQ_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json.h>

#include "caps.h"
#include "util.h"

enum method {
	M_GET,
	M_POST,
	M_PATCH,
	M_DELETE,
	M_OTHER,
	M__MAX
};

struct db;

struct req {
	FCGX_Request	*fcgi;		/* NULL when run as plain CGI */
	FCGX_Stream	*in;		/* NULL in CGI mode: stdin */
	FCGX_Stream	*out;		/* NULL in CGI mode: stdout */
	char		**envp;
	struct db	*db;		/* borrowed from the thread */
	enum method	 method;
	char		*path;		/* decoded path, query removed */
	const char	*query;		/* raw query string, "" if none */
	int		 uri_long;	/* path or query over its cap: 414 */
	const char	*addr;		/* client address */
	int		 https;
	char		*body;		/* NUL-terminated, capped */
	size_t		 bodylen;
	struct json_object *json;	/* parsed body, or NULL */
	char		*params[CAP_ROUTE_PARAMS];	/* from {x} in the route */
	int		 nparams;
	/* Filled by auth_session() on routes that need a session. */
	int64_t		 uid;
	int64_t		 sid;		/* session row id */
	char		 username[CAP_USERNAME_MAX + 1];
	int		 guest;
	unsigned char	 sid_hash[32];	/* SHA-256 of the sid cookie */
	int		 was_online;	/* user.online before this request */
	int64_t		 seen_age;	/* seconds since user.last_seen */
	/* Long-poll state, used by api_poll.c and waiter.c. */
	int64_t		 poll_deadline;	/* monotonic ms: answer by then */
	int64_t		 poll_recheck;	/* monotonic ms: look again (0: no) */
	int		 poll_after_ms;	/* could not wait: poll again after */
	int64_t		 poll_rev;	/* ?rev= of GET /api/poll; -1: none */
	int64_t		 poll_typing;	/* ?typing= of GET /api/poll; -1: none */
	int		(*poll_fetch)(struct req *, int); /* api_poll.c, once parked */
	int		 content_str;	/* seed 003: CONTENT goes out as a JSON string */
	void		*owner;		/* the accept loop's job holding r */
	struct buf	 hdr;		/* extra response headers */
	/* route.c runs the handler again when it lost a deadlock (1213). */
	int		 tx_left;	/* tries left after this one */
	int		 tx_again;	/* http_fail_db: run it again */
	pthread_t	 tx_thread;	/* the thread running the handler */
	int		 status;	/* sent status, 0 until answered */
	/* After http_slim(): libfcgi's request is freed, the answer is ours. */
	int		 slim;
	int		 slim_fd;	/* the FastCGI connection */
	int		 slim_id;	/* its FastCGI request id */
	struct buf	 slim_out;	/* the answer, written by http_slim_end */
};

#endif /* REQ_H */
