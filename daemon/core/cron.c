/*
 * The cron parser of cron.h, and the next run in a time zone.
 *
 * No library: Debian packages none in C that parses cron's language
 * and answers in a time zone; cronie and bcron are daemons, not
 * libraries.  The language is small, and its table test is
 * tests/unit/test_cron.c.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "cron.h"
#include "tzfile.h"

static const char *const cron_months[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const cron_days[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct cron_field {
	const char *name;
	unsigned lo, hi;
	const char *const *names; /* names[i] is lo + i */
	const char *spelled; /* "jan-dec" */
} cron_fields[5] = {
	{ "minute", 0, 59, NULL, NULL },
	{ "hour", 0, 23, NULL, NULL },
	{ "day of the month", 1, 31, NULL, NULL },
	{ "month", 1, 12, cron_months, "jan-dec" },
	{ "day of the week", 0, 7, cron_days, "sun-sat" },
};

static const struct cron_macro {
	const char *name;
	const char *expr;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/*--------------------------------------------------------------------
 * Parsing
 */

/* A number of at most 3 digits at *pp; -1 if none. */
static int
cron_number(const char **pp, const char *end, unsigned *v)
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

/* A number at *pp, or a name of the field's; -1 if
 * neither, with why written when it was a name. */
static int
cron_value(const struct cron_field *f, const char **pp, const char *end,
    unsigned *v, char *why, size_t len)
{
	const char *p = *pp;
	unsigned i;

	if (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
		while (p < end &&
		    ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			p++;
		for (i = 0; f->names != NULL && f->names[i] != NULL; i++)
			if (p - *pp == 3 && !strncasecmp(*pp, f->names[i], 3))
				break;
		if (f->names == NULL || f->names[i] == NULL) {
			if (f->names == NULL)
				snprintf(why, len, "%s: '%.*s' is not a number",
				    f->name, (int)(p - *pp), *pp);
			else
				snprintf(why, len,
				    "%s: '%.*s' is not a name of one (%s)",
				    f->name, (int)(p - *pp), *pp, f->spelled);
			return (-1);
		}
		*v = f->lo + i;
		*pp = p;
		return (0);
	}
	return (cron_number(pp, end, v));
}

static int
cron_bad(const struct cron_field *f, char *why, size_t len)
{
	snprintf(why, len,
	    "%s: not '*', a %s, a range 'a-b', a list of them, "
	    "or any of them with a '/step'",
	    f->name, f->names != NULL ? "number or a name" : "number");
	return (-1);
}

/*
 * One item of a list, "*", "a", "a-b", each with an optional "/step";
 * "a/step" runs from a to the field's last value, as cronie's does.
 */
static int
cron_item(const struct cron_field *f, const char *p, const char *end,
    uint64_t *bits, char *why, size_t len)
{
	unsigned a, b, step = 1, v;
	int single = 0;

	*why = '\0';
	if (p < end && *p == '*') {
		a = f->lo;
		b = f->hi;
		p++;
	} else {
		if (cron_value(f, &p, end, &a, why, len) != 0)
			goto bad;
		b = a;
		single = 1;
		if (p < end && *p == '-') {
			p++;
			single = 0;
			if (cron_value(f, &p, end, &b, why, len) != 0)
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
		if (cron_number(&p, end, &step) != 0)
			goto bad;
		if (step == 0 || step > f->hi - f->lo + 1) {
			snprintf(why, len, "%s: a step of 1 to %u", f->name,
			    f->hi - f->lo + 1);
			return (-1);
		}
		if (single)
			b = f->hi;
	}
	if (p != end)
		goto bad;
	for (v = a; v <= b; v += step)
		*bits |= (uint64_t)1 << v;
	return (0);
bad:
	if (*why != '\0')
		return (-1);
	return (cron_bad(f, why, len));
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

/* "@daily" and the like as their five fields; NULL: said why. */
static const char *
cron_macro(const char *expr, char *why, size_t len)
{
	size_t n;
	unsigned i;

	n = strcspn(expr, " \t");
	if (expr[n + strspn(expr + n, " \t")] != '\0') {
		snprintf(why, len, "a macro (%.*s) stands alone", (int)n, expr);
		return (NULL);
	}
	for (i = 0; i < sizeof cron_macros / sizeof cron_macros[0]; i++)
		if (strlen(cron_macros[i].name) == n &&
		    !strncasecmp(expr, cron_macros[i].name, n))
			return (cron_macros[i].expr);
	if (n == 7 && !strncasecmp(expr, "@reboot", n))
		snprintf(why, len,
		    "@reboot: a website's jobs do not follow stoked's "
		    "restarts; give a time instead");
	else
		snprintf(why, len,
		    "'%.*s' is not a macro (@yearly, @annually, @monthly, "
		    "@weekly, @daily, @midnight, @hourly)",
		    (int)n, expr);
	return (NULL);
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
	p = expr + strspn(expr, " \t");
	if (*p == '@') {
		p = cron_macro(p, why, len);
		if (p == NULL)
			return (-1);
	}
	memset(c, 0, sizeof *c);
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
		if (i == 2)
			c->mday_star = *p == '*';
		if (i == 4)
			c->wday_star = *p == '*';
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

/*--------------------------------------------------------------------
 * The next run
 */

static int
cron_day(const struct cron *c, const struct tz_tm *tm)
{
	int md, wd;

	md = (c->mday >> tm->mday) & 1;
	wd = (c->wday >> tm->wday) & 1;
	if (c->mday_star || c->wday_star)
		return (md && wd);
	return (md || wd);
}

/* The first value of bits at or after v, up to hi; hi + 1 if none. */
static unsigned
cron_from(uint64_t bits, unsigned v, unsigned hi)
{
	while (v <= hi && !((bits >> v) & 1))
		v++;
	return (v);
}

/*
 * Walks the wall times after the one of `after`, a month, a day, an
 * hour or a minute at a time, whichever the field that fails allows;
 * each wall time that matches is taken at its instant (tz_instant),
 * which never goes back as the wall time goes on.  The first instant
 * past after is the run: a second coming of a wall time, or a skipped
 * one whose instant is the gap's end already run, is not.
 */
int
cron_next(const struct cron *c, const struct tz *z, int64_t after,
    int64_t *next)
{
	struct tz_tm tm;
	int64_t w, t, end;
	unsigned v;

	AN(c);
	AN(next);
	w = tz_wall(z, after);
	w = w - ((w % 60) + 60) % 60 + 60;
	tz_split(w, &tm);
	end = tz_join(tm.year + CRON_HORIZON_YEARS, 1, 1, 0, 0, 0);
	while (w < end) {
		tz_split(w, &tm);
		if (!((c->month >> tm.mon) & 1)) {
			w = tm.mon == 12
			    ? tz_join(tm.year + 1, 1, 1, 0, 0, 0)
			    : tz_join(tm.year, tm.mon + 1, 1, 0, 0, 0);
			continue;
		}
		if (!cron_day(c, &tm)) {
			w = tz_join(tm.year, tm.mon, tm.mday, 0, 0, 0) + 86400;
			continue;
		}
		v = cron_from(c->hour, tm.hour, 23);
		if (v != tm.hour) {
			w = tz_join(tm.year, tm.mon, tm.mday, 0, 0, 0) +
			    (int64_t)v * 3600;
			continue;
		}
		v = cron_from(c->minute, tm.min, 59);
		if (v != tm.min) {
			w = tz_join(tm.year, tm.mon, tm.mday, tm.hour, 0, 0) +
			    (int64_t)v * 60;
			continue;
		}
		t = tz_instant(z, w);
		if (t > after) {
			*next = t;
			return (0);
		}
		w += 60;
	}
	return (-1);
}
