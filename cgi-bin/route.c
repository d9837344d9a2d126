/*
 * route.c: the table of every endpoint and the dispatcher.  The row says
 * what runs before the handler (a session, registered users only); every
 * POST, PATCH and DELETE needs Content-Type: application/json (the CSRF
 * defence with SameSite cookies) and a body within CAP_BODY, except a
 * picture upload (R_PICTURE): image/png, image/jpeg, image/webp or
 * image/gif, which no form can send either; and a file upload
 * (R_STREAM): application/octet-stream, its body read by its handler.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_auth.h"
#include "caps.h"
#include "core_users.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "route.h"
#include "util.h"

static const struct route routes[] = {
	{ M_GET,    "/api/health",			h_health, 0 },
	{ M_POST,   "/api/signup",			h_user_signup, 0 },
	{ M_POST,   "/api/login",			h_user_login, 0 },
	{ M_POST,   "/api/guest",			h_user_guest, 0 },
	{ M_POST,   "/api/logout",			h_user_logout, R_AUTH },
	{ M_GET,    "/api/me",				h_me_get, R_AUTH },
	{ M_PATCH,  "/api/me",				h_me_patch, R_AUTH },
	{ M_DELETE, "/api/me",				h_me_delete, R_AUTH },
	{ M_GET,    "/api/sessions",			h_sessions_get, R_AUTH },
	{ M_DELETE, "/api/sessions/others",		h_sessions_end_others, R_AUTH },
	{ M_DELETE, "/api/sessions/{id}",		h_session_delete, R_AUTH },
	{ M_POST,   "/api/password/forgot",		h_password_forgot, 0 },
	{ M_POST,   "/api/password/reset",		h_password_reset, 0 },
	{ M_GET,    "/api/users/{name}",		h_user_get, R_AUTH },
	{ M_GET,    "/api/users",			h_user_find, R_AUTH | R_USER },
	{ M_GET,    "/api/search",			h_search, R_AUTH },
	{ M_POST,   "/api/blocks",			h_block_add, R_AUTH },
	{ M_GET,    "/api/blocks",			h_block_list, R_AUTH },
	{ M_DELETE, "/api/blocks/{id}",			h_block_delete, R_AUTH },
	{ M_POST,   "/api/reports",			h_report, R_AUTH },
	{ M_DELETE, "/api/friends/requests/{id}",	h_friend_cancel, R_AUTH | R_USER },
	{ M_GET,    "/api/friends",			h_friend_list, R_AUTH | R_USER },
	{ M_DELETE, "/api/friends/{name}",		h_friend_delete, R_AUTH | R_USER },
	{ M_POST,   "/api/friends/requests",		h_friend_request, R_AUTH | R_USER },
	{ M_GET,    "/api/friends/requests",		h_friend_requests, R_AUTH | R_USER },
	{ M_POST,   "/api/friends/requests/{id}/accept", h_friend_accept, R_AUTH | R_USER },
	{ M_POST,   "/api/friends/requests/{id}/reject", h_friend_reject, R_AUTH | R_USER },
	{ M_POST,   "/api/messages",			h_msg_send, R_AUTH },
	{ M_PATCH,  "/api/messages/{id}",		h_msg_edit, R_AUTH },
	{ M_DELETE, "/api/messages/{id}",		h_msg_delete, R_AUTH },
	{ M_GET,    "/api/conversations",		h_conv_list, R_AUTH },
	{ M_POST,   "/api/conversations",		h_conv_create, R_AUTH | R_USER },
	{ M_GET,    "/api/conversations/{id}",		h_conv_get, R_AUTH },
	{ M_PATCH,  "/api/conversations/{id}",		h_conv_patch, R_AUTH | R_USER },
	{ M_GET,    "/api/conversations/{id}/messages",	h_msg_history, R_AUTH },
	{ M_POST,   "/api/conversations/{id}/members",	h_conv_add_members, R_AUTH | R_USER },
	{ M_DELETE, "/api/conversations/{id}/members/{name}", h_conv_remove_member, R_AUTH | R_USER },
	{ M_PATCH,  "/api/conversations/{id}/members/{name}", h_conv_set_role, R_AUTH | R_USER },
	{ M_POST,   "/api/conversations/{id}/read",	h_conv_read, R_AUTH },
	{ M_POST,   "/api/conversations/{id}/leave",	h_conv_leave, R_AUTH },
	{ M_POST,   "/api/conversations/{id}/typing",	h_conv_typing, R_AUTH },
	{ M_POST,   "/api/presence/gone",		h_presence_gone, R_AUTH },
	{ M_POST,   "/api/conversations/{id}/mute",	h_conv_mute, R_AUTH },
	{ M_POST,   "/api/match",			h_match_join, R_AUTH },
	{ M_DELETE, "/api/match",			h_match_cancel, R_AUTH },
	{ M_POST,   "/api/match/away",			h_match_away, R_AUTH },
	{ M_DELETE, "/api/match/away",			h_match_back, R_AUTH },
	{ M_GET,    "/api/poll",			h_poll, R_AUTH | R_SCRIPT },
	{ M_POST,   "/api/ack",				h_ack, R_AUTH },
	{ M_POST,   "/api/frame",			h_frame, 0 },
	{ M_GET,    "/api/frames",			h_frames, R_AUTH | R_SCRIPT },
	{ M_POST,   "/api/cmd",				h_cmd, 0 },
	{ M_GET,    "/api/cmds",			h_cmds, R_AUTH | R_SCRIPT },
	{ M_POST,   "/api/pictures",			h_picture_put, R_AUTH | R_PICTURE },
	{ M_GET,    "/api/pictures/{hash}",		h_picture_get, 0 },
	{ M_POST,   "/api/conversations/{id}/files",	h_file_upload, R_AUTH | R_STREAM },
	{ M_GET,    "/api/files/{id}",			h_file_get, R_AUTH },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static const char *const method_names[M__MAX] = {
	"GET",		/* M_GET */
	"POST",		/* M_POST */
	"PATCH",	/* M_PATCH */
	"DELETE",	/* M_DELETE */
	"OTHER",	/* M_OTHER */
};

