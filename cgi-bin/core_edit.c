/*
 * core_edit.c: a message changed after it was sent (issue 24).  Its sender
 * edits it (same id and seq, edited_at set) or deletes it; in a group the
 * owner and admins delete others' too.  A deletion blanks the body in the
 * database, not only on screen.  The members are told by an event through
 * the pending-ACK table (message_edited, message_deleted) carrying the
 * message as it is now, and the "message" events still pending for it are
 * rewritten to that state too: a member offline meanwhile never receives
 * the old text.  The search index (core_search.c) follows in the same
 * transaction.  Also the reply a send may carry: the message answered,
 * checked to be of the same conversation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_conv.h"
#include "core_edit.h"
#include "core_events.h"
#include "core_files.h"
#include "core_messages.h"
#include "core_search.h"
#include "db.h"
#include "util.h"
#include "wake.h"

enum stmt {
	STMT_LOCK,
	STMT_EDIT,
	STMT_DELETE,
	STMT_PENDING,
	STMT_REPLY,
	STMT__MAX
};

static const char *const stmts[STMT__MAX] = {
	/* STMT_LOCK: the message, locked until the change commits. */
	"SELECT conv_id, sender_id, deleted_at IS NOT NULL, "
	"notice IS NOT NULL, body, client_id FROM message WHERE id = ? "
	"FOR UPDATE",
	/* STMT_EDIT */
	"UPDATE message SET body = ?, edited_at = NOW(3) WHERE id = ?",
	/* STMT_DELETE: the text is gone from the table. */
	"UPDATE message SET body = '', deleted_at = NOW(3) WHERE id = ?",
	/*
	 * STMT_PENDING: the members' "message" events for it not acked yet
	 * (a few per member at most, found by k_event_user) now carry its
	 * new state.  Their payload starts as send_batch writes it.
	 */
	"UPDATE event e JOIN conv_member c ON c.user_id = e.user_id "
	"SET e.payload = ? WHERE c.conv_id = ? AND e.type = 'message' "
	"AND e.payload LIKE ?",
	/* STMT_REPLY: a message of conversation conv, as a quote shows it. */
	"SELECT r.id, r.seq, u.username, LEFT(r.body, 100), "
	"r.deleted_at IS NOT NULL FROM message r "
	"JOIN user u ON u.id = r.sender_id WHERE r.id = ? AND r.conv_id = ?",
};

/*
 * ,"reply_to":{...} for message id of conversation conv appended to out,
 * for a send there (its sender checked to be a member first): EDIT_OK,
 * EDIT_NO_REPLY (no such message in conv) or EDIT_ERROR.
 */
enum edit_result
msg_reply_find(struct db *db, int64_t conv, int64_t id, struct buf *out)
{
	struct dbres	*res;
	size_t		 n;
	const char	*snip;
	int		 rc;

	if ((res = db_query(db, stmts[STMT_REPLY], "ii", id, conv)) == NULL)
		return EDIT_ERROR;
	if ((rc = db_row(res)) == 1) {
		snip = db_str(res, 3, &n);
		msg_reply_json(out, db_int(res, 0), db_int(res, 1),
		    db_str(res, 2, NULL), snip, n, db_int(res, 4) != 0);
	}
	db_res_free(res);
	return rc == -1 ? EDIT_ERROR : rc == 0 ? EDIT_NO_REPLY : EDIT_OK;
}

/*
 * Lock message id and see whether uid may change it (del: delete, else
 * edit): EDIT_OK with a transaction open, its conversation in *conv, its
 * text in old (to take out of the search index), its sender's client_id
 * in cid (its file's), *gone when already deleted; else a refusal,
 * rolled back.
 */
static enum edit_result
edit_begin(struct db *db, int64_t uid, int64_t id, int del, int64_t *conv,
    struct buf *old, struct buf *cid, int64_t *sender, int *gone)
{
	struct dbres	*res;
	enum edit_result rc = EDIT_OK;
	enum msg_result	 mr;
	const char	*body;
	size_t		 n;
	int64_t		 role = 0;
	int		 found, notice = 0;

	if (db_begin(db) == -1)
		return EDIT_ERROR;
	if ((res = db_query(db, stmts[STMT_LOCK], "i", id)) == NULL)
		goto fail;
	if ((found = db_row(res)) == 1) {
		*conv = db_int(res, 0);
		*sender = db_int(res, 1);
		*gone = db_int(res, 2) != 0;
		notice = db_int(res, 3) != 0;
		body = db_str(res, 4, &n);
		buf_add(old, body, n);
		body = db_str(res, 5, &n);
		buf_add(cid, body, n);
		buf_addc(cid, '\0');
	}
	db_res_free(res);
	if (found == -1 || (found == 1 &&
	    (found = conv_role(db, uid, *conv, &role)) == -1))
		goto fail;
	/* Not a member: as if there were no such message. */
	if (found == 0)
		rc = EDIT_NO_MSG;
	else if (notice)
		rc = EDIT_NOTICE;
	else if (*sender != uid && (!del || role == ROLE_MEMBER ||
	    role >= ROLE_NOT_TOPIC))
		rc = EDIT_NOT_YOURS;
	else if (*gone && !del)
		rc = EDIT_DELETED;
	else if (!del) {
		/* An edit is a send: friends only, a live stranger chat. */
		mr = msg_resolve_conv(db, uid, *conv);
		rc = mr == MSG_OK ? EDIT_OK : mr == MSG_NOT_FRIENDS ?
		    EDIT_NOT_FRIENDS : mr == MSG_ENDED ? EDIT_ENDED :
		    EDIT_ERROR;
	}
	if (rc != EDIT_OK)
		db_rollback(db);
	return rc;
fail:
	db_rollback(db);
	return EDIT_ERROR;
}

