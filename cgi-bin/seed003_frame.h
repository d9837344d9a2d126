/*
 * seed003_frame.h: the form of seed 003's frames, shared by seed003.c and
 * seed003_talk.c: reading a frame's CONTENT, and answering with a reply
 * frame (each returns the status sent).
 */
#ifndef SEED003_FRAME_H
#define SEED003_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct req;

const char	*frame_str(struct json_object *, const char *, size_t *);
int64_t		 frame_int(struct json_object *, const char *);
int		 frame_enum(struct json_object *, const char *, int);
int		 frame_is_me(struct req *, const char *, size_t);
struct json_object *frame_parse(const char *, size_t);
struct json_object *frame_content(struct json_object *, int);
int		 frame_reply(struct req *, const char *, const char *, size_t,
		    struct json_object *, const char *);
int		 frame_word(struct req *, const char *, const char *, size_t,
		    const char *, const char *);
int		 frame_time(struct req *, const char *, const char *, size_t,
		    int64_t);

#endif /* SEED003_FRAME_H */
