/*
 * caps.h: every size, count, time and rate limit of the server, and nowhere
 * else.  Limits that operators may change are read from the environment in
 * conf.c; the defaults are here.
 */
#ifndef CAPS_H
#define CAPS_H

/* Requests. */
#define CAP_BODY		(64 * 1024)	/* bytes of a request body: 413 above */
#define CAP_JSON_DEPTH		8		/* nesting of a request body */
#define CAP_PATH		1024		/* bytes of a request path */
#define CAP_QUERY		4096		/* bytes of a query string */
#define CAP_ROUTE_PARAMS	4		/* {params} in one route */

/* Accounts (characters, not bytes, unless said). */
#define CAP_USERNAME_MIN	3
#define CAP_USERNAME_MAX	32
#define CAP_PASSWORD_MIN	8		/* bytes */
#define CAP_PASSWORD_MAX	1024		/* bytes */
#define CAP_EMAIL		254
#define CAP_NICKNAME		64
#define CAP_AVATAR_URL		512
#define CAP_PICTURE		(48 * 1024)	/* bytes of an uploaded picture (the browser scales it to 256 px) */
#define CAP_LOCATION		128
#define CAP_BIO			1000
#define CAP_PUBLIC_KEY		8192
#define CAP_REQUEST_TEXT	500		/* note on a friend request */
#define CAP_TITLE		100		/* topic title */

/* Messages and conversations. */
#define CAP_BODY_CHARS		4000		/* message body */
#define CAP_CLIENT_ID		64		/* bytes of client_id */
#define CAP_TOPIC_MEMBERS	500		/* members of one topic */
#define CAP_LIVE_MATCHES	5		/* stranger chats one user has open */
#define CAP_HISTORY_LIMIT	200		/* messages per history page */
#define CAP_HISTORY_DEFAULT	50
#define CAP_ACK_IDS		1000		/* ids in one ack */
#define CAP_POLL_EVENTS		200		/* events looked at per poll */

/* Files sent in chats (issue 24). */
#define CAP_UPLOAD		(10 * 1024 * 1024)	/* CHAT_UPLOAD_MAX: bytes of one file */
#define CAP_UPLOAD_QUOTA	(200 * 1024 * 1024)	/* CHAT_UPLOAD_QUOTA: bytes of files a user keeps */
#define CAP_UPLOAD_RATE		30		/* CHAT_UPLOAD_RATE: uploads per user a minute */
#define CAP_FILE_CHUNK		(256 * 1024)	/* bytes of one stored chunk (a default max_allowed_packet takes it) */
#define CAP_FILE_NAME		200		/* bytes of a file's name (longer ones are cut) */
#define CAP_FILE_PIXELS		20000		/* an image's width and height are clamped to this */
#define CAP_FILE_STALE_S	3600		/* an upload not finished (or not sent) this long is removed */

/* Long-poll. */
#define CAP_POLL_DEFAULT_S	25
#define CAP_POLL_MAX_S		60
/*
 * One request per process (plain CGI, mod_fcgid): a waiting poll holds a
 * web server worker (25 on a small Apache), so only CHAT_PARKED_MAX of
 * them wait at once on a host, each for at most CAP_PARK_ONE_S (below
 * Apache's default Timeout of 60 s), less as more wait; the others are
 * answered at once and told to come back after CAP_POLL_AFTER_MS, more as
 * more come.
 */
#define CAP_PARKED_MAX		8		/* CHAT_PARKED_MAX */
#define CAP_PARK_ONE_S		25
#define CAP_PARK_MIN_S		2
#define CAP_POLL_AFTER_MS	1000
#define CAP_POLL_AFTER_MAX_MS	4000

/* Settings and MySQL connections. */
#define CAP_CONF_LINE		4096		/* bytes of a settings file line */
#define CAP_DB_WAIT_MS		2000		/* a request waits this long for a connection: then 503 busy */
#define CAP_DB_SERVERS		8		/* servers CHAT_DB_HOST may list */
#define CAP_DB_HOST_LIST	1024		/* bytes of CHAT_DB_HOST */
#define CAP_DB_CONNECT_S	2		/* one connect attempt: then the next server */
#define CAP_DB_IO_S		10		/* one read or write on a connection */

/* Sessions and passwords. */
#define CAP_TOKEN_BYTES		32		/* 256-bit session tokens */
#define CAP_SESSION_S		(30 * 24 * 3600)	/* registered user session */
#define CAP_USER_SESSIONS	50		/* sessions a user keeps (the oldest end) */
#define CAP_SESSION_CACHE_MS	5000		/* a session looked up is trusted this long, alone */
#define CAP_SESSION_SLOTS	16384		/* sessions cached per process */
#define CAP_GUEST_SESSION_S	(24 * 3600)	/* guest session */
#define CAP_SESSION_UA		200		/* bytes of User-Agent kept per session */
#define CAP_SESSION_USED_S	300		/* a session's last use written at most this often */
#define CAP_RESET_S		1800		/* a password reset link lasts 30 minutes */
#define CAP_RESET_ADDR		10		/* forgot-password asks per client address per login window */
#define CAP_RESET_EMAIL		3		/* ... and per e-mail address (mails sent) */
#define CAP_RESET_ACCOUNTS	5		/* accounts of one e-mail address mailed at once */
#define CAP_MAIL		8192		/* bytes of one mail handed to sendmail */
#define CAP_KDF_OPS		2		/* argon2id t=2 ... */
#define CAP_KDF_MEM		(19 * 1024 * 1024)	/* ... m=19 MiB (OWASP) */
#define CAP_KDF_CONCURRENT	2		/* hashes at once per process */
#define CAP_SEEN_WRITE_S	30		/* last_seen written at most this often (or CHAT_IDLE_S / 4) */
#define CAP_STAMP_AGE_MS	200		/* an answer's events stamped sent after this, unless acked */
#define CAP_ACK_WAIT_MS		1000		/* a poll waits this long at most for its acks to be committed */
#define CAP_TX_TRIES		8		/* a transaction that lost a deadlock or a certification conflict (1213) is run this often */
#define CAP_NODE_BEAT_MS	1000		/* each chat node writes its node row this often */
#define CAP_NODE_ALIVE_S	5		/* a node row this fresh is a node alive */

