/*
 * seed002.c: the adapter for the commands of seed 002 (shared/seeds/
 * 002_b9e201ff5dda5c3f.txt), stranger chat.  POST /api/cmd takes
 * CRT_ACCOUNT (a guest), MATCH, DIALOGUE and LOGOUT and answers as the
 * document shows; GET /api/cmds long-polls PUSH_DIALOGUE and PUSH_SIGNAL
 * (NewSession, PartnerExit).  The seed's clients do not ack, so a cmds
 * poll acks what an earlier cmds answer handed out.  The rules are the
 * native ones (core_accounts.c, core_match.c, core_messages.c); this file
 * parses and formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <json.h>

#include "api_auth.h"
#include "api_poll.h"
#include "caps.h"
#include "core_auth.h"
#include "core_marker.h"
#include "core_match.h"
#include "core_messages.h"
#include "core_users.h"
#include "handlers.h"
#include "http_reply.h"
#include "req.h"
#include "seed.h"
#include "valid.h"

enum cmd {
	CMD_CRT_ACCOUNT,
	CMD_MATCH,
	CMD_DIALOGUE,
	CMD_LOGOUT,
	CMD_PING,
	CMD__MAX
};

static const char *const cmd_names[CMD__MAX] = {
	"CRT_ACCOUNT",	/* CMD_CRT_ACCOUNT */
	"MATCH",	/* CMD_MATCH */
	"DIALOGUE",	/* CMD_DIALOGUE */
	"LOGOUT",	/* CMD_LOGOUT */
	"PING",		/* CMD_PING */
};

/*
 * A refusal: HTTP status st with the contract's error object, plus the
 * seed's "cmd" and a nonzero "code" (the status) for its clients.
 * Returns st.
 */
static int
cmd_fail(struct req *r, const char *cmd, int st, const char *code,
    const char *msg)
{
	struct json_object	*o, *e;

	if (st == 503)
		http_header(r, "Retry-After", "1");
	o = json_object_new_object();
	if (cmd != NULL)
		json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "code", json_object_new_int(st));
	json_object_object_add(o, "message", json_object_new_string(msg));
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return http_reply_json(r, st, o);
}

/*
 * A command that tells someone counts with the user's sends (core_auth.c):
 * 0 when it may go, else the 429 in the cmd form, sent.
 */
static int
cmd_rate(struct req *r, const char *cmd, const char *msg)
{
	int	 wait;

	if ((wait = auth_send_allowed(r->db, r->uid)) == 0)
		return 0;
	http_retry_after(r, wait);
	return cmd_fail(r, cmd, 429, "rate_limited", msg);
}

/* The database failed: 503 in the cmd form. */
static int
cmd_fail_db(struct req *r, const char *cmd)
{
	return cmd_fail(r, cmd, 503, "unavailable",
	    "the database is unavailable, try again");
}

/*
 * An id member k of the command, sent as 1111 or "1111": 1 and *out, or
 * 0 when absent or not a positive id.
 */
static int
get_id(struct req *r, const char *k, int64_t *out)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(r->json, k, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		*out = json_object_get_int64(v);
	else if (!json_object_is_type(v, json_type_string) ||
	    !valid_uint(json_object_get_string(v), out))
		return 0;
	return *out > 0;
}

/* String member k of the command (length in *n), or NULL. */
static const char *
get_str(struct req *r, const char *k, size_t *n)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(r->json, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*n = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/*
 * CRT_ACCOUNT {nickName}: a guest account, logged in (the sid cookie):
 * {"cmd","nickName","accountId"}.
 */
static int
cmd_account(struct req *r, const char *cmd)
{
	struct json_object	*o;
	const char		*nick;
	size_t			 n;
	int64_t			 uid;
	int			 rc;

	if ((nick = get_str(r, "nickName", &n)) == NULL ||
	    !valid_nickname(nick, n))
		return cmd_fail(r, cmd, 400, "bad_request",
		    "nickName must be 1 to 64 characters");
	if ((rc = auth_may_create(r)) == -1)
		return cmd_fail_db(r, cmd);
	if (rc > 0) {
		http_retry_after(r, rc);
		return cmd_fail(r, cmd, 429, "rate_limited",
		    "too many new accounts from this address, try again later");
	}
	if ((rc = auth_guest(r, nick, &uid)) == -1)
		return cmd_fail_db(r, cmd);
	if (rc == 0)
		return cmd_fail(r, cmd, 409, "conflict",
		    "that user name is taken, try again");
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "nickName",
	    json_object_new_string_len(nick, (int)n));
	json_object_object_add(o, "accountId", json_object_new_int64(uid));
	return http_reply_json(r, 200, o);
}