/*
 * Match path against pattern; on success store the {params} in r (owned
 * copies) and return 1, else 0.  A {id} matches only digits.
 */
static int
route_match(struct req *r, const char *pat, const char *path)
{
	const char	*p, *s, *pe, *se;
	int		 n = 0, i;
	char		*saved[CAP_ROUTE_PARAMS];

	p = pat;
	s = path;
	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			pe = strchr(p, '}');
			se = s + strcspn(s, "/");
			if (se == s || n == CAP_ROUTE_PARAMS)
				goto no;
			if (strncmp(p, "{id}", 4) == 0)
				for (const char *c = s; c < se; c++)
					if (*c < '0' || *c > '9')
						goto no;
			saved[n++] = xstrndup(s, (size_t)(se - s));
			p = pe + 1;
			s = se;
			continue;
		}
		if (*p++ != *s++)
			goto no;
	}
	if (*p != '\0' || *s != '\0')
		goto no;
	for (i = 0; i < n; i++)
		r->params[i] = saved[i];
	r->nparams = n;
	return 1;
no:
	for (i = 0; i < n; i++)
		free(saved[i]);
	return 0;
}

/*
 * The route for r's method and path, or NULL with *status set to 404 (no
 * such path) or 405 (path exists for other methods; Allow is set).
 */
const struct route *
route_find(struct req *r, int *status)
{
	struct buf	 allow = { 0 };
	size_t		 i;

	for (i = 0; i < NROUTES; i++) {
		if (!route_match(r, routes[i].pattern, r->path))
			continue;
		if (routes[i].method == (int)r->method) {
			buf_free(&allow);
			return &routes[i];
		}
		/* Same path, other method: remember it for Allow. */
		for (int k = 0; k < r->nparams; k++)
			free(r->params[k]);
		r->nparams = 0;
		if (allow.len)
			buf_adds(&allow, ", ");
		buf_adds(&allow, method_names[routes[i].method]);
	}
	if (allow.len) {
		http_header(r, "Allow", allow.p);
		*status = 405;
	} else
		*status = 404;
	buf_free(&allow);
	return NULL;
}

/*
 * Does this GET come from a script?  The long-polls hand out and ack
 * events, so a picture (<img src="/api/poll?ack=...">), a link or a form
 * must not be able to send one with the user's cookie.  A browser says
 * what a request is for (Fetch Metadata): only fetch() and XHR send
 * Sec-Fetch-Dest "empty"; an image says "image", a link or form
 * "document".  Without that header (scripts outside a browser, as the
 * seed documents' clients are; an old browser) what it accepts tells: an
 * image or a page asks for image/... or text/html, a script for JSON or
 * anything.  1 yes, 0 no.
 */
static int
from_script(struct req *r)
{
	const char	*dest, *acc;

	if ((dest = http_param(r, "HTTP_SEC_FETCH_DEST")) != NULL)
		return strcmp(dest, "empty") == 0;
	if ((acc = http_param(r, "HTTP_ACCEPT")) == NULL)
		return 1;
	return strstr(acc, "image/") == NULL && strstr(acc, "text/html") == NULL;
}

