/*
 * route.h: the routing table (method + path pattern -> handler, with what
 * must run first) and the dispatcher that applies it to a request.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdint.h>

struct req;

typedef int (*handler)(struct req *);

enum route_flag {
	R_AUTH = 1 << 0,	/* needs a session: 401 without */
	R_USER = 1 << 1,	/* registered users only: 403 for guests */
	R_PICTURE = 1 << 2,	/* the body is a picture (image/...), not JSON */
	R_SCRIPT = 1 << 3,	/* a GET that changes state: scripts only (403) */
	R_STREAM = 1 << 4,	/* an upload: the handler reads its body in pieces */
};

struct route {
	int		 method;	/* enum method */
	const char	*pattern;	/* "/api/friends/requests/{id}/accept" */
	handler		 fn;
	int		 flags;
};

const struct route *route_find(struct req *, int *);
int	 route_dispatch(struct req *);

#endif /* ROUTE_H */
