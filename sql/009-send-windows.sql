-- 009: where each request is a process of its own (plain CGI on a shared
-- host) or lands on any of a few (mod_fcgid), the send limit is counted in
-- rate_limit too (in-process buckets would start full every time).  Only
-- comments change.  Safe to run again.

ALTER TABLE rate_limit
  COMMENT='Fixed 5-minute windows (win = unix time DIV 300) counting login attempts (login-user:, login-addr:), new accounts (signup-addr:) and, under plain CGI or mod_fcgid, sends (send:USER_ID:N, CHAT_SEND_BURST per CHAT_SEND_BURST/CHAT_SEND_RATE seconds); the sweeper deletes old windows';
