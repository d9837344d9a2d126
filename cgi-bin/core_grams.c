/*
 * core_grams.c: a text cut into the grams of the search index (issue 24;
 * core_search.c, docs/DESIGN.md "Message search"): within a run of
 * alphabetic letters (a word) its overlapping triples, or the word itself
 * if it has two letters; within a run of anything else that is not a
 * separator (Chinese, Japanese, Korean, emoji) its overlapping pairs; all
 * lower-cased.  tests/bench/search.py does the same in Python.
 */
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "caps.h"
#include "core_grams.h"

enum { C_SEP, C_WORD, C_PAIR, C_SKIP };

static locale_t		 lc;
static pthread_once_t	 lc_once = PTHREAD_ONCE_INIT;

/* C.UTF-8 knows every script's case; without it, ASCII only. */
static void
lc_init(void)
{
	lc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The next code point of s (valid UTF-8, checked at the door). */
static uint32_t
utf8_next(const unsigned char **sp, const unsigned char *end)
{
	const unsigned char	*s = *sp;
	uint32_t		 c = *s++;
	int			 more = 0;

	if (c >= 0xf0 && c < 0xf8)
		c &= 0x07, more = 3;
	else if (c >= 0xe0)
		c &= 0x0f, more = 2;
	else if (c >= 0xc0)
		c &= 0x1f, more = 1;
	for (; more > 0 && s < end && (*s & 0xc0) == 0x80; more--)
		c = (c << 6) | (*s++ & 0x3f);
	*sp = s;
	return c;
}

static size_t
utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* What c is to the grams (C_*): tests/bench/search.py mirrors it. */
static int
gram_class(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') ? C_WORD : C_SEP;
	if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0x200b && c <= 0x200f))
		return C_SKIP;		/* variation selectors, joiners */
	if (c < 0xc0 || c == 0xd7 || c == 0xf7 ||
	    (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe10 && c <= 0xfe1f) || (c >= 0xfe30 && c <= 0xfe4f) ||
	    (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	    (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65))
		return C_SEP;		/* spaces and punctuation */
	if (c <= 0x058f || (c >= 0x1e00 && c <= 0x1fff))
		return C_WORD;		/* Latin, Greek, Cyrillic, Armenian */
	return C_PAIR;
}

static int
gram_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The grams of s into out (at most max, sorted, each once); their number.
 * A query (query != 0) drops two-letter words when it has longer grams,
 * which the body check then covers: the query's edges may cut words.
 */
size_t
grams_cut(const char *s, size_t len, int query, char (*out)[16],
    size_t max)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	char			 sw[CAP_SEARCH_Q_MAX / 2 + 1][16];
	uint32_t		 run[3], c;
	size_t			 n = 0, i, k, o, rlen = 0, nsw = 0;
	int			 cls, rcls = C_SEP, w, at_end;

	pthread_once(&lc_once, lc_init);
	for (;;) {
		at_end = p >= end;
		c = at_end ? ' ' : utf8_next(&p, end);
		if ((cls = gram_class(c)) == C_SKIP)
			continue;
		if (cls == C_WORD && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (cls == C_WORD && c >= 0x80 && lc != (locale_t)0)
			c = (uint32_t)towlower_l((wint_t)c, lc);
		if (cls != rcls) {
			/* A word of two letters is a gram of its own. */
			if (rcls == C_WORD && rlen == 2 && n < max &&
			    !(query && nsw >= sizeof(sw) / sizeof(sw[0]))) {
				char *g = query ? sw[nsw++] : out[n++];

				o = utf8_put(g, run[0]);
				o += utf8_put(g + o, run[1]);
				g[o] = '\0';
			}
			rlen = 0;
			rcls = cls;
		}
		if (at_end)
			break;
		if (cls == C_SEP)
			continue;
		if (rlen < 3)
			run[rlen] = c;
		else {
			run[0] = run[1];
			run[1] = run[2];
			run[2] = c;
		}
		rlen++;
		w = cls == C_WORD ? 3 : 2;
		if (rlen >= (size_t)w && n < max) {
			k = (rlen > 3 ? 3 : rlen) - (size_t)w;
			for (o = 0, i = 0; i < (size_t)w; i++)
				o += utf8_put(out[n] + o, run[k + i]);
			out[n++][o] = '\0';
		}
	}
	/*
	 * A query's two-letter words count only when it has nothing longer:
	 * at its edges they may be pieces of longer words.
	 */
	for (i = 0; n == 0 && i < nsw && i < max; i++)
		memcpy(out[i], sw[i], 16);
	if (n == 0)
		n = i;
	qsort(out, n, 16, gram_cmp);
	for (i = k = 0; i < n; i++)
		if (k == 0 || strcmp(out[k - 1], out[i]) != 0)
			memmove(out[k++], out[i], 16);
	return k;
}