/* Is ct the content type t, maybe with parameters? */
static int
is_type(const char *ct, const char *t)
{
	size_t	 n = strlen(t);

	if (ct == NULL || strncasecmp(ct, t, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Is this a JSON content type (application/json, maybe with parameters)? */
static int
is_json_type(const char *ct)
{
	size_t	 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/*
 * Is this a picture's content type (image/png, image/jpeg, image/webp or
 * image/gif, maybe with parameters)?  Like application/json, none of them
 * can be sent by an HTML form (only application/x-www-form-urlencoded,
 * multipart/form-data and text/plain can), and a script on another origin
 * needs a CORS preflight for them, which is never granted; the session
 * cookie is SameSite=Strict besides.  What the picture is comes from its
 * bytes (core_pictures.c), not from this header.
 */
static int
is_picture_type(const char *ct)
{
	static const char *const types[] = {
		"image/png", "image/jpeg", "image/webp", "image/gif"
	};
	size_t	 i, n;

	if (ct == NULL)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i]);
		if (strncasecmp(ct, types[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	return 0;
}

/*
 * An error lighttpd answered itself (a body over server.max-request-size,
 * a static file not found, a header too large ...), handed here by its
 * server.error-handler as a GET of the same URI: the same status, in JSON
 * like every other error.  Never dispatched to the route of that URI.
 */
static int
server_error(struct req *r, int st)
{
	switch (st) {
	case 403:
		return http_fail(r, 403, "forbidden", "not allowed");
	case 404:
		return http_fail(r, 404, "not_found", "no such file");
	case 413:
		return http_fail(r, 413, "too_large",
		    "request body is larger than 64 KiB");
	case 501:
		return http_fail(r, 501, "not_implemented",
		    "this method is not supported");
	case 414:
	case 431:
		return http_fail(r, st, "too_large",
		    "request line or headers too large");
	default:
		if (st >= 500)
			return http_fail(r, st, "unavailable",
			    "the server could not answer; try again");
		return http_fail(r, st, "bad_request",
		    "the server could not read this request");
	}
}

/*
 * Answer r: find the route, check content type, read and parse the body,
 * find the session, then call the handler.  Returns the status sent, or 0
 * when the handler parked the request.
 */
int
route_dispatch(struct req *r)
{
	const struct route	*rt;
	const char		*v;
	int			 st, i;

	/*
	 * lighttpd sets REDIRECT_URI only when it runs its error handler,
	 * Apache REDIRECT_URL for its ErrorDocument (and for a rewrite, with
	 * REDIRECT_STATUS 200); suEXEC passes both.
	 */
	v = http_param(r, "REDIRECT_STATUS");
	st = v != NULL ? atoi(v) : 0;
	if ((http_param(r, "REDIRECT_URI") != NULL ||
	    http_param(r, "REDIRECT_URL") != NULL) && st >= 400 && st <= 599)
		return server_error(r, st);
	if (r->uri_long) {
		if (r->method != M_GET)
			http_drain(r);
		return http_fail(r, 414, "too_large",
		    "the path or query string is too long");
	}
	/* Answered without its body: read it first (see http_drain). */
	if ((rt = route_find(r, &st)) == NULL && r->method != M_GET)
		http_drain(r);
	if (rt == NULL)
		return st == 405 ?
		    http_fail(r, 405, "method_not_allowed",
			"method not allowed here") :
		    http_fail(r, 404, "not_found", "no such endpoint");
	if (r->method != M_GET && (rt->flags & R_STREAM)) {
		/* As a picture's: no form sends application/octet-stream. */
		if (!is_type(http_param(r, "CONTENT_TYPE"),
		    "application/octet-stream")) {
			http_body_drop(r);
			return http_fail(r, 415, "unsupported_media_type",
			    "send the file's bytes with Content-Type "
			    "application/octet-stream");
		}
	} else if (r->method != M_GET && (rt->flags & R_PICTURE)) {
		if (!is_picture_type(http_param(r, "CONTENT_TYPE"))) {
			http_drain(r);
			return http_fail(r, 415, "unsupported_media_type",
			    "send the picture with Content-Type image/png, "
			    "image/jpeg, image/webp or image/gif");
		}
		if ((st = http_read_body(r)) != 0)
			return st;
	} else if (r->method != M_GET) {
		if (!is_json_type(http_param(r, "CONTENT_TYPE"))) {
			http_drain(r);
			return http_fail(r, 415, "unsupported_media_type",
			    "send Content-Type: application/json");
		}
		if ((st = http_read_body(r)) != 0 ||
		    (st = http_parse_json(r)) != 0)
			return st;
	}
	if ((rt->flags & R_SCRIPT) && !from_script(r))
		return http_fail(r, 403, "forbidden", "this GET hands out and "
		    "acks events: send it from a script (fetch), not as a "
		    "picture, a link or a form");
	if (rt->flags & R_AUTH) {
		if ((st = auth_session(r)) != 0) {
			if (rt->flags & R_STREAM)
				http_body_drop(r);
			return st;
		}
		if ((rt->flags & R_USER) && r->guest)
			return http_fail(r, 403, "forbidden",
			    "guests can only talk to strangers");
		user_touch(r->db, r->uid, r->sid_hash, r->username,
		    r->was_online, r->seen_age);
	}
	/*
	 * A handler that returns 0 handed r on (parked, queued) and may have
	 * answered and freed it already: r is not touched after that.
	 */
	r->tx_thread = pthread_self();
	for (i = 0;; i++) {
		r->tx_left = CAP_TX_TRIES - 1 - i;
		r->tx_again = 0;
		if ((st = rt->fn(r)) == 0)
			return 0;
		if (!r->tx_again)
			break;
		/* Lost a deadlock or a conflict: all over again. */
		db_rollback(r->db);
		r->hdr.len = 0;
		tx_backoff(i);
	}
	r->tx_left = 0;
	return st;
}
