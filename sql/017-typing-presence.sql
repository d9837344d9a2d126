-- 017: who is typing where (issue 25).  A typing signal is ephemeral: it
-- is never an event row (nothing to ack, nothing to resend: a late one is
-- worthless).  One row per typist per conversation, overwritten by each
-- signal; a waiting poll of another member reads the rows newer than what
-- it was last given, and the watcher of another host finds them by `at`
-- (core_live.c).  The sweeper deletes rows a minute old.  Safe to run
-- again.

CREATE TABLE IF NOT EXISTS typing (
	conv_id		BIGINT UNSIGNED NOT NULL,
	user_id		BIGINT UNSIGNED NOT NULL COMMENT 'who is typing',
	at		DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
			COMMENT 'the last signal',
	origin		INT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'CHAT_HOST_ID of the node that wrote it, as in event.origin',
	PRIMARY KEY (conv_id, user_id),
	KEY k_typing_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Current typing signals, one per typist per conversation; not events';
