/* XXX: placeholder until the seed 002 adapter lands. */
#include "http.h"
#include "handlers.h"
int h_cmd(struct req *r) { return http_fail(r, 501, "not_implemented", "not yet"); }
int h_cmds(struct req *r) { return http_fail(r, 501, "not_implemented", "not yet"); }
