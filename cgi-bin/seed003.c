/* XXX: placeholder until the seed 003 adapter lands. */
#include "http.h"
#include "handlers.h"
int h_frame(struct req *r) { return http_fail(r, 501, "not_implemented", "not yet"); }
int h_frames(struct req *r) { return http_fail(r, 501, "not_implemented", "not yet"); }
