-- 020: pictures and files sent in a chat (issue 24).  A file is uploaded to
-- a conversation (POST /api/conversations/{id}/files) and stored here in
-- chunks of 256 KiB, so that no statement carries more than a default
-- max_allowed_packet and a 10 MB file is 40 small inserts, each its own
-- transaction (Galera: no giant write set).  It is then sent as a message
-- of that conversation whose client_id is the file's: the message's
-- (sender_id, client_id) finds its file (core_files.c).  Served only to
-- the conversation's members (GET /api/files/{id}).  A file whose upload
-- never finished, or whose message was never stored, is removed by the
-- sweeper after an hour.  Safe to run again.

CREATE TABLE IF NOT EXISTS file (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	owner_id	BIGINT UNSIGNED NOT NULL COMMENT 'who uploaded it',
	conv_id		BIGINT UNSIGNED NOT NULL COMMENT 'the conversation it was sent to: its members may read it',
	client_id	VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
			COMMENT 'the client_id of its message (message.sender_id = owner_id)',
	name		VARCHAR(255) NOT NULL COMMENT 'file name as sent, cleaned: no path, no control or direction characters',
	size		BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'bytes (0 while uploading)',
	type		VARCHAR(40) CHARACTER SET ascii NOT NULL DEFAULT 'application/octet-stream'
			COMMENT 'image/png, image/jpeg, image/gif or image/webp when the bytes say so, else application/octet-stream',
	width		INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'an image''s size in pixels as the browser read it (clamped); 0: unknown',
	height		INT UNSIGNED NOT NULL DEFAULT 0,
	sha256		BINARY(32) NULL COMMENT 'of the bytes, once stored',
	state		TINYINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT '0 uploading, 1 stored (every chunk), 2 sent (its message is stored): only 2 is served',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uk_file_client (owner_id, client_id),
	KEY k_file_conv (conv_id),
	KEY k_file_state (state, created_at),
	CONSTRAINT fk_file_owner FOREIGN KEY (owner_id)
		REFERENCES user (id) ON DELETE CASCADE,
	CONSTRAINT fk_file_conv FOREIGN KEY (conv_id)
		REFERENCES conversation (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Files and pictures sent in chats; their bytes are in file_chunk';

CREATE TABLE IF NOT EXISTS file_chunk (
	file_id		BIGINT UNSIGNED NOT NULL,
	n		INT UNSIGNED NOT NULL COMMENT '0, 1, 2 ...: bytes n * 256 KiB on',
	bytes		MEDIUMBLOB NOT NULL COMMENT 'at most 256 KiB',
	PRIMARY KEY (file_id, n),
	CONSTRAINT fk_chunk_file FOREIGN KEY (file_id)
		REFERENCES file (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='The bytes of each file, in chunks that fit a default max_allowed_packet';

-- Storage per user (sql/016's view, with the files): files and file_bytes
-- of the uploads stored (what CHAT_UPLOAD_QUOTA counts).
CREATE OR REPLACE VIEW admin_storage AS
SELECT u.id AS user_id, u.username, u.guest,
       (SELECT COUNT(*) FROM message m
         WHERE m.sender_id = u.id) AS messages,
       (SELECT COALESCE(SUM(LENGTH(m.body)), 0) FROM message m
         WHERE m.sender_id = u.id) AS message_bytes,
       (SELECT COUNT(*) FROM picture p
         WHERE p.owner_id = u.id) AS pictures,
       (SELECT COALESCE(SUM(p.size), 0) FROM picture p
         WHERE p.owner_id = u.id) AS picture_bytes,
       (SELECT COUNT(*) FROM event e
         WHERE e.user_id = u.id) AS events,
       (SELECT COALESCE(SUM(LENGTH(e.payload)), 0) FROM event e
         WHERE e.user_id = u.id) AS event_bytes,
       (SELECT COUNT(*) FROM file f
         WHERE f.owner_id = u.id AND f.state >= 1) AS files,
       (SELECT COALESCE(SUM(f.size), 0) FROM file f
         WHERE f.owner_id = u.id AND f.state >= 1) AS file_bytes
  FROM user u;
