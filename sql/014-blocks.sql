-- 014: blocks and reports (issue 26).  A user blocks another: the blocked
-- one can no longer ask them to be friends (the request is kept but never
-- shown), write to them (a block ends a friendship, and direct messages
-- need one), add them to a group (that needs a friendship too) or be
-- matched with them as a stranger; nobody is told of the block.  A report
-- from a stranger chat keeps who, when and the chat's last messages as
-- they were, for an admin to read in SQL (README, "For admins").  Finding
-- people by the start of a nickname needs the nickname index.  Safe to
-- run again.

CREATE TABLE IF NOT EXISTS user_block (
	user_id		BIGINT UNSIGNED NOT NULL COMMENT 'who blocks',
	blocked_id	BIGINT UNSIGNED NOT NULL COMMENT 'who is blocked',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (user_id, blocked_id),
	KEY k_block_blocked (blocked_id, user_id),
	CONSTRAINT fk_block_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE,
	CONSTRAINT fk_block_blocked FOREIGN KEY (blocked_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Blocks: user_id never hears from blocked_id again (until unblocked)';

CREATE TABLE IF NOT EXISTS report (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	reporter_id	BIGINT UNSIGNED NULL COMMENT 'who reports (NULL once that account is gone)',
	reported_id	BIGINT UNSIGNED NULL COMMENT 'who is reported (NULL once that account is gone)',
	reporter_name	VARCHAR(32) NOT NULL DEFAULT '' COMMENT 'user names as they were: guests are removed within hours',
	reported_name	VARCHAR(32) NOT NULL DEFAULT '',
	conversation_id	BIGINT UNSIGNED NULL COMMENT 'the stranger chat reported from',
	reason		VARCHAR(500) NOT NULL DEFAULT '' COMMENT 'what the reporter wrote, if anything',
	messages	MEDIUMTEXT NOT NULL
			COMMENT 'JSON array of the chat''s last 20 messages [{seq, sender, body, sent_at}], oldest first',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	KEY k_report_created (created_at),
	KEY k_report_reported (reported_id),
	CONSTRAINT fk_report_reporter FOREIGN KEY (reporter_id)
		REFERENCES user (id) ON DELETE SET NULL,
	CONSTRAINT fk_report_reported FOREIGN KEY (reported_id)
		REFERENCES user (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Reports from stranger chats, for admins to read in SQL';

CREATE INDEX IF NOT EXISTS k_user_nickname ON user (nickname);
