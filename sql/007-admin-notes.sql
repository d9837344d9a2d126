-- 007: what an admin reads in the schema says what the data is, and the
-- sweeper's cleanup of rate-limit windows has an index (it scanned the
-- whole table every round).  Safe to run again after a partial failure.

CREATE INDEX IF NOT EXISTS k_rate_win ON rate_limit (win);

ALTER TABLE rate_limit
  COMMENT='Fixed 5-minute windows (win = unix time DIV 300) counting login attempts (login-user:, login-addr:) and new accounts (signup-addr:); the sweeper deletes old windows';

ALTER TABLE schema_migration
  MODIFY version INT UNSIGNED NOT NULL COMMENT 'number of the sql/NNN-*.sql file',
  MODIFY name VARCHAR(128) NOT NULL COMMENT 'file name';

ALTER TABLE user
  MODIFY online TINYINT(1) NOT NULL DEFAULT 0
    COMMENT '1 from the first request after being offline until the sweeper finds last_seen older than CHAT_IDLE_S (120 s) plus its write interval',
  MODIFY last_seen DATETIME(3) NULL
    COMMENT 'last authenticated request or waiting poll; written at most every 30 s (CHAT_IDLE_S / 4), so up to 30 s behind';

ALTER TABLE conv_member
  MODIFY read_seq BIGINT UNSIGNED NOT NULL DEFAULT 0
    COMMENT 'read mark: messages of others with seq above it are unread (own messages never count)';

ALTER TABLE session
  COMMENT='Login sessions, one row per sid cookie (not seed 002''s sessionId, which is conversation.id); a user keeps the newest 50';
