/*
 * stoke/1 records (proto/RECORD_FORMAT.md).  A VCL_Log line reaches
 * stoked from any VCL: rec_parse() reads the input as such a line, and
 * every field is looked up and decoded as the observer does.  Then the
 * input's strings are written as a record by vmod_stoke's writer, cut to
 * a VSL record's length, and read back: an uncut record gives back
 * exactly what was written.
 */

#include "config.h"

#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "proto/record.h"
#include "proto/record_parse.h"

#include "fuzz/fuzz.h"

static const char *const keys[] = { "url", "host", "vxid", "tags", "ban",
	"variant", "key", "soft", "n", "trunc" };

static void
read_line(const uint8_t *data, size_t size)
{
	char val[8192];
	struct rec_view rv;
	const char *v;
	size_t vlen;
	unsigned i;

	if (rec_parse((const char *)data, size, &rv) != 0)
		return;
	assert(rv.nfield <= REC_MAX_FIELDS);
	assert(rv.elen > 0);
	for (i = 0; i < rv.nfield; i++) {
		assert(rv.field[i].key >= (const char *)data);
		assert(rv.field[i].val + rv.field[i].vlen <=
		    (const char *)data + size);
		(void)rec_decode(val, sizeof val, rv.field[i].val,
		    rv.field[i].vlen);
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = rec_get(&rv, keys[i], &vlen);
		if (v != NULL)
			(void)rec_decode(val, sizeof val, v, vlen);
	}
	(void)rec_event_is(&rv, "ban");
}

/* What was written comes back, unless the record was cut. */
static void
round_trip(const uint8_t *data, size_t size)
{
	char buf[4096], val[4096], *s[4];
	const uint8_t *p = data;
	struct rec_view rv;
	struct rec r;
	size_t left = size, len, limit, vlen;
	const char *v;
	unsigned cut, i;
	ssize_t n;

	if (size < 1)
		return;
	limit = 24 + (size_t)p[0] * 16; /* from the least to over 4 KiB */
	p++;
	left--;
	for (i = 0; i < 4; i++)
		s[i] = fuzz_next(&p, &left);
	rec_init(&r, buf, sizeof buf, "purge");
	rec_str(&r, "url", s[0]);
	rec_str(&r, "host", s[1]);
	rec_int(&r, "n", (intmax_t)strlen(s[2]) - 7);
	rec_open(&r, "tags");
	rec_append(&r, s[2], strlen(s[2]));
	rec_append(&r, s[3], strlen(s[3]));
	rec_close(&r);
	len = rec_finish(&r, limit, &cut);
	assert(len <= limit && len <= sizeof buf);
	if (!cut) {
		AZ(rec_parse(buf, len, &rv));
		assert(rec_event_is(&rv, "purge"));
		AZ(rv.trunc);
		v = rec_get(&rv, "url", &vlen);
		AN(v);
		n = rec_decode(val, sizeof val, v, vlen);
		assert(n == (ssize_t)strlen(s[0]));
		AZ(memcmp(val, s[0], (size_t)n));
	} else if (rec_parse(buf, len, &rv) == 0) {
		assert(rv.trunc);
	}
	for (i = 0; i < 4; i++)
		free(s[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_line(data, size);
	round_trip(data, size);
	return (0);
}
