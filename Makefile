# The chat server: FastCGI handlers in C behind lighttpd, MySQL for state.
#
#   make          build cgi-bin/chatd and cgi-bin/chat-sweep
#   make run      install missing packages (as root), build, start the stack
#                 in var/ on 127.0.0.1:$(PORT), stay in the foreground
#   make test     unit tests, then end-to-end tests against a throw-away
#                 stack on a free port; ends with "N passed, N failed"
#   make bench    the load generator against a stack (docs/BENCHMARKS.md)
#   make static   build/static/chatd and chat-sweep with the libraries linked
#                 in, for a host that lacks them (only glibc stays dynamic)
#   make dist     dist/chat/: the static programs, the web client, the SQL
#                 and the Apache files, ready to upload to a shared host
#   make clean

PORT	?= 8080
PKGS	 = fcgi json-c libmariadb libsodium

CC	?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
HARDEN	 = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -pthread $(WARN) $(HARDEN) $(PKG_CFLAGS)
LDFLAGS	+= -pie -Wl,-z,relro,-z,now -pthread
LDLIBS	+= $(PKG_LIBS)

# A sanitizer build for the tests: address and undefined behaviour.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=all

# The library, by floor (docs/DESIGN.md, "Code layout"): ground, domain,
# faces; the front (main.c, route.c, sweeper.c) on top.
LIB_SRCS = util conf db db_pool http http_reply valid inbox waiter wake peer \
	   core_auth core_login core_accounts core_users core_friends core_events \
	   core_marker core_watch core_send core_messages core_conv \
	   core_topics core_match core_pictures core_safety core_live \
	   mail core_sessions core_remove core_reset api_account \
	   api_auth api_users api_friends api_safety api_messages api_conv \
	   api_match core_edit api_edit core_grams core_search api_search \
	   api_live api_poll api_pictures core_files api_files seed seed003_frame seed003 seed003_talk \
	   seed002 route
