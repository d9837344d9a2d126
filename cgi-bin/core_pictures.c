/*
 * core_pictures.c: profile and topic pictures, kept in MySQL (table
 * picture, keyed by the SHA-256 of the bytes, so every host and process
 * has them).  The type comes from the bytes (magic numbers), never from a
 * name or a header.  Uploading and serving them is api_pictures.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "caps.h"
#include "core_pictures.h"
#include "db.h"
#include "util.h"

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
const char *
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
 * Store the n bytes of picture p, of type (picture_type), uploaded by
 * uid; its SHA-256 in hex (its address) into hex.  The same bytes again
 * are the same picture.  0 or -1.
 */
int
picture_put(struct db *db, int64_t uid, const char *type, const char *p,
    size_t n, char hex[65])
{
	unsigned char	 hash[32];

	crypto_hash_sha256(hash, (const unsigned char *)p, n);
	sodium_bin2hex(hex, 65, hash, sizeof(hash));
	if (db_exec(db, stmts[STMT_PIC_PUT], "bsibi",
	    (const char *)hash, sizeof(hash), type, (int64_t)n, p, n,
	    uid) < 0)
		return -1;
	return 0;
}

/*
 * The picture of SHA-256 hash into *out (its bytes a copy the caller
 * frees), served only as what its bytes are (a row edited by hand too).
 * 1 found, 0 none (or not a picture), -1 error.
 */
int
picture_get(struct db *db, const unsigned char hash[32], struct picture *out)
{
	struct dbres	*res;
	const char	*type, *bytes, *sniffed;
	size_t		 n;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_PIC_GET], "bi",
	    (const char *)hash, (size_t)32, (int64_t)CAP_PICTURE)) == NULL)
		return -1;
	if ((rc = db_row(res)) != 1) {
		db_res_free(res);
		return rc;
	}
	type = db_str(res, 0, NULL);
	bytes = db_str(res, 1, &n);
	sniffed = picture_type((const unsigned char *)bytes, n);
	if (sniffed == NULL || strcmp(type, sniffed) != 0) {
		db_res_free(res);
		return 0;
	}
	out->type = sniffed;
	out->bytes = xmalloc(n > 0 ? n : 1);
	memcpy(out->bytes, bytes, n);
	out->len = n;
	db_res_free(res);
	return 1;
}
