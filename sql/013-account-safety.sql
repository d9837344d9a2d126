-- 013: account safety (issue 26).  Each session says where it was opened
-- and when it was last used, so its user can see their devices and end
-- any of them (GET /api/sessions).  A user who removes their account
-- stays as a tombstone row: messages already sent keep their sender
-- (message.sender_id deletes in cascade), shown as "Deleted user".
-- Forgotten passwords are reset through a one-time link whose token is
-- kept only as its SHA-256, for 30 minutes.  Admins: SELECT id,
-- created_at, deleted_at FROM user WHERE deleted_at IS NOT NULL lists the
-- removed accounts.  Safe to run again.

ALTER TABLE session
  ADD COLUMN IF NOT EXISTS user_agent VARCHAR(200) NOT NULL DEFAULT ''
    COMMENT 'the browser''s User-Agent at login, cut to 200 bytes: shown to its user',
  ADD COLUMN IF NOT EXISTS addr VARCHAR(64) NOT NULL DEFAULT ''
    COMMENT 'client address at login',
  ADD COLUMN IF NOT EXISTS used_at DATETIME(3) NULL
    COMMENT 'last request with it, written at most every 5 minutes; NULL: not since login';

ALTER TABLE user
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL
    COMMENT 'removed by its owner: profile cleared, username ~deleted-ID, no password; the row keeps its messages',
  ADD KEY IF NOT EXISTS k_user_email (email);

CREATE TABLE IF NOT EXISTS password_reset (
	token_hash	BINARY(32) NOT NULL
			COMMENT 'SHA-256 of the token in the link that was mailed; the token itself is never stored',
	user_id		BIGINT UNSIGNED NOT NULL,
	expires_at	DATETIME(3) NOT NULL COMMENT '30 minutes after it was asked for',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (token_hash),
	KEY k_reset_user (user_id),
	CONSTRAINT fk_reset_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Password reset links not used yet; one use each, then deleted';
