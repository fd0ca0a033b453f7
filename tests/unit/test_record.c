/*
 * Unit tests for record.c: percent-encoding of values, rec_decode(),
 * building stoke/1 records, and rec_finish() fitting a record into a
 * VSL record length (trunc=1 first, cut at a field boundary where one
 * fits, never inside a %XX escape, never beyond the buffer).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "proto/record.h"
#include "unit.h"

#define TL (sizeof " trunc=1" - 1)

/*--------------------------------------------------------------------
 * Helpers
 */

/* xorshift32, state owned by the caller */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return (x);
}

static int
is_hex_upper(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
}

/* Every '%' in s[0..len) starts a complete %XX escape. */
static int
escapes_whole(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= len)
			return (0);
		if (!is_hex_upper(s[i + 1]) || !is_hex_upper(s[i + 2]))
			return (0);
		i += 2;
	}
	return (1);
}

/*
 * The ends of the fields of a record s[0..len) with a header of hdr
 * bytes: each field starts with a space, and neither keys nor encoded
 * values contain one.
 */
static unsigned
field_ends(const char *s, size_t len, size_t hdr, size_t *ends, unsigned max)
{
	unsigned n = 0;
	size_t i;

	for (i = hdr + 1; i <= len; i++) {
		if (i == len || s[i] == ' ') {
			if (n < max)
				ends[n] = i;
			n++;
		}
	}
	return (n);
}

/*--------------------------------------------------------------------
 * rec_encode / rec_decode
 */

static void
test_encode(void)
{
	static const char in[] = "a b%c\x01\x7f\x80\xff\t~!";
	char out[128], exp[8];
	unsigned char c;
	size_t n;

	n = rec_encode(out, sizeof out, in, sizeof in - 1);
	out[n < sizeof out ? n : sizeof out - 1] = '\0';
	CHECK_STR_EQ(out, "a%20b%25c%01%7F%80%FF%09~!");
	CHECK_INT_EQ(n, strlen("a%20b%25c%01%7F%80%FF%09~!"));

	/* Printable ASCII other than space and '%' stays as it is. */
	n = rec_encode(out, sizeof out,
	    "AZaz09-_.~!\"#&'()*+,/:;<=>?@[\\]^`{|}", 36);
	out[n] = '\0';
	CHECK_STR_EQ(out, "AZaz09-_.~!\"#&'()*+,/:;<=>?@[\\]^`{|}");

	/* Each byte on its own, against the rule in vmod_stoke.vcc. */
	for (c = 0;; c++) {
		n = rec_encode(out, sizeof out, (const char *)&c, 1);
		if (c > 0x20 && c < 0x7f && c != '%') {
			if (!CHECK_INT_EQ(n, 1) || !CHECK(out[0] == (char)c))
				fprintf(stderr, "\tbyte 0x%02x\n", c);
		} else {
			snprintf(exp, sizeof exp, "%%%02X", c);
			out[n < sizeof out ? n : 0] = '\0';
			if (!CHECK_INT_EQ(n, 3) || !CHECK_STR_EQ(out, exp))
				fprintf(stderr, "\tbyte 0x%02x\n", c);
		}
		if (c == 0xff)
			break;
	}

	/* Empty input */
	CHECK_INT_EQ(rec_encode(out, sizeof out, "", 0), 0);
}

static void
test_encode_short_dst(void)
{
	char out[8];
	size_t n;

	/* Returns what is needed and writes nothing past dstlen. */
	memset(out, '#', sizeof out);
	n = rec_encode(out, 4, "ab cd", 5);
	CHECK_INT_EQ(n, 7);
	CHECK(memcmp(out, "ab", 2) == 0);
	CHECK(out[2] == '#' && out[3] == '#' && out[4] == '#');

	/* An escape that does not fit is not written in part. */
	memset(out, '#', sizeof out);
	n = rec_encode(out, 2, "a ", 2);
	CHECK_INT_EQ(n, 4);
	CHECK(out[0] == 'a');
	CHECK(out[1] == '#' && out[2] == '#');

	memset(out, '#', sizeof out);
	n = rec_encode(out, 0, "%%", 2);
	CHECK_INT_EQ(n, 6);
	CHECK(out[0] == '#');
}