B	 = build
OBJS	 = $(LIB_SRCS:%=$(B)/%.o)
HDRS	 = $(wildcard cgi-bin/*.h)

all: cgi-bin/chatd cgi-bin/chat-sweep

$(B)/%.o: cgi-bin/%.c $(HDRS) | $(B)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B):
	mkdir -p $(B)

$(B)/libchat.a: $(OBJS)
	rm -f $@ && ar rcs $@ $(OBJS)

cgi-bin/chatd: $(B)/main.o $(B)/libchat.a
	$(CC) $(LDFLAGS) -o $@ $(B)/main.o $(B)/libchat.a $(LDLIBS)

cgi-bin/chat-sweep: $(B)/sweeper.o $(B)/libchat.a
	$(CC) $(LDFLAGS) -o $@ $(B)/sweeper.o $(B)/libchat.a $(LDLIBS)

# The same programs built with sanitizers, used by `make test`.
$(B)/san/%.o: cgi-bin/%.c $(HDRS)
	@mkdir -p $(B)/san
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(B)/san/libchat.a: $(LIB_SRCS:%=$(B)/san/%.o)
	rm -f $@ && ar rcs $@ $^

$(B)/san/chatd: $(B)/san/main.o $(B)/san/libchat.a
	$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/san/chat-sweep: $(B)/san/sweeper.o $(B)/san/libchat.a
	$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

san: $(B)/san/chatd $(B)/san/chat-sweep

# The same programs for a host without the libraries: libfcgi, json-c,
# libsodium and the MariaDB client with what it needs (OpenSSL, zlib) linked
# in from the archives Debian's -dev packages ship; glibc (libc, libm) stays
# dynamic, and so do PIE and full RELRO.  The client's optional auth plugins
# (ed25519, caching_sha2...) are not in it (it looks for them where Debian
# keeps them): the account must use mysql_native_password, MariaDB's default.
STATIC_A = fcgi json-c mariadb ssl crypto z sodium
STATIC_PKG  := $(shell pkg-config --static --libs $(PKGS) 2>/dev/null)
STATIC_LIBS := $(foreach l,$(STATIC_PKG),$(if $(filter $(STATIC_A:%=-l%),$(l)),-l:lib$(l:-l%=%).a,$(l)))

$(B)/static/chatd: $(B)/main.o $(B)/libchat.a
	@mkdir -p $(B)/static
	$(CC) $(LDFLAGS) -o $@ $(B)/main.o $(B)/libchat.a $(STATIC_LIBS)

$(B)/static/chat-sweep: $(B)/sweeper.o $(B)/libchat.a
	@mkdir -p $(B)/static
	$(CC) $(LDFLAGS) -o $@ $(B)/sweeper.o $(B)/libchat.a $(STATIC_LIBS)

static: $(B)/static/chatd $(B)/static/chat-sweep

# dist/chat/: what a shared host needs, to upload as it is (README: "Shared
# hosting, step by step").  sql/install.sql is every migration in one file
# for a control panel's SQL import; scripts/migrate.sh and sql/ for a host
# with a shell.  The programs are stripped (build/static/ keeps symbols).
DIST	 = dist/chat
dist: static
	rm -rf $(DIST)
	mkdir -p $(DIST)/cgi-bin $(DIST)/sql $(DIST)/scripts
	strip -o $(DIST)/cgi-bin/chatd $(B)/static/chatd
	strip -o $(DIST)/cgi-bin/chat-sweep $(B)/static/chat-sweep
	cp cgi-bin/chat.conf.example $(DIST)/cgi-bin/
	cp -R www $(DIST)/www
	cp sql/[0-9][0-9][0-9]-*.sql $(DIST)/sql/
	scripts/install-sql.sh >$(DIST)/sql/install.sql.tmp
	mv $(DIST)/sql/install.sql.tmp $(DIST)/sql/install.sql
	cp scripts/migrate.sh $(DIST)/scripts/
	if [ -d deploy/apache ]; then mkdir -p $(DIST)/deploy && \
	    cp -R deploy/apache $(DIST)/deploy/; fi

# Unit tests: each tests/unit/test_X.c includes cgi-bin/X.c.
UNIT	 = $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/test_*.c))
$(B)/unit/%: tests/unit/%.c $(B)/san/libchat.a $(HDRS)
	@mkdir -p $(B)/unit
	$(CC) $(CFLAGS) $(SAN_FLAGS) -Icgi-bin $(shell pkg-config --cflags check) \
	    -o $@ $< $(B)/san/libchat.a $(LDLIBS) $(shell pkg-config --libs check)

# The code layout's rules (docs/DESIGN.md): a script that reads cgi-bin/
# when it runs, copied where tests/run.sh runs every unit test.
$(B)/unit/test_layers: tests/unit/test_layers.sh
	@mkdir -p $(B)/unit
	cp tests/unit/test_layers.sh $@
	chmod +x $@

unit: $(UNIT) $(B)/unit/test_layers

deps:
	@scripts/stack.sh deps

deps-test:
	@scripts/stack.sh deps test

run: deps
	$(MAKE) all
	scripts/stack.sh run "$(CURDIR)/var" $(PORT)

test: deps-test
	$(MAKE) all san unit static dist $(if $(wildcard tests/bench/loadgen.c),tests/bench/loadgen)
	tests/run.sh

tests/bench/loadgen: tests/bench/loadgen.c
	$(CC) -O2 -g -std=gnu11 $(WARN) -o $@ $< $(shell pkg-config --cflags --libs json-c) -lm

deps-bench:
	@scripts/stack.sh deps bench

bench: deps-bench
	$(MAKE) all static tests/bench/loadgen
	tests/bench/bench.sh

clean:
	rm -rf $(B) dist cgi-bin/chatd cgi-bin/chat-sweep tests/bench/loadgen

.PHONY: all san unit static dist deps deps-test deps-bench run test bench clean