/*
 * Message id as it is now into out, and to every member of conv as an
 * event of type (the actor's other devices too), the pending copies of
 * its "message" event rewritten; commit and wake.  EDIT_OK or EDIT_ERROR
 * (rolled back).
 */
static enum edit_result
edit_finish(struct db *db, int64_t id, int64_t conv, const char *type,
    struct buf *out)
{
	struct buf	 p = { 0 }, like = { 0 };
	struct ids	 wake = { 0 };
	size_t		 at = out->len;

	if (msg_one(db, id, out) != 1)
		goto fail;
	buf_adds(&p, "{\"message\":");
	buf_add(&p, out->p + at, out->len - at);
	buf_addc(&p, '}');
	buf_addf(&like, "{\"message\":{\"id\":%lld,\"conversation_id\":%%",
	    (long long)id);
	if (db_exec(db, stmts[STMT_PENDING], "sis", p.p, conv, like.p) < 0 ||
	    event_push_members(db, conv, 0, type, p.p, &wake) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	wake_users(wake.v, wake.n);
	ids_free(&wake);
	buf_free(&p);
	buf_free(&like);
	return EDIT_OK;
fail:
	db_rollback(db);
	out->len = at;
	ids_free(&wake);
	buf_free(&p);
	buf_free(&like);
	return EDIT_ERROR;
}

/*
 * uid's message id gets body (blen bytes, valid): EDIT_OK with the
 * message as it is now appended to out, or a refusal (EDIT_NO_MSG,
 * EDIT_NOT_YOURS, EDIT_NOTICE, EDIT_DELETED, EDIT_NOT_FRIENDS,
 * EDIT_ENDED) or EDIT_ERROR.
 */
enum edit_result
msg_edit(struct db *db, int64_t uid, int64_t id, const char *body,
    size_t blen, struct buf *out)
{
	struct buf	 old = { 0 }, cid = { 0 };
	enum edit_result rc;
	int64_t		 conv, sender;
	int		 gone;

	rc = edit_begin(db, uid, id, 0, &conv, &old, &cid, &sender, &gone);
	if (rc == EDIT_OK && (db_exec(db, stmts[STMT_EDIT], "bi", body, blen,
	    id) < 0 || search_forget_message(db, conv, id, old.len ? old.p :
	    "", old.len) == -1 ||
	    search_index_message(db, conv, id, body, blen) == -1)) {
		db_rollback(db);
		rc = EDIT_ERROR;
	}
	if (rc == EDIT_OK)
		rc = edit_finish(db, id, conv, "message_edited", out);
	buf_free(&old);
	buf_free(&cid);
	return rc;
}

/*
 * uid deletes message id (its own, or any in a group it owns or is an
 * admin of): the body blanked, deleted_at set, its file (if any) removed
 * after the commit.  EDIT_OK with the message as it is now appended to
 * out (already deleted: the same, nobody told again), or a refusal as
 * msg_edit's, or EDIT_ERROR.
 */
enum edit_result
msg_delete(struct db *db, int64_t uid, int64_t id, struct buf *out)
{
	struct buf	 old = { 0 }, cid = { 0 };
	enum edit_result rc;
	int64_t		 conv, sender;
	int		 gone;

	rc = edit_begin(db, uid, id, 1, &conv, &old, &cid, &sender, &gone);
	if (rc == EDIT_OK && gone) {
		db_rollback(db);
		rc = msg_one(db, id, out) == 1 ? EDIT_OK : EDIT_ERROR;
	} else if (rc == EDIT_OK) {
		if (db_exec(db, stmts[STMT_DELETE], "i", id) < 0 ||
		    search_forget_message(db, conv, id, old.len ? old.p : "",
		    old.len) == -1) {
			db_rollback(db);
			rc = EDIT_ERROR;
		} else
			rc = edit_finish(db, id, conv, "message_deleted", out);
	}
	/* Deleting again removes a file a failure here left behind. */
	if (rc == EDIT_OK && file_drop_message(db, sender, cid.p) == -1)
		LOG("delete: the file of message %lld not removed",
		    (long long)id);
	buf_free(&old);
	buf_free(&cid);
	return rc;
}
