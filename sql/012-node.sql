-- 012: the chat nodes that serve now.  Each chatd (FastCGI) writes its row
-- every second; a node that sees another alive stops trusting what it
-- remembers of users' pending events (inbox.c): an ack made through the
-- other node is only in MySQL, and an acked event must never come again
-- (issue 22).  Admins: SELECT * FROM node WHERE seen_at > NOW() - INTERVAL
-- 10 SECOND lists the nodes up.  Safe to run again.

CREATE TABLE IF NOT EXISTS node (
	id		INT UNSIGNED NOT NULL
			COMMENT 'the node''s CHAT_HOST_ID, as in event.origin',
	host		VARCHAR(255) NOT NULL DEFAULT '' COMMENT 'its host name',
	pid		INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'the chatd that wrote last',
	started_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	seen_at		DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
			COMMENT 'written every second while it runs',
	PRIMARY KEY (id),
	KEY k_node_seen (seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Chat nodes (chatd processes, one row per CHAT_HOST_ID) and when each was last alive';
