-- 023: send_batch indexes each message's search grams in the send's own
-- transaction.  Before, chatd wrote them after the send's commit in a
-- statement and commit of their own (021), and the sender's answer and the
-- recipients' wake-up waited for it: about half a millisecond of every
-- message's delivery here (docs/BENCHMARKS.md, nineteenth round).  Now a
-- message and its grams commit together, in one round trip and one
-- commit, and search finds a message as soon as its send is answered.
--
-- p_items as in 006, each item with an optional seventh element: a JSON
-- array of the message's grams (strings of 2 or 3 lower-cased
-- characters, cut by core_search.c).  An item without it (send_message,
-- an older chatd) is indexed later by the sweeper (search_catch_up), as
-- is anything a crash left out.  The answer is 006's.  Safe to run again.

DELIMITER //
CREATE OR REPLACE PROCEDURE send_batch(
	IN p_items	LONGTEXT CHARACTER SET utf8mb4,
	IN p_origin	INT UNSIGNED)
	MODIFIES SQL DATA
	COMMENT 'Store each message of a JSON array, its events and its search grams in one transaction'
BEGIN
	DECLARE v_i, v_n INT UNSIGNED DEFAULT 0;
	DECLARE v_item LONGTEXT CHARACTER SET utf8mb4;
	DECLARE v_out MEDIUMTEXT CHARACTER SET ascii DEFAULT '';
	DECLARE i_sender, i_conv BIGINT UNSIGNED;
	DECLARE i_ms BIGINT;
	DECLARE i_cid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
	DECLARE i_body TEXT CHARACTER SET utf8mb4;
	DECLARE i_tail MEDIUMTEXT CHARACTER SET utf8mb4;
	DECLARE EXIT HANDLER FOR SQLEXCEPTION
	BEGIN
		ROLLBACK;
		RESIGNAL;
	END;

	START TRANSACTION;
	SET v_n = JSON_LENGTH(p_items);
	WHILE v_i < v_n DO
		SET v_item = JSON_EXTRACT(p_items, CONCAT('$[', v_i, ']'));
		SET v_i = v_i + 1;
		SET i_sender = JSON_VALUE(v_item, '$[0]'),
			i_conv = JSON_VALUE(v_item, '$[1]'),
			i_cid = JSON_VALUE(v_item, '$[2]'),
			i_body = JSON_VALUE(v_item, '$[3]'),
			i_ms = JSON_VALUE(v_item, '$[4]'),
			i_tail = JSON_VALUE(v_item, '$[5]');
		BEGIN
		DECLARE v_seq, v_id, v_peer, v_ev BIGINT UNSIGNED DEFAULT 0;
		DECLARE v_kind VARCHAR(8);
		DECLARE v_was DATETIME(3);
		DECLARE v_st INT DEFAULT 0;
		BEGIN
			DECLARE EXIT HANDLER FOR 1062 SET v_st = 2;
			DECLARE EXIT HANDLER FOR NOT FOUND SET v_st = 1;
			-- A member of a live conversation; the row lock orders
			-- the seqs.
			SELECT c.kind, IF(c.user_lo = i_sender, c.user_hi,
				c.user_lo), c.updated_at
			INTO v_kind, v_peer, v_was
			FROM conversation c JOIN conv_member m
				ON m.conv_id = c.id AND m.user_id = i_sender
			WHERE c.id = i_conv AND c.ended_at IS NULL FOR UPDATE;
			-- A direct chat needs the friendship it was made for.
			IF v_kind = 'direct' THEN
				SELECT 1 INTO v_id FROM friendship
				WHERE user_id = i_sender AND friend_id = v_peer
					AND conv_id = i_conv;
			ELSE
				SET v_peer = 0;
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
			-- Its search grams, if the caller cut them (core_search.c).
			INSERT IGNORE INTO msg_gram (gram, conv_id, msg_id)
			SELECT j.g, i_conv, v_id
			FROM JSON_TABLE(v_item, '$[6][*]' COLUMNS (
				g VARCHAR(16) CHARACTER SET utf8mb4 PATH '$')) AS j;
			IF v_kind = 'direct' THEN
				INSERT INTO event (user_id, type, payload, origin,
					created_at)
				VALUES (v_peer, 'message',
					CONCAT('{"message":{"id":', v_id,
					',"conversation_id":', i_conv,
					',"seq":', v_seq, i_tail), p_origin,
					FROM_UNIXTIME(i_ms / 1000));
				SET v_ev = LAST_INSERT_ID();
			ELSE
				INSERT INTO event (user_id, type, payload, origin,
					created_at)
				SELECT user_id, 'message',
					CONCAT('{"message":{"id":', v_id,
					',"conversation_id":', i_conv,
					',"seq":', v_seq, i_tail), p_origin,
					FROM_UNIXTIME(i_ms / 1000)
				FROM conv_member
				WHERE conv_id = i_conv AND user_id <> i_sender
				RETURNING v_i, user_id, id;
			END IF;
		END;
		IF v_st = 2 THEN
			-- The message INSERT failed after the seq was taken:
			-- give it back (the row is still locked by us).
			UPDATE conversation SET last_seq = last_seq - 1,
				updated_at = v_was
			WHERE id = i_conv;
		END IF;
		IF v_st <> 0 THEN
			SET v_id = 0, v_seq = 0, v_peer = 0, v_ev = 0;
		END IF;
		SET v_out = CONCAT(v_out, IF(v_i = 1, '[', ','), '[', v_i, ',',
			v_st, ',', v_id, ',', v_seq, ',', v_peer, ',', v_ev, ']');
		END;
	END WHILE;
	COMMIT;
	SELECT CONCAT(IF(v_n = 0, '[', v_out), ']') AS results;
END//
DELIMITER ;
