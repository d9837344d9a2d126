/*
 * seed003_talk.c: the seed 003 frames that talk to others: a direct
 * message (TYPE "4"), an ack (TYPE "5") and a friendship change (TYPE
 * "6") from POST /api/frame (dispatched by seed003.c), and their pushes,
 * long-polled by GET /api/frames.  The rules are the native ones
 * (core_messages.c, core_friends.c, core_marker.c); this file parses and
 * formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "api_auth.h"
#include "api_poll.h"
#include "caps.h"
#include "core_auth.h"
#include "core_conv.h"
#include "core_friends.h"
#include "core_marker.h"
#include "core_messages.h"
#include "handlers.h"
#include "http.h"
#include "http_reply.h"
#include "req.h"
#include "seed.h"
#include "seed003_frame.h"
#include "seed003_talk.h"
#include "util.h"
#include "valid.h"

/* The TYPE "6" frame's own type: what to do about a friendship. */
enum friend_op {
	FOP_REQUEST = 1,
	FOP_ACCEPT,
	FOP_REJECT,
	FOP_DELETE,
	FOP__MAX
};

/* Why a send was refused, for MF's reason. */
static const char *
msg_reason(enum msg_result rc)
{
	switch (rc) {
	case MSG_NO_USER:
		return "no such user";
	case MSG_SELF:
		return "you cannot message yourself";
	case MSG_NOT_FRIENDS:
		return "you can only message your friends";
	default:
		return "not allowed";
	}
}

/*
 * TYPE "4": a direct message {messageId, sender, receiver, content} from
 * the logged-in user, messageId as its client_id (a resend is stored
 * once).  "MS", or "MF" with a reason.
 */
