/*
 * core_topics.h: changes to conversations: topics made, renamed, their
 * members added and removed, admins named; leaving a topic or a stranger
 * chat.  Each runs its own transaction and wakes the members told;
 * results are enum conv_result (core_conv.h).
 */
#ifndef CORE_TOPICS_H
#define CORE_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include "core_conv.h"

struct db;

enum conv_result topic_create(struct db *, int64_t, const char *,
		    const char *, size_t, int64_t *);
enum conv_result topic_patch(struct db *, int64_t, int64_t, const char *,
		    const char *);
enum conv_result topic_add(struct db *, int64_t, int64_t, const char *,
		    size_t);
enum conv_result topic_remove(struct db *, int64_t, int64_t, const char *);
enum conv_result topic_set_role(struct db *, int64_t, int64_t, const char *,
		    const char *);
enum conv_result topic_leave(struct db *, int64_t, int64_t);

#endif /* CORE_TOPICS_H */
