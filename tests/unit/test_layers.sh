#!/bin/sh
# test_layers.sh: the code layout's rules (docs/DESIGN.md, "Code layout"),
# checked on cgi-bin/*.c and *.h from their #include "x.h" lines.  Each
# file's floor comes from its name:
#   front   main, route, sweeper
#   faces   api_*, seed*, handlers.h (the h_* the front dispatches to)
#   domain  core_*
#   ground  every other name (db, http, valid, waiter, util, caps.h ...)
# It fails on
#   - an include of a floor above (front > faces > domain > ground);
#   - two files that include each other (x.c or x.h including "y.h"
#     while y.c or y.h includes "x.h"), or a longer cycle of includes;
#   - domain code that knows the request: struct req, http_*, or the
#     headers http.h, http_reply.h, req.h (a face turns its results into
#     HTTP);
#   - a cgi-bin/*.c over 600 lines (split it where its concern splits);
#   - a .c file (or a header without one) missing from the map in
#     docs/DESIGN.md's "Code layout", when that file is there.
# Exceptions go in ALLOW below, each with its reason.
# Run by `make test` as build/unit/test_layers (a copy made by `make
# unit`); prints what it found and exits non-zero on any of it.
set -u
dir=${1:-$(cd "$(dirname "$0")/../../cgi-bin" && pwd)}
max=600

# Exceptions: one "file rule" a line (rule: up, mutual, http or size; a
# mutual exception names the first stem in sort order), under a comment
# that says why.  None today.
ALLOW='
'

allowed() {
	printf '%s\n' "$ALLOW" | grep -qx "$1 $2"
}

# The floor of a file stem: 3 front, 2 faces, 1 domain, 0 ground.
floor() {
	case $1 in
	main|route|sweeper)	echo 3 ;;
	api_*|seed*|handlers)	echo 2 ;;
	core_*)			echo 1 ;;
	*)			echo 0 ;;
	esac
}

fname() {
	case $1 in
	3) echo front ;; 2) echo faces ;; 1) echo domain ;; *) echo ground ;;
	esac
}

fails=0
fail() {
	echo "test_layers: $*"
	fails=$((fails + 1))
}

cd "$dir" || exit 2
edges=$(mktemp "${TMPDIR:-/tmp}/layers.XXXXXX")
trap 'rm -f "$edges" "$edges".*' EXIT

# Every include of a project header, as "from-stem to-stem file".
for f in *.c *.h; do
	[ -f "$f" ] || continue
	from=${f%.*}
	sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)\.h".*/\1/p' "$f" |
	while read -r to; do
		[ "$to" = "$from" ] || echo "$from $to $f"
	done
done | sort -u >"$edges"

# Upward includes.
while read -r from to f; do
	a=$(floor "$from")
	b=$(floor "$to")
	if [ "$b" -gt "$a" ] && ! allowed "$f" up; then
		fail "$f ($(fname "$a")) includes $to.h ($(fname "$b")):" \
		    "an arrow up"
	fi
done <"$edges"

# Mutual includes, then any longer cycle (tsort names one of its loops).
awk '{ print $1, $2 }' "$edges" | sort -u | awk '
	{ e[$1 " " $2] = 1 }
	END { for (k in e) { split(k, p, " ");
		if (p[1] < p[2] && (p[2] " " p[1]) in e)
			print p[1], p[2] } }' | sort >"$edges.mutual"
while read -r a b; do
	allowed "$a" mutual ||
	    fail "$a and $b include each other (an arrow both ways)"
done <"$edges.mutual"
awk '{ print $1, $2 }' "$edges" | tsort 2>&1 >/dev/null | awk '
	/input contains a loop/ { if (n > 2) print l; l = ""; n = 0; next }
	{ sub(/^tsort: /, ""); l = l (n++ ? " -> " : "") $0 }
	END { if (n > 2) print l }' >"$edges.loop"
while read -r loop; do
	fail "a cycle of includes: $loop"
done <"$edges.loop"
rm -f "$edges.mutual" "$edges.loop"

# The domain knows no request and answers no HTTP.
for f in core_*.c core_*.h; do
	[ -f "$f" ] || continue
	grep -n -E -e '#[ \t]*include[ \t]*"(http|http_reply|req)\.h"' \
	    -e 'struct req\b|\bhttp_[a-z_]+\(' "$f" |
	    grep -v '^[0-9]*:[ \t]*/\?\*' | while IFS= read -r l; do
		allowed "$f" http ||
		    echo "test_layers: $f:${l%%:*}: the domain knows HTTP:" \
		    "${l#*:}"
	done
done >"$edges.http"
if [ -s "$edges.http" ]; then
	cat "$edges.http"
	fails=$((fails + $(wc -l <"$edges.http")))
fi
rm -f "$edges.http"

# File sizes.
for f in *.c; do
	[ -f "$f" ] || continue
	n=$(wc -l <"$f")
	if [ "$n" -gt "$max" ] && ! allowed "$f" size; then
		fail "$f has $n lines, over $max: split it where its concern" \
		    "splits"
	fi
done

# The map names every file.
doc=../docs/DESIGN.md
if [ -f "$doc" ]; then
	sed -n '/^## Code layout/,/^## /p' "$doc" >"$edges.map"
	for f in *.c *.h; do
		[ -f "$f" ] || continue
		case $f in *.h) [ -f "${f%.h}.c" ] && continue ;; esac
		grep -q "\(^\|[^a-z0-9_]\)$f\([^a-z0-9_]\|$\)" "$edges.map" ||
		    fail "$f is not in the map of $doc (Code layout)"
	done
	rm -f "$edges.map"
fi

if [ "$fails" -gt 0 ]; then
	echo "test_layers: $fails problem(s) in $dir"
	exit 1
fi
echo "test_layers: ok ($(ls *.c *.h | wc -l) files in $dir)"
