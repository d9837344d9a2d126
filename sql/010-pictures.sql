-- 010: profile and topic pictures are uploaded and served by the server
-- (POST /api/pictures, GET /api/pictures/<sha-256 hex>); avatar_url names
-- nothing else.  A picture elsewhere was fetched by every viewer's browser,
-- with the session cookie when on the same host at another port (issue
-- 21), so the outside addresses kept so far are dropped.  Safe to run
-- again.

CREATE TABLE IF NOT EXISTS picture (
	hash		BINARY(32) NOT NULL
			COMMENT 'SHA-256 of the bytes; served at /api/pictures/ + HEX(hash) in lowercase',
	type		ENUM('image/png','image/jpeg','image/webp','image/gif') NOT NULL
			COMMENT 'found from the bytes (magic number), never from a file name or header',
	size		INT UNSIGNED NOT NULL COMMENT 'bytes (at most 48 KiB)',
	bytes		MEDIUMBLOB NOT NULL COMMENT 'the picture as uploaded (scaled down by the browser)',
	owner_id	BIGINT UNSIGNED NULL
			COMMENT 'who uploaded these bytes first; NULL once that account is gone',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (hash),
	KEY k_picture_owner (owner_id),
	CONSTRAINT fk_picture_owner FOREIGN KEY (owner_id)
		REFERENCES user (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Uploaded profile and topic pictures, one row per distinct content';

-- Case-sensitive (BINARY): the columns' collation ignores case.
UPDATE user SET avatar_url = ''
 WHERE avatar_url <> ''
   AND NOT (CAST(avatar_url AS BINARY) REGEXP BINARY '^/api/pictures/[0-9a-f]{64}$');

UPDATE conversation SET avatar_url = ''
 WHERE avatar_url <> ''
   AND NOT (CAST(avatar_url AS BINARY) REGEXP BINARY '^/api/pictures/[0-9a-f]{64}$');

ALTER TABLE user
  MODIFY avatar_url VARCHAR(512) NOT NULL DEFAULT ''
    COMMENT 'empty, or /api/pictures/<sha-256 hex> of a row of picture: nothing outside the server';

ALTER TABLE conversation
  MODIFY avatar_url VARCHAR(512) NOT NULL DEFAULT ''
    COMMENT 'topic picture: empty, or /api/pictures/<sha-256 hex> of a row of picture';