/*
 * MATCH {accountId}: join the stranger queue as oneself.  Matched:
 * {"cmd","partnerId","partnerName","sessionId","code":0}; else
 * {"cmd","code":2,"status":"waiting"} and NewSession comes by GET
 * /api/cmds.
 */
static int
cmd_match(struct req *r, const char *cmd)
{
	struct json_object	*o, *u = NULL, *v;
	struct match_out	 out;
	int64_t			 id;
	int			 st;

	if (!get_id(r, "accountId", &id) || id != r->uid)
		return cmd_fail(r, cmd, 403, "forbidden",
		    "accountId must be your own");
	/* A match tells a stranger. */
	if ((st = cmd_rate(r, cmd, "too many matches, try again later")) != 0)
		return st;
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	switch (match_join(r->db, r->uid, &out)) {
	case MATCH_FULL:
		json_object_put(o);
		json_object_put(u);
		return cmd_fail(r, cmd, 409, "conflict",
		    "you have 5 stranger chats open; end one first");
	case MATCH_WAITING:
		json_object_object_add(o, "code", json_object_new_int(2));
		json_object_object_add(o, "status",
		    json_object_new_string("waiting"));
		return http_reply_json(r, 200, o);
	case MATCH_FOUND:
		if (user_json_by_id(r->db, out.partner_id, 0, &u) != 1)
			break;
		json_object_object_add(o, "partnerId",
		    json_object_new_int64(out.partner_id));
		json_object_object_add(o, "partnerName",
		    json_object_object_get_ex(u, "nickname", &v) ?
		    json_object_get(v) : json_object_new_string(""));
		json_object_object_add(o, "sessionId",
		    json_object_new_int64(out.conv_id));
		json_object_object_add(o, "code", json_object_new_int(0));
		json_object_put(u);
		return http_reply_json(r, 200, o);
	default:
		break;
	}
	json_object_put(o);
	json_object_put(u);
	return cmd_fail_db(r, cmd);
}

/*
 * DIALOGUE {senderId, sessionId, content}: a message from oneself to a
 * conversation (a match, or any conversation one may post to), with a
 * random client_id.  {"code":0}, or a refusal.
 */
static int
cmd_dialogue(struct req *r, const char *cmd)
{
	struct json_object	*o;
	unsigned char		 rnd[12];
	char			 cid[CAP_CLIENT_ID + 1];
	const char		*body;
	size_t			 blen, i;
	struct msg		 m;
	enum msg_result		 rc;
	int64_t			 sender, conv;
	int			 st;

	if (!get_id(r, "senderId", &sender) || sender != r->uid)
		return cmd_fail(r, cmd, 403, "forbidden",
		    "senderId must be your own");
	if (!get_id(r, "sessionId", &conv))
		return cmd_fail(r, cmd, 400, "bad_request",
		    "sessionId must be a session id");
	if ((body = get_str(r, "content", &blen)) == NULL ||
	    !valid_body(body, blen))
		return cmd_fail(r, cmd, 400, "bad_request",
		    "content must be 1 to 4000 characters");
	if ((st = cmd_rate(r, cmd, "too many messages, try again later")) != 0)
		return st;
	switch ((rc = msg_resolve_conv(r->db, r->uid, conv))) {
	case MSG_OK:
		break;
	case MSG_NO_CONV:
		return cmd_fail(r, cmd, 404, "not_found", "no such session");
	case MSG_NOT_MEMBER:
		return cmd_fail(r, cmd, 403, "forbidden",
		    "you are not in this session");
	case MSG_NOT_FRIENDS:
		return cmd_fail(r, cmd, 403, "not_friends",
		    "you can only message your friends");
	case MSG_ENDED:
		return cmd_fail(r, cmd, 409, "conflict",
		    "this session has ended");
	default:
		return cmd_fail_db(r, cmd);
	}
	/* The seed has no message id: each command is a new message. */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return cmd_fail(r, cmd, 500, "internal", "no randomness");
	memcpy(cid, "cmd-", 4);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(cid + 4 + 2 * i, 3, "%02x", rnd[i]);
	rc = msg_send(r->db, r->uid, r->username, conv, cid, strlen(cid),
	    body, blen, &m);
	free(m.body);
	if (rc != MSG_OK && rc != MSG_REPEAT)
		return cmd_fail_db(r, cmd);
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "code", json_object_new_int(0));
	return http_reply_json(r, 200, o);
}

