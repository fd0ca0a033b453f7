/*
 * The cron parser of cron.h.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "cron.h"

static const struct cron_field {
	const char *name;
	unsigned lo, hi;
} cron_fields[5] = {
	{ "minute", 0, 59 },
	{ "hour", 0, 23 },
	{ "day of the month", 1, 31 },
	{ "month", 1, 12 },
	{ "day of the week", 0, 7 },
};

/* A number of at most 3 digits at *pp; -1 if none. */
static int
cron_num(const char **pp, const char *end, unsigned *v)
{
	const char *p = *pp;

	*v = 0;
	while (p < end && *p >= '0' && *p <= '9' && p - *pp < 3)
		*v = *v * 10 + (unsigned)(*p++ - '0');
	if (p == *pp || (p < end && *p >= '0' && *p <= '9'))
		return (-1);
	*pp = p;
	return (0);
}

/* One item of a list, "*", "a", "a-b", each with an optional "/step". */
static int
cron_item(const struct cron_field *f, const char *p, const char *end,
    uint64_t *bits, char *why, size_t len)
{
	unsigned a, b, step = 1, v;

	if (p < end && *p == '*') {
		a = f->lo;
		b = f->hi;
		p++;
	} else {
		if (cron_num(&p, end, &a) != 0)
			goto bad;
		b = a;
		if (p < end && *p == '-') {
			p++;
			if (cron_num(&p, end, &b) != 0)
				goto bad;
		}
		if (a < f->lo || b > f->hi) {
			snprintf(why, len, "%s: %u to %u", f->name, f->lo,
			    f->hi);
			return (-1);
		}
		if (a > b) {
			snprintf(why, len, "%s: a range from %u down to %u",
			    f->name, a, b);
			return (-1);
		}
	}
	if (p < end && *p == '/') {
		p++;
		if (cron_num(&p, end, &step) != 0)
			goto bad;
		if (step == 0 || step > f->hi - f->lo + 1) {
			snprintf(why, len, "%s: a step of 1 to %u", f->name,
			    f->hi - f->lo + 1);
			return (-1);
		}
	}
	if (p != end)
		goto bad;
	for (v = a; v <= b; v += step)
		*bits |= (uint64_t)1 << v;
	return (0);
bad:
	snprintf(why, len,
	    "%s: not '*', a number, a range 'a-b', a list of them, "
	    "or any of them with a '/step'",
	    f->name);
	return (-1);
}

/* One field, a list of items separated by commas. */
static int
cron_field(const struct cron_field *f, const char *p, const char *end,
    uint64_t *bits, char *why, size_t len)
{
	const char *c;

	*bits = 0;
	for (;;) {
		c = memchr(p, ',', (size_t)(end - p));
		if (c == NULL)
			c = end;
		if (cron_item(f, p, c, bits, why, len) != 0)
			return (-1);
		if (c == end)
			return (0);
		p = c + 1;
	}
}

int
cron_parse(const char *expr, struct cron *c, char *why, size_t len)
{
	uint64_t bits[5];
	const char *p, *e;
	unsigned i;

	AN(expr);
	AN(c);
	AN(why);
	if (strlen(expr) > CRON_MAX) {
		snprintf(why, len, "over %d bytes", CRON_MAX);
		return (-1);
	}
	p = expr;
	for (i = 0; i < 5; i++) {
		p += strspn(p, " \t");
		e = p + strcspn(p, " \t");
		if (e == p) {
			snprintf(why, len,
			    "%u fields where five are needed "
			    "(minute hour day month weekday)",
			    i);
			return (-1);
		}
		if (cron_field(&cron_fields[i], p, e, &bits[i], why, len) != 0)
			return (-1);
		p = e;
	}
	p += strspn(p, " \t");
	if (*p != '\0') {
		snprintf(why, len,
		    "more than five fields (minute hour day month weekday)");
		return (-1);
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->mday = (uint32_t)bits[2];
	c->month = (uint16_t)bits[3];
	/* Sunday is 0 and 7. */
	c->wday = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
	return (0);
}
