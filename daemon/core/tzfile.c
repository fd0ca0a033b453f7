/*
 * The tzfile reader of tzfile.h.
 *
 * A zone is its list of transitions, each the instant from which an
 * offset holds, then the footer's rule for what comes after the last;
 * before the first, the file's first local time type.  Every question
 * (an offset, the next change, the instant of a wall time) is a binary
 * search of the list or a few years of the rule.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"

#include "tzfile.h"

#define TZ_FILE_MAX 65536 /* bytes; the biggest zone has some 4k */
#define TZ_TRANS_MAX 4096
#define TZ_OFF_MAX (26 * 3600) /* any offset is within, either way */
#define TZ_DAY 86400

/* A date of the footer's rule: "Jn", "n" or "Mm.w.d", then a time. */
struct tz_date {
	char kind; /* 'J', 'N', 'M' */
	unsigned n, m, w, d;
	int32_t time; /* seconds after midnight; may be < 0 or > 24 h */
};

/* The footer: "STDoffset[DST[offset][,start[/time],end[/time]]]". */
struct tz_rule {
	int present;
	int has_dst;
	int32_t std_off, dst_off; /* seconds east, as tz_offset's */
	struct tz_date start, end;
};

struct tz {
	unsigned magic;
#define TZ_MAGIC 0x7a0f11e5
	char name[TZ_NAME_MAX + 1];
	unsigned ntrans;
	int64_t *at; /* increasing */
	int32_t *off; /* the offset from at[i] on */
	int32_t off0; /* before the first */
	struct tz_rule rule;
	VTAILQ_ENTRY(tz) list; /* tz_get's */
};

/*--------------------------------------------------------------------
 * The calendar (days from and to 1970-01-01, after H. Hinnant)
 */

