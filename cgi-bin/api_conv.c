/*
 * api_conv.c: GET and POST /api/conversations, GET and PATCH
 * /api/conversations/{id}, its members and roles, read marks and leaving.
 * Each checks its fields (the members list of a JSON body too), calls
 * core_conv.c or core_topics.c, turns a refusal into HTTP and answers
 * with the conversation as the user sees it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "api_auth.h"
#include "caps.h"
#include "core_conv.h"
#include "core_topics.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "util.h"
#include "valid.h"

/* The answer to a refusal (or a database error), shared by the handlers. */
static int
fail_conv(struct req *r, enum conv_result rc)
{
	switch (rc) {
	case CONV_NO_CONV:
		return http_fail(r, 404, "not_found", "no such conversation");
	case CONV_NOT_MEMBER:
		return http_fail(r, 403, "forbidden",
		    "you are not in this conversation");
	case CONV_NOT_TOPIC:
		return http_fail(r, 400, "bad_request",
		    "only topics have a title, members and roles to manage");
	case CONV_NOT_ADMIN:
		return http_fail(r, 403, "forbidden",
		    "only the owner and admins may do this");
	case CONV_NOT_OWNER:
		return http_fail(r, 403, "forbidden",
		    "only the owner names admins");
	case CONV_FULL:
		return http_fail(r, 409, "conflict",
		    "a topic holds at most 500 members");
	case CONV_NO_MEMBER:
		return http_fail(r, 404, "not_found", "no such member");
	case CONV_OWNER:
		return http_fail(r, 403, "forbidden",
		    "the owner cannot be removed");
	case CONV_SELF:
		return http_fail(r, 400, "bad_request",
		    "to leave, use POST .../leave");
	case CONV_DIRECT:
		return http_fail(r, 400, "bad_request",
		    "a direct conversation ends by removing the friend");
	default:
		return http_fail_db(r);
	}
}

/*
 * GET /api/conversations: newest activity first, one query; with
 * ?before=<updated_at>&before_id=<id> of the last item of a page, the
 * next page.
 */
int
h_conv_list(struct req *r)
{
	struct buf	 b = { 0 };
	int64_t		 limit, before, before_id;
	int		 rc, hb, hi;

	if (http_query_int(r, "limit", 500, &limit) == -1 || limit < 1 ||
	    limit > 1000)
		return http_fail(r, 400, "bad_request",
		    "limit must be 1 to 1000");
	if ((hb = http_query_int(r, "before", 0, &before)) == -1 ||
	    (hi = http_query_int(r, "before_id", 0, &before_id)) == -1 ||
	    hb != hi)
		return http_fail(r, 400, "bad_request", "before and before_id "
		    "go together: the last item's updated_at and id");
	if (conv_list(r->db, r->uid, limit, hb ? before : -1, before_id,
	    &b) == -1) {
		buf_free(&b);
		return http_fail_db(r);
	}
	rc = http_reply(r, 200, b.p, b.len);
	buf_free(&b);
	return rc;
}

/*
 * Reply with conversation conv as r's user sees it: the list item plus
 * "members_detail" (name, nickname, avatar, online, role, read_seq).
 */
static int
reply_conv(struct req *r, int st, int64_t conv)
{
	struct buf		 b = { 0 };
	enum conv_result	 rc;

	if ((rc = conv_json(r->db, r->uid, conv, &b)) != CONV_OK) {
		buf_free(&b);
		return fail_conv(r, rc);
	}
	st = http_reply(r, st, b.p, b.len);
	buf_free(&b);
	return st;
}

/* GET /api/conversations/{id}: members only. */
int
h_conv_get(struct req *r)
{
	enum conv_result	 rc;
	int64_t			 conv, role;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((rc = conv_member(r->db, r->uid, conv, &role)) != CONV_OK)
		return fail_conv(r, rc);
	return reply_conv(r, 200, conv);
}

/*
 * The "members" field of r's body as a JSON array text of valid user
 * names (1..CAP_TOPIC_MEMBERS, or 0.. when empty_ok) into out, and its
 * length into *n.  0, or the status already sent.
 */
