/*
 * core_auth.h: password hashing (argon2id), session tokens (256 bits from
 * getrandom, stored only as SHA-256), sessions in MySQL, and rate limits
 * (login windows in MySQL, send buckets in memory).  No request here: the
 * cookie and the 429s are api_auth.h's.
 */
#ifndef CORE_AUTH_H
#define CORE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "caps.h"

#define AUTH_HASH_MAX	crypto_pwhash_STRBYTES
#define AUTH_TOKEN_LEN	43		/* base64url of CAP_TOKEN_BYTES */

struct db;

/* A session just started (auth_session_new): what its cookie says. */
struct session {
	char	 token[AUTH_TOKEN_LEN + 1];
	int64_t	 id;		/* its row */
	int	 life;		/* seconds */
};

/* A session found by its token (auth_session_find), and its user. */
struct auth_user {
	int64_t	 sid;		/* session row id */
	int64_t	 uid;
	char	 username[CAP_USERNAME_MAX + 1];
	int	 guest;
	int	 was_online;	/* user.online before this request */
	int64_t	 seen_age;	/* seconds since user.last_seen */
};

int	auth_init(void);
int	auth_hash(const char *, size_t, char[AUTH_HASH_MAX]);
int	auth_verify(const char *, const char *, size_t);
void	auth_verify_dummy(const char *, size_t);
int	auth_token_new(char[AUTH_TOKEN_LEN + 1], unsigned char[32]);
void	auth_token_hash(const char *, size_t, unsigned char[32]);
int	auth_session_new(struct db *, int64_t, int, struct session *);
int	auth_session_end(struct db *, int64_t);
int	auth_session_find(struct db *, const unsigned char[32],
	    struct auth_user *);
int	auth_session_check(struct db *, int64_t);
void	auth_touched(const unsigned char[32]);
void	auth_forget_users(const int64_t *, size_t);
void	auth_forget_user(int64_t);
int	auth_window_take(struct db *, const char *, int, int64_t, int64_t *);
int	auth_window_give(struct db *, const char *, int64_t);
int	auth_send_allowed(struct db *, int64_t);

#endif /* CORE_AUTH_H */
