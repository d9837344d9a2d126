/*
 * pictures.c: profile and topic pictures, uploaded to the server, kept in
 * MySQL (table picture, keyed by the SHA-256 of the bytes, so every host
 * and process has them) and served from /api/pictures/<64 hex>, the only
 * thing avatar_url may name (valid_picture_url).  The type comes from the
 * bytes (magic numbers), never from a name or a header.  The browser
 * scales a picture down before it uploads it (www/js/pictures.js).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "caps.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "route.h"
#include "valid.h"

enum stmt {
	STMT_PIC_PUT,
	STMT_PIC_GET,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/*
	 * STMT_PIC_PUT: the same bytes again are the same picture (the
	 * first owner stays); a key, not a read before the write.
	 */
	"INSERT INTO picture (hash, type, size, bytes, owner_id) "
	"VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE hash = hash",
	/* STMT_PIC_GET */
	"SELECT type, bytes FROM picture WHERE hash = ? AND size <= ?",
};

/*
 * The content type of a picture from its first bytes: PNG (signature and
 * IHDR), JPEG (SOI and a marker), WebP (RIFF....WEBPVP8), GIF (GIF87a,
 * GIF89a); NULL for anything else (text, HTML, SVG, PDF ...).
 */
static const char *
picture_type(const unsigned char *p, size_t n)
{
	if (n >= 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	    memcmp(p + 12, "IHDR", 4) == 0)
		return "image/png";
	if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff &&
	    p[3] >= 0xc0 && p[3] != 0xff)
		return "image/jpeg";
	if (n >= 16 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBPVP8", 7) == 0 &&
	    (p[15] == ' ' || p[15] == 'L' || p[15] == 'X'))
		return "image/webp";
	if (n >= 13 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	return NULL;
}

/*
 * POST /api/pictures: the body is the picture's bytes, sent with
 * Content-Type image/png, image/jpeg, image/webp or image/gif (route.c:
 * a form cannot send those, so this stays as CSRF-safe as JSON), at most
 * CAP_PICTURE bytes.  Its type is found from the bytes.  Counts with the
 * user's sends.  201 {url, type, size}, also when the same bytes were
 * uploaded before (same url).
 */
int
h_picture_put(struct req *r)
{
	unsigned char	 hash[32];
	char		 hex[65], url[80], body[200];
	const char	*type;
	int		 st, n;

	if (r->bodylen == 0)
		return http_fail(r, 400, "bad_request",
		    "send the picture's bytes as the request body");
	if (r->bodylen > CAP_PICTURE)
		return http_fail(r, 413, "too_large",
		    "a picture is at most 48 KiB: scale it down first");
	if ((type = picture_type((const unsigned char *)r->body,
	    r->bodylen)) == NULL)
		return http_fail(r, 400, "bad_picture", "not a picture: "
		    "send a PNG, JPEG, WebP or GIF image");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	crypto_hash_sha256(hash, (const unsigned char *)r->body, r->bodylen);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	if (db_exec(r->db, stmts[STMT_PIC_PUT], "bsibi",
	    (const char *)hash, sizeof(hash), type, (int64_t)r->bodylen,
	    r->body, r->bodylen, r->uid) < 0)
		return http_fail_db(r);
	snprintf(url, sizeof(url), "/api/pictures/%s", hex);
	n = snprintf(body, sizeof(body),
	    "{\"url\":\"%s\",\"type\":\"%s\",\"size\":%zu}", url, type,
	    r->bodylen);
	return http_reply(r, 201, body, (size_t)n);
}

/*
 * GET /api/pictures/{hash}: the picture's bytes with its type, nosniff
 * and a cache of a year (the URL names the content).  No session: the
 * address is the SHA-256 of the bytes, and a GET here changes nothing
 * (not even presence).  404 JSON when unknown.
 */
int
h_picture_get(struct req *r)
{
	unsigned char	 hash[32];
	struct dbres	*res;
	const char	*type, *bytes, *sniffed;
	size_t		 n;
	int		 rc;

	/* The path is what avatar_url may name (valid.c), or nothing. */
	if (!valid_picture_url(r->path, strlen(r->path)) ||
	    sodium_hex2bin(hash, sizeof(hash), route_param(r, 0), 64, NULL,
	    NULL, NULL) != 0)
		return http_fail(r, 404, "not_found", "no such picture");
	if ((res = db_query(r->db, stmts[STMT_PIC_GET], "bi",
	    (const char *)hash, sizeof(hash), (int64_t)CAP_PICTURE)) == NULL)
		return http_fail_db(r);
	if ((rc = db_row(res)) != 1) {
		db_res_free(res);
		return rc == 0 ? http_fail(r, 404, "not_found",
		    "no such picture") : http_fail_db(r);
	}
	type = db_str(res, 0, NULL);
	bytes = db_str(res, 1, &n);
	/* Served only as what its bytes are (a row edited by hand too). */
	sniffed = picture_type((const unsigned char *)bytes, n);
	if (sniffed == NULL || strcmp(type, sniffed) != 0) {
		db_res_free(res);
		return http_fail(r, 404, "not_found", "no such picture");
	}
	rc = http_reply_immutable(r, sniffed, bytes, n);
	db_res_free(res);
	return rc;
}