static int
member_names(struct req *r, struct buf *out, size_t *n, int empty_ok)
{
	struct json_object	*a, *v;
	size_t			 i, len;
	const char		*s;

	*n = 0;
	if (!json_object_object_get_ex(r->json, "members", &a) ||
	    !json_object_is_type(a, json_type_array))
		return http_fail(r, 400, "bad_request",
		    "members must be an array of user names");
	*n = json_object_array_length(a);
	if (*n > CAP_TOPIC_MEMBERS)
		return http_fail(r, 400, "bad_request",
		    "a topic holds at most 500 members");
	if (*n == 0 && !empty_ok)
		return http_fail(r, 400, "bad_request",
		    "members must name at least one friend");
	buf_addc(out, '[');
	for (i = 0; i < *n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return http_fail(r, 400, "bad_request",
			    "members must be an array of user names");
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (!valid_username(s, len))
			return http_fail(r, 400, "bad_request",
			    "members holds a name that is not valid");
		if (i)
			buf_addc(out, ',');
		buf_json_str(out, s, len);
	}
	buf_addc(out, ']');
	return 0;
}

/*
 * Distinct names (any case) in a validated list, r's own name not counted
 * (you are in the topic already; the friends-only statements skip you).
 * For the count check.
 */
static size_t
distinct_names(struct req *r)
{
	struct json_object	*a;
	size_t			 i, k, n, d = 0;
	const char		*s, *t;

	json_object_object_get_ex(r->json, "members", &a);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		if (strcasecmp(s, r->username) == 0)
			continue;
		for (k = 0; k < i; k++) {
			t = json_object_get_string(
			    json_object_array_get_idx(a, k));
			if (strcasecmp(s, t) == 0)
				break;
		}
		if (k == i)
			d++;
	}
	return d;
}

/*
 * POST /api/conversations {title, members}: a topic with the creator as
 * owner and the named friends as members (403 not_friends if any named
 * user is not a friend).  201 conversation; members get
 * conversation_updated.
 */
int
h_conv_create(struct req *r)
{
	static const struct field fields[] = {
		{ "title", valid_title, F_REQUIRED },
	};
	struct fval		 title;
	struct buf		 names = { 0 };
	enum conv_result	 rc;
	size_t			 n, d;
	int64_t			 conv;
	int			 st;

	if ((st = http_fields(r, fields, 1, &title)) != 0 ||
	    (st = member_names(r, &names, &n, 0)) != 0) {
		buf_free(&names);
		return st;
	}
	if ((d = distinct_names(r)) == 0) {
		buf_free(&names);
		return http_fail(r, 400, "bad_request",
		    "members must name at least one friend");
	}
	if (d + 1 > CAP_TOPIC_MEMBERS) {	/* + the owner */
		buf_free(&names);
		return http_fail(r, 400, "bad_request",
		    "a topic holds at most 500 members, you included");
	}
	if ((st = auth_push_allowed(r)) != 0) {
		buf_free(&names);
		return st;
	}
	rc = topic_create(r->db, r->uid, title.s, names.p, d, &conv);
	buf_free(&names);
	if (rc == CONV_NOT_FRIENDS)
		return http_fail(r, 403, "not_friends",
		    "topic members must be your friends");
	if (rc != CONV_OK)
		return fail_conv(r, rc);
	return reply_conv(r, 201, conv);
}

/* PATCH /api/conversations/{id} {title?, avatar_url?}: owner or admin. */
int
h_conv_patch(struct req *r)
{
	static const struct field fields[] = {
		{ "title",	valid_title,	0 },
		{ "avatar_url",	valid_picture_url,	0 },
	};
	struct fval		 v[2];
	enum conv_result	 rc;
	int64_t			 conv;
	int			 st;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = http_fields(r, fields, 2, v)) != 0)
		return st;
	if (v[0].s == NULL && v[1].s == NULL)
		return http_fail(r, 400, "bad_request",
		    "give a title or an avatar_url");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((rc = topic_patch(r->db, r->uid, conv, v[0].s,
	    v[1].s)) != CONV_OK)
		return fail_conv(r, rc);
	return reply_conv(r, 200, conv);
}

/*
 * POST /api/conversations/{id}/members {members}: owner or admin adds
 * friends of theirs (403 not_friends, and nothing added, if any named user
 * is not); members already in stay as they are.  200 conversation.
 */