static void
test_decode(void)
{
	char all[256], enc[256 * 3], dec[256];
	ssize_t d;
	size_t n;
	int i;

	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	n = rec_encode(enc, sizeof enc, all, sizeof all);
	/* 0x21..0x7e is 94 bytes, of which '%' is escaped */
	CHECK_INT_EQ(n, 93 + 163 * 3);
	CHECK(escapes_whole(enc, n));
	CHECK(memchr(enc, ' ', n) == NULL);
	d = rec_decode(dec, sizeof dec, enc, n);
	CHECK_INT_EQ(d, 256);
	CHECK(d == 256 && memcmp(dec, all, 256) == 0);

	/* Every byte value round-trips on its own too. */
	for (i = 0; i < 256; i++) {
		n = rec_encode(enc, sizeof enc, all + i, 1);
		d = rec_decode(dec, sizeof dec, enc, n);
		if (!CHECK_INT_EQ(d, 1) || !CHECK(dec[0] == all[i]))
			fprintf(stderr, "\tbyte 0x%02x\n", i);
	}

	/* Lower-case escapes are read too. */
	d = rec_decode(dec, sizeof dec, "%7f%c3%A9x", 10);
	CHECK_INT_EQ(d, 4);
	CHECK(d == 4 && memcmp(dec, "\x7f\xc3\xa9x", 4) == 0);

	d = rec_decode(dec, sizeof dec, "", 0);
	CHECK_INT_EQ(d, 0);

	/* Bad escapes */
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "%", 1), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "%4", 2), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "%zz", 3), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "%4g", 3), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "%g4", 3), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "abc%", 4), -1);
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "abc%2", 5), -1);
	/* len bounds the input: the escape is cut by len */
	CHECK_INT_EQ(rec_decode(dec, sizeof dec, "a%20", 3), -1);

	/* Output that does not fit in dst */
	CHECK_INT_EQ(rec_decode(dec, 2, "abc", 3), -1);
	CHECK_INT_EQ(rec_decode(dec, 2, "a%20", 4), 2);
	CHECK_INT_EQ(rec_decode(dec, 1, "a%20", 4), -1);
}

/*--------------------------------------------------------------------
 * Building records
 */

static void
test_build(void)
{
	struct rec r;
	char buf[512];
	unsigned cut = 7;
	size_t len;

	rec_init(&r, buf, sizeof buf, "purge");
	CHECK_INT_EQ(r.len, strlen("stoke/1 purge"));
	CHECK_INT_EQ(r.hdr_len, strlen("stoke/1 purge"));
	rec_str(&r, "how", "hard");
	rec_str(&r, "host", "a");
	rec_str(&r, "url", "/x y");
	rec_int(&r, "n", 3);
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 0);
	CHECK_INT_EQ(len, 44);
	buf[len] = '\0';
	CHECK_STR_EQ(buf, "stoke/1 purge how=hard host=a url=/x%20y n=3");

	/* A value in pieces, an empty value, a NULL value, odd ints */
	rec_init(&r, buf, sizeof buf, "tags");
	rec_open(&r, "tags");
	rec_append(&r, "t 1", 3);
	rec_append(&r, ",", 1);
	rec_append(&r, "", 0);
	rec_append(&r, "t2%", 3);
	rec_close(&r);
	rec_str(&r, "e", "");
	rec_str(&r, "z", NULL);
	rec_strn(&r, "b", "a\0b", 3);
	rec_int(&r, "neg", -42);
	rec_int(&r, "min", INTMAX_MIN);
	rec_int(&r, "max", INTMAX_MAX);
	rec_int(&r, "zero", 0);
	CHECK_INT_EQ(r.nfield, 8);
	CHECK_INT_EQ(r.overflow, 0);
	len = rec_finish(&r, sizeof buf - 1, &cut);
	CHECK_INT_EQ(cut, 0);
	buf[len] = '\0';
	CHECK_STR_EQ(buf,
	    "stoke/1 tags tags=t%201,t2%25 e= z= b=a%00b neg=-42 "
	    "min=-9223372036854775808 max=9223372036854775807 zero=0");

	/* No fields at all */
	rec_init(&r, buf, sizeof buf, "x");
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 0);
	buf[len] = '\0';
	CHECK_STR_EQ(buf, "stoke/1 x");
}

/*--------------------------------------------------------------------
 * rec_finish
 */

static size_t
build_purge(struct rec *r, char *buf, size_t cap)
{
	rec_init(r, buf, cap, "purge");
	rec_str(r, "how", "hard"); /* ends at 22 */
	rec_str(r, "host", "a"); /* ends at 29 */
	rec_str(r, "url", "/x y"); /* ends at 40 */
	rec_int(r, "n", 3); /* ends at 44 */
	return (r->len);
}

