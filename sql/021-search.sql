-- 021: message search (issue 24).  MariaDB has no n-gram parser and
-- InnoDB FULLTEXT drops words shorter than innodb_ft_min_token_size (3,
-- which a shared host cannot change), and Chinese has no spaces: so the
-- server keeps its own inverted index.  core_search.c cuts a message's
-- lower-cased text into grams: overlapping character pairs within runs of
-- Chinese, Japanese, Korean and other unspaced text (and emoji), and
-- overlapping triples within words of alphabetic scripts (a two-letter
-- word is one gram; one-letter words none).  A search looks up the
-- query's grams and confirms each hit against message.body, so a stale
-- row (an edit, a delete) never shows a wrong result.  Admins: SELECT
-- COUNT(*) FROM msg_gram WHERE msg_id = N shows what one message costs.
-- Safe to run again.

CREATE TABLE IF NOT EXISTS msg_gram (
	gram		VARBINARY(16) NOT NULL
			COMMENT 'UTF-8 bytes of 2 or 3 lower-cased characters',
	conv_id		BIGINT UNSIGNED NOT NULL COMMENT 'the message''s conversation',
	msg_id		BIGINT UNSIGNED NOT NULL COMMENT 'message.id',
	PRIMARY KEY (gram, conv_id, msg_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Search index: which messages hold which gram (core_search.c); rows of removed messages are harmless';

-- The sweeper's high-water mark: every message with id <= indexed_upto has
-- its grams (sends index right after their commit; the sweeper catches up
-- on messages older than two minutes, which also indexes the messages
-- stored before this migration).
CREATE TABLE IF NOT EXISTS search_state (
	id		TINYINT UNSIGNED NOT NULL COMMENT 'always 1',
	indexed_upto	BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'message ids up to this one are in msg_gram',
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='How far the search index is known complete (one row)';

INSERT IGNORE INTO search_state (id, indexed_upto) VALUES (1, 0);