/* Login throttling: fixed windows. */
#define CAP_LOGIN_WINDOW_S	300
#define CAP_LOGIN_USER_FAILS	10		/* per user name per window, browsers without a device token */
#define CAP_LOGIN_ADDR_FAILS	50		/* per client address (IPv6: /64) per window, the same */
#define CAP_LOGIN_DEVICE_FAILS	10		/* per device token per window */
#define CAP_DEVICE_S		(365 * 24 * 3600)	/* a device token lasts a year unused */
#define CAP_USER_DEVICES	20		/* device tokens a user keeps (the least used go) */
#define CAP_SIGNUP_ADDR		30		/* CHAT_SIGNUP_LIMIT: new accounts per address per window */

/* Sends: a token bucket per user in each backend process. */
#define CAP_SEND_RATE		20		/* messages per second (CHAT_SEND_RATE) */
#define CAP_SEND_BURST		60
#define CAP_SEND_SLOTS		8192		/* send buckets (users tracked) */
#define CAP_SEND_WAYS		4		/* buckets a user may take */
#define CAP_SEND_BATCH		64		/* sends stored in one transaction */
#define CAP_SEND_QUEUED		512		/* waiting without a worker (~2 KB each + body) */

/* Safety (issue 26): blocks, reports, finding people. */
#define CAP_BLOCKS_LIST		1000		/* blocks GET /api/blocks lists */
#define CAP_REPORT_REASON	500		/* characters of a report's reason */
#define CAP_REPORT_MESSAGES	20		/* last messages a report copies */
#define CAP_REPORTS		5		/* reports per user per window ... */
#define CAP_REPORT_WINDOW_S	CAP_LOGIN_WINDOW_S	/* (rate_limit keeps no longer ones) */
#define CAP_FIND_MIN		2		/* characters of a search, at least */
#define CAP_FIND_MAX		32		/* ... at most (a user name's length) */
#define CAP_FIND_RESULTS	10		/* users one search shows */
#define CAP_FINDS		60		/* searches per user per window */
#define CAP_FIND_WINDOW_S	60

/* Message search (issue 24; core_search.c). */
#define CAP_SEARCH_Q_MAX	100		/* characters of a query */
#define CAP_SEARCH_LIMIT	50		/* results one answer holds, at most */
#define CAP_SEARCH_DEFAULT	20		/* ... when not asked */
#define CAP_SEARCHES		30		/* searches per user per window */
#define CAP_SEARCH_WINDOW_S	60
#define CAP_SEARCH_SCAN		2000		/* newest messages a one-character search reads */
#define CAP_SEARCH_LATE_S	120		/* the sweeper indexes messages older than this ... */
#define CAP_SEARCH_ROUND_MS	1000		/* ... for this long a round */

/* Delivery (defaults of the CHAT_* settings). */
#define CAP_RESEND_S		15		/* CHAT_RESEND_S */
#define CAP_IDLE_S		120		/* CHAT_IDLE_S */
#define CAP_SWEEP_S		5		/* CHAT_SWEEP_S */
#define CAP_SWEEP_RUN_S		60		/* one cron run lasts this long */
#define CAP_SWEEP_BATCH		500		/* rows per sweeper statement or round */
#define CAP_SWEEP_TX		50		/* idle users offline per transaction */
#define CAP_SWEEP_ROUND		5000		/* idle users or guests per round */
#define CAP_GUEST_TTL_S		3600		/* guest kept after its last session */
#define CAP_AWAY_S		10		/* CHAT_AWAY_S: a closed page's stranger chats end after */
#define CAP_EVENTS_MAX		2000		/* CHAT_EVENTS_MAX: pending events a user keeps (the oldest go, one resync instead) */
#define CAP_EVENTS_AGE_S	(3 * 86400)	/* CHAT_EVENTS_AGE_S: ... and an offline user's, this old */
#define CAP_RESYNC_CONVS	500		/* conversations one resync event names */
#define CAP_WATCH_MS		500		/* CHAT_WATCH_MS: cross-host wake scan */
#define CAP_WATCH_BACK_MS	10000		/* ... which looks again this far back */
#define CAP_WATCH_ROWS		50000		/* rows one look reads at most */
#define CAP_WORKERS		32		/* CHAT_THREADS: accepting threads */
#define CAP_INBOX_MS		5000		/* what a poll saw in MySQL is trusted this long */
#define CAP_DELIVERERS		4		/* threads answering parked polls */
#define CAP_FCGI_BACKLOG	4096		/* CHAT_FCGI_BACKLOG: the kernel caps it at somaxconn */

/* Typing signals (core_live.c): not events, never acked or resent. */
#define CAP_TYPING_PER_S	3		/* signals a second per user; more get 429 */
#define CAP_TYPING_SLOTS	4096		/* users counted at once per process */
#define CAP_TYPING_SHOW_S	6		/* a signal this old is not handed out */
#define CAP_TYPING_KEEP_S	60		/* the sweeper deletes rows this old */
#define CAP_TYPING_ROWS		50		/* signals one poll answer carries */

#endif /* CAPS_H */
