/*
 * core_users.c: the public user shape of the contract (user_json, from
 * USER_COLS), users by id and by name, profile changes, and presence:
 * every authenticated request is activity (user_touch), the first after
 * being offline tells friends (presence online), the sweeper tells them
 * when the user goes idle (user_set_offline).  Accounts and sessions are
 * core_accounts.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "caps.h"
#include "conf.h"
#include "core_accounts.h"
#include "core_auth.h"
#include "core_login.h"
#include "core_events.h"
#include "core_users.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_USER_BY_ID,
	STMT_USER_BY_NAME,
	STMT_USER_ID,
	STMT_USER_UPDATE,
	STMT_USER_PASSWORD,
	STMT_SEEN_ONLINE,
	STMT_ONLINE,
	STMT_OFFLINE,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_USER_BY_ID */
	"SELECT " USER_COLS " FROM user u WHERE u.id = ?",
	/*
	 * STMT_USER_BY_NAME: with "are we friends" and "are we in a group
	 * together" for the viewer.
	 */
	"SELECT " USER_COLS ", EXISTS (SELECT 1 FROM friendship f "
	"WHERE f.user_id = ? AND f.friend_id = u.id), EXISTS (SELECT 1 "
	"FROM conv_member a JOIN conversation c ON c.id = a.conv_id "
	"AND c.kind = 'topic' JOIN conv_member b ON b.conv_id = a.conv_id "
	"AND b.user_id = u.id WHERE a.user_id = ?) "
	"FROM user u WHERE u.username = ?",
	/* STMT_USER_ID */
	"SELECT id FROM user WHERE username = ?",
	/* STMT_USER_UPDATE: NULL keeps a field as it is. */
	"UPDATE user SET nickname = COALESCE(?, nickname), "
	"email = COALESCE(?, email), avatar_url = COALESCE(?, avatar_url), "
	"location = COALESCE(?, location), bio = COALESCE(?, bio), "
	"public_key = COALESCE(?, public_key) WHERE id = ?",
	/* STMT_USER_PASSWORD */
	"UPDATE user SET password_hash = ? WHERE id = ?",
	/*
	 * STMT_SEEN_ONLINE: 0 rows when the user is offline now.  These
	 * three name the primary key: with few users online MariaDB chose a
	 * range on k_user_online_seen instead, locking other users' index
	 * entries before the row, the reverse of a request's order, and the
	 * sweeper and a request deadlocked (the request lost; the user went
	 * offline although seen).
	 */
	"UPDATE user FORCE INDEX (PRIMARY) SET last_seen = NOW(3) "
	"WHERE id = ? AND online = 1",
	/* STMT_ONLINE: only the request that flips it tells the friends. */
	"UPDATE user FORCE INDEX (PRIMARY) SET online = 1, last_seen = NOW(3) "
	"WHERE id = ? AND online = 0",
	/* STMT_OFFLINE: still idle (a request may have come since the pick). */
	"UPDATE user FORCE INDEX (PRIMARY) SET online = 0 "
	"WHERE id = ? AND online = 1 AND last_seen < NOW(3) - INTERVAL ? SECOND",
};

static struct json_object *
jstr(struct dbres *res, int c)
{
	size_t		 n;
	const char	*s = db_str(res, c, &n);

	return json_object_new_string_len(s, (int)n);
}

/*
 * The contract's user object from USER_COLS at column c0 of res; email
 * only when with_email (oneself and friends).
 */
struct json_object *
user_json(struct dbres *res, int c0, int with_email)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(db_int(res, c0)));
	json_object_object_add(o, "username", jstr(res, c0 + 1));
	json_object_object_add(o, "nickname", jstr(res, c0 + 2));
	json_object_object_add(o, "avatar_url", jstr(res, c0 + 3));
	json_object_object_add(o, "location", jstr(res, c0 + 4));
	json_object_object_add(o, "bio", jstr(res, c0 + 5));
	json_object_object_add(o, "public_key", jstr(res, c0 + 6));
	json_object_object_add(o, "guest",
	    json_object_new_boolean(db_int(res, c0 + 7) != 0));
	json_object_object_add(o, "online",
	    json_object_new_boolean(db_int(res, c0 + 8) != 0));
	json_object_object_add(o, "last_seen", db_null(res, c0 + 9) ? NULL :
	    json_object_new_int64(db_int(res, c0 + 9)));
	if (with_email)
		json_object_object_add(o, "email", jstr(res, c0 + 10));
	return o;
}

