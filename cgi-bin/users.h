/*
 * users.h: accounts and presence.  The public user shape of the contract,
 * built from USER_COLS; activity and the online/offline switch.
 */
#ifndef USERS_H
#define USERS_H

#include <stdint.h>

#include <json.h>

#include "db.h"

struct req;
struct dbres;

/* The columns user_json() reads, from a table aliased u, in this order. */
#define USER_COLS "u.id, u.username, u.nickname, u.avatar_url, u.location, " \
	"u.bio, u.public_key, u.guest, u.online, " MS("u.last_seen") ", u.email"
#define USER_NCOLS 11

struct json_object *user_json(struct dbres *, int, int);
int	user_json_by_id(struct db *, int64_t, int, struct json_object **);
int	user_id_by_name(struct db *, const char *, int64_t *);
void	user_touch(struct req *);
int	user_set_offline(struct db *, int64_t, struct ids *);

#endif /* USERS_H */
