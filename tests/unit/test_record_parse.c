/*
 * rec_parse(): reads back what record.c writes (round trips, cut records
 * included) and refuses what it would never write.  Its input is any
 * VCL_Log line that starts like ours, so it is untrusted.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/record.h"
#include "proto/record_parse.h"
#include "unit.h"

static void
round_trip(void)
{
	char buf[512], dec[64];
	struct rec_view rv;
	struct rec r;
	const char *v;
	unsigned cut;
	size_t len, vl;
	ssize_t n;

	rec_init(&r, buf, sizeof buf, "purge");
	rec_str(&r, "how", "soft");
	rec_str(&r, "host", "shop.example");
	rec_str(&r, "url", "/a b?c=%");
	rec_int(&r, "n", -1);
	rec_str(&r, "v.My-Dim", "");
	len = rec_finish(&r, sizeof buf, &cut);
	CHECK_INT_EQ(cut, 0);
	CHECK_INT_EQ(rec_parse(buf, len, &rv), 0);
	CHECK(rec_event_is(&rv, "purge"));
	CHECK(!rec_event_is(&rv, "purg"));
	CHECK_INT_EQ(rv.nfield, 5);
	CHECK_INT_EQ(rv.trunc, 0);
	v = rec_get(&rv, "url", &vl);
	CHECK(v != NULL);
	n = rec_decode(dec, sizeof dec, v, vl);
	CHECK_INT_EQ(n, 8);
	CHECK(n == 8 && !memcmp(dec, "/a b?c=%", 8));
	v = rec_get(&rv, "v.My-Dim", &vl);
	CHECK(v != NULL);
	CHECK_INT_EQ(vl, 0);
	CHECK(rec_get(&rv, "nope", NULL) == NULL);

	/* A VSL text record carries its NUL: it is not part of the line. */
	buf[len] = '\0';
	CHECK_INT_EQ(rec_parse(buf, len + 1, &rv), 0);
	CHECK_INT_EQ(rv.nfield, 5);

	/* Cut records read as cut, with the whole fields that were kept. */
	rec_init(&r, buf, sizeof buf, "miss");
	rec_str(&r, "host", "shop");
	rec_str(&r, "url", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	len = rec_finish(&r, 40, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK_INT_EQ(rec_parse(buf, len, &rv), 0);
	CHECK_INT_EQ(rv.trunc, 1);
	CHECK(rec_get(&rv, "host", NULL) != NULL);
	CHECK(rec_get(&rv, "url", NULL) == NULL);
}

static void
refused(void)
{
	static const char *const bad[] = {
		"",
		"stoke/1",
		"stoke/1 ",
		"stoke/2 purge how=hard",
		"Stoke/1 purge",
		"stoke/1  purge",
		"stoke/1 purge how",
		"stoke/1 purge =x",
		"stoke/1 purge how=a  url=b",
		"stoke/1 purge how=a url=b ",
		"stoke/1 purge how=a\turl=b",
		"stoke/1 purge how=a\x01",
		"stoke/1 purge how=\xc3\xa9",
		"stoke/1 pu%rge how=a",
		"something else entirely",
		NULL,
	};
	struct rec_view rv;
	unsigned i;

	for (i = 0; bad[i] != NULL; i++) {
		if (!CHECK_INT_EQ(rec_parse(bad[i], strlen(bad[i]), &rv), -1))
			fprintf(stderr, "\taccepted: \"%s\"\n", bad[i]);
	}
	CHECK_INT_EQ(rec_parse(NULL, 0, &rv), -1);
}

static void
hostile(void)
{
	struct rec_view rv;
	char *line;
	size_t len, i;

	/* More fields than a record may have. */
	line = malloc(16 + 4 * (REC_MAX_FIELDS + 1));
	CHECK(line != NULL);
	if (line == NULL)
		return;
	len = (size_t)sprintf(line, "stoke/1 ev");
	for (i = 0; i <= REC_MAX_FIELDS; i++)
		len += (size_t)sprintf(line + len, " k=");
	CHECK_INT_EQ(rec_parse(line, len, &rv), -1);
	/* Exactly as many is fine. */
	len -= 3;
	line[len] = '\0';
	CHECK_INT_EQ(rec_parse(line, len, &rv), 0);
	CHECK_INT_EQ(rv.nfield, REC_MAX_FIELDS);
	free(line);

	/* Length is what counts, not a NUL: nothing is read past it. */
	CHECK_INT_EQ(rec_parse("stoke/1 ev a=1 b=2", 14, &rv), 0);
	CHECK_INT_EQ(rv.nfield, 1);
}

int
main(void)
{
	round_trip();
	refused();
	hostile();
	return (unit_done());
}
