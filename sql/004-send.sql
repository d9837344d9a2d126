-- 004: a send in one round trip.  The same four statements the backend
-- ran one by one (next seq with the permission check, the message, one
-- event per other member, commit), in one CALL, so the conversation's row
-- lock is held for one round trip instead of four.  Called by chatd with
-- bound parameters; admins may call it too.
--
-- Result sets, in order:
--   on success: (user_id, event id, created_at ms) for every recipient
--               (none for a topic of one), then (0, message id, seq);
--   refused (not a member, not friends, chat ended, no such conversation):
--               (1, 0, 0);
--   client_id used before by this sender: (2, 0, 0), nothing stored.
-- Any other error (a deadlock, say) rolls back and is raised to the caller.

DELIMITER //
CREATE OR REPLACE PROCEDURE send_message(
	IN p_sender	BIGINT UNSIGNED,
	IN p_conv	BIGINT UNSIGNED,
	IN p_client_id	VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
	IN p_body	TEXT CHARACTER SET utf8mb4,
	IN p_sent_ms	BIGINT,
	IN p_tail	MEDIUMTEXT CHARACTER SET utf8mb4,
	IN p_origin	INT UNSIGNED)
	MODIFIES SQL DATA
	COMMENT 'Store a message and queue it for the other members; p_tail is the event JSON after "seq"'
proc: BEGIN
	DECLARE v_seq, v_id, v_peer BIGINT UNSIGNED;
	DECLARE v_kind VARCHAR(8);
	DECLARE EXIT HANDLER FOR 1062
	BEGIN
		ROLLBACK;
		SELECT 2, 0, 0;
	END;
	DECLARE EXIT HANDLER FOR NOT FOUND
	BEGIN
		ROLLBACK;
		SELECT 1, 0, 0;
	END;
	DECLARE EXIT HANDLER FOR SQLEXCEPTION
	BEGIN
		ROLLBACK;
		RESIGNAL;
	END;

	START TRANSACTION;
	-- A member of a live conversation; the row lock orders the seqs.
	SELECT c.kind, IF(c.user_lo = p_sender, c.user_hi, c.user_lo)
	INTO v_kind, v_peer
	FROM conversation c JOIN conv_member m ON m.conv_id = c.id
		AND m.user_id = p_sender
	WHERE c.id = p_conv AND c.ended_at IS NULL FOR UPDATE;
	-- A direct chat needs the friendship it was made for.
	IF v_kind = 'direct' THEN
		SELECT 1 INTO v_id FROM friendship
		WHERE user_id = p_sender AND friend_id = v_peer
			AND conv_id = p_conv;
	END IF;
	UPDATE conversation SET last_seq = LAST_INSERT_ID(last_seq + 1),
		updated_at = FROM_UNIXTIME(p_sent_ms / 1000)
	WHERE id = p_conv;
	SET v_seq = LAST_INSERT_ID();
	INSERT INTO message (conv_id, seq, sender_id, client_id, body, sent_at)
	VALUES (p_conv, v_seq, p_sender, p_client_id, p_body,
		FROM_UNIXTIME(p_sent_ms / 1000));
	SET v_id = LAST_INSERT_ID();
	IF v_kind = 'direct' THEN
		INSERT INTO event (user_id, type, payload, origin)
		VALUES (v_peer, 'message',
			CONCAT('{"message":{"id":', v_id, ',"conversation_id":',
			p_conv, ',"seq":', v_seq, p_tail), p_origin)
		RETURNING user_id, id,
			CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED);
	ELSE
		INSERT INTO event (user_id, type, payload, origin)
		SELECT user_id, 'message',
			CONCAT('{"message":{"id":', v_id, ',"conversation_id":',
			p_conv, ',"seq":', v_seq, p_tail), p_origin
		FROM conv_member WHERE conv_id = p_conv AND user_id <> p_sender
		RETURNING user_id, id,
			CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED);
	END IF;
	COMMIT;
	SELECT 0, v_id, v_seq;
END//
DELIMITER ;
