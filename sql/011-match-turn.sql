-- 011: stranger matching takes turns on a row, not on a named lock.
-- GET_LOCK('chat.match') is per server: on a Galera cluster two guests
-- joining at once on two nodes both found nobody waiting and both waited
-- (issue 22).  Each join now begins by writing this one row: on one server
-- the second join waits for the first's commit, as with the lock; on a
-- cluster the two writes conflict at commit (error 1213, certification),
-- the loser is run again and finds the other waiting.  Safe to run again.

CREATE TABLE IF NOT EXISTS match_turn (
	id		TINYINT UNSIGNED NOT NULL COMMENT 'always 1',
	turns		BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'joins so far: each join adds one, in its own transaction',
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stranger matching: the row every join writes first, so joins take turns';

INSERT IGNORE INTO match_turn (id, turns) VALUES (1, 0);
