/*
 * seed003_frame.c: the form of seed 003's frames (shared/seeds/
 * 003_fd3dec27408feecf.txt), for seed003.c and seed003_talk.c: members of
 * a frame's CONTENT read the way the document's clients send them, a
 * CONTENT that is a JSON string holding the object, and the reply and
 * push frames the document shows.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "caps.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "seed003_frame.h"

/* String member k of object o (borrowed, length in *n), or NULL. */
const char *
frame_str(struct json_object *o, const char *k, size_t *n)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*n = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Integer member k of o, or 0 when absent or not an integer. */
int64_t
frame_int(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/*
 * A small enumeration sent as "1" or 1: its value in 1..max-1, or 0.
 */
int
frame_enum(struct json_object *o, const char *k, int max)
{
	struct json_object	*v;
	const char		*s;
	int64_t			 n = 0;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (json_object_get_string_len(v) == 1 && s[0] >= '1' &&
		    s[0] <= '9')		/* "3\u0000junk" is not "3" */
			n = s[0] - '0';
	}
	return n >= 1 && n < max ? (int)n : 0;
}

/* Is the counted name the logged-in user's (names ignore case)? */
int
frame_is_me(struct req *r, const char *s, size_t n)
{
	return s != NULL && n == strlen(r->username) &&
	    strncasecmp(s, r->username, n) == 0;
}

/*
 * Parse s (n bytes) as one JSON object, the way request bodies are (UTF-8,
 * strict, RFC 8259, depth capped); surrounding white space is allowed.
 * The object, or NULL.
 */
struct json_object *
frame_parse(const char *s, size_t n)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 end;

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	if (http_json_ok(s, n) != 1)
		return NULL;
	tok = json_tokener_new_ex(CAP_JSON_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    end != n || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * A frame's CONTENT as it goes out: the object c, or (as_str) a string
 * holding it, as the document writes most frames.  c is taken.
 */
struct json_object *
frame_content(struct json_object *c, int as_str)
{
	struct json_object	*s;

	if (!as_str)
		return c;
	s = json_object_new_string(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(c);
	return s;
}

/*
 * Answer the reply frame {"CONTENT":{"MessageId":id,"Content":content},
 * "TYPE":type}, with "reason" in CONTENT when not NULL.  content is taken.
 * 200; the status sent.
 */
int
frame_reply(struct req *r, const char *type, const char *id, size_t idlen,
    struct json_object *content, const char *reason)
{
	struct json_object	*o, *c;

	c = json_object_new_object();
	json_object_object_add(c, "MessageId",
	    json_object_new_string_len(id, (int)idlen));
	json_object_object_add(c, "Content", content);
	if (reason != NULL)
		json_object_object_add(c, "reason",
		    json_object_new_string(reason));
	o = json_object_new_object();
	json_object_object_add(o, "CONTENT", frame_content(c, r->content_str));
	json_object_object_add(o, "TYPE", json_object_new_string(type));
	return http_reply_json(r, 200, o);
}

/* A reply frame whose Content is a short word ("SS", "MF", ...). */
int
frame_word(struct req *r, const char *type, const char *id, size_t idlen,
    const char *word, const char *reason)
{
	return frame_reply(r, type, id, idlen, json_object_new_string(word),
	    reason);
}

/* A reply frame whose Content is a time in ms, as a string. */
int
frame_time(struct req *r, const char *type, const char *id, size_t idlen,
    int64_t ms)
{
	char	 t[24];

	snprintf(t, sizeof(t), "%lld", (long long)ms);
	return frame_word(r, type, id, idlen, t, NULL);
}
