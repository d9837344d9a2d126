/*
 * core_login.h: login limits that cannot be turned against the owner.
 * Device tokens (the did cookie: browsers that signed in as a user
 * before) and the windows one password attempt is counted in: its device
 * token's, or else its address's and its user name's.
 */
#ifndef CORE_LOGIN_H
#define CORE_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "core_auth.h"

struct db;

/* Which window refused an attempt. */
enum login_limit {
	LIMIT_NONE,
	LIMIT_ADDR,	/* failures from this address (IPv6: its /64) */
	LIMIT_USER,	/* failures for this user name, without a token */
	LIMIT_DEVICE	/* failures with this device token */
};

/* The windows one attempt was counted in (login_gate_take). */
struct login_gate {
	char		 key[2][100];	/* rate_limit keys taken */
	int64_t		 win[2];
	int		 n;
	int		 wait;		/* seconds, when refused */
	enum login_limit hit;		/* which refused */
};

int	login_device_find(struct db *, int64_t, const char *, int64_t *);
int	login_device_keep(struct db *, int64_t, int64_t, const char *,
	    char[AUTH_TOKEN_LEN + 1]);
int	login_devices_forget(struct db *, int64_t, const char *);
int	login_gate_take(struct db *, struct login_gate *, int64_t,
	    const char *, const char *, size_t);
int	login_gate_give(struct db *, const struct login_gate *);

#endif /* CORE_LOGIN_H */
