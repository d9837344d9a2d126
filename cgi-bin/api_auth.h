/*
 * api_auth.h: who is asking, as the native API and the seed adapters see
 * it: the request's session (the sid cookie), a session started or ended
 * on a request (its cookie set or expired), and the 429s of the limits.
 * Each returns 0 or the status it sent, unless it says otherwise.
 */
#ifndef API_AUTH_H
#define API_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct req;
struct account_new;

int	auth_session(struct req *);
int	auth_session_alive(struct req *);
int	auth_push_allowed(struct req *);
int	auth_may_create(struct req *);
int	auth_may_create_reply(struct req *);
int	auth_signup(struct req *, const struct account_new *, int64_t *);
int	auth_guest(struct req *, const char *, int64_t *);
const char *auth_device(struct req *);
int	auth_login(struct req *, const char *, size_t, const char *, size_t,
	    int64_t *);
int	auth_logout(struct req *, int);

#endif /* API_AUTH_H */
