-- 022: a revision per user, so that a user's other devices learn of their
-- own changes (issue 25).  Events belong to the user, not to a device: an
-- event goes to whichever device polls first, so a phone that starts or
-- leaves a stranger chat may take the only event about it.  Every such
-- change bumps user.rev in its own transaction; a poll that passes the
-- revision it knows (GET /api/poll?rev=) is answered at once when it
-- differs, and the page reloads its conversation list.  Safe to run again.

ALTER TABLE user ADD COLUMN IF NOT EXISTS
	rev		BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'bumped by changes of this user''s own state (stranger chats started or ended): see GET /api/poll?rev=';