static int64_t
tz_floor_div(int64_t a, int64_t b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

static int64_t
tz_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = tz_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static int
tz_leap(int64_t y)
{
	return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

unsigned
tz_mdays(int64_t year, unsigned mon)
{
	static const unsigned md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	assert(mon >= 1 && mon <= 12);
	return (md[mon - 1] + (mon == 2 && tz_leap(year)));
}

void
tz_split(int64_t t, struct tz_tm *tm)
{
	int64_t z, era, doe, yoe, doy, mp, secs;

	AN(tm);
	z = tz_floor_div(t, TZ_DAY);
	secs = t - z * TZ_DAY;
	tm->wday = (unsigned)((z % 7 + 11) % 7); /* 1970-01-01: Thursday */
	z += 719468;
	era = tz_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->hour = (unsigned)(secs / 3600);
	tm->min = (unsigned)(secs / 60 % 60);
	tm->sec = (unsigned)(secs % 60);
}

int64_t
tz_join(int64_t year, unsigned mon, unsigned mday, unsigned hour, unsigned min,
    unsigned sec)
{
	assert(mon >= 1 && mon <= 12);
	assert(mday >= 1 && mday <= 31);
	return (
	    tz_days(year, mon, mday) * TZ_DAY + hour * 3600 + min * 60 + sec);
}

/*--------------------------------------------------------------------
 * The footer's rule
 */

/* The instant, in local time, that date d of year y begins at. */
static int64_t
tz_date_at(const struct tz_date *d, int64_t y)
{
	int64_t day;
	unsigned first, mday;

	switch (d->kind) {
	case 'J': /* 1 to 365, February 29 never counted */
		day = tz_days(y, 1, 1) + d->n - 1 + (tz_leap(y) && d->n >= 60);
		break;
	case 'N': /* 0 to 365 */
		day = tz_days(y, 1, 1) + d->n;
		break;
	default: /* the d-th day of the week, of week w (5: the last) */
		assert(d->kind == 'M');
		day = tz_days(y, d->m, 1);
		first = (unsigned)((day % 7 + 11) % 7);
		mday = 1 + (d->d + 7 - first) % 7 + 7 * (d->w - 1);
		while (mday > tz_mdays(y, d->m))
			mday -= 7;
		day += mday - 1;
		break;
	}
	return (day * TZ_DAY + d->time);
}

/* The changes of year y: DST's start and end, as instants. */
static void
tz_rule_year(const struct tz_rule *r, int64_t y, int64_t *start, int64_t *end)
{
	*start = tz_date_at(&r->start, y) - r->std_off;
	*end = tz_date_at(&r->end, y) - r->dst_off;
}

static int32_t
tz_rule_offset(const struct tz_rule *r, int64_t t)
{
	struct tz_tm tm;
	int64_t s, e;
	int dst;

	if (!r->has_dst)
		return (r->std_off);
	tz_split(t + r->std_off, &tm);
	tz_rule_year(r, tm.year, &s, &e);
	if (s < e)
		dst = t >= s && t < e;
	else /* the southern hemisphere: DST over the new year */
		dst = !(t >= e && t < s);
	return (dst ? r->dst_off : r->std_off);
}

/* The rule's first change after t; INT64_MAX: none. */
static int64_t
tz_rule_next(const struct tz_rule *r, int64_t t)
{
	struct tz_tm tm;
	int64_t y, s, e, best = INT64_MAX;

	if (!r->has_dst)
		return (INT64_MAX);
	tz_split(t, &tm);
	for (y = tm.year - 1; y <= tm.year + 1; y++) {
		tz_rule_year(r, y, &s, &e);
		if (s > t && s < best)
			best = s;
		if (e > t && e < best)
			best = e;
	}
	return (best);
}

/* A number of at most digits digits, up to max. */
static int
tz_posix_num(const char **pp, unsigned max, unsigned *v)
{
	const char *p = *pp;

	*v = 0;
	while (*p >= '0' && *p <= '9' && p - *pp < 3)
		*v = *v * 10 + (unsigned)(*p++ - '0');
	if (p == *pp || *v > max)
		return (-1);
	*pp = p;
	return (0);
}

/* "[+-]hh[:mm[:ss]]" as seconds; hours up to max. */
static int
tz_posix_time(const char **pp, unsigned max, int32_t *secs)
{
	unsigned h, m = 0, s = 0;
	int neg = 0;

	if (**pp == '+' || **pp == '-')
		neg = *(*pp)++ == '-';
	if (tz_posix_num(pp, max, &h) != 0)
		return (-1);
	if (**pp == ':') {
		(*pp)++;
		if (tz_posix_num(pp, 59, &m) != 0)
			return (-1);
		if (**pp == ':') {
			(*pp)++;
			if (tz_posix_num(pp, 59, &s) != 0)
				return (-1);
		}
	}
	*secs = (int32_t)(h * 3600 + m * 60 + s);
	if (neg)
		*secs = -*secs;
	return (0);
}

/* A zone's abbreviation: "CET", or quoted "<+0330>". */
static int
tz_posix_name(const char **pp)
{
	const char *p = *pp;

	if (*p == '<') {
		p = strchr(p, '>');
		if (p == NULL || p - *pp < 4)
			return (-1);
		*pp = p + 1;
		return (0);
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (p - *pp < 3)
		return (-1);
	*pp = p;
	return (0);
}

static int
tz_posix_date(const char **pp, struct tz_date *d)
{
	memset(d, 0, sizeof *d);
	d->time = 2 * 3600;
	if (**pp == 'J') {
		(*pp)++;
		d->kind = 'J';
		if (tz_posix_num(pp, 365, &d->n) != 0 || d->n == 0)
			return (-1);
	} else if (**pp == 'M') {
		(*pp)++;
		d->kind = 'M';
		if (tz_posix_num(pp, 12, &d->m) != 0 || d->m == 0 ||
		    *(*pp)++ != '.' || tz_posix_num(pp, 5, &d->w) != 0 ||
		    d->w == 0 || *(*pp)++ != '.' ||
		    tz_posix_num(pp, 6, &d->d) != 0)
			return (-1);
	} else {
		d->kind = 'N';
		if (tz_posix_num(pp, 365, &d->n) != 0)
			return (-1);
	}
	if (**pp == '/') {
		(*pp)++;
		/* RFC 8536: -167 to 167 hours. */
		if (tz_posix_time(pp, 167, &d->time) != 0)
			return (-1);
	}
	return (0);
}

/* The footer's text (without its newlines); "" is none. */
static int
tz_posix_parse(const char *s, struct tz_rule *r)
{
	const char *p = s;
	int32_t off;

	memset(r, 0, sizeof *r);
	if (*p == '\0')
		return (0);
	r->present = 1;
	if (tz_posix_name(&p) != 0 || tz_posix_time(&p, 24, &off) != 0)
		return (-1);
	/* POSIX counts west; we count east. */
	r->std_off = -off;
	if (*p == '\0')
		return (0);
	r->has_dst = 1;
	if (tz_posix_name(&p) != 0)
		return (-1);
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (tz_posix_time(&p, 24, &off) != 0)
			return (-1);
		r->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule: POSIX leaves it to us; the US's, as glibc. */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || tz_posix_date(&p, &r->start) != 0 || *p++ != ',' ||
	    tz_posix_date(&p, &r->end) != 0 || *p != '\0')
		return (-1);
	return (0);
}

/*--------------------------------------------------------------------
 * The file
 */

struct tz_in {
	const unsigned char *p, *end;
};

static int
tz_in_skip(struct tz_in *in, size_t n)
{
	if ((size_t)(in->end - in->p) < n)
		return (-1);
	in->p += n;
	return (0);
}

static uint32_t
tz_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static int64_t
tz_be64(const unsigned char *p)
{
	return ((int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4)));
}

struct tz_head {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int
tz_head_read(struct tz_in *in, struct tz_head *h)
{
	const unsigned char *p = in->p;

	if (tz_in_skip(in, 44) != 0 || memcmp(p, "TZif", 4) != 0)
		return (-1);
	h->version = (char)p[4];
	h->isutcnt = tz_be32(p + 20);
	h->isstdcnt = tz_be32(p + 24);
	h->leapcnt = tz_be32(p + 28);
	h->timecnt = tz_be32(p + 32);
	h->typecnt = tz_be32(p + 36);
	h->charcnt = tz_be32(p + 40);
	return (0);
}

/* A data block's length with times of tlen bytes. */
static size_t
tz_block_len(const struct tz_head *h, size_t tlen)
{
	return (h->timecnt * tlen + h->timecnt + h->typecnt * 6 + h->charcnt +
	    h->leapcnt * (tlen + 4) + h->isstdcnt + h->isutcnt);
}

static const char *
tz_block_read(struct tz *z, const struct tz_head *h, const unsigned char *p,
    size_t tlen)
{
	const unsigned char *idx, *types;
	uint32_t i, k;
	int32_t o;

	if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > TZ_TRANS_MAX ||
	    h->charcnt == 0)
		return ("a tzfile of impossible counts");
	if (h->leapcnt != 0)
		return ("a zone with leap seconds, which civil time has not");
	idx = p + h->timecnt * tlen;
	types = idx + h->timecnt;
	z->ntrans = h->timecnt;
	if (z->ntrans > 0) {
		z->at = calloc(z->ntrans, sizeof *z->at);
		z->off = calloc(z->ntrans, sizeof *z->off);
		AN(z->at);
		AN(z->off);
	}
	for (i = 0; i < h->typecnt; i++) {
		o = (int32_t)tz_be32(types + 6 * i);
		if (o <= -TZ_OFF_MAX || o >= TZ_OFF_MAX)
			return ("a tzfile with an offset of over a day");
	}
	z->off0 = (int32_t)tz_be32(types);
	for (i = 0; i < z->ntrans; i++) {
		z->at[i] = tlen == 8 ? tz_be64(p + 8 * i)
		                     : (int32_t)tz_be32(p + 4 * i);
		k = idx[i];
		if (k >= h->typecnt)
			return ("a tzfile transition of no type");
		if (i > 0 && z->at[i] <= z->at[i - 1])
			return ("a tzfile whose transitions are out of order");
		z->off[i] = (int32_t)tz_be32(types + 6 * k);
	}
	return (NULL);
}

/* The v2+ footer, "\n...\n" at the very end. */
static const char *
tz_footer_read(struct tz *z, const struct tz_in *in)
{
	char buf[128];
	const unsigned char *nl;
	size_t n;

	n = (size_t)(in->end - in->p);
	if (n < 2 || in->p[0] != '\n')
		return ("a tzfile without its footer");
	nl = memchr(in->p + 1, '\n', n - 1);
	if (nl == NULL || (size_t)(nl - in->p - 1) >= sizeof buf)
		return ("a tzfile without its footer");
	memcpy(buf, in->p + 1, (size_t)(nl - in->p - 1));
	buf[nl - in->p - 1] = '\0';
	if (tz_posix_parse(buf, &z->rule) != 0)
		return ("a tzfile whose footer's rule does not parse");
	return (NULL);
}

struct tz *
tz_parse(const char *name, const void *buf, size_t len, char *why,
    size_t whylen)
{
	struct tz_in in;
	struct tz_head h;
	struct tz *z;
	const char *e;
	size_t tlen = 4;

	AN(name);
	AN(buf);
	in.p = buf;
	in.end = in.p + len;
	if (tz_head_read(&in, &h) != 0) {
		snprintf(why, whylen, "not a tzfile");
		return (NULL);
	}
	if (h.version != '\0') {
		/* Version 2 and on: the block of 64-bit times follows. */
		if (tz_in_skip(&in, tz_block_len(&h, 4)) != 0 ||
		    tz_head_read(&in, &h) != 0) {
			snprintf(why, whylen, "a tzfile cut short");
			return (NULL);
		}
		tlen = 8;
	}
	ALLOC_OBJ(z, TZ_MAGIC);
	AN(z);
	snprintf(z->name, sizeof z->name, "%s", name);
	e = NULL;
	if ((size_t)(in.end - in.p) < tz_block_len(&h, tlen))
		e = "a tzfile cut short";
	if (e == NULL)
		e = tz_block_read(z, &h, in.p, tlen);
	if (e == NULL && tlen == 8) {
		AZ(tz_in_skip(&in, tz_block_len(&h, tlen)));
		e = tz_footer_read(z, &in);
	}
	if (e != NULL) {
		snprintf(why, whylen, "%s", e);
		tz_free(&z);
		return (NULL);
	}
	return (z);
}

static struct tz *
tz_utc(void)
{
	struct tz *z;

	ALLOC_OBJ(z, TZ_MAGIC);
	AN(z);
	snprintf(z->name, sizeof z->name, "UTC");
	return (z);
}

int
tz_name_check(const char *name, char *why, size_t len)
{
	const char *p;
	int start = 1;

	AN(name);
	if (*name == '\0' || strlen(name) > TZ_NAME_MAX) {
		snprintf(why, len, "a time zone's name is 1 to %d bytes",
		    TZ_NAME_MAX);
		return (-1);
	}
	for (p = name; *p != '\0'; p++) {
		if (start &&
		    !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) {
			snprintf(why, len,
			    "not an IANA time zone's name (as "
			    "\"Europe/Berlin\"): each part starts with a "
			    "letter");
			return (-1);
		}
		start = *p == '/';
		if (start || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '+' || *p == '-')
			continue;
		/* A byte, not a character: quoted, it could be half of one. */
		if (*p >= ' ' && *p < 0x7f)
			snprintf(why, len,
			    "not an IANA time zone's name (as "
			    "\"Europe/Berlin\"): '%c' is not in one",
			    *p);
		else
			snprintf(why, len,
			    "not an IANA time zone's name (as "
			    "\"Europe/Berlin\"): byte 0x%02x is not in one",
			    (unsigned char)*p);
		return (-1);
	}
	if (start) {
		snprintf(why, len,
		    "not an IANA time zone's name (as \"Europe/Berlin\")");
		return (-1);
	}
	return (0);
}

struct tz *
tz_load(const char *dir, const char *name, char *why, size_t len)
{
	char path[512], *buf;
	struct stat st;
	struct tz *z;
	ssize_t n;
	int fd;

	if (tz_name_check(name, why, len) != 0)
		return (NULL);
	if (!strcmp(name, "UTC"))
		return (tz_utc());
	snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : TZ_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			snprintf(why, len, "no time zone is called %s", name);
		else
			snprintf(why, len, "time zone %s: %s", name,
			    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZ_FILE_MAX) {
		closefd(&fd);
		snprintf(why, len, "no time zone is called %s", name);
		return (NULL);
	}
	buf = malloc((size_t)st.st_size + 1);
	AN(buf);
	n = read(fd, buf, (size_t)st.st_size + 1);
	closefd(&fd);
	if (n != st.st_size) {
		free(buf);
		snprintf(why, len, "time zone %s: could not be read", name);
		return (NULL);
	}
	z = tz_parse(name, buf, (size_t)n, why, len);
	free(buf);
	return (z);
}

void
tz_free(struct tz **zp)
{
	struct tz *z;

	TAKE_OBJ_NOTNULL(z, zp, TZ_MAGIC);
	free(z->at);
	free(z->off);
	FREE_OBJ(z);
}

static pthread_mutex_t tz_mtx = PTHREAD_MUTEX_INITIALIZER;
static VTAILQ_HEAD(, tz) tz_zones = VTAILQ_HEAD_INITIALIZER(tz_zones);

const struct tz *
tz_get(const char *name, char *why, size_t len)
{
	struct tz *z;

	AN(name);
	AZ(pthread_mutex_lock(&tz_mtx));
	VTAILQ_FOREACH(z, &tz_zones, list)
	if (!strcmp(z->name, name))
		break;
	if (z == NULL) {
		/* Under the lock: two threads never read one file twice. */
		z = tz_load(NULL, name, why, len);
		if (z != NULL)
			VTAILQ_INSERT_TAIL(&tz_zones, z, list);
	}
	AZ(pthread_mutex_unlock(&tz_mtx));
	return (z);
}

/*--------------------------------------------------------------------
 * Questions
 */

const char *
tz_name(const struct tz *z)
{
	CHECK_OBJ_NOTNULL(z, TZ_MAGIC);
	return (z->name);
}

/* The index of the last transition at or before t; -1: before all. */
static int64_t
tz_find(const struct tz *z, int64_t t)
{
	int64_t lo = 0, hi = (int64_t)z->ntrans - 1, mid;

	if (z->ntrans == 0 || t < z->at[0])
		return (-1);
	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (lo);
}

/* After the table, the rule: if there is one. */
static int
tz_ruled(const struct tz *z, int64_t t)
{
	return (
	    z->rule.present && (z->ntrans == 0 || t >= z->at[z->ntrans - 1]));
}

int32_t
tz_offset(const struct tz *z, int64_t t)
{
	int64_t i;

	CHECK_OBJ_NOTNULL(z, TZ_MAGIC);
	if (tz_ruled(z, t))
		return (tz_rule_offset(&z->rule, t));
	i = tz_find(z, t);
	return (i < 0 ? z->off0 : z->off[i]);
}

int64_t
tz_wall(const struct tz *z, int64_t t)
{
	return (t + tz_offset(z, t));
}

/* The first instant after t at which the offset may change. */
static int64_t
tz_next(const struct tz *z, int64_t t)
{
	int64_t i;

	if (tz_ruled(z, t))
		return (tz_rule_next(&z->rule, t));
	i = tz_find(z, t);
	if (i + 1 < (int64_t)z->ntrans)
		return (z->at[i + 1]);
	return (INT64_MAX);
}

/*
 * Walks the spans of one offset each from well before w's day: the
 * first span holding an instant of w has its earliest; a span that
 * starts past w locally, before any held w, starts after a gap over w.
 */
int64_t
tz_instant(const struct tz *z, int64_t w)
{
	int64_t s, e, t;
	int32_t o;
	int first = 1;

	CHECK_OBJ_NOTNULL(z, TZ_MAGIC);
	/* Each turn goes on to a later span, and one past w + a day
	 * starts past w locally: the walk ends. */
	for (s = w - 2 * TZ_OFF_MAX;; s = e) {
		o = tz_offset(z, s);
		e = tz_next(z, s);
		if (!first && s + o > w)
			return (s);
		first = 0;
		t = w - o;
		if (t >= s && t < e)
			return (t);
		assert(e != INT64_MAX);
	}
}

void
tz_iso(const struct tz *z, int64_t t, char buf[TZ_ISO_LEN])
{
	struct tz_tm tm;
	int32_t off = 0;
	unsigned a;

	if (z != NULL)
		off = tz_offset(z, t);
	tz_split(t + off, &tm);
	a = (unsigned)(off < 0 ? -off : off);
	if (z == NULL)
		snprintf(buf, TZ_ISO_LEN, "%04jd-%02u-%02uT%02u:%02u:%02uZ",
		    (intmax_t)tm.year, tm.mon, tm.mday, tm.hour, tm.min,
		    tm.sec);
	else
		snprintf(buf, TZ_ISO_LEN,
		    "%04jd-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
		    (intmax_t)tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec,
		    off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}
