/*
 * api_pictures.c: POST /api/pictures and GET /api/pictures/{hash}.
 * Profile and topic pictures are uploaded to the server and served from
 * /api/pictures/<64 hex>, the only thing avatar_url may name
 * (valid_picture_url); what they are comes from their bytes
 * (core_pictures.c).  The browser scales a picture down before it uploads
 * it (www/js/pictures.js).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api_auth.h"
#include "caps.h"
#include "core_pictures.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "valid.h"

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
	if (picture_put(r->db, r->uid, type, r->body, r->bodylen, hex) == -1)
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
	struct picture	 pic;
	int		 rc;

	/* The path is what avatar_url may name (valid.c), or nothing. */
	if (!valid_picture_url(r->path, strlen(r->path)) ||
	    sodium_hex2bin(hash, sizeof(hash), http_path(r, 0), 64, NULL,
	    NULL, NULL) != 0)
		return http_fail(r, 404, "not_found", "no such picture");
	if ((rc = picture_get(r->db, hash, &pic)) == -1)
		return http_fail_db(r);
	if (rc == 0)
		return http_fail(r, 404, "not_found", "no such picture");
	rc = http_reply_immutable(r, pic.type, pic.bytes, pic.len);
	free(pic.bytes);
	return rc;
}
