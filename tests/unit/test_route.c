/*
 * test_route.c: the routing table.  Every endpoint (method and path) finds
 * its handler and its path parameters; {id} takes only digits; a trailing
 * slash, an unknown path or another case is 404; a known path with another
 * method is 405 with an Allow header naming the methods it has.  And the
 * dispatcher's checks that run before any handler or database work: 415
 * without Content-Type: application/json, 401 without a session cookie.
 */
#include "../../cgi-bin/route.c"

#include "unit.h"

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

/* A request for method m and path p, as route_find sees it. */
static void
req_at(struct req *r, int m, const char *p)
{
	memset(r, 0, sizeof(*r));
	r->method = m;
	r->path = xstrdup(p);
}

static const char *const mname[M__MAX] = { "GET", "POST", "PATCH",
    "DELETE", "OTHER" };

START_TEST(t_every_route)
{
	const struct {
		int		 line;
		int		 m;
		const char	*path;
		handler		 fn;
		int		 flags;
		const char	*p0, *p1;	/* expected params */
	} t[] = {
		{ __LINE__, M_GET, "/api/health", &h_health, 0, NULL, NULL },
		{ __LINE__, M_POST, "/api/signup", &h_user_signup, 0, NULL, NULL },
		{ __LINE__, M_POST, "/api/login", &h_user_login, 0, NULL, NULL },
		{ __LINE__, M_POST, "/api/guest", &h_user_guest, 0, NULL, NULL },
		{ __LINE__, M_POST, "/api/logout", &h_user_logout, R_AUTH,
		    NULL, NULL },
		{ __LINE__, M_GET, "/api/me", &h_me_get, R_AUTH, NULL, NULL },
		{ __LINE__, M_PATCH, "/api/me", &h_me_patch, R_AUTH, NULL, NULL },
		{ __LINE__, M_GET, "/api/users/bob", &h_user_get, R_AUTH,
		    "bob", NULL },
		{ __LINE__, M_GET, "/api/users/Bob.Smith-2_x", &h_user_get,
		    R_AUTH, "Bob.Smith-2_x", NULL },
		{ __LINE__, M_GET, "/api/users/123", &h_user_get, R_AUTH,
		    "123", NULL },
		{ __LINE__, M_GET, "/api/friends", &h_friend_list,
		    R_AUTH | R_USER, NULL, NULL },
		{ __LINE__, M_DELETE, "/api/friends/alice", &h_friend_delete,
		    R_AUTH | R_USER, "alice", NULL },
		{ __LINE__, M_POST, "/api/friends/requests", &h_friend_request,
		    R_AUTH | R_USER, NULL, NULL },
		{ __LINE__, M_GET, "/api/friends/requests", &h_friend_requests,
		    R_AUTH | R_USER, NULL, NULL },
		{ __LINE__, M_POST, "/api/friends/requests/17/accept",
		    &h_friend_accept, R_AUTH | R_USER, "17", NULL },
		{ __LINE__, M_POST, "/api/friends/requests/17/reject",
		    &h_friend_reject, R_AUTH | R_USER, "17", NULL },
		{ __LINE__, M_POST, "/api/messages", &h_msg_send, R_AUTH,
		    NULL, NULL },
		{ __LINE__, M_GET, "/api/conversations", &h_conv_list, R_AUTH,
		    NULL, NULL },
		{ __LINE__, M_POST, "/api/conversations", &h_conv_create,
		    R_AUTH | R_USER, NULL, NULL },
		{ __LINE__, M_GET, "/api/conversations/5", &h_conv_get, R_AUTH,
		    "5", NULL },
		{ __LINE__, M_PATCH, "/api/conversations/5", &h_conv_patch,
		    R_AUTH | R_USER, "5", NULL },
		{ __LINE__, M_GET, "/api/conversations/5/messages",
		    &h_msg_history, R_AUTH, "5", NULL },
		{ __LINE__, M_POST, "/api/conversations/5/members",
		    &h_conv_add_members, R_AUTH | R_USER, "5", NULL },
		{ __LINE__, M_DELETE, "/api/conversations/5/members/carol",
		    &h_conv_remove_member, R_AUTH | R_USER, "5", "carol" },
		{ __LINE__, M_PATCH, "/api/conversations/5/members/carol",
		    &h_conv_set_role, R_AUTH | R_USER, "5", "carol" },
		{ __LINE__, M_POST, "/api/conversations/5/read", &h_conv_read,
		    R_AUTH, "5", NULL },
		{ __LINE__, M_POST, "/api/conversations/5/leave", &h_conv_leave,
		    R_AUTH, "5", NULL },
		{ __LINE__, M_POST, "/api/match", &h_match_join, R_AUTH,
		    NULL, NULL },
		{ __LINE__, M_DELETE, "/api/match", &h_match_cancel, R_AUTH,
		    NULL, NULL },
		{ __LINE__, M_GET, "/api/poll", &h_poll, R_AUTH | R_SCRIPT,
		    NULL, NULL },
		{ __LINE__, M_POST, "/api/ack", &h_ack, R_AUTH, NULL, NULL },
		{ __LINE__, M_POST, "/api/frame", &h_frame, 0, NULL, NULL },
		{ __LINE__, M_GET, "/api/frames", &h_frames, R_AUTH | R_SCRIPT,
		    NULL, NULL },
		{ __LINE__, M_POST, "/api/cmd", &h_cmd, 0, NULL, NULL },
		{ __LINE__, M_GET, "/api/cmds", &h_cmds, R_AUTH | R_SCRIPT,
		    NULL, NULL },
		/* Large ids still route; http_path_id judges them. */
		{ __LINE__, M_GET, "/api/conversations/99999999999999999999",
		    &h_conv_get, R_AUTH, "99999999999999999999", NULL },
		{ __LINE__, M_GET, "/api/conversations/0", &h_conv_get, R_AUTH,
		    "0", NULL },
	};
	const struct route	*rt;
	struct req		 r;
	size_t			 i;
	int			 st, np;

	for (i = 0; i < NROWS(t); i++) {
		req_at(&r, t[i].m, t[i].path);
		st = -1;
		rt = route_find(&r, &st);
		check_row(t[i].line, mname[t[i].m], t[i].path,
		    strlen(t[i].path), rt != NULL, 1);
		if (rt == NULL) {
			fprintf(stderr, "    status %d\n", st);
			http_free(&r);
			continue;
		}
		check_row(t[i].line, "handler", t[i].path, strlen(t[i].path),
		    rt->fn == t[i].fn, 1);
		check_row(t[i].line, "flags", t[i].path, strlen(t[i].path),
		    rt->flags, t[i].flags);
		check_row(t[i].line, "method", t[i].path, strlen(t[i].path),
		    rt->method, t[i].m);
		np = (t[i].p0 != NULL) + (t[i].p1 != NULL);
		check_row(t[i].line, "nparams", t[i].path, strlen(t[i].path),
		    r.nparams, np);
		if (np >= 1 && r.nparams >= 1)
			check_row(t[i].line, "param 0", t[i].path,
			    strlen(t[i].path),
			    strcmp(http_path(&r, 0), t[i].p0) == 0, 1);
		if (np >= 2 && r.nparams >= 2)
			check_row(t[i].line, "param 1", t[i].path,
			    strlen(t[i].path),
			    strcmp(http_path(&r, 1), t[i].p1) == 0, 1);
		check_row(t[i].line, "no Allow on a match", t[i].path,
		    strlen(t[i].path), r.hdr.len, 0);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/* Each row of the table is reached by its own pattern, filled in. */
START_TEST(t_table_reachable)
{
	const struct route	*rt;
	struct buf		 p = { 0 };
	struct req		 r;
	const char		*c;
	size_t			 i;
	int			 st;

	for (i = 0; i < NROUTES; i++) {
		buf_reset(&p);
		for (c = routes[i].pattern; *c != '\0'; c++) {
			if (strncmp(c, "{id}", 4) == 0) {
				buf_adds(&p, "42");
				c += 3;
			} else if (*c == '{') {
				buf_adds(&p, "someone");
				c = strchr(c, '}');
			} else
				buf_addc(&p, *c);
		}
		req_at(&r, routes[i].method, p.p);
		rt = route_find(&r, &st);
		check_row(__LINE__, routes[i].pattern, p.p, p.len,
		    rt == &routes[i], 1);
		http_free(&r);
	}
	buf_free(&p);
	unit_end();
}
END_TEST

START_TEST(t_not_found)
{
	const struct {
		int		 line;
		int		 m;
		const char	*path;
	} t[] = {
		{ __LINE__, M_GET, "/" },
		{ __LINE__, M_GET, "" },
		{ __LINE__, M_GET, "/api" },
		{ __LINE__, M_GET, "/api/" },
		{ __LINE__, M_GET, "/api/nope" },
		{ __LINE__, M_POST, "/api/nope" },
		{ __LINE__, M_GET, "/api/healthz" },
		{ __LINE__, M_GET, "/api/health/" },	/* trailing slash */
		{ __LINE__, M_GET, "/api/me/" },
		{ __LINE__, M_PATCH, "/api/me/" },
		{ __LINE__, M_POST, "/api/signup/" },
		{ __LINE__, M_GET, "/api/friends/" },
		{ __LINE__, M_GET, "/api/users/" },
		{ __LINE__, M_GET, "/api/users/bob/" },
		{ __LINE__, M_GET, "/api/users/bob/x" },
		{ __LINE__, M_GET, "/api/conversations/" },
		{ __LINE__, M_GET, "/api/conversations/5/" },
		{ __LINE__, M_GET, "/api/conversations/5/messages/" },
		{ __LINE__, M_GET, "/API/health" },	/* paths are exact */
		{ __LINE__, M_GET, "/api/Health" },
		{ __LINE__, M_GET, "//api/health" },
		{ __LINE__, M_GET, "/api//health" },
		{ __LINE__, M_GET, "api/health" },
		{ __LINE__, M_GET, "/api/health/../me" },
		/* {id} takes digits only. */
		{ __LINE__, M_GET, "/api/conversations/abc" },
		{ __LINE__, M_GET, "/api/conversations/12a" },
		{ __LINE__, M_GET, "/api/conversations/a12" },
		{ __LINE__, M_GET, "/api/conversations/-1" },
		{ __LINE__, M_GET, "/api/conversations/+1" },
		{ __LINE__, M_GET, "/api/conversations/1.5" },
		{ __LINE__, M_GET, "/api/conversations/0x1f" },
		{ __LINE__, M_GET, "/api/conversations/1 2" },
		{ __LINE__, M_GET, "/api/conversations/%31" },	/* a literal % */
		{ __LINE__, M_GET, "/api/conversations/abc/messages" },
		{ __LINE__, M_POST, "/api/conversations/x/read" },
		{ __LINE__, M_POST, "/api/friends/requests/abc/accept" },
		{ __LINE__, M_POST, "/api/friends/requests//accept" },
		{ __LINE__, M_POST, "/api/friends/requests/1/accept/" },
		{ __LINE__, M_POST, "/api/friends/requests/1/approve" },
		{ __LINE__, M_DELETE, "/api/conversations/5/members/" },
		{ __LINE__, M_DELETE, "/api/conversations/x/members/bob" },
		{ __LINE__, M_DELETE, "/api/friends/" },
		{ __LINE__, M_GET, "/index.html" },
	};
	const struct route	*rt;
	struct req		 r;
	size_t			 i;
	int			 st;

	for (i = 0; i < NROWS(t); i++) {
		req_at(&r, t[i].m, t[i].path);
		st = 0;
		rt = route_find(&r, &st);
		check_row(t[i].line, "no route", t[i].path, strlen(t[i].path),
		    rt == NULL, 1);
		check_row(t[i].line, "status", t[i].path, strlen(t[i].path),
		    st, 404);
		check_row(t[i].line, "no Allow on 404", t[i].path,
		    strlen(t[i].path), r.hdr.len, 0);
		check_row(t[i].line, "no params kept", t[i].path,
		    strlen(t[i].path), r.nparams, 0);
		http_free(&r);
	}
	unit_end();
}
END_TEST

START_TEST(t_wrong_method)
{
	const struct {
		int		 line;
		int		 m;
		const char	*path;
		const char	*allow;	/* exactly */
	} t[] = {
		{ __LINE__, M_POST, "/api/health", "GET" },
		{ __LINE__, M_DELETE, "/api/health", "GET" },
		{ __LINE__, M_OTHER, "/api/health", "GET" },
		{ __LINE__, M_GET, "/api/signup", "POST" },
		{ __LINE__, M_GET, "/api/login", "POST" },
		{ __LINE__, M_GET, "/api/logout", "POST" },
		{ __LINE__, M_POST, "/api/me", "GET, PATCH, DELETE" },
		{ __LINE__, M_OTHER, "/api/me", "GET, PATCH, DELETE" },
		{ __LINE__, M_GET, "/api/sessions/others", "DELETE" },
		{ __LINE__, M_POST, "/api/sessions/7", "DELETE" },
		{ __LINE__, M_GET, "/api/password/forgot", "POST" },
		{ __LINE__, M_DELETE, "/api/users/bob", "GET" },
		{ __LINE__, M_POST, "/api/friends", "GET" },
		{ __LINE__, M_GET, "/api/friends/bob", "DELETE" },
		{ __LINE__, M_GET, "/api/messages", "POST" },
		{ __LINE__, M_DELETE, "/api/conversations", "GET, POST" },
		{ __LINE__, M_DELETE, "/api/conversations/5", "GET, PATCH" },
		{ __LINE__, M_POST, "/api/conversations/5/messages", "GET" },
		{ __LINE__, M_GET, "/api/conversations/5/members", "POST" },
		{ __LINE__, M_POST, "/api/conversations/5/members/bob",
		    "DELETE, PATCH" },
		{ __LINE__, M_GET, "/api/conversations/5/read", "POST" },
		{ __LINE__, M_GET, "/api/conversations/5/leave", "POST" },
		{ __LINE__, M_GET, "/api/match", "POST, DELETE" },
		{ __LINE__, M_PATCH, "/api/match", "POST, DELETE" },
		{ __LINE__, M_POST, "/api/poll", "GET" },
		{ __LINE__, M_GET, "/api/ack", "POST" },
		{ __LINE__, M_GET, "/api/friends/requests/3/accept", "POST" },
		{ __LINE__, M_GET, "/api/frame", "POST" },
		{ __LINE__, M_POST, "/api/frames", "GET" },
		{ __LINE__, M_GET, "/api/cmd", "POST" },
		{ __LINE__, M_POST, "/api/cmds", "GET" },
	};
	const struct route	*rt;
	struct req		 r;
	char			 want[128];
	size_t			 i;
	int			 st;

	for (i = 0; i < NROWS(t); i++) {
		req_at(&r, t[i].m, t[i].path);
		st = 0;
		rt = route_find(&r, &st);
		check_row(t[i].line, "no route", t[i].path, strlen(t[i].path),
		    rt == NULL, 1);
		check_row(t[i].line, "status", t[i].path, strlen(t[i].path),
		    st, 405);
		snprintf(want, sizeof(want), "Allow: %s\r\n", t[i].allow);
		check_row(t[i].line, "Allow header", t[i].path,
		    strlen(t[i].path),
		    r.hdr.p != NULL && strcmp(r.hdr.p, want) == 0, 1);
		if (r.hdr.p == NULL || strcmp(r.hdr.p, want) != 0)
			fprintf(stderr, "    got %s\n",
			    r.hdr.p ? r.hdr.p : "(none)");
		check_row(t[i].line, "no params kept", t[i].path,
		    strlen(t[i].path), r.nparams, 0);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/*
 * "/api/friends/requests" is both a path of its own and a {name}: each
 * method finds its own handler, and the name route takes any name.
 */
START_TEST(t_friends_requests_vs_name)
{
	const struct route	*rt;
	struct req		 r;
	int			 st;

	req_at(&r, M_POST, "/api/friends/requests");
	rt = route_find(&r, &st);
	ck_assert_ptr_nonnull(rt);
	ck_assert(rt->fn == &h_friend_request);
	ck_assert_int_eq(r.nparams, 0);
	ck_assert_uint_eq(r.hdr.len, 0);
	http_free(&r);

	req_at(&r, M_GET, "/api/friends/requests");
	rt = route_find(&r, &st);
	ck_assert_ptr_nonnull(rt);
	ck_assert(rt->fn == &h_friend_requests);
	http_free(&r);

	req_at(&r, M_PATCH, "/api/friends/requests");
	ck_assert_ptr_null(route_find(&r, &st));
	ck_assert_int_eq(st, 405);
	ck_assert_ptr_nonnull(strstr(r.hdr.p, "GET"));
	ck_assert_ptr_nonnull(strstr(r.hdr.p, "POST"));
	ck_assert_ptr_nonnull(strstr(r.hdr.p, "DELETE"));
	http_free(&r);
}
END_TEST

START_TEST(t_param_id)
{
	const struct {
		int		 line;
		const char	*path;
		int		 want;
		int64_t		 id;
	} t[] = {
		{ __LINE__, "/api/conversations/1", 0, 1 },
		{ __LINE__, "/api/conversations/0", 0, 0 },
		{ __LINE__, "/api/conversations/007", 0, 7 },
		{ __LINE__, "/api/conversations/999999999999999999", 0,
		    999999999999999999LL },
		{ __LINE__, "/api/conversations/1000000000000000000", -1, 0 },
		{ __LINE__, "/api/conversations/99999999999999999999999999", -1,
		    0 },
	};
	struct req	 r;
	int64_t		 id;
	size_t		 i;
	int		 st;

	for (i = 0; i < NROWS(t); i++) {
		req_at(&r, M_GET, t[i].path);
		ck_assert_ptr_nonnull(route_find(&r, &st));
		id = -5;
		check_row(t[i].line, "http_path_id", t[i].path,
		    strlen(t[i].path), http_path_id(&r, 0, &id), t[i].want);
		if (t[i].want == 0)
			check_row(t[i].line, "id", t[i].path, strlen(t[i].path),
			    id, t[i].id);
		/* No second parameter on this route. */
		check_row(t[i].line, "param 1 absent", t[i].path,
		    strlen(t[i].path), http_path_id(&r, 1, &id), -1);
		check_row(t[i].line, "http_path 1", t[i].path,
		    strlen(t[i].path), strcmp(http_path(&r, 1), ""), 0);
		http_free(&r);
	}
	unit_end();
}
END_TEST

/*
 * route_dispatch in CGI mode: the status and what was written.  Nothing
 * here may reach the database (r->db is NULL): the checks before the
 * handler answer first.
 */
static int
dispatch(char **env, const char *body, char **text)
{
	struct req	 r;
	FILE		*cap;
	int		 st;

	stdin_from(body, strlen(body));
	http_init(&r, NULL, env);
	cap = capture_start();
	st = route_dispatch(&r);
	*text = capture_text(cap);
	fclose(cap);
	http_free(&r);
	return st;
}

START_TEST(t_dispatch)
{
	const struct {
		int		 line;
		const char	*method, *uri, *ctype, *cookie, *body;
		int		 want;
		const char	*code;
	} t[] = {
		{ __LINE__, "GET", "/api/nope", NULL, NULL, "", 404,
		    "not_found" },
		{ __LINE__, "GET", "/api/health/", NULL, NULL, "", 404,
		    "not_found" },
		{ __LINE__, "GET", "/api/signup", NULL, NULL, "", 405,
		    "method_not_allowed" },
		{ __LINE__, "PUT", "/api/me", "application/json", NULL, "{}",
		    405, "method_not_allowed" },
		/* 415 before anything else, even with a valid body. */
		{ __LINE__, "POST", "/api/signup", NULL, NULL,
		    "{\"username\":\"bob\",\"password\":\"12345678\"}", 415,
		    "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup", "text/plain", NULL, "{}",
		    415, "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup",
		    "application/x-www-form-urlencoded", NULL, "a=b", 415,
		    "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup", "multipart/form-data", NULL,
		    "", 415, "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup", "application/jsonx", NULL,
		    "{}", 415, "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup", "application/json-seq",
		    NULL, "{}", 415, "unsupported_media_type" },
		{ __LINE__, "POST", "/api/signup", "", NULL, "{}", 415,
		    "unsupported_media_type" },
		{ __LINE__, "PATCH", "/api/me", "text/plain", NULL, "{}", 415,
		    "unsupported_media_type" },
		{ __LINE__, "DELETE", "/api/match", NULL, NULL, "", 415,
		    "unsupported_media_type" },
		{ __LINE__, "POST", "/api/logout", "text/plain", NULL, "{}",
		    415, "unsupported_media_type" },
		/* JSON accepted (any case, with parameters): the handler
		 * then refuses the missing field, still without SQL. */
		{ __LINE__, "POST", "/api/signup", "application/json", NULL,
		    "{}", 400, "bad_request" },
		{ __LINE__, "POST", "/api/signup",
		    "application/json; charset=utf-8", NULL, "{}", 400,
		    "bad_request" },
		{ __LINE__, "POST", "/api/signup", "Application/JSON", NULL,
		    "{}", 400, "bad_request" },
		{ __LINE__, "POST", "/api/signup", "application/json", NULL,
		    "[1]", 400, "bad_request" },
		{ __LINE__, "POST", "/api/signup", "application/json", NULL,
		    "{\"username\":\"bob\"", 400, "bad_request" },
		/* No session: 401 without looking anything up. */
		{ __LINE__, "GET", "/api/me", NULL, NULL, "", 401,
		    "unauthorized" },
		{ __LINE__, "GET", "/api/me", NULL, "theme=dark", "", 401,
		    "unauthorized" },
		{ __LINE__, "GET", "/api/me", NULL, "sid=short", "", 401,
		    "unauthorized" },
		{ __LINE__, "GET", "/api/me", NULL,
		    "xsid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 401,
		    "unauthorized" },
		{ __LINE__, "POST", "/api/logout", "application/json", NULL,
		    "{}", 401, "unauthorized" },
		{ __LINE__, "GET", "/api/friends", NULL, NULL, "", 401,
		    "unauthorized" },
		{ __LINE__, "GET", "/api/poll", NULL, NULL, "", 401,
		    "unauthorized" },
	};
	char	 m[64], u[256], ct[128], ck[128], cl[48], *env[8], *text;
	char	 want[128];
	size_t	 i;
	int	 k, st;

	for (i = 0; i < NROWS(t); i++) {
		k = 0;
		snprintf(m, sizeof(m), "REQUEST_METHOD=%s", t[i].method);
		env[k++] = m;
		snprintf(u, sizeof(u), "REQUEST_URI=%s", t[i].uri);
		env[k++] = u;
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
		    strlen(t[i].body));
		env[k++] = cl;
		if (t[i].ctype != NULL) {
			snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s",
			    t[i].ctype);
			env[k++] = ct;
		}
		if (t[i].cookie != NULL) {
			snprintf(ck, sizeof(ck), "HTTP_COOKIE=%s",
			    t[i].cookie);
			env[k++] = ck;
		}
		env[k++] = "REMOTE_ADDR=127.0.0.1";
		env[k] = NULL;
		st = dispatch(env, t[i].body, &text);
		check_row(t[i].line, t[i].method, t[i].uri, strlen(t[i].uri),
		    st, t[i].want);
		snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\","
		    "\"message\":\"", t[i].code);
		check_row(t[i].line, "error JSON", t[i].uri, strlen(t[i].uri),
		    strstr(text, want) != NULL, 1);
		if (t[i].want == 405)
			check_row(t[i].line, "Allow", t[i].uri,
			    strlen(t[i].uri),
			    strstr(text, "\r\nAllow: ") != NULL, 1);
		if (strstr(text, want) == NULL)
			fprintf(stderr, "    answer: %.200s\n", text);
		free(text);
	}
	unit_end();
}
END_TEST

int
main(void)
{
	TCase	*tc;

	tc = tcase_create("table");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_every_route);
	tcase_add_test(tc, t_table_reachable);
	tcase_add_test(tc, t_not_found);
	tcase_add_test(tc, t_wrong_method);
	tcase_add_test(tc, t_friends_requests_vs_name);
	tcase_add_test(tc, t_param_id);
	tcase_add_test(tc, t_dispatch);
	return unit_run("route", tc);
}