int
talk_message(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	const char	*snd, *rcv, *body;
	size_t		 slen, rlen, blen;
	struct msg	 m;
	enum msg_result	 rc;
	int64_t		 conv;
	int		 wait;

	snd = frame_str(c, "sender", &slen);
	rcv = frame_str(c, "receiver", &rlen);
	body = frame_str(c, "content", &blen);
	if (!frame_is_me(r, snd, slen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "sender must be you");
	if (!valid_client_id(mid, mlen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "messageId must be 1 to 64 printable ASCII characters");
	if (rcv == NULL || !valid_username(rcv, rlen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "no such user");
	if (body == NULL || !valid_body(body, blen))
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "content must be 1 to 4000 characters");
	if ((wait = auth_send_allowed(r->db, r->uid)) != 0)
		return http_fail_rate(r, wait);
	if ((rc = msg_resolve_user(r->db, r->uid, rcv, &conv)) == MSG_OK)
		rc = msg_send(r->db, r->uid, r->username, conv, mid, mlen,
		    body, blen, &m);
	/*
	 * A repeat is "MS" only when it is the same message (a retry): the
	 * same messageId to another friend, or with other content, stored
	 * nothing, and "MS" would have told the sender it was sent.
	 */
	if (rc == MSG_REPEAT && (m.conv_id != conv || m.body_len != blen ||
	    memcmp(m.body, body, blen) != 0)) {
		free(m.body);
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MF",
		    "messageId was already used for another message");
	}
	if (rc == MSG_OK || rc == MSG_REPEAT) {
		free(m.body);
		return frame_word(r, "RE_MESSAGE", mid, mlen, "MS", NULL);
	}
	if (rc == MSG_ERROR)
		return http_fail_db(r);
	return frame_word(r, "RE_MESSAGE", mid, mlen, "MF", msg_reason(rc));
}

/*
 * TYPE "5": ack {MessageId}: delete the logged-in user's pending events
 * handed out already that this frame id names (marker_ack_frame).
 * RE_ACK "OK", also when none was pending (acks are idempotent).
 */
int
talk_ack(struct req *r, const char *id, size_t idlen, const char *mid,
    size_t mlen)
{
	char		 s[CAP_CLIENT_ID + 1];

	snprintf(s, sizeof(s), "%.*s", (int)idlen, id);
	if (marker_ack_frame(r->db, r->uid, s) == -1)
		return http_fail_db(r);
	return frame_word(r, "RE_ACK", mid, mlen, "OK", NULL);
}

/* Why a friendship change was refused, for FAIL's reason. */
static const char *
fr_reason(enum fr_result rc)
{
	switch (rc) {
	case FR_SELF:
		return "you cannot befriend yourself";
	case FR_NO_USER:
		return "no such user";
	case FR_ALREADY:
		return "you are friends already";
	case FR_DUPLICATE:
		return "you have asked already; wait for an answer";
	case FR_NO_REQUEST:
		return "no such pending request";
	case FR_NOT_FRIENDS:
		return "you are not friends with that user";
	default:
		return "not allowed";
	}
}

/*
 * TYPE "6": {messageId, sender, receiver, content, type}: "1" the
 * logged-in sender asks receiver (content is the note; messageId is kept
 * and comes back in the pushes), "2"/"3" the logged-in receiver accepts or
 * rejects sender's pending request, "4" the logged-in sender ends the
 * friendship with receiver.  RE_FRI_REQ with the time in ms as a string,
 * or "FAIL" with a reason.
 */
int
talk_friend(struct req *r, struct json_object *c, const char *mid,
    size_t mlen)
{
	static const char	 t[] = "RE_FRI_REQ";
	const char		*snd, *rcv, *note, *why = NULL;
	size_t			 slen, rlen, nlen = 0;
	struct fr_out		 out;
	enum fr_result		 rc = FR_ERROR;
	int64_t			 id, at;
	char			 ref[CAP_CLIENT_ID + 1];
	int			 op, st;

	snd = frame_str(c, "sender", &slen);
	rcv = frame_str(c, "receiver", &rlen);
	if ((note = frame_str(c, "content", &nlen)) == NULL)
		note = "";
	op = frame_enum(c, "type", FOP__MAX);
	if (r->guest)
		why = "guests can only talk to strangers";
	else if (op == 0)
		why = "type must be \"1\" to \"4\"";
	else if (op == FOP_REQUEST || op == FOP_DELETE) {
		if (!frame_is_me(r, snd, slen))
			why = "sender must be you";
		else if (rcv == NULL || !valid_username(rcv, rlen))
			why = "no such user";
	} else if (!frame_is_me(r, rcv, rlen))
		why = "receiver must be you";
	else if (snd == NULL || !valid_username(snd, slen))
		why = "no such user";
	if (why == NULL && op == FOP_REQUEST &&
	    !valid_request_text(note, nlen))
		why = "content must be at most 500 characters";
	if (why == NULL && op == FOP_REQUEST && !valid_client_id(mid, mlen))
		why = "messageId must be 1 to 64 printable ASCII characters";
	if (why != NULL)
		return frame_word(r, t, mid, mlen, "FAIL", why);
	/* As POST /api/friends/requests and DELETE /api/friends/{name}. */
	if ((op == FOP_REQUEST || op == FOP_DELETE) &&
	    (st = auth_push_allowed(r)) != 0)
		return st;
	at = now_ms();
	switch (op) {
	case FOP_REQUEST:
		snprintf(ref, sizeof(ref), "%.*s", (int)mlen, mid);
		rc = friend_request(r->db, r->uid, rcv, note, ref, &out);
		if (rc == FR_ACCEPTED)
			rc = FR_OK;	/* they had asked: now friends */
		else if (rc == FR_OK)
			at = out.created_at;	/* as in the push */
		break;
	case FOP_ACCEPT:
	case FOP_REJECT:
		if ((rc = friend_request_by_names(r->db, snd, r->username,
		    &id)) != FR_OK)
			break;
		rc = op == FOP_ACCEPT ? friend_accept(r->db, r->uid, id, &out) :
		    friend_reject(r->db, r->uid, id, &out);
		if (rc == FR_OK)
			at = out.answered_at;	/* as in the push */
		break;
	case FOP_DELETE:
		rc = friend_remove(r->db, r->uid, rcv);
		break;
	}
	if (rc == FR_OK)
		return frame_time(r, t, mid, mlen, at);
	if (rc == FR_ERROR)
		return http_fail_db(r);
	return frame_word(r, t, mid, mlen, "FAIL", fr_reason(rc));
}

/*
 * A push frame: {"CONTENT":content,"TYPE":type,"eventId":id}, CONTENT as a
 * string for GET /api/frames?content=string.  content is taken.
 */
static void
push_frame(struct req *r, struct json_object *items,
    struct json_object *content, const char *type, int64_t ev)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "CONTENT", frame_content(content,
	    r->content_str));
	json_object_object_add(o, "TYPE", json_object_new_string(type));
	json_object_object_add(o, "eventId", json_object_new_int64(ev));
	json_object_array_add(items, o);
}

/* Member k of o as a new string object ("" when absent). */
static struct json_object *
copy_str(struct json_object *o, const char *k)
{
	const char	*s;
	size_t		 n;

	if ((s = frame_str(o, k, &n)) == NULL)
		return json_object_new_string("");
	return json_object_new_string_len(s, (int)n);
}

/* A time in ms as the string the document's pushes carry. */
static struct json_object *
time_str(int64_t ms)
{
	char	 t[24];

	snprintf(t, sizeof(t), "%lld", (long long)ms);
	return json_object_new_string(t);
}

/* The last conversation looked up by talk_item, per fetch. */
struct frame_ctx {
	int64_t	 conv;
	int	 direct;
};

