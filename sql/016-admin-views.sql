-- 016: views for the admins who read MySQL directly (issue 26): who is
-- online, what waits for whom and since when, conversations by size and
-- activity, reports and blocks, storage per user.  None shows a password
-- hash, a token hash or a message body, except admin_reports, which shows
-- the reported chat as it was (that is what a report is for).  A
-- read-only account needs SELECT on these views only (README, "For
-- admins"): a view reads its tables with its definer's rights.  Safe to
-- run again.

-- Who is online now: the sweeper takes users offline CHAT_IDLE_S after
-- their last request (user.online), so last_seen is at most that old.
CREATE OR REPLACE VIEW admin_online AS
SELECT u.id AS user_id, u.username, u.nickname, u.guest, u.last_seen,
       TIMESTAMPDIFF(SECOND, u.last_seen, NOW(3)) AS seen_s_ago,
       (SELECT COUNT(*) FROM session s
         WHERE s.user_id = u.id AND s.expires_at > NOW(3)) AS sessions,
       (SELECT MAX(s.created_at) FROM session s
         WHERE s.user_id = u.id) AS last_login_at
  FROM user u
 WHERE u.online = 1;

-- What waits for whom and since when: the events each user has not acked
-- (the pending-ACK list, table event), by type: how many no poll took
-- yet, how many were handed out and wait for their ack, the oldest, and
-- how often they were sent again (an event not acked CHAT_RESEND_S after
-- it was handed out is handed out again: attempts counts the handouts).
-- SUM over a user's rows for all of what waits for them.
CREATE OR REPLACE VIEW admin_pending AS
SELECT e.user_id, u.username, u.online, e.type,
       COUNT(*) AS events,
       SUM(e.sent_at IS NULL) AS not_handed_out,
       SUM(e.sent_at IS NOT NULL) AS awaiting_ack,
       MIN(e.created_at) AS oldest_at,
       TIMESTAMPDIFF(SECOND, MIN(e.created_at), NOW(3)) AS oldest_s,
       SUM(IF(e.attempts > 1, e.attempts - 1, 0)) AS resends,
       MAX(e.attempts) AS most_attempts
  FROM event e
  JOIN user u ON u.id = e.user_id
 GROUP BY e.user_id, u.username, u.online, e.type;

-- Conversations by size and activity: members now, messages (seq runs 1,
-- 2, 3 without gaps, so the last seq is the count), the last message.
CREATE OR REPLACE VIEW admin_conversations AS
SELECT c.id AS conversation_id, c.kind, c.title, c.created_at,
       (SELECT COUNT(*) FROM conv_member m
         WHERE m.conv_id = c.id) AS members,
       c.last_seq AS messages,
       (SELECT ms.sent_at FROM message ms
         WHERE ms.conv_id = c.id AND ms.seq = c.last_seq) AS last_message_at,
       c.updated_at, c.ended_at
  FROM conversation c;

-- Reports from stranger chats, newest last, with the names as they are
-- now (or were, for accounts gone since) and how often the reported user
-- was reported in all.  messages: the chat's last messages as they were.
CREATE OR REPLACE VIEW admin_reports AS
SELECT r.id AS report_id, r.created_at,
       r.reporter_id, COALESCE(a.username, r.reporter_name) AS reporter,
       r.reported_id, COALESCE(b.username, r.reported_name) AS reported,
       (SELECT COUNT(*) FROM report r2
         WHERE r2.reported_id = r.reported_id) AS reports_against,
       r.conversation_id, r.reason, r.messages
  FROM report r
  LEFT JOIN user a ON a.id = r.reporter_id
  LEFT JOIN user b ON b.id = r.reported_id;

-- Blocks: who blocks whom since when, and how many block the blocked one.
CREATE OR REPLACE VIEW admin_blocks AS
SELECT k.user_id, a.username AS blocker, k.blocked_id,
       b.username AS blocked, k.created_at,
       (SELECT COUNT(*) FROM user_block k2
         WHERE k2.blocked_id = k.blocked_id) AS blocked_by
  FROM user_block k
  JOIN user a ON a.id = k.user_id
  JOIN user b ON b.id = k.blocked_id;

-- Storage per user: messages sent and their bytes, pictures uploaded
-- first by them and their bytes, events not acked and their bytes.  Each
-- user's rows are found by index; ordering all users by a column reads
-- every message, so ask for the users of interest or run it off hours.
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
         WHERE e.user_id = u.id) AS event_bytes
  FROM user u;