/* LOGOUT: like POST /api/logout; partners get PartnerExit. */
static int
cmd_logout(struct req *r, const char *cmd)
{
	struct json_object	*o;

	if (auth_logout(r, 0) == -1)
		return cmd_fail_db(r, cmd);
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "code", json_object_new_int(0));
	return http_reply_json(r, 200, o);
}

/*
 * POST /api/cmd: one seed 002 command.  CRT_ACCOUNT needs no session,
 * the others do (401).  Refusals are 4xx with the contract's error
 * object plus "cmd" and "code" (the status).
 */
int
h_cmd(struct req *r)
{
	const char	*name;
	size_t		 n;
	int		 c, st;

	/*
	 * The document's client answers each push with {"code": 0}; pushes
	 * are acked by the next GET /api/cmds here, so the answer is taken
	 * and nothing more.
	 */
	if ((name = get_str(r, "cmd", &n)) == NULL) {
		if (json_object_object_get_ex(r->json, "code", NULL) &&
		    json_object_object_length(r->json) == 1)
			return http_reply(r, 200, "{\"code\":0}", 10);
		return cmd_fail(r, NULL, 400, "bad_request", "cmd is required");
	}
	for (c = 0; c < CMD__MAX; c++)
		if (n == strlen(cmd_names[c]) && memcmp(name, cmd_names[c], n) == 0)
			break;
	if (c == CMD__MAX)
		return cmd_fail(r, NULL, 400, "bad_request",
		    "cmd must be CRT_ACCOUNT, MATCH, DIALOGUE, LOGOUT or PING");
	if (c == CMD_CRT_ACCOUNT)
		return cmd_account(r, cmd_names[c]);
	if ((st = auth_session(r)) != 0)
		return st;
	user_touch(r->db, r->uid, r->sid_hash, r->username, r->was_online,
	    r->seen_age);
	switch (c) {
	case CMD_PING:		/* the heartbeat: presence, nothing more */
		return http_reply(r, 200, "{\"cmd\":\"PONG\",\"code\":0}", 23);
	case CMD_MATCH:
		return cmd_match(r, cmd_names[c]);
	case CMD_DIALOGUE:
		return cmd_dialogue(r, cmd_names[c]);
	default:
		return cmd_logout(r, cmd_names[c]);
	}
}

/* The last sender looked up by cmd_item, per fetch. */
struct cmd_ctx {
	char	 name[CAP_USERNAME_MAX + 1];
	int64_t	 id;		/* 0: unknown (account gone) */
};

/*
 * The id of user name, through the fetch's one-entry cache: 0 or -1.
 * *id is 0 when the user is gone (a guest removed after its session).
 */
static int
sender_id(struct req *r, struct cmd_ctx *ctx, const char *name, int64_t *id)
{
	int	 rc;

	if (ctx->name[0] == '\0' || strcmp(ctx->name, name) != 0) {
		if ((rc = user_id_by_name(r->db, name, &ctx->id)) == -1)
			return -1;
		if (rc == 0)
			ctx->id = 0;
		snprintf(ctx->name, sizeof(ctx->name), "%s", name);
	}
	*id = ctx->id;
	return 0;
}

/* An id, or null when unknown. */
static struct json_object *
id_or_null(int64_t id)
{
	return id > 0 ? json_object_new_int64(id) : NULL;
}

/* Member k of o as an int64, 0 when absent. */
static int64_t
member_int(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	return json_object_get_int64(v);
}

