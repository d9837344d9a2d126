/*
 * core_users.h: users as others see them and presence.  The public user
 * shape of the contract, built from USER_COLS; users by id and name;
 * profile changes; activity and the online/offline switch.
 */
#ifndef CORE_USERS_H
#define CORE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "db.h"
#include "util.h"

struct dbres;

/* The columns user_json() reads, from a table aliased u, in this order. */
#define USER_COLS "u.id, u.username, u.nickname, u.avatar_url, u.location, " \
	"u.bio, u.public_key, u.guest, u.online, " MS("u.last_seen") ", u.email"
#define USER_NCOLS 11

/* A profile change for user_update(); NULL fields stay as they are. */
struct user_patch {
	const char	*nickname;
	const char	*email;
	const char	*avatar_url;
	const char	*location;
	const char	*bio;
	const char	*public_key;
};

struct json_object *user_json(struct dbres *, int, int);
int	user_json_by_id(struct db *, int64_t, int, struct json_object **);
int	user_id_by_name(struct db *, const char *, int64_t *);
int	user_by_name(struct db *, int64_t, const char *,
	    struct json_object **);
int	user_find(struct db *, int64_t, const char *, struct json_object **);
int	user_update(struct db *, int64_t, const char *, int64_t, const char *,
	    const struct user_patch *, const char *);
void	user_touch(struct db *, int64_t, const unsigned char[32], const char *,
	    int, int64_t);
int	user_set_offline(struct db *, int64_t, int, struct ids *);

#endif /* CORE_USERS_H */
