/*
 * core_files.h: files and pictures sent in chats, kept in MySQL in
 * chunks, readable by the members of their conversation only.
 */
#ifndef CORE_FILES_H
#define CORE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "util.h"

struct db;

/* A file as its message and its download show it. */
struct file {
	int64_t		 id;
	int64_t		 conv;
	int64_t		 size;
	int		 width, height;
	const char	*type;		/* "image/png" ... or octet-stream, static */
	char		 name[CAP_FILE_NAME + 1];
	char		 cid[48];	/* its message's client_id */
};

/* What file_allowed says about an upload. */
enum file_room {
	FILE_ROOM,	/* go on */
	FILE_QUOTA,	/* the user's files would pass CHAT_UPLOAD_QUOTA */
	FILE_RATE,	/* CHAT_UPLOAD_RATE this minute already */
	FILE_ERROR
};

const char *file_type(const unsigned char *, size_t);
void	file_name_clean(const char *, char *, size_t);
int	file_over_quota(struct db *, int64_t, int64_t);
enum file_room file_allowed(struct db *, int64_t, int64_t, int *);
int	file_begin(struct db *, int64_t, struct file *);
int	file_chunk_put(struct db *, int64_t, int64_t, const char *, size_t);
int	file_finish(struct db *, struct file *, const unsigned char[32]);
int	file_sent(struct db *, int64_t);
int	file_drop(struct db *, int64_t);
int	file_drop_message(struct db *, int64_t, const char *);
int	file_open(struct db *, int64_t, int64_t, struct file *);
int	file_chunk_get(struct db *, int64_t, int64_t, struct buf *);
void	file_json(struct buf *, const struct file *);
long	file_sweep(struct db *);

#endif /* CORE_FILES_H */