int
h_conv_add_members(struct req *r)
{
	struct buf		 names = { 0 };
	enum conv_result	 rc;
	int64_t			 conv;
	size_t			 n;
	int			 st;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = member_names(r, &names, &n, 0)) != 0 ||
	    (st = auth_push_allowed(r)) != 0) {
		buf_free(&names);
		return st;
	}
	rc = topic_add(r->db, r->uid, conv, names.p, distinct_names(r));
	buf_free(&names);
	if (rc == CONV_NOT_FRIENDS)
		return http_fail(r, 403, "not_friends",
		    "you can only add your friends");
	if (rc != CONV_OK)
		return fail_conv(r, rc);
	return reply_conv(r, 200, conv);
}

/*
 * DELETE /api/conversations/{id}/members/{username}: owner or admin
 * removes a member (not the owner).  The removed member and the others
 * get conversation_updated; the removed one stops receiving.  204.
 */
int
h_conv_remove_member(struct req *r)
{
	enum conv_result	 rc;
	int64_t			 conv;
	int			 st;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((rc = topic_remove(r->db, r->uid, conv,
	    http_path(r, 1))) != CONV_OK)
		return fail_conv(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/*
 * PATCH /api/conversations/{id}/members/{username} {role: admin|member}:
 * the owner makes or unmakes admins.  200 conversation.
 */
int
h_conv_set_role(struct req *r)
{
	struct json_object	*v;
	enum conv_result	 rc;
	const char		*role;
	int64_t			 conv;
	int			 st;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if (!json_object_object_get_ex(r->json, "role", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (strcmp(role = json_object_get_string(v), "admin") != 0 &&
	    strcmp(role, "member") != 0))
		return http_fail(r, 400, "bad_request",
		    "role must be admin or member");
	if ((st = auth_push_allowed(r)) != 0)
		return st;
	if ((rc = topic_set_role(r->db, r->uid, conv, http_path(r, 1),
	    role)) != CONV_OK)
		return fail_conv(r, rc);
	return reply_conv(r, 200, conv);
}

/*
 * POST /api/conversations/{id}/read {seq}: my read mark moves up to seq
 * (never back, never past the last message); the other members get a
 * read event {conversation_id, user, seq}.  204.
 */
int
h_conv_read(struct req *r)
{
	struct json_object	*v;
	enum conv_result	 rc;
	int64_t			 conv, seq;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if (!json_object_object_get_ex(r->json, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (seq = json_object_get_int64(v)) < 0)
		return http_fail(r, 400, "bad_request",
		    "seq must be a message seq");
	if ((rc = conv_read(r->db, r->uid, r->username, conv,
	    seq)) != CONV_OK)
		return fail_conv(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/*
 * POST /api/conversations/{id}/leave: a topic (the owner's role passes to
 * an admin or the longest member; the rest get conversation_updated) or a
 * stranger chat (it ends; the partner gets partner_left).  204.
 */
int
h_conv_leave(struct req *r)
{
	enum conv_result	 rc;
	int64_t			 conv;

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if ((rc = topic_leave(r->db, r->uid, conv)) != CONV_OK)
		return fail_conv(r, rc);
	return http_reply(r, 204, NULL, 0);
}

/*
 * POST /api/conversations/{id}/mute {"muted":true|false}: for all of my
 * devices (the others get conversation_updated, change "muted").  200
 * {"conversation_id","muted"}.
 */
int
h_conv_mute(struct req *r)
{
	struct json_object	*v;
	enum conv_result	 rc;
	int64_t			 conv;
	int			 on;
	char			 b[80];

	if (http_path_id(r, 0, &conv) == -1)
		return http_fail(r, 400, "bad_request", "bad conversation id");
	if (!json_object_object_get_ex(r->json, "muted", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return http_fail(r, 400, "bad_request",
		    "muted must be true or false");
	on = json_object_get_boolean(v);
	if ((rc = conv_mute(r->db, r->uid, conv, on)) != CONV_OK)
		return fail_conv(r, rc);
	snprintf(b, sizeof(b), "{\"conversation_id\":%lld,\"muted\":%s}",
	    (long long)conv, on ? "true" : "false");
	return http_reply(r, 200, b, strlen(b));
}
