/*
 * Array literal syntax: elements separated by commas, a string element in
 * double quotes with '"' and '\' escaped by a backslash, NULL unquoted.
 */

#include "config.h"

#include <sys/types.h>

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "pg_array.h"

static void
sep(struct vsb *vsb)
{
	if (VSB_len(vsb) > 1)
		AZ(VSB_putc(vsb, ','));
}

struct vsb *
pg_array_new(void)
{
	struct vsb *vsb;

	vsb = VSB_new_auto();
	AN(vsb);
	AZ(VSB_putc(vsb, '{'));
	return (vsb);
}

void
pg_array_null(struct vsb *vsb)
{
	sep(vsb);
	AZ(VSB_cat(vsb, "NULL"));
}

void
pg_array_text(struct vsb *vsb, const char *s)
{
	size_t n;

	if (s == NULL) {
		pg_array_null(vsb);
		return;
	}
	sep(vsb);
	AZ(VSB_putc(vsb, '"'));
	for (;;) {
		n = strcspn(s, "\"\\");
		AZ(VSB_bcat(vsb, s, n));
		s += n;
		if (*s == '\0')
			break;
		AZ(VSB_putc(vsb, '\\'));
		AZ(VSB_putc(vsb, *s++));
	}
	AZ(VSB_putc(vsb, '"'));
}

void
pg_array_int(struct vsb *vsb, int64_t v)
{
	sep(vsb);
	AZ(VSB_printf(vsb, "%" PRId64, v));
}

/* A number to so many significant digits; not finite: NULL. */
static void
put_number(struct vsb *vsb, double v, int digits)
{
	if (!isfinite(v)) {
		pg_array_null(vsb);
		return;
	}
	sep(vsb);
	AZ(VSB_printf(vsb, "%.*g", digits, v));
}

void
pg_array_real(struct vsb *vsb, double v)
{
	put_number(vsb, v, 6);
}

void
pg_array_double(struct vsb *vsb, double v)
{
	put_number(vsb, v, 17);
}

void
pg_array_bool(struct vsb *vsb, int v)
{
	sep(vsb);
	AZ(VSB_putc(vsb, v ? 't' : 'f'));
}

void
pg_array_end(struct vsb *vsb)
{
	AZ(VSB_putc(vsb, '}'));
	AZ(VSB_finish(vsb));
}
