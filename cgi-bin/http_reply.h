/*
 * http_reply.h: answering a request (struct req, req.h): a status with a
 * JSON or binary body, the contract's error JSON, and the slimmed answer
 * of a request that waited.  Each returns the status it sent, so a
 * handler can `return http_fail(...)`.  Knows nothing of chat.
 */
#ifndef HTTP_REPLY_H
#define HTTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct req;
struct json_object;

void	 http_slim(struct req *);
void	 http_slim_end(struct req *);
void	 http_header(struct req *, const char *, const char *);
int	 http_reply(struct req *, int, const char *, size_t);
int	 http_reply_immutable(struct req *, const char *, const char *,
	    size_t);
int	 http_reply_json(struct req *, int, struct json_object *);
int	 http_stream_begin(struct req *, int, const char *, const char *,
	    int64_t);
void	 http_stream_put(struct req *, const char *, size_t);
int	 http_fail(struct req *, int, const char *, const char *);
int	 http_fail_field(struct req *, int, const char *, const char *,
	    const char *);
int	 http_fail_db(struct req *);
void	 http_retry_after(struct req *, int);
int	 http_fail_rate(struct req *, int);

#endif /* HTTP_REPLY_H */
