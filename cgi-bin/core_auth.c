/*
 * core_auth.c: who may do what.  Passwords are hashed with argon2id
 * (libsodium, t=2, m=19 MiB, the OWASP floor) with at most
 * CAP_KDF_CONCURRENT hashes at once per process.  Session tokens are 32
 * random bytes; the cookie holds them in base64url and MySQL holds only
 * their SHA-256.  Login throttling counts failures in fixed windows in
 * MySQL so that every process (and plain CGI) shares them; the send limit
 * is a token bucket per user in each process.  The cookie and the request
 * are api_auth.c's.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "caps.h"
#include "conf.h"
#include "core_auth.h"
#include "db.h"
#include "inbox.h"
#include "util.h"

enum stmt {
	STMT_SESSION_NEW,
	STMT_SESSION_GET,
	STMT_SESSION_ALIVE,
	STMT_SESSION_END,
	STMT_SESSION_TRIM,
	STMT_WINDOW_TAKE,
	STMT_WINDOW_GIVE,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_SESSION_NEW */
	"INSERT INTO session (token_hash, user_id, expires_at) "
	"VALUES (?, ?, NOW(3) + INTERVAL ? SECOND)",
	/* STMT_SESSION_GET */
	"SELECT s.id, u.id, u.username, u.guest, u.online, "
	"COALESCE(TIMESTAMPDIFF(SECOND, u.last_seen, NOW(3)), 1000000) "
	"FROM session s JOIN user u ON u.id = s.user_id "
	"WHERE s.token_hash = ? AND s.expires_at > NOW(3)",
	/* STMT_SESSION_ALIVE */
	"SELECT 1 FROM session WHERE id = ? AND expires_at > NOW(3)",
	/* STMT_SESSION_END */
	"DELETE FROM session WHERE id = ?",
	/* STMT_SESSION_TRIM: all but the user's newest ? sessions. */
	"DELETE FROM session WHERE user_id = ? AND id <= (SELECT id FROM "
	"(SELECT id FROM session WHERE user_id = ? ORDER BY id DESC "
	"LIMIT 1 OFFSET ?) AS t)",
	/* STMT_WINDOW_TAKE */
	"INSERT INTO rate_limit (k, win, n) VALUES (?, ?, 1) "
	"ON DUPLICATE KEY UPDATE n = n + 1 RETURNING n",
	/* STMT_WINDOW_GIVE */
	"UPDATE rate_limit SET n = n - 1 WHERE k = ? AND win = ? AND n > 0",
};

static sem_t	 kdf_sem;

/*
 * A real hash to verify against for unknown users, so that both answers
 * take the same time: argon2id of "not a password" with CAP_KDF_OPS and
 * CAP_KDF_MEM (test_auth checks that they still match).  Made once and
 * written here rather than at every start: a plain CGI process starts per
 * request, and one hash cost each ~0.1 s of CPU and 19 MiB.
 */
static const char auth_dummy_hash[AUTH_HASH_MAX] = "$argon2id$v=19$m=19456,t=2,p=1$"
    "a6nvkIwhRf6a78DdrXJw2g$bGjKJZQYVLmYdI6L1/HNp/K6cyrRr6AnyAeOz7GJUYg";

/* Once per process, before threads.  No KDF work: see above. */
int
auth_init(void)
{
	if (sodium_init() < 0)
		return -1;
	if (sem_init(&kdf_sem, 0, CAP_KDF_CONCURRENT) == -1)
		return -1;
	return 0;
}

/* Hash a password into out (a NUL-terminated argon2id string): 0 or -1. */
int
auth_hash(const char *pw, size_t len, char out[AUTH_HASH_MAX])
{
	int	 rc;

	sem_wait(&kdf_sem);
	rc = crypto_pwhash_str(out, pw, len, CAP_KDF_OPS, CAP_KDF_MEM);
	sem_post(&kdf_sem);
	return rc == 0 ? 0 : -1;
}

/* 1 when pw matches the stored hash, else 0. */
int
auth_verify(const char *hash, const char *pw, size_t len)
{
	int	 rc;

	sem_wait(&kdf_sem);
	rc = crypto_pwhash_str_verify(hash, pw, len);
	sem_post(&kdf_sem);
	return rc == 0;
}

/* Spend the time of one verification (unknown user names). */
void
auth_verify_dummy(const char *pw, size_t len)
{
	(void)auth_verify(auth_dummy_hash, pw, len);
}

