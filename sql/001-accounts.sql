-- 001: accounts, sessions and rate-limit counters.
-- Applied once by scripts/migrate.sh, which records it in schema_migration.

CREATE TABLE IF NOT EXISTS schema_migration (
	version		INT UNSIGNED NOT NULL COMMENT 'number of the sql/NNN-*.sql file',
	name		VARCHAR(128) NOT NULL COMMENT 'file name',
	applied_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Which sql/ migrations have been applied';

CREATE TABLE user (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	username	VARCHAR(32) NOT NULL
			COMMENT 'login name as typed; unique without regard to case',
	password_hash	VARCHAR(255) NULL
			COMMENT 'argon2id string from libsodium; NULL for guests',
	email		VARCHAR(254) NOT NULL DEFAULT '',
	nickname	VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'display name',
	avatar_url	VARCHAR(512) NOT NULL DEFAULT '',
	location	VARCHAR(128) NOT NULL DEFAULT '',
	bio		VARCHAR(1000) NOT NULL DEFAULT '' COMMENT 'personal description',
	public_key	VARCHAR(8192) NOT NULL DEFAULT '' COMMENT 'user-supplied public key text',
	guest		TINYINT(1) NOT NULL DEFAULT 0
			COMMENT '1: nickname-only account for stranger chat, removed after its sessions end',
	online		TINYINT(1) NOT NULL DEFAULT 0
			COMMENT '1 while the user made a request in the last CHAT_IDLE_S seconds',
	last_seen	DATETIME(3) NULL COMMENT 'last authenticated request (written at most every few seconds)',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uk_user_username (username),
	KEY k_user_online_seen (online, last_seen),
	KEY k_user_guest_seen (guest, last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Accounts: registered users and guests';

CREATE TABLE session (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	token_hash	BINARY(32) NOT NULL
			COMMENT 'SHA-256 of the sid cookie; the token itself is never stored',
	user_id		BIGINT UNSIGNED NOT NULL,
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	expires_at	DATETIME(3) NOT NULL COMMENT 'the session ends here (or at logout)',
	PRIMARY KEY (id),
	UNIQUE KEY uk_session_token (token_hash),
	KEY k_session_user (user_id),
	KEY k_session_expires (expires_at),
	CONSTRAINT fk_session_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Login sessions; one row per sid cookie';

CREATE TABLE rate_limit (
	k		VARCHAR(100) NOT NULL
			COMMENT 'what is counted, e.g. login-user:alice or login-addr:127.0.0.1',
	win		BIGINT UNSIGNED NOT NULL COMMENT 'window number: unix time / window length',
	n		INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'events counted in this window',
	PRIMARY KEY (k, win)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Fixed-window counters for login throttling; old windows are swept';