static void
test_finish_fits(void)
{
	struct rec r;
	char buf[256];
	unsigned cut;
	size_t len;

	/* limit at, and above, the length: untouched */
	build_purge(&r, buf, sizeof buf);
	cut = 9;
	len = rec_finish(&r, 44, &cut);
	CHECK_INT_EQ(cut, 0);
	CHECK_INT_EQ(len, 44);
	CHECK(memcmp(buf, "stoke/1 purge how=hard host=a url=/x%20y n=3", 44) ==
	    0);

	build_purge(&r, buf, sizeof buf);
	cut = 9;
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 0);
	CHECK_INT_EQ(len, 44);
	CHECK(memcmp(buf, "stoke/1 purge how=hard host=a url=/x%20y n=3", 44) ==
	    0);

	/* Exactly full buffer, no overflow */
	build_purge(&r, buf, 44);
	CHECK_INT_EQ(r.overflow, 0);
	len = rec_finish(&r, 44, &cut);
	CHECK_INT_EQ(cut, 0);
	CHECK_INT_EQ(len, 44);
}

static void
test_finish_boundary(void)
{
	static const struct {
		size_t limit;
		const char *exp;
	} t[] = {
		/* 44 bytes; fields end at 22, 29, 40, 44 */
		{ 43, "stoke/1 purge trunc=1 how=hard host=a" },
		{ 38, "stoke/1 purge trunc=1 how=hard host=a" },
		{ 37, "stoke/1 purge trunc=1 how=hard host=a" },
		{ 36, "stoke/1 purge trunc=1 how=hard" },
		{ 30, "stoke/1 purge trunc=1 how=hard" },
		/* not even how=hard fits: cut inside it */
		{ 29, "stoke/1 purge trunc=1 how=har" },
		{ 22, "stoke/1 purge trunc=1 " },
	};
	struct rec r;
	char buf[256];
	unsigned cut, i;
	size_t len;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		build_purge(&r, buf, sizeof buf);
		cut = 0;
		len = rec_finish(&r, t[i].limit, &cut);
		buf[len] = '\0';
		CHECK_INT_EQ(cut, 1);
		CHECK(len <= t[i].limit);
		if (!CHECK_STR_EQ(buf, t[i].exp))
			fprintf(stderr, "\tlimit %zu\n", t[i].limit);
	}
}

static void
test_finish_midfield(void)
{
	static const char val[] = "req.url ~ \"^/a b%c\" && obj.status == 200";
	char enc[256], full[256], buf[256], dec[256];
	struct rec r;
	size_t full_len, hdr, len, limit, vstart;
	unsigned cut, nsplit = 0;
	ssize_t d;

	rec_init(&r, full, sizeof full, "ban");
	rec_str(&r, "expr", val);
	full_len = r.len;
	hdr = r.hdr_len;
	CHECK_INT_EQ(hdr, strlen("stoke/1 ban"));
	(void)rec_encode(enc, sizeof enc, val, strlen(val));
	vstart = hdr + strlen(" expr=");

	for (limit = hdr + TL + 1; limit < full_len; limit++) {
		rec_init(&r, buf, sizeof buf, "ban");
		rec_str(&r, "expr", val);
		cut = 0;
		len = rec_finish(&r, limit, &cut);
		CHECK_INT_EQ(cut, 1);
		if (!CHECK(len <= limit))
			continue;
		CHECK(memcmp(buf, "stoke/1 ban trunc=1", hdr + TL) == 0);
		/* What is kept is the start of the field, cut late. */
		CHECK(memcmp(buf + hdr + TL, full + hdr, len - hdr - TL) == 0);
		CHECK(len + 2 >= limit);
		/* Never inside an escape */
		if (!CHECK(escapes_whole(buf, len)))
			fprintf(stderr, "\tlimit %zu: %.*s\n", limit, (int)len,
			    buf);
		if (len - TL > vstart) {
			d = rec_decode(dec, sizeof dec, buf + vstart + TL,
			    len - TL - vstart);
			CHECK(d >= 0);
			if (d >= 0)
				CHECK(memcmp(dec, val, (size_t)d) == 0);
		}
		if (len < limit)
			nsplit++;
	}
	/* The value has escapes, so some limits must have hit one. */
	CHECK(nsplit > 0);
}

