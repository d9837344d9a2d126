-- 015: browsers that signed in before (issue 26).  Ten wrong passwords
-- for a user name locked every login of that user for 5 minutes, from
-- anyone, again and again.  Now a successful login leaves a long-lived
-- device token in the browser (the did cookie, HttpOnly, a year); a login
-- or password check that shows a token of that user counts in the
-- token's own window (rate_limit key login-device:<id>), never in the
-- user name's, so failures from elsewhere cannot lock it out, and a stolen
-- token buys only its own few guesses.  Safe to run again.

CREATE TABLE IF NOT EXISTS device (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	user_id		BIGINT UNSIGNED NOT NULL,
	token_hash	BINARY(32) NOT NULL
			COMMENT 'SHA-256 of the did cookie; the token itself is never stored',
	created_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
			COMMENT 'the first login of this browser as this user',
	used_at		DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
			COMMENT 'its last successful login; a user keeps the 20 last used',
	PRIMARY KEY (id),
	UNIQUE KEY uk_device_user_token (user_id, token_hash),
	CONSTRAINT fk_device_user FOREIGN KEY (user_id)
		REFERENCES user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Browsers that signed in as a user before (did cookie): their logins are not throttled with those of strangers';

ALTER TABLE rate_limit
  COMMENT='Fixed 5-minute windows (win = unix time DIV 300) counting login failures (login-user: from browsers without a device token, login-addr: per address or IPv6 /64, login-device: per device token), new accounts (signup-addr:) and, under plain CGI or mod_fcgid, sends (send:USER_ID:N, CHAT_SEND_BURST per CHAT_SEND_BURST/CHAT_SEND_RATE seconds); the sweeper deletes old windows';