/* User uid as JSON into *out: 1 found, 0 absent, -1 error. */
int
user_json_by_id(struct db *db, int64_t uid, int with_email,
    struct json_object **out)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1)
		*out = user_json(res, 0, with_email);
	db_res_free(res);
	return rc;
}

/* The id of a user name (any case): 1 found, 0 absent, -1 error. */
int
user_id_by_name(struct db *db, const char *name, int64_t *id)
{
	return db_one(db, id, stmts[STMT_USER_ID], "s", name);
}

/*
 * User name's public profile as viewer sees it, into *out: with email for
 * friends and oneself, and "friend": whether they are friends.  Presence
 * and the profile's details (location, bio, public key) only for friends,
 * oneself and the members of a group shared with them; anyone else sees
 * the nickname and picture, those fields null (issue 26).  1 found, 0
 * absent, -1 error.
 */
int
user_by_name(struct db *db, int64_t viewer, const char *name,
    struct json_object **out)
{
	struct dbres	*res;
	int		 rc, friend, self, i;
	static const char *const hidden[] = { "location", "bio",
	    "public_key", "online", "last_seen" };

	if ((res = db_query(db, stmts[STMT_USER_BY_NAME], "iis", viewer,
	    viewer, name)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		friend = db_int(res, USER_NCOLS) != 0;
		self = db_int(res, 0) == viewer;
		*out = user_json(res, 0, friend || self);
		json_object_object_add(*out, "friend",
		    json_object_new_boolean(friend));
		if (!friend && !self && db_int(res, USER_NCOLS + 1) == 0)
			for (i = 0; i < 5; i++)
				json_object_object_add(*out, hidden[i], NULL);
	}
	db_res_free(res);
	return rc;
}

/*
 * Find people (issue 26): registered users whose user name or nickname
 * starts with q, as {"users":[{id, username, nickname, avatar_url,
 * friend}]} into *out, CAP_FIND_RESULTS at most.  q is a prefix only, its
 * % and _ escaped, so a search costs two index ranges and never lists
 * everyone; CAP_FINDS per user a minute.  0, the seconds to wait, or -1.
 */
int
user_find(struct db *db, int64_t viewer, const char *q,
    struct json_object **out)
{
	static const char *const sql = "SELECT u.id, u.username, u.nickname, "
	    "u.avatar_url, EXISTS (SELECT 1 FROM friendship f WHERE "
	    "f.user_id = ? AND f.friend_id = u.id) FROM ("
	    "(SELECT id FROM user WHERE username LIKE ? ESCAPE '!' AND "
	    "guest = 0 AND deleted_at IS NULL ORDER BY username LIMIT ?) UNION "
	    "(SELECT id FROM user WHERE nickname LIKE ? ESCAPE '!' AND "
	    "guest = 0 AND deleted_at IS NULL ORDER BY nickname LIMIT ?)) AS hit "
	    "JOIN user u ON u.id = hit.id WHERE NOT EXISTS (SELECT 1 FROM "
	    "user_block k WHERE k.user_id = u.id AND k.blocked_id = ?) "
	    "ORDER BY u.nickname, u.username LIMIT ?";
	struct json_object	*a, *o;
	struct dbres		*res;
	struct buf		 pat = { 0 };
	char			 key[64];
	int64_t			 win, lim = CAP_FIND_RESULTS, now = time(NULL);
	int			 rc;

