-- 005: several sends in one transaction.  chatd gathers the sends that
-- arrive while another batch is being stored and runs them in one CALL:
-- one round trip, one commit and one statement parse for all of them
-- instead of one each (MariaDB's CPU per message about halves at eight
-- per batch; see docs/BENCHMARKS.md).  Each item does exactly what
-- send_message does, under a savepoint, so one refused item leaves the
-- others alone.  Admins may call it too.
--
-- The item's statements are send_message's, written out again on purpose:
-- keep the two in step.  One inner procedure called by both (with OUT
-- parameters and its own savepoint) was measured at 5-10% more of
-- MariaDB's CPU per send, one procedure call more per message.
--
-- p_items: a JSON array of [sender, conversation, client_id, body,
-- sent_ms, tail] arrays (tail: the event JSON after "seq", as for
-- send_message).  Callers sort it by conversation, so that two batches
-- take their row locks in the same order.
--
-- Result sets, for each item in order:
--   stored: (user_id, event id, created_at ms) for every recipient (none
--           for a topic of one), then (item, 0, message id, seq);
--   refused (not a member, not friends, chat ended, no such conversation):
--           (item, 1, 0, 0);
--   client_id used before by this sender: (item, 2, 0, 0).
-- item counts from 1.  Any other error (a deadlock, say) rolls the whole
-- batch back and is raised to the caller.

DELIMITER //
CREATE OR REPLACE PROCEDURE send_batch(
	IN p_items	LONGTEXT CHARACTER SET utf8mb4,
	IN p_origin	INT UNSIGNED)
	MODIFIES SQL DATA
	COMMENT 'send_message for each item of a JSON array, in one transaction'
BEGIN
	DECLARE v_done INT DEFAULT 0;
	DECLARE i_n, i_sender, i_conv BIGINT UNSIGNED;
	DECLARE i_ms BIGINT;
	DECLARE i_cid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
	DECLARE i_body TEXT CHARACTER SET utf8mb4;
	DECLARE i_tail MEDIUMTEXT CHARACTER SET utf8mb4;
	DECLARE items CURSOR FOR SELECT * FROM JSON_TABLE(p_items, '$[*]'
		COLUMNS (n FOR ORDINALITY,
			s BIGINT UNSIGNED PATH '$[0]',
			c BIGINT UNSIGNED PATH '$[1]',
			k VARCHAR(64) CHARACTER SET ascii PATH '$[2]',
			b TEXT CHARACTER SET utf8mb4 PATH '$[3]',
			t BIGINT PATH '$[4]',
			x MEDIUMTEXT CHARACTER SET utf8mb4 PATH '$[5]')) j;
	DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = 1;
	DECLARE EXIT HANDLER FOR SQLEXCEPTION
	BEGIN
		ROLLBACK;
		RESIGNAL;
	END;

	START TRANSACTION;
	OPEN items;
	item: LOOP
		FETCH items INTO i_n, i_sender, i_conv, i_cid, i_body, i_ms,
			i_tail;
		IF v_done THEN
			LEAVE item;
		END IF;
		SAVEPOINT item;
		BEGIN
		DECLARE v_seq, v_id, v_peer BIGINT UNSIGNED;
		DECLARE v_kind VARCHAR(8);
		DECLARE v_st INT DEFAULT 0;
		BEGIN
			DECLARE EXIT HANDLER FOR 1062 SET v_st = 2;
			DECLARE EXIT HANDLER FOR NOT FOUND SET v_st = 1;
			-- From here on, send_message's statements.
			SELECT c.kind, IF(c.user_lo = i_sender, c.user_hi,
				c.user_lo)
			INTO v_kind, v_peer
			FROM conversation c JOIN conv_member m
				ON m.conv_id = c.id AND m.user_id = i_sender
			WHERE c.id = i_conv AND c.ended_at IS NULL FOR UPDATE;
			IF v_kind = 'direct' THEN
				SELECT 1 INTO v_id FROM friendship
				WHERE user_id = i_sender AND friend_id = v_peer
					AND conv_id = i_conv;
			END IF;
			UPDATE conversation
			SET last_seq = LAST_INSERT_ID(last_seq + 1),
				updated_at = FROM_UNIXTIME(i_ms / 1000)
			WHERE id = i_conv;
			SET v_seq = LAST_INSERT_ID();
			INSERT INTO message (conv_id, seq, sender_id, client_id,
				body, sent_at)
			VALUES (i_conv, v_seq, i_sender, i_cid, i_body,
				FROM_UNIXTIME(i_ms / 1000));
			SET v_id = LAST_INSERT_ID();
			IF v_kind = 'direct' THEN
				INSERT INTO event (user_id, type, payload, origin)
				VALUES (v_peer, 'message',
					CONCAT('{"message":{"id":', v_id,
					',"conversation_id":', i_conv,
					',"seq":', v_seq, i_tail), p_origin)
				RETURNING user_id, id, CAST(UNIX_TIMESTAMP(
					created_at) * 1000 AS SIGNED);
			ELSE
				INSERT INTO event (user_id, type, payload, origin)
				SELECT user_id, 'message',
					CONCAT('{"message":{"id":', v_id,
					',"conversation_id":', i_conv,
					',"seq":', v_seq, i_tail), p_origin
				FROM conv_member
				WHERE conv_id = i_conv AND user_id <> i_sender
				RETURNING user_id, id, CAST(UNIX_TIMESTAMP(
					created_at) * 1000 AS SIGNED);
			END IF;
		END;
		IF v_st <> 0 THEN
			ROLLBACK TO SAVEPOINT item;
			SELECT i_n, v_st, 0, 0;
		ELSE
			SELECT i_n, 0, v_id, v_seq;
		END IF;
		END;
	END LOOP;
	CLOSE items;
	COMMIT;
END//
DELIMITER ;