/*
 * seed_item for GET /api/frames: a direct message becomes TYPE "4", a
 * friend notice TYPE "6" (type "1" request, "2" accepted, "3" rejected,
 * "4" removed; for "2" and "3" the sender is the one who answered).  Other
 * events (presence, topics, matches...) have no frame: 0.
 */
static int
talk_item(struct req *r, struct json_object *ev, struct json_object *items,
    void *arg)
{
	struct frame_ctx	*ctx = arg;
	struct json_object	*m, *q, *c;
	const char		*type, *ref;
	char			 id[32];
	size_t			 n;
	int64_t			 evid, conv;
	int			 rc, op;

	if ((type = frame_str(ev, "type", &n)) == NULL)
		return 0;
	evid = frame_int(ev, "id");
	c = json_object_new_object();
	if (strcmp(type, "message") == 0 &&
	    json_object_object_get_ex(ev, "message", &m)) {
		conv = frame_int(m, "conversation_id");
		if (conv != ctx->conv) {
			if ((rc = conv_is_direct(r->db, conv)) == -1) {
				json_object_put(c);
				return -1;
			}
			ctx->direct = rc;
			ctx->conv = conv;
		}
		if (!ctx->direct) {
			json_object_put(c);
			return 0;
		}
		json_object_object_add(c, "messageId",
		    copy_str(m, "client_id"));
		json_object_object_add(c, "sender", copy_str(m, "sender"));
		json_object_object_add(c, "receiver",
		    json_object_new_string(r->username));
		json_object_object_add(c, "time",
		    time_str(frame_int(m, "sent_at")));
		json_object_object_add(c, "content", copy_str(m, "body"));
		push_frame(r, items, c, "4", evid);
		return 1;
	}
	op = strcmp(type, "friend_request") == 0 ? FOP_REQUEST :
	    strcmp(type, "friend_accepted") == 0 ? FOP_ACCEPT :
	    strcmp(type, "friend_rejected") == 0 ? FOP_REJECT :
	    strcmp(type, "friend_removed") == 0 ? FOP_DELETE : 0;
	if (op == 0 || (op != FOP_DELETE &&
	    !json_object_object_get_ex(ev, "request", &q))) {
		json_object_put(c);
		return 0;
	}
	if (op == FOP_DELETE) {
		snprintf(id, sizeof(id), "ev%lld", (long long)evid);
		json_object_object_add(c, "messageId",
		    json_object_new_string(id));
		json_object_object_add(c, "sender", copy_str(ev, "user"));
		json_object_object_add(c, "receiver",
		    json_object_new_string(r->username));
		json_object_object_add(c, "time",
		    time_str(frame_int(ev, "at")));
		json_object_object_add(c, "content",
		    json_object_new_string(""));
	} else {
		if ((ref = frame_str(q, "client_ref", &n)) != NULL)
			json_object_object_add(c, "messageId",
			    json_object_new_string_len(ref, (int)n));
		else {
			snprintf(id, sizeof(id), "fr%lld",
			    (long long)frame_int(q, "id"));
			json_object_object_add(c, "messageId",
			    json_object_new_string(id));
		}
		json_object_object_add(c, "sender",
		    copy_str(q, op == FOP_REQUEST ? "from" : "to"));
		json_object_object_add(c, "receiver",
		    copy_str(q, op == FOP_REQUEST ? "to" : "from"));
		json_object_object_add(c, "time", time_str(op == FOP_REQUEST ?
		    frame_int(q, "created_at") : frame_int(ev, "at")));
		json_object_object_add(c, "content", copy_str(q, "text"));
	}
	snprintf(id, sizeof(id), "%d", op);
	json_object_object_add(c, "type", json_object_new_string(id));
	push_frame(r, items, c, "6", evid);
	return 1;
}

/* The frames poll's fetch (waiter_fetch). */
static int
frames_fetch(struct req *r, int final)
{
	struct frame_ctx	 ctx = { 0, 0 };

	return seed_fetch(r, final, "frames", talk_item, &ctx);
}

/*
 * GET /api/frames?timeout=&ack=&content=: the pushes of seed 003 as
 * {"frames":[...]}, long-polled like GET /api/poll; with content=string
 * each CONTENT is a string holding the object (as the document writes
 * pushes).  A frame stays pending until a TYPE "5" ack names its
 * messageId, or ?ack= its eventId.
 */
int
h_frames(struct req *r)
{
	char	 form[16];
	int	 st;

	if ((st = http_query(r, "content", form, sizeof(form))) == -1 ||
	    (st == 1 && strcmp(form, "string") != 0 &&
	    strcmp(form, "object") != 0))
		return http_fail(r, 400, "bad_request",
		    "content must be \"string\" or \"object\"");
	r->content_str = st == 1 && strcmp(form, "string") == 0;
	if ((st = poll_prepare(r)) != 0)
		return st;
	return poll_run(r, frames_fetch);
}
