/*
 * users.h: accounts and presence.  The public user shape of the contract,
 * built from USER_COLS; activity and the online/offline switch.
 */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "db.h"

struct req;
struct dbres;

/* The columns user_json() reads, from a table aliased u, in this order. */
#define USER_COLS "u.id, u.username, u.nickname, u.avatar_url, u.location, " \
	"u.bio, u.public_key, u.guest, u.online, " MS("u.last_seen") ", u.email"
#define USER_NCOLS 11

/* A new account for user_create(); NULL fields are stored empty. */
struct user_new {
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

struct json_object *user_json(struct dbres *, int, int);
int	user_json_by_id(struct db *, int64_t, int, struct json_object **);
int	user_id_by_name(struct db *, const char *, int64_t *);
int	user_create(struct req *, const struct user_new *, int64_t *);
int	user_may_create(struct req *);
int	user_may_create_reply(struct req *);
int	user_guest(struct req *, const char *, int64_t *);
int	user_login(struct req *, const char *, size_t, const char *, size_t,
	    int64_t *);
int	user_logout(struct req *, int);
int	user_sessions_end(struct db *, int64_t, int64_t, const char *);
void	user_touch(struct req *);
int	user_set_offline(struct db *, int64_t, int, struct ids *);

#endif /* USERS_H */
