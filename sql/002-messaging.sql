-- 002: friends, conversations, messages and the pending-ACK event table.

CREATE TABLE conversation (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	kind		ENUM('direct','topic','match') NOT NULL
			COMMENT 'direct: two friends; topic: a group; match: a stranger chat',
	title		VARCHAR(100) NOT NULL DEFAULT '' COMMENT 'topic title; empty for direct and match',
	avatar_url	VARCHAR(512) NOT NULL DEFAULT '',
	creator_id	BIGINT UNSIGNED NULL COMMENT 'who created a topic',
	user_lo		BIGINT UNSIGNED NULL COMMENT 'direct only: the smaller user id of the pair',
	user_hi		BIGINT UNSIGNED NULL COMMENT 'direct only: the larger user id of the pair',
	last_seq	BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'seq of the newest message; messages are numbered 1, 2, 3 without gaps',
	ended_at	DATETIME(3) NULL COMMENT 'match only: when one side left',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
			COMMENT 'last activity (message or change); orders the conversation list',
	PRIMARY KEY (id),
	UNIQUE KEY uk_conversation_pair (user_lo, user_hi)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Direct chats, topics (groups) and stranger matches';

CREATE TABLE conv_member (
	conv_id		BIGINT UNSIGNED NOT NULL,
	user_id		BIGINT UNSIGNED NOT NULL,
	role		ENUM('member','admin','owner') NOT NULL DEFAULT 'member',
	read_seq	BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'read mark: messages with seq above it are unread',
	joined_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (conv_id, user_id),
	KEY k_member_user (user_id, conv_id),
	CONSTRAINT fk_member_conv FOREIGN KEY (conv_id)
		REFERENCES conversation (id) ON DELETE CASCADE,
	CONSTRAINT fk_member_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Who is in which conversation, and how far each has read';

CREATE TABLE friendship (
	user_id		BIGINT UNSIGNED NOT NULL,
	friend_id	BIGINT UNSIGNED NOT NULL,
	conv_id		BIGINT UNSIGNED NOT NULL COMMENT 'their direct conversation',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (user_id, friend_id),
	KEY k_friendship_friend (friend_id),
	CONSTRAINT fk_friendship_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE,
	CONSTRAINT fk_friendship_friend FOREIGN KEY (friend_id)
		REFERENCES user (id) ON DELETE CASCADE,
	CONSTRAINT fk_friendship_conv FOREIGN KEY (conv_id)
		REFERENCES conversation (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Friendships, two rows per pair (a->b and b->a)';

CREATE TABLE friend_request (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	from_id		BIGINT UNSIGNED NOT NULL,
	to_id		BIGINT UNSIGNED NOT NULL,
	text		VARCHAR(500) NOT NULL DEFAULT '' COMMENT 'the note sent with the request',
	status		ENUM('pending','accepted','rejected','canceled') NOT NULL DEFAULT 'pending',
	open_pair	VARCHAR(41) NULL
			COMMENT '"lo:hi" user ids while pending, NULL after: one open request per pair',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	decided_at	DATETIME(3) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY uk_request_open_pair (open_pair),
	KEY k_request_to (to_id, status),
	KEY k_request_from (from_id, status),
	CONSTRAINT fk_request_from FOREIGN KEY (from_id)
		REFERENCES user (id) ON DELETE CASCADE,
	CONSTRAINT fk_request_to FOREIGN KEY (to_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Friend requests and what became of them';

CREATE TABLE message (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	conv_id		BIGINT UNSIGNED NOT NULL,
	seq		BIGINT UNSIGNED NOT NULL COMMENT 'position in the conversation: 1, 2, 3 ... without gaps',
	sender_id	BIGINT UNSIGNED NOT NULL,
	client_id	VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
			COMMENT 'sender-chosen id that makes a resend idempotent',
	body		TEXT NOT NULL COMMENT 'message text exactly as sent (1-4000 characters)',
	sent_at		DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uk_message_seq (conv_id, seq),
	UNIQUE KEY uk_message_client (sender_id, client_id),
	CONSTRAINT fk_message_conv FOREIGN KEY (conv_id)
		REFERENCES conversation (id) ON DELETE CASCADE,
	CONSTRAINT fk_message_sender FOREIGN KEY (sender_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Every message of every conversation';

CREATE TABLE event (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	user_id		BIGINT UNSIGNED NOT NULL COMMENT 'who it is for',
	type		VARCHAR(24) CHARACTER SET ascii NOT NULL
			COMMENT 'message, friend_request, presence, match_found, ...',
	payload		TEXT NOT NULL COMMENT 'JSON object: the fields of the event besides id, type, at',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	sent_at		DATETIME(3) NULL
			COMMENT 'last handed out by a poll; NULL: waiting. Not acked CHAT_RESEND_S after: sent again',
	attempts	INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'how many times a poll handed it out',
	origin		INT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'host that wrote it (CHAT_HOST_ID): other hosts wake their polls from it',
	PRIMARY KEY (id),
	KEY k_event_user (user_id, id),
	KEY k_event_sent (sent_at),
	CONSTRAINT fk_event_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Pending-ACK list: every event a user has not acked yet';

CREATE TABLE match_queue (
	user_id		BIGINT UNSIGNED NOT NULL,
	joined_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (user_id),
	KEY k_queue_joined (joined_at),
	CONSTRAINT fk_queue_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Users waiting for a stranger match, oldest first';