	/*
	 * A minute's count in the key, in a window the sweeper keeps (it
	 * clears rate_limit rows older than CAP_LOGIN_WINDOW_S), as the sends.
	 */
	snprintf(key, sizeof(key), "find:%lld:%lld", (long long)viewer,
	    (long long)(now / CAP_FIND_WINDOW_S));
	if ((rc = auth_window_take(db, key, CAP_LOGIN_WINDOW_S, CAP_FINDS,
	    &win)) != 0)
		return rc == -1 ? -1 :
		    (int)(CAP_FIND_WINDOW_S - now % CAP_FIND_WINDOW_S);
	for (; *q != '\0'; q++) {
		if (*q == '%' || *q == '_' || *q == '!')
			buf_addc(&pat, '!');
		buf_addc(&pat, *q);
	}
	buf_adds(&pat, "%");
	res = db_query(db, sql, "isisiii", viewer, pat.p, lim, pat.p, lim,
	    viewer, lim);
	buf_free(&pat);
	if (res == NULL)
		return -1;
	a = json_object_new_array();
	while ((rc = db_row(res)) == 1) {
		o = json_object_new_object();
		json_object_object_add(o, "id",
		    json_object_new_int64(db_int(res, 0)));
		json_object_object_add(o, "username", jstr(res, 1));
		json_object_object_add(o, "nickname", jstr(res, 2));
		json_object_object_add(o, "avatar_url", jstr(res, 3));
		json_object_object_add(o, "friend",
		    json_object_new_boolean(db_int(res, 4) != 0));
		json_object_array_add(a, o);
	}
	db_res_free(res);
	if (rc == -1) {
		json_object_put(a);
		return -1;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "users", a);
	return 0;
}

/*
 * Presence payload for user name: {"user":name,"online":b}.
 */
static void
presence_payload(struct buf *b, const char *name, int online)
{
	buf_adds(b, "{\"user\":");
	buf_json_str(b, name, strlen(name));
	buf_addf(b, ",\"online\":%s}", online ? "true" : "false");
}

/*
 * Count a request of user uid (name) as activity; was_online and seen_age
 * are what the lookup of the session of token hash sid_hash read
 * (auth_session_find), and what a write here tells its cached entry.  last_seen is
 * written at most every CAP_SEEN_WRITE_S; coming back online tells the
 * friends.  Failures are logged and ignored: presence must not fail a
 * request.
 */
void
user_touch(struct db *db, int64_t uid, const unsigned char sid_hash[32],
    const char *name, int was_online, int64_t seen_age)
{
	struct buf	 p = { 0 };
	struct ids	 friends = { 0 };
	long long	 n;

	/*
	 * last_seen may lag the last request by up to seen_every_s: the
	 * sweeper allows for it (sweep_idle).
	 */
	if (was_online && seen_age < conf.seen_every_s)
		return;
	if (was_online) {
		/*
		 * Online when the session was read: write last_seen, unless
		 * the sweeper took the user offline meanwhile, which the flip
		 * below finds.
		 */
		if ((n = db_exec(db, stmts[STMT_SEEN_ONLINE], "i", uid)) == 1) {
			auth_touched(sid_hash);
			return;
		}
		if (n < 0)
			return;
	}
	if (db_begin(db) == -1)
		return;
	if ((n = db_exec(db, stmts[STMT_ONLINE], "i", uid)) == 1) {
		presence_payload(&p, name, 1);
		if (event_push_friends(db, uid, "presence", p.p) == -1 ||
		    event_friend_ids(db, uid, &friends) == -1)
			n = -1;
	}
	if (n < 0 || db_commit(db) == -1)
		db_rollback(db);
	else {
		auth_touched(sid_hash);
		wake_users(friends.v, friends.n);
	}
	buf_free(&p);
	ids_free(&friends);
}

/*
 * Mark uid offline if it is online and last_seen is idle_s old; push
 * presence to friends and collect who to wake into *wake.  Needs an open
 * transaction.  1 switched, 0 was offline already (another sweeper got
 * it) or seen since, -1 error.
 */
int
user_set_offline(struct db *db, int64_t uid, int idle_s, struct ids *wake)
{
	struct buf	 p = { 0 };
	struct dbres	*res;
	long long	 n;
	int		 rc = 1;

	if ((n = db_exec(db, stmts[STMT_OFFLINE], "ii", uid,
	    (int64_t)idle_s)) <= 0)
		return (int)n;
	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if (db_row(res) == 1)
		presence_payload(&p, db_str(res, 1, NULL), 0);
	db_res_free(res);
	if (p.len == 0 ||
	    event_push_friends(db, uid, "presence", p.p) == -1 ||
	    event_friend_ids(db, uid, wake) == -1)
		rc = -1;
	buf_free(&p);
	return rc;
}

/* What friends see of a user besides the name: nickname and picture. */
struct shown {
	char	*nickname;
	char	*avatar_url;
};

static void
shown_free(struct shown *sh)
{
	free(sh->nickname);
	free(sh->avatar_url);
	sh->nickname = sh->avatar_url = NULL;
}

/* uid's nickname and picture as they are now, into *sh.  0 or -1. */
static int
profile_before(struct db *db, int64_t uid, struct shown *sh)
{
	struct dbres	*res;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_USER_BY_ID], "i", uid)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		sh->nickname = xstrdup(db_str(res, 2, NULL));
		sh->avatar_url = xstrdup(db_str(res, 3, NULL));
	}
	db_res_free(res);
	return rc == -1 ? -1 : 0;
}

