-- 006: send_batch answers in one row, reads its items without a cursor,
-- and takes no savepoints; send_message becomes a batch of one.  Replaces
-- the bodies of 004 and 005.  Measured with MariaDB alone, one connection,
-- 2,000-4,000 sends (docs/BENCHMARKS.md), MariaDB's CPU per send:
--   one at a time   send_message 0.39-0.44 ms, 005's batch of one 0.75-0.95;
--                   this batch of one 0.40-0.42
--   batches of 2    0.50 -> 0.22 ms
--   batches of 8    0.20 -> 0.13 ms
-- Where 005 lost it:
--   - a cursor over JSON_TABLE with TEXT columns is materialized in an
--     on-disk (Aria) temporary table, created and dropped by every CALL:
--     about 0.4 ms.  Each item is now taken by JSON_EXTRACT of '$[i]'.
--   - two result sets per item (recipients, then status), each one a
--     write to the socket and a wake-up of the caller.  A direct message's
--     one recipient is known (the peer), so its event is a plain INSERT and
--     its outcome joins one answer for the whole batch.
--   - a savepoint per item.  An item is refused before it changes
--     anything (the checks come first); a repeated client_id fails at the
--     message INSERT after the seq was taken, and the conversation row,
--     still locked by this transaction, is put back by hand.
-- Every message event's created_at is now its message's sent_at (the
-- default, the statement's time, differed by a millisecond or so), so the
-- caller knows it without reading it back.
--
-- p_items: a JSON array of [sender, conversation, client_id, body,
-- sent_ms, tail] arrays (tail: the event JSON after "seq").  Callers sort
-- it by conversation, so that two batches take their row locks in the
-- same order.
--
-- Result sets:
--   for each item sent to a topic, in item order: (item, user_id, event
--     id) for every recipient (none for a topic of one);
--   last, one row with one column `results`: a JSON array with one
--     [item, code, message id, seq, peer, event id] per item, in order.
--     code 0 stored (peer and event id: a direct chat's recipient and its
--     event; 0 for a topic), 1 refused (not a member, not friends, chat
--     ended, no such conversation), 2 this sender's client_id was used
--     before (nothing stored).  item counts from 1.
-- Any other error (a deadlock, say) rolls the whole batch back and is
-- raised to the caller.

DELIMITER //
CREATE OR REPLACE PROCEDURE send_batch(
	IN p_items	LONGTEXT CHARACTER SET utf8mb4,
	IN p_origin	INT UNSIGNED)
	MODIFIES SQL DATA
	COMMENT 'Store each message of a JSON array in one transaction'
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

-- send_message: one send, as a batch of one (same cost as before, one
-- body to keep).  Answers as send_batch does.
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
BEGIN
	CALL send_batch(JSON_ARRAY(JSON_ARRAY(p_sender, p_conv, p_client_id,
		p_body, p_sent_ms, p_tail)), p_origin);
END//
DELIMITER ;
