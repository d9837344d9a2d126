-- 019: edit, delete and reply (issue 24).  A message keeps its id and seq
-- when edited (edited_at set) or deleted: a deletion blanks the body in
-- this table (the text is gone, not hidden) and sets deleted_at, so a
-- member catching up reads the final state.  reply_to names the message
-- of the same conversation a message answers; it is written just after
-- the send (send_batch is left as it is), and a repeat of the send writes
-- it again.  Safe to run again.

ALTER TABLE message
  ADD COLUMN IF NOT EXISTS edited_at DATETIME(3) NULL
	COMMENT 'last edit by its sender; NULL: never edited',
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL
	COMMENT 'when deleted (by its sender, or a group''s owner or admin): body is then empty',
  ADD COLUMN IF NOT EXISTS reply_to BIGINT UNSIGNED NULL
	COMMENT 'the message (same conversation) this one answers; NULL: none';
