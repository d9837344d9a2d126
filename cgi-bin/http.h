/*
 * http.h: reading a request (struct req, req.h) from the FastCGI or CGI
 * environment: method, path, query, cookies, a capped body parsed as JSON
 * and checked against a field table (valid.h), path parameters.  Knows
 * nothing of chat.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

struct req;
struct field;
struct fval;

void	 http_init(struct req *, FCGX_Request *, char **);
void	 http_free(struct req *);
void	 http_drain(struct req *);
int	 http_read_body(struct req *);
size_t	 http_body_read(struct req *, char *, size_t);
void	 http_body_drop(struct req *);
int	 http_parse_json(struct req *);
int	 http_json_ok(const char *, size_t);
int	 http_fields(struct req *, const struct field *, size_t,
	    struct fval *);
const char *http_param(struct req *, const char *);
const char *http_cookie(struct req *, const char *, size_t *);
int	 http_query(struct req *, const char *, char *, size_t);
int	 http_query_int(struct req *, const char *, int64_t, int64_t *);
const char *http_path(struct req *, int);
int	 http_path_id(struct req *, int, int64_t *);

#endif /* HTTP_H */
