/*
 * core_accounts.h: accounts and their sessions: signup, guests, login
 * (throttled), password checks, logout and ending sessions.  A session
 * started here comes back as a struct session (core_auth.h) for the
 * caller's cookie.
 */
#ifndef CORE_ACCOUNTS_H
#define CORE_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct login_gate;
struct session;

/* A new account for account_create(); NULL fields are stored empty. */
struct account_new {
	const char	*username;
	const char	*hash;		/* auth_hash(); NULL for guests */
	const char	*email;
	const char	*nickname;	/* NULL: the user name */
	const char	*avatar_url;
	const char	*location;
	const char	*bio;
	const char	*public_key;
	int		 guest;
};

enum login_result {
	LOGIN_OK,
	LOGIN_WRONG,	/* wrong user name or password */
	LOGIN_LIMIT,	/* too many failures: wait */
	LOGIN_ERROR
};

int	account_may_create(struct db *, const char *);
int	account_create(struct db *, const struct account_new *, int64_t *,
	    struct session *);
int	account_guest(struct db *, const char *, int64_t *,
	    struct session *);
enum login_result account_login(struct db *, const char *, const char *,
		    size_t, const char *, size_t, const char *, int64_t *,
		    struct session *, char *, struct login_gate *);
enum login_result account_password_try(struct db *, int64_t,
		    const char *, const char *, const char *, size_t, int *);
int	account_sessions_end(struct db *, int64_t, int64_t, const char *);
int	account_logout(struct db *, int64_t, int64_t, int);

#endif /* CORE_ACCOUNTS_H */
