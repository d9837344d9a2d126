/*
 * http.h: one request as the handlers see it (struct req), parsed from the
 * FastCGI or CGI environment: method, path, query, cookies, a capped body
 * parsed as JSON, path parameters; and the ways to answer it.  Knows
 * nothing of chat.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
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
	/* Long-poll state, used by poll.c and waiter.c. */
	int64_t		 poll_deadline;	/* monotonic ms: answer by then */
	int64_t		 poll_recheck;	/* monotonic ms: look again (0: no) */
	int		 poll_after_ms;	/* could not wait: poll again after */
	int		(*poll_fetch)(struct req *, int); /* poll.c, once parked */
	int		 content_str;	/* seed 003: CONTENT goes out as a JSON string */
	void		*owner;		/* the accept loop's job holding r */
	struct buf	 hdr;		/* extra response headers */
	int		 status;	/* sent status, 0 until answered */
	/* After http_slim(): libfcgi's request is freed, the answer is ours. */
	int		 slim;
	int		 slim_fd;	/* the FastCGI connection */
	int		 slim_id;	/* its FastCGI request id */
	struct buf	 slim_out;	/* the answer, written by http_slim_end */
};

void	 http_init(struct req *, FCGX_Request *, char **);
void	 http_free(struct req *);
void	 http_slim(struct req *);
void	 http_slim_end(struct req *);
void	 http_drain(struct req *);
int	 http_read_body(struct req *);
int	 http_parse_json(struct req *);
int	 http_json_ok(const char *, size_t);
const char *http_param(struct req *, const char *);
const char *http_cookie(struct req *, const char *, size_t *);
int	 http_query(struct req *, const char *, char *, size_t);
int	 http_query_int(struct req *, const char *, int64_t, int64_t *);

void	 http_header(struct req *, const char *, const char *);
int	 http_reply(struct req *, int, const char *, size_t);
int	 http_reply_immutable(struct req *, const char *, const char *,
	    size_t);
int	 http_reply_json(struct req *, int, struct json_object *);
int	 http_fail(struct req *, int, const char *, const char *);
int	 http_fail_db(struct req *);
void	 http_retry_after(struct req *, int);
int	 http_fail_rate(struct req *, int);

#endif /* HTTP_H */
