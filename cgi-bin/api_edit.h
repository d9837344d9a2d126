/*
 * api_edit.h: the answer to a refused edit, delete or reply (api_edit.c),
 * for the send's reply_to too (api_messages.c).
 */
#ifndef API_EDIT_H
#define API_EDIT_H

#include "core_edit.h"

struct req;

int	edit_fail(struct req *, enum edit_result);

#endif /* API_EDIT_H */
