/*
 * auth.h: password hashing (argon2id), session tokens (256 bits from
 * getrandom, stored only as SHA-256), the current user of a request, and
 * rate limits (login windows in MySQL, send buckets in memory).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define AUTH_HASH_MAX	crypto_pwhash_STRBYTES
#define AUTH_TOKEN_LEN	43		/* base64url of CAP_TOKEN_BYTES */

struct req;
struct db;

int	auth_init(void);
int	auth_hash(const char *, size_t, char[AUTH_HASH_MAX]);
int	auth_verify(const char *, const char *, size_t);
void	auth_verify_dummy(const char *, size_t);
int	auth_token_new(char[AUTH_TOKEN_LEN + 1], unsigned char[32]);
void	auth_token_hash(const char *, size_t, unsigned char[32]);
int	auth_session_new(struct req *, int64_t, int);
int	auth_session_end(struct db *, int64_t);
int	auth_session(struct req *);
int	auth_session_alive(struct req *);
int	auth_window_take(struct db *, const char *, int, int64_t, int64_t *);
int	auth_window_give(struct db *, const char *, int64_t);
int	auth_send_allowed(struct db *, int64_t);
int	auth_push_allowed(struct req *);

#endif /* AUTH_H */
