-- 003: what the seed protocol adapters need besides the native model.

-- A friend request made by a seed 003 frame (TYPE "6", type "1") keeps the
-- frame's messageId: the pushes about it (request, accepted, rejected)
-- carry it back, and a TYPE "5" ack names it.
ALTER TABLE friend_request ADD COLUMN client_ref VARCHAR(64) NULL
	COMMENT 'seed 003 messageId of the frame that made the request; NULL from the native API'
	AFTER text