static void
test_finish_overflow(void)
{
	struct rec r;
	char *buf;
	unsigned cut;
	size_t len;

	/*
	 * cap 40: " url=/x%20y" ends at exactly 40, " n=3" overflows.
	 * limit as VSL allows: only whole fields that fit with trunc=1.
	 */
	buf = malloc(40);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	build_purge(&r, buf, 40);
	CHECK_INT_EQ(r.overflow, 1);
	CHECK_INT_EQ(r.nfield, 3);
	cut = 0;
	len = rec_finish(&r, 40, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK(len <= 40);
	CHECK_INT_EQ(len, 37);
	CHECK(len == 37 &&
	    memcmp(buf, "stoke/1 purge trunc=1 how=hard host=a", 37) == 0);

	build_purge(&r, buf, 40);
	len = rec_finish(&r, 35, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK_INT_EQ(len, 30);
	CHECK(len == 30 &&
	    memcmp(buf, "stoke/1 purge trunc=1 how=hard", 30) == 0);

	/* A limit above the buffer: still only whole fields */
	build_purge(&r, buf, 40);
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK(len <= 40);
	if (!CHECK_INT_EQ(len, 37))
		fprintf(stderr, "\tgot \"%.*s\"\n", (int)len, buf);
	free(buf);

	/* cap 36: the url value overflows half way through encoding */
	buf = malloc(36);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	build_purge(&r, buf, 36);
	CHECK_INT_EQ(r.overflow, 1);
	CHECK_INT_EQ(r.nfield, 2);
	len = rec_finish(&r, 36, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK_INT_EQ(len, 30);
	CHECK(len == 30 &&
	    memcmp(buf, "stoke/1 purge trunc=1 how=hard", 30) == 0);

	build_purge(&r, buf, 36);
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK(len <= 36);
	if (!CHECK_INT_EQ(len, 30))
		fprintf(stderr, "\tgot \"%.*s\"\n", (int)len, buf);
	free(buf);

	/*
	 * The first field overflows a small buffer: trunc=1 and at most
	 * the part of the field that was written whole.
	 */
	buf = malloc(24);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	rec_init(&r, buf, 24, "ban");
	rec_str(&r, "expr", "a very long expression that does not fit");
	CHECK_INT_EQ(r.overflow, 1);
	CHECK_INT_EQ(r.nfield, 0);
	len = rec_finish(&r, 255, &cut);
	CHECK_INT_EQ(cut, 1);
	CHECK(len >= 19 && len <= 24);
	CHECK(len >= 19 && memcmp(buf, "stoke/1 ban trunc=1", 19) == 0);
	CHECK(len >= 19 && memcmp(buf + 19, " expr=a%20very", len - 19) == 0);
	free(buf);
}

/*
 * vmod_stoke's case: a ban expression longer than the record buffer
 * (1024 bytes on the stack) with the default vsl_reclen of 255.  The
 * first field does not fit the limit, so it is cut in the middle, as
 * it is when the expression is shorter than the buffer.
 */
static void
test_finish_overflow_first_field(void)
{
	char expr[2001], *buf;
	struct rec r;
	unsigned cut;
	size_t len, n;

	buf = malloc(1024);
	if (!CHECK(buf != NULL))
		return;
	for (n = 900; n <= 2000; n += 1100) {
		memset(expr, 'a', n);
		expr[n] = '\0';
		rec_init(&r, buf, 1024, "ban");
		rec_str(&r, "expr", expr);
		len = rec_finish(&r, 255, &cut);
		CHECK_INT_EQ(cut, 1);
		CHECK(len <= 255);
		CHECK(len >= 25 &&
		    memcmp(buf, "stoke/1 ban trunc=1 expr=aaa", 25) == 0);
		if (!CHECK_INT_EQ(len, 255))
			fprintf(stderr,
			    "\texpression of %zu bytes: "
			    "\"%.*s\"\n",
			    n, (int)len, buf);
	}
	free(buf);
}

static void
test_finish_max_fields(void)
{
	char buf[1024], exp[1024];
	struct rec r;
	unsigned cut, i;
	size_t len, n;

	rec_init(&r, buf, sizeof buf, "ev");
	for (i = 0; i < REC_MAX_FIELDS; i++)
		rec_int(&r, "k", i);
	CHECK_INT_EQ(r.overflow, 0);
	CHECK_INT_EQ(r.nfield, REC_MAX_FIELDS);
	len = rec_finish(&r, sizeof buf, &cut);
	CHECK_INT_EQ(cut, 0);

	/* One field more than a record can track: cut before it. */
	rec_init(&r, buf, sizeof buf, "ev");
	for (i = 0; i <= REC_MAX_FIELDS; i++)
		rec_int(&r, "k", i);
	CHECK_INT_EQ(r.overflow, 1);
	len = rec_finish(&r, sizeof buf, &cut);
	CHECK_INT_EQ(cut, 1);
	n = (size_t)snprintf(exp, sizeof exp, "stoke/1 ev trunc=1");
	for (i = 0; i < REC_MAX_FIELDS; i++)
		n += (size_t)snprintf(exp + n, sizeof exp - n, " k=%u", i);
	CHECK_INT_EQ(len, n);
	CHECK(len == n && memcmp(buf, exp, n) == 0);
}

/*--------------------------------------------------------------------
 * Properties over many random records and every limit
 */

#define P_MAXF 12

struct pfield {
	char key[8];
	char val[48];
	size_t vlen;
};

struct pset {
	const char *event;
	unsigned n;
	struct pfield f[P_MAXF];
};

static void
pset_make(struct pset *ps, uint32_t *seed)
{
	static const char keych[] = "abcxyz0189_.";
	static const char *events[] = { "ev", "purge", "tags", "warm" };
	struct pfield *f;
	unsigned i, j, k;
	uint32_t x;

	ps->event = events[rnd(seed) % 4];
	ps->n = 1 + rnd(seed) % P_MAXF;
	for (i = 0; i < ps->n; i++) {
		f = &ps->f[i];
		k = 1 + rnd(seed) % 6;
		for (j = 0; j < k; j++)
			f->key[j] = keych[rnd(seed) % (sizeof keych - 1)];
		f->key[k] = '\0';
		f->vlen = rnd(seed) % sizeof f->val;
		for (j = 0; j < f->vlen; j++) {
			x = rnd(seed) % 8;
			if (x == 0)
				f->val[j] = ' ';
			else if (x == 1)
				f->val[j] = '%';
			else if (x == 2)
				f->val[j] = (char)(rnd(seed) & 0xff);
			else
				f->val[j] = (char)('a' + rnd(seed) % 26);
		}
	}
}

static void
pset_build(const struct pset *ps, struct rec *r, char *buf, size_t cap)
{
	unsigned i;

	rec_init(r, buf, cap, ps->event);
	for (i = 0; i < ps->n; i++) {
		if (i % 3 == 2) {
			/* in two pieces */
			rec_open(r, ps->f[i].key);
			rec_append(r, ps->f[i].val, ps->f[i].vlen / 2);
			rec_append(r, ps->f[i].val + ps->f[i].vlen / 2,
			    ps->f[i].vlen - ps->f[i].vlen / 2);
			rec_close(r);
		} else
			rec_strn(r, ps->f[i].key, ps->f[i].val, ps->f[i].vlen);
	}
}

/*
 * Check one rec_finish() result against the whole record full[0..flen)
 * with field ends fe[0..nf).  room is min(limit, cap): where whole
 * fields must stop.  Returns NULL, or what is wrong.
 */
static const char *
cut_problem(const char *out, size_t len, unsigned cut, size_t limit,
    size_t room, const char *full, size_t flen, size_t hdr, const size_t *fe,
    unsigned nf, unsigned ovf)
{
	size_t keep, best = 0;
	unsigned i;

	if (len > limit)
		return ("longer than the limit");
	if (len > room)
		return ("longer than the buffer");
	if (flen <= room) {
		if (cut != 0)
			return ("cut set on a record that fits");
		if (len != flen || memcmp(out, full, flen) != 0)
			return ("a record that fits was changed");
		return (NULL);
	}
	if (cut != 1)
		return ("cut not set");
	if (len < hdr + TL)
		return ("shorter than the header and trunc=1");
	if (memcmp(out, full, hdr) != 0)
		return ("header changed");
	if (memcmp(out + hdr, " trunc=1", TL) != 0)
		return ("trunc=1 is not the first field");
	keep = len - TL;
	/* Whatever is kept is byte-identical to the whole record. */
	if (memcmp(out + hdr + TL, full + hdr, keep - hdr) != 0)
		return ("kept fields differ from the whole record");
	if (!escapes_whole(out, len))
		return ("ends inside a %XX escape");
	for (i = 0; i < nf; i++)
		if (fe[i] + TL <= room)
			best = fe[i];
	/* A field fits: cut after the last one that does. */
	if (best > 0 && keep != best)
		return ("not cut after the last whole field that fits");
	/*
	 * None fits: cut in the first field, at most an escape early.
	 * (After an overflow the first field may be incomplete; that
	 * case has its own test.)
	 */
	if (best == 0 && !ovf && len + 2 < limit)
		return ("cut in the first field earlier than needed");
	return (NULL);
}

static void
report(unsigned *bad, const char *what, unsigned iter, size_t cap, size_t limit,
    const char *out, size_t len)
{
	if ((*bad)++ < 3)
		fprintf(stderr, "\t%s (iter %u, cap %zu, limit %zu):\n\t%.*s\n",
		    what, iter, cap, limit, (int)len, out);
}

static void
test_property(void)
{
	char full[P_MAXF * 160], buf[P_MAXF * 160], *cbuf;
	size_t fe[P_MAXF + 1], flen, hdr, limit, len, cap;
	struct pset ps;
	struct rec r;
	unsigned iter, nf, cut, ncut = 0, nmid = 0, novf = 0;
	unsigned bad_limit = 0, bad_cap = 0, bad_capbig = 0;
	uint32_t seed = 0x5eed1234;
	const char *p;

	for (iter = 0; iter < 400; iter++) {
		pset_make(&ps, &seed);
		pset_build(&ps, &r, full, sizeof full);
		if (!CHECK_INT_EQ(r.overflow, 0))
			return;
		flen = r.len;
		hdr = r.hdr_len;
		nf = field_ends(full, flen, hdr, fe, P_MAXF + 1);
		if (!CHECK_INT_EQ(nf, ps.n) || !CHECK_INT_EQ(r.nfield, ps.n))
			return;
		if (!CHECK(escapes_whole(full, flen)))
			return;

		/* Every limit, with room in the buffer */
		for (limit = hdr + TL + 1; limit <= flen + 1; limit++) {
			pset_build(&ps, &r, buf, sizeof buf);
			cut = 2;
			len = rec_finish(&r, limit, &cut);
			p = cut_problem(buf, len, cut, limit, limit, full, flen,
			    hdr, fe, nf, 0);
			if (p != NULL)
				report(&bad_limit, p, iter, sizeof buf, limit,
				    buf, len);
			if (cut)
				ncut++;
			if (cut && fe[0] + TL > limit)
				nmid++;
		}

		/*
		 * Every buffer smaller than the record (but holding the
		 * header and trunc=1), with the limit equal to the buffer
		 * as vmod_stoke normally has it, and with a larger limit
		 * as when its workspace reservation fails.
		 */
		for (cap = hdr + TL; cap < flen; cap++) {
			cbuf = malloc(cap);
			if (!CHECK(cbuf != NULL))
				return;
			if (cap > hdr + TL) {
				pset_build(&ps, &r, cbuf, cap);
				len = rec_finish(&r, cap, &cut);
				p = cut_problem(cbuf, len, cut, cap, cap, full,
				    flen, hdr, fe, nf, 1);
				if (p != NULL)
					report(&bad_cap, p, iter, cap, cap,
					    cbuf, len);
			}
			pset_build(&ps, &r, cbuf, cap);
			if (r.overflow)
				novf++;
			len = rec_finish(&r, flen + 100, &cut);
			p = cut_problem(cbuf, len, cut, flen + 100, cap, full,
			    flen, hdr, fe, nf, 1);
			if (p != NULL)
				report(&bad_capbig, p, iter, cap, flen + 100,
				    cbuf, len);
			free(cbuf);
		}
	}
	/* The loops did exercise all kinds of cut. */
	CHECK(ncut > 10000);
	CHECK(nmid > 100);
	CHECK(novf > 10000);
	CHECK_INT_EQ(bad_limit, 0);
	CHECK_INT_EQ(bad_cap, 0);
	CHECK_INT_EQ(bad_capbig, 0);
}

int
main(void)
{
	test_encode();
	test_encode_short_dst();
	test_decode();
	test_build();
	test_finish_fits();
	test_finish_boundary();
	test_finish_midfield();
	test_finish_overflow();
	test_finish_overflow_first_field();
	test_finish_max_fields();
	test_property();
	return (unit_done());
}