/* Member k of o as a string ("" when absent or not a string). */
static const char *
member_str(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/*
 * seed_item for GET /api/cmds: message → PUSH_DIALOGUE, match_found →
 * PUSH_SIGNAL NewSession, partner_left → PUSH_SIGNAL PartnerExit.  Other
 * events have no cmd: 0.
 */
static int
cmd_item(struct req *r, struct json_object *ev, struct json_object *items,
    void *arg)
{
	struct cmd_ctx		*ctx = arg;
	struct json_object	*o, *m, *p, *d, *v;
	const char		*type = member_str(ev, "type");
	int64_t			 who;

	o = json_object_new_object();
	if (strcmp(type, "message") == 0 &&
	    json_object_object_get_ex(ev, "message", &m)) {
		if (sender_id(r, ctx, member_str(m, "sender"), &who) == -1) {
			json_object_put(o);
			return -1;
		}
		json_object_object_add(o, "cmd",
		    json_object_new_string("PUSH_DIALOGUE"));
		json_object_object_add(o, "senderId", id_or_null(who));
		json_object_object_add(o, "sessionId", json_object_new_int64(
		    member_int(m, "conversation_id")));
		json_object_object_add(o, "content", json_object_get(
		    json_object_object_get_ex(m, "body", &v) ? v : NULL));
		/* The document's message is userId/sessionId/content/createdAt. */
		json_object_object_add(o, "createdAt", json_object_new_int64(
		    member_int(m, "sent_at")));
	} else if (strcmp(type, "match_found") == 0 &&
	    json_object_object_get_ex(ev, "partner", &p)) {
		who = member_int(p, "id");
		json_object_object_add(o, "cmd",
		    json_object_new_string("PUSH_SIGNAL"));
		json_object_object_add(o, "signalType",
		    json_object_new_string("NewSession"));
		json_object_object_add(o, "senderId", id_or_null(who));
		json_object_object_add(o, "sessionId", json_object_new_int64(
		    member_int(ev, "conversation_id")));
		json_object_object_add(o, "receiverId",
		    json_object_new_int64(r->uid));
		d = json_object_new_object();
		json_object_object_add(d, "accountId", id_or_null(who));
		json_object_object_add(d, "nickName",
		    json_object_new_string(member_str(p, "nickname")));
		json_object_object_add(o, "data", d);
	} else if (strcmp(type, "partner_left") == 0) {
		if (sender_id(r, ctx, member_str(ev, "user"), &who) == -1) {
			json_object_put(o);
			return -1;
		}
		json_object_object_add(o, "cmd",
		    json_object_new_string("PUSH_SIGNAL"));
		json_object_object_add(o, "signalType",
		    json_object_new_string("PartnerExit"));
		json_object_object_add(o, "senderId", id_or_null(who));
		json_object_object_add(o, "sessionId", json_object_new_int64(
		    member_int(ev, "conversation_id")));
		json_object_object_add(o, "receiverId",
		    json_object_new_int64(r->uid));
		d = json_object_new_object();
		json_object_object_add(d, "accountId", id_or_null(who));
		json_object_object_add(o, "data", d);
	} else {
		json_object_put(o);
		return 0;
	}
	json_object_object_add(o, "eventId",
	    json_object_new_int64(member_int(ev, "id")));
	json_object_array_add(items, o);
	return 1;
}

/* The cmds poll's fetch (waiter_fetch). */
static int
cmds_fetch(struct req *r, int final)
{
	struct cmd_ctx	 ctx;

	memset(&ctx, 0, sizeof(ctx));
	return seed_fetch(r, final, "cmds", cmd_item, &ctx);
}

/*
 * GET /api/cmds?timeout=&ack=: the pushes of seed 002 as {"cmds":[...]},
 * long-polled like GET /api/poll.  First the implicit ack: every event
 * with a cmd form that an earlier poll handed out is deleted (the seed's
 * clients never ack).  So one account must not use this and a native
 * poll at once: the native client's unacked events would go too.
 */
int
h_cmds(struct req *r)
{
	int		 st;

	if ((st = poll_prepare(r)) != 0)
		return st;
	if (marker_ack_cmds(r->db, r->uid) == -1)
		return http_fail_db(r);
	return poll_run(r, cmds_fetch);
}
