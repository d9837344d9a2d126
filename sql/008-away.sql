-- 008: a web page that closes with stranger chats open says so (POST
-- /api/match/away); the sweeper ends those chats CHAT_AWAY_S (10 s) later
-- unless the user came back (DELETE /api/match/away), instead of waiting
-- for the user to go idle (120 s).  Safe to run again.

ALTER TABLE user
  ADD COLUMN IF NOT EXISTS away_at DATETIME(3) NULL
    COMMENT 'a page with stranger chats open went at this time; the sweeper ends the chats begun before it CHAT_AWAY_S (10 s) later unless the user comes back (then NULL)',
  ADD INDEX IF NOT EXISTS k_user_away (away_at);