/* A new token: its text into tok, its SHA-256 into hash.  0 or -1. */
int
auth_token_new(char tok[AUTH_TOKEN_LEN + 1], unsigned char hash[32])
{
	unsigned char	 raw[CAP_TOKEN_BYTES];

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -1;
	sodium_bin2base64(tok, AUTH_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	auth_token_hash(tok, AUTH_TOKEN_LEN, hash);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

void
auth_token_hash(const char *tok, size_t len, unsigned char hash[32])
{
	crypto_hash_sha256(hash, (const unsigned char *)tok, len);
}

/*
 * Start a session for uid into *s: its token (for the cookie), row id and
 * life in seconds; guests' sessions are shorter.  Runs inside the caller's
 * transaction, if any.  0 or -1.
 */
int
auth_session_new(struct db *db, int64_t uid, int guest, struct session *s)
{
	unsigned char	 hash[32];
	long long	 n;

	s->life = guest ? CAP_GUEST_SESSION_S : CAP_SESSION_S;
	if (auth_token_new(s->token, hash) == -1)
		return -1;
	if (db_exec(db, stmts[STMT_SESSION_NEW], "bii",
	    (const char *)hash, sizeof(hash), uid, (int64_t)s->life) != 1)
		return -1;
	s->id = db_insert_id(db);
	/*
	 * A user keeps CAP_USER_SESSIONS sessions, the newest: logins in a
	 * loop must not grow the table for a month.
	 */
	if ((n = db_exec(db, stmts[STMT_SESSION_TRIM], "iii", uid, uid,
	    (int64_t)CAP_USER_SESSIONS)) < 0)
		return -1;
	if (n > 0)
		auth_forget_user(uid);	/* the oldest of many: see cache */
	return 0;
}

int
auth_session_end(struct db *db, int64_t sid)
{
	return db_exec(db, stmts[STMT_SESSION_END], "i", sid) < 0 ? -1 : 0;
}

/*
 * Sessions this process looked up in the last CAP_SESSION_CACHE_MS, by
 * token hash, trusted only while this is the only chat node alive
 * (inbox_is_alone): a busy client (a sender, a poller acking) then costs a
 * query every few seconds, not one per request; reading the session on
 * every request halved throughput (BENCHMARKS.md, fifteenth round).  What
 * keeps "a session ended is ended at once" true:
 *   - this process ends sessions only through auth_forget_user, after the
 *     commit (logout, logout everywhere, a password change, the trim);
 *   - every way a session ends elsewhere on this host writes an event
 *     (sessions_ended), whose wake reaches this process and forgets the
 *     user here (auth_forget_users, from main.c's wake handler);
 *   - with another node alive, nothing is trusted and every lookup reads
 *     MySQL (a wake from another host comes late, through the watcher),
 *     and the first lookup alone again starts from an empty cache.
 * What is left: a row deleted by hand in SQL lives here up to the TTL.
 */
struct cached {
	unsigned char	 hash[32];
	int		 used;
	struct auth_user u;
	int64_t		 fetched;	/* mono ms */
	int64_t		 seen_at;	/* mono ms of user.last_seen */
};

#define CACHE_WAYS	4		/* a hash may sit in any slot of its set */

static pthread_mutex_t	 cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached	 cache[CAP_SESSION_SLOTS];
static int		 cache_dirty;	/* filled while others were alive */
static int64_t		 forgot_at;	/* mono ms of the last forget */

/* The slot of hash: where it is, else a free or the oldest of its set. */
static struct cached *
cache_slot(const unsigned char hash[32])
{
	struct cached	*set, *c;
	uint32_t	 i;
	int		 k;

	memcpy(&i, hash, sizeof(i));	/* the hash is uniform already */
	set = &cache[(i % (CAP_SESSION_SLOTS / CACHE_WAYS)) * CACHE_WAYS];
	c = set;
	for (k = 0; k < CACHE_WAYS; k++) {
		if (set[k].used && memcmp(set[k].hash, hash, 32) == 0)
			return &set[k];
		if (c->used && (!set[k].used || set[k].fetched < c->fetched))
			c = &set[k];
	}
	return c;
}

/* Fill *u from the cache: 1 hit, 0 miss (or not alone). */
static int
cache_get(const unsigned char hash[32], struct auth_user *u)
{
	struct cached	*c;
	int64_t		 now = mono_ms();
	int		 hit = 0;

	pthread_mutex_lock(&cache_mu);
	if (!inbox_is_alone())
		cache_dirty = 1;
	else {
		if (cache_dirty) {
			memset(cache, 0, sizeof(cache));
			cache_dirty = 0;
		}
		c = cache_slot(hash);
		if (c->used && memcmp(c->hash, hash, 32) == 0 &&
		    now - c->fetched < CAP_SESSION_CACHE_MS) {
			*u = c->u;
			u->seen_age = (now - c->seen_at) / 1000;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void
cache_put(const unsigned char hash[32], const struct auth_user *u,
    int64_t since)
{
	struct cached	*c;
	int64_t		 now = mono_ms();

	pthread_mutex_lock(&cache_mu);
	/*
	 * Not when anyone was forgotten since the row was read began (a
	 * logout committed in between): the row may be the ended session.
	 */
	if (inbox_is_alone() && !cache_dirty && since > forgot_at) {
		c = cache_slot(hash);
		memcpy(c->hash, hash, 32);
		c->used = 1;
		c->u = *u;
		c->fetched = since;
		c->seen_at = now - u->seen_age * 1000;
	}
	pthread_mutex_unlock(&cache_mu);
}

/*
 * The user of the session of token hash was just written online with a
 * fresh last_seen (user_touch): its entry says so.  One slot set, not a
 * walk of the cache: this runs for every user every CAP_SEEN_WRITE_S.
 */
void
auth_touched(const unsigned char hash[32])
{
	struct cached	*c;

	pthread_mutex_lock(&cache_mu);
	c = cache_slot(hash);
	if (c->used && memcmp(c->hash, hash, 32) == 0) {
		c->u.was_online = 1;
		c->seen_at = mono_ms();
	}
	pthread_mutex_unlock(&cache_mu);
}

/*
 * Sessions of these users may have ended (or changed): look them up in
 * MySQL next time.  Also drops what a lookup running meanwhile would put
 * back (cache_put compares its start with the forget).
 */
void
auth_forget_users(const int64_t *uids, size_t n)
{
	size_t	 i, k;

	if (n == 0)
		return;
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < CAP_SESSION_SLOTS; i++)
		if (cache[i].used)
			for (k = 0; k < n; k++)
				if (cache[i].u.uid == uids[k]) {
					cache[i].used = 0;
					break;
				}
	forgot_at = mono_ms();
	pthread_mutex_unlock(&cache_mu);
}

void
auth_forget_user(int64_t uid)
{
	auth_forget_users(&uid, 1);
}

/*
 * The session of token hash (SHA-256 of the sid cookie) and its user into
 * *u: from the cache above while this node is alone, else (and on a miss)
 * one lookup in MySQL by a unique key.  1 found, 0 none (or expired), -1
 * error.
 */
int
auth_session_find(struct db *db, const unsigned char hash[32],
    struct auth_user *u)
{
	struct dbres	*res;
	int64_t		 since;
	int		 rc;

	if (cache_get(hash, u))
		return 1;
	since = mono_ms();
	if ((res = db_query(db, stmts[STMT_SESSION_GET], "b",
	    (const char *)hash, (size_t)32)) == NULL)
		return -1;
	if ((rc = db_row(res)) == 1) {
		u->sid = db_int(res, 0);
		u->uid = db_int(res, 1);
		snprintf(u->username, sizeof(u->username), "%s",
		    db_str(res, 2, NULL));
		u->guest = (int)db_int(res, 3);
		u->was_online = (int)db_int(res, 4);
		u->seen_age = db_int(res, 5);
	}
	db_res_free(res);
	if (rc == 1)
		cache_put(hash, u, since);
	return rc;
}

/* Does session sid still stand?  1 yes, 0 no, -1 error. */
int
auth_session_check(struct db *db, int64_t sid)
{
	int64_t	 one;

	return db_one(db, &one, stmts[STMT_SESSION_ALIVE], "i", sid);
}

/*
 * Take one of the limit attempts key has in the current window of w
 * seconds, before the work it guards: the count goes up first, so
 * attempts running at once each see their own (a count read before and
 * written after let a hundred concurrent logins all see the same one).
 * 0 taken (*win for auth_window_give), the seconds until the window ends
 * when none is left (then nothing is taken), or -1.
 */
int
auth_window_take(struct db *db, const char *key, int w, int64_t limit,
    int64_t *win)
{
	int64_t	 n, now = time(NULL);

	*win = now / w;
	if (db_one(db, &n, stmts[STMT_WINDOW_TAKE], "si", key, *win) != 1)
		return -1;
	if (n <= limit)
		return 0;
	if (auth_window_give(db, key, *win) == -1)
		return -1;
	return (int)((*win + 1) * w - now);
}

/* Give back an attempt taken in window win (it did not count): 0 or -1. */
int
auth_window_give(struct db *db, const char *key, int64_t win)
{
	return db_exec(db, stmts[STMT_WINDOW_GIVE], "si", key, win) < 0 ?
	    -1 : 0;
}

/*
 * Token buckets, one per user, CHAT_SEND_RATE per second up to
 * CHAT_SEND_BURST, CAP_SEND_SLOTS of them in sets of CAP_SEND_WAYS.  A
 * user not in its set takes the fullest bucket there and what is in it.
 * One that has filled up again is what a newcomer would get anyway, so
 * while a set has room no one is limited by anyone else; when it is busy,
 * the users sharing it share its tokens.  Accounts made to collide gain
 * nothing (when a newcomer started full, two of them alternating never
 * ran dry).  Returns 0 when a send may go, else the seconds to wait.
 */
struct bucket {
	int64_t	 uid;		/* 0: never used */
	double	 tokens;	/* at the time at */
	int64_t	 at;		/* mono_ms() */
};

static double
bucket_level(const struct bucket *b, int64_t now)
{
	double	 t;

	if (b->uid == 0)
		return conf.send_burst;
	t = b->tokens + (double)(now - b->at) * conf.send_rate / 1000.0;
	return t > conf.send_burst ? conf.send_burst : t;
}

/* The first bucket of uid's set (Fibonacci hashing: ids in a row spread). */
static size_t
send_set(int64_t uid)
{
	uint64_t	 h = ((uint64_t)uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32;

	return h % (CAP_SEND_SLOTS / CAP_SEND_WAYS) * CAP_SEND_WAYS;
}

/*
 * The same limit where a request is a process of its own (plain CGI) or
 * lands on any of a few (mod_fcgid): buckets in the process would start
 * full every time, so it is counted in MySQL, CHAT_SEND_BURST per window
 * of CHAT_SEND_BURST / CHAT_SEND_RATE seconds (60 per 3 s by default: the
 * same rate, the same burst).  A window is a rate_limit row
 * (send:USER:WINDOW), in the 5-minute window the sweeper clears.  A
 * database error lets the send go: the send then fails on its own.
 */
static int
send_allowed_db(struct db *db, int64_t uid)
{
	char	 key[64];
	int64_t	 now = time(NULL), w, win;

	w = conf.send_burst / conf.send_rate;
	if (w < 1)
		w = 1;
	snprintf(key, sizeof(key), "send:%lld:%lld", (long long)uid,
	    (long long)(now / w));
	if (auth_window_take(db, key, CAP_LOGIN_WINDOW_S, conf.send_burst,
	    &win) <= 0)
		return 0;
	return (int)(w - now % w);
}

int
auth_send_allowed(struct db *db, int64_t uid)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	static struct bucket	 slot[CAP_SEND_SLOTS];
	struct bucket		*set, *b = NULL;
	int64_t			 now;
	double			 t = 0, l;
	size_t			 i;
	int			 wait = 0;

	if (conf.send_rate == 0)
		return 0;
	if (conf.mode != MODE_FASTCGI && db != NULL)
		return send_allowed_db(db, uid);
	set = &slot[send_set(uid)];
	now = mono_ms();
	pthread_mutex_lock(&mu);
	for (i = 0; i < CAP_SEND_WAYS && b == NULL; i++)
		if (set[i].uid == uid) {
			b = &set[i];
			t = bucket_level(b, now);
		}
	if (b == NULL) {
		for (i = 0; i < CAP_SEND_WAYS; i++) {
			l = bucket_level(&set[i], now);
			if (b == NULL || l > t) {
				b = &set[i];
				t = l;
			}
		}
		b->uid = uid;
	}
	b->at = now;
	if (t >= 1.0)
		b->tokens = t - 1.0;
	else {
		b->tokens = t;
		wait = 1;
	}
	pthread_mutex_unlock(&mu);
	return wait;
}