/*
 * A new nickname or picture (nick, avatar: NULL unchanged) of uid (name)
 * is told to every friend as a "profile" event, in the update's
 * transaction; their ids go to *to for the wake after the commit.
 * Nothing when neither differs from *was (a save of the same values).
 * 0 or -1.
 */
static int
profile_tell(struct db *db, int64_t uid, const char *name,
    const struct shown *was, const char *nick, const char *avatar,
    struct ids *to)
{
	struct buf	 p = { 0 };
	int		 rc;

	if (was->nickname == NULL ||
	    ((nick == NULL || strcmp(nick, was->nickname) == 0) &&
	    (avatar == NULL || strcmp(avatar, was->avatar_url) == 0)))
		return 0;
	if (nick == NULL)
		nick = was->nickname;
	if (avatar == NULL)
		avatar = was->avatar_url;
	buf_adds(&p, "{\"user\":");
	buf_json_str(&p, name, strlen(name));
	buf_adds(&p, ",\"nickname\":");
	buf_json_str(&p, nick, strlen(nick));
	buf_adds(&p, ",\"avatar_url\":");
	buf_json_str(&p, avatar, strlen(avatar));
	buf_adds(&p, "}");
	rc = event_push_friends(db, uid, "profile", p.p) == -1 ||
	    event_friend_ids(db, uid, to) == -1 ? -1 : 0;
	buf_free(&p);
	return rc;
}

/*
 * Change the profile of uid (name): the fields of p that are not NULL,
 * and with hash (not NULL, auth_hash()) the password, which ends every
 * session of uid but keep and forgets every device token of uid but did
 * (this browser's, or NULL).  A new nickname or picture is told to every
 * friend.  One transaction; the friends (and uid, whose other sessions
 * ended) are woken after the commit.  0 or -1.
 */
int
user_update(struct db *db, int64_t uid, const char *name, int64_t keep,
    const char *did, const struct user_patch *p, const char *hash)
{
	struct shown	 shown = { NULL, NULL };
	struct ids	 friends = { 0 };
	int		 shows;

	shows = p->nickname != NULL || p->avatar_url != NULL;
	if (db_begin(db) == -1)
		return -1;
	if (shows && profile_before(db, uid, &shown) == -1)
		goto fail;
	if (db_exec(db, stmts[STMT_USER_UPDATE], "ssssssi",
	    p->nickname, p->email, p->avatar_url, p->location, p->bio,
	    p->public_key, uid) < 0 ||
	    (hash != NULL &&
	    (db_exec(db, stmts[STMT_USER_PASSWORD], "si", hash, uid) < 0 ||
	    login_devices_forget(db, uid, did) < 0 ||
	    account_sessions_end(db, uid, keep, "password") == -1)) ||
	    profile_tell(db, uid, name, &shown, p->nickname, p->avatar_url,
	    &friends) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	if (hash != NULL) {
		auth_forget_user(uid);
		ids_add(&friends, uid);	/* the others' sessions ended */
	}
	wake_users(friends.v, friends.n);
	ids_free(&friends);
	shown_free(&shown);
	return 0;
fail:
	db_rollback(db);
	ids_free(&friends);
	shown_free(&shown);
	return -1;
}
