-- 018: group notices and muted conversations (issue 25).  A notice ("alice
-- added bob", "bob left", a rename, a role) is a message of the group like
-- any other, with a seq, so a member catching up finds it in the history
-- in order; message.notice holds what happened as a JSON object and the
-- body a plain-language text for clients that do not know notices.  A
-- notice is nobody's message: it never counts as unread.  A member may
-- mute a conversation: stored here so that all their devices follow.
-- Safe to run again.

ALTER TABLE message
	ADD COLUMN IF NOT EXISTS notice VARCHAR(600) CHARACTER SET utf8mb4 NULL
	COMMENT 'a group notice: {"action","actor","target"|"title"|"role"}; NULL for a message someone wrote';

ALTER TABLE conv_member
	ADD COLUMN IF NOT EXISTS muted TINYINT(1) NOT NULL DEFAULT 0
	COMMENT '1: this member muted the conversation (no notification, no count in the title)';
