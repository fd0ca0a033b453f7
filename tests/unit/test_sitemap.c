/*
 * sitemap: url sets and indexes, namespaces and extensions, gzip, and
 * hostile documents (malformed, entity bombs, external entities, gzip
 * bombs, every limit); which URLs a sitemap may list.
 */

#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <zlib.h>

#include "sitemap/sitemap.h"
#include "unit.h"

#define NS "http://www.sitemaps.org/schemas/sitemap/0.9"
#define XMLDECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define MiB (1024UL * 1024)

#define NGOT 8

struct got {
	size_t n; /* calls */
	size_t stop_after; /* 0: never */
	enum sitemap_kind kind;
	struct {
		char *loc, *lastmod;
		double lastmod_t, priority;
		enum sitemap_changefreq changefreq;
		unsigned line;
	} e[NGOT];
};

static int
collect(void *priv, enum sitemap_kind kind, const struct sitemap_entry *e)
{
	struct got *g = priv;

	if (g->n < NGOT) {
		g->e[g->n].loc = strdup(e->loc);
		g->e[g->n].lastmod = e->lastmod ? strdup(e->lastmod) : NULL;
		g->e[g->n].lastmod_t = e->lastmod_t;
		g->e[g->n].priority = e->priority;
		g->e[g->n].changefreq = e->changefreq;
		g->e[g->n].line = e->line;
	}
	g->n++;
	g->kind = kind;
	return (g->stop_after > 0 && g->n >= g->stop_after);
}

static void
got_reset(struct got *g)
{
	size_t i;

	for (i = 0; i < NGOT; i++) {
		free(g->e[i].loc);
		free(g->e[i].lastmod);
	}
	memset(g, 0, sizeof *g);
}

static struct got g;
static struct sitemap_stats st;
static char err[256];

static int
parse_len(const void *doc, size_t len, const struct sitemap_limits *lim)
{
	got_reset(&g);
	memset(&st, 0, sizeof st);
	strcpy(err, "(untouched)");
	return (
	    sitemap_parse(doc, len, lim, collect, &g, &st, err, sizeof err));
}

static int
parse(const char *doc, const struct sitemap_limits *lim)
{
	return (parse_len(doc, strlen(doc), lim));
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) +
	    (t1.tv_nsec - t0->tv_nsec) / 1e9);
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

/* A growing string, for documents made in the test. */
struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL)
			abort();
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_rep(struct buf *b, const char *s, size_t times)
{
	while (times-- > 0)
		buf_str(b, s);
}

/* gzip of n bytes, one stream. */
static unsigned char *
gz(const void *in, size_t n, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	size_t cap = n + n / 100 + 64;

	memset(&zs, 0, sizeof zs);
	out = malloc(cap);
	if (out == NULL ||
	    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (unsigned)n;
	zs.next_out = out;
	zs.avail_out = (unsigned)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return (out);
}

/*
 * A gzip bomb: mib MiB of zeros in about a thousandth of that.  Deflating
 * a GiB takes seconds, so one MiB is deflated with a full flush (a block
 * that needs nothing before it), that block repeated, and the stream
 * closed with the CRC and length of the whole: a valid gzip stream that
 * gunzip would inflate in full.
 */
static unsigned char *
gz_bomb(size_t mib, size_t *outlen)
{
	static unsigned char zeros[1024 * 1024];
	unsigned char first[4096], block[4096], *out, *o;
	size_t nfirst, nblock, i;
	uLong crc1, crc;
	z_stream zs;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_RLE) != Z_OK)
		abort();
	zs.next_in = zeros;
	zs.avail_in = sizeof zeros;
	zs.next_out = first;
	zs.avail_out = sizeof first;
	if (deflate(&zs, Z_FULL_FLUSH) != Z_OK || zs.avail_in != 0)
		abort();
	nfirst = sizeof first - zs.avail_out;
	zs.next_in = zeros;
	zs.avail_in = sizeof zeros;
	zs.next_out = block;
	zs.avail_out = sizeof block;
	if (deflate(&zs, Z_FULL_FLUSH) != Z_OK || zs.avail_in != 0)
		abort();
	nblock = sizeof block - zs.avail_out;
	deflateEnd(&zs);

	crc1 = crc32(0, zeros, sizeof zeros);
	crc = crc1;
	for (i = 1; i < mib; i++)
		crc = crc32_combine(crc, crc1, sizeof zeros);
	out = malloc(nfirst + (mib - 1) * nblock + 10);
	if (out == NULL)
		abort();
	memcpy(out, first, nfirst);
	o = out + nfirst;
	for (i = 1; i < mib; i++, o += nblock)
		memcpy(o, block, nblock);
	/* An empty final block, then CRC-32 and length mod 2^32, LSB first */
	*o++ = 0x03;
	*o++ = 0x00;
	for (i = 0; i < 4; i++)
		*o++ = (unsigned char)(crc >> (8 * i));
	for (i = 0; i < 4; i++)
		*o++ = (unsigned char)((mib * sizeof zeros) >> (8 * i));
	*outlen = (size_t)(o - out);
	return (out);
}

/* libxml2 must never try to load anything: this counts attempts. */
static unsigned loader_calls;

static xmlParserInputPtr
spy_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	loader_calls++;
	return (NULL);
}

static const char urlset[] =
    XMLDECL "<urlset xmlns=\"" NS "\">\n"
            "  <url>\n"
            "    <loc>https://shop.example/</loc>\n"
            "    <lastmod>2024-01-02T03:04:05+01:00</lastmod>\n"
            "    <changefreq>daily</changefreq>\n"
            "    <priority>0.8</priority>\n"
            "  </url>\n"
            "  <url><loc>https://shop.example/b</loc></url>\n"
            "  <url>\n"
            "    <priority>1</priority><loc>https://shop.example/c</loc>\n"
            "    <changefreq>WEEKLY</changefreq><lastmod>2024-03-01</lastmod>\n"
            "  </url>\n"
            "</urlset>\n";

static void
t_urlset(void)
{
	CHECK_INT_EQ(parse(urlset, NULL), 0);
	CHECK_STR_EQ(err, "");
	CHECK_INT_EQ(st.kind, SITEMAP_URLSET);
	CHECK_INT_EQ(g.kind, SITEMAP_URLSET);
	CHECK_INT_EQ(st.entries, 3);
	CHECK_INT_EQ(g.n, 3);
	CHECK_INT_EQ(st.skipped, 0);
	CHECK_INT_EQ(st.bytes, strlen(urlset));
	CHECK_STR_EQ(g.e[0].loc, "https://shop.example/");
	CHECK_STR_EQ(g.e[0].lastmod, "2024-01-02T03:04:05+01:00");
	/* 2024-01-01T00:00:00Z is 1704067200 */
	CHECK(g.e[0].lastmod_t == 1704067200.0 + 86400 + 2 * 3600 + 4 * 60 + 5);
	CHECK(g.e[0].priority == 0.8);
	CHECK_INT_EQ(g.e[0].changefreq, SITEMAP_CF_DAILY);
	CHECK_INT_EQ(g.e[0].line, 3);
	CHECK_STR_EQ(g.e[1].loc, "https://shop.example/b");
	CHECK_STR_EQ(g.e[1].lastmod, NULL);
	CHECK(g.e[1].lastmod_t == -1);
	CHECK(g.e[1].priority == -1);
	CHECK_INT_EQ(g.e[1].changefreq, SITEMAP_CF_NONE);
	CHECK_INT_EQ(g.e[1].line, 9);
	CHECK_STR_EQ(g.e[2].loc, "https://shop.example/c");
	CHECK(g.e[2].priority == 1.0);
	CHECK_INT_EQ(g.e[2].changefreq, SITEMAP_CF_WEEKLY);
	CHECK(g.e[2].lastmod_t == 1704067200.0 + (31 + 29) * 86400);

	/* No namespace at all, and entries without a <loc>. */
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a.example/x</loc></url>"
	                   "<url/><url><lastmod>2024</lastmod></url>"
	                   "<url><loc> </loc></url></urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 1);
	CHECK_INT_EQ(st.skipped, 3);
	CHECK_STR_EQ(g.e[0].loc, "http://a.example/x");

	/* Nothing in it is fine. */
	CHECK_INT_EQ(parse("<urlset xmlns=\"" NS "\"/>", NULL), 0);
	CHECK_INT_EQ(st.kind, SITEMAP_URLSET);
	CHECK_INT_EQ(st.entries, 0);

	/* The callback stops it. */
	got_reset(&g);
	g.stop_after = 2;
	CHECK_INT_EQ(sitemap_parse(urlset, strlen(urlset), NULL, collect, &g,
	                 &st, err, sizeof err),
	    1);
	CHECK_INT_EQ(g.n, 2);
	CHECK_INT_EQ(st.entries, 2);

	/* No callback, no stats, no err: counting is still possible. */
	CHECK_INT_EQ(sitemap_parse(urlset, strlen(urlset), NULL, NULL, NULL,
	                 &st, NULL, 0),
	    0);
	CHECK_INT_EQ(st.entries, 3);
	CHECK_INT_EQ(sitemap_parse("<html/>", 7, NULL, NULL, NULL, NULL, NULL,
	                 0),
	    -1);
}

static void
t_index(void)
{
	CHECK_INT_EQ(parse(XMLDECL "<sitemapindex xmlns=\"" NS "\">\n"
	                           "<sitemap><loc>https://shop.example/s1.xml"
	                           "</loc><lastmod/></sitemap>\n"
	                           "<sitemap><lastmod>2024-01-01</lastmod>"
	                           "<loc>https://shop.example/s2.xml.gz</loc>"
	                           "</sitemap>\n"
	                           /* not an index's element: passed over */
	                           "<url><loc>https://shop.example/u</loc>"
	                           "</url>\n"
	                           "</sitemapindex>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.kind, SITEMAP_INDEX);
	CHECK_INT_EQ(g.kind, SITEMAP_INDEX);
	CHECK_INT_EQ(st.entries, 2);
	CHECK_STR_EQ(g.e[0].loc, "https://shop.example/s1.xml");
	CHECK_STR_EQ(g.e[0].lastmod, NULL);
	CHECK_STR_EQ(g.e[1].loc, "https://shop.example/s2.xml.gz");
	CHECK(g.e[1].lastmod_t == 1704067200.0);

	/* And <sitemap> in a url set is not an entry either. */
	CHECK_INT_EQ(parse("<urlset><sitemap><loc>http://a/</loc></sitemap>"
	                   "</urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 0);
}

static void
t_namespaces(void)
{
	CHECK_INT_EQ(parse(XMLDECL
	                 "<urlset xmlns=\"" NS "\"\n"
	                 " xmlns:image=\"http://www.google.com/schemas/"
	                 "sitemap-image/1.1\"\n"
	                 " xmlns:xhtml=\"http://www.w3.org/1999/xhtml\"\n"
	                 " xmlns:news=\"http://www.google.com/schemas/"
	                 "sitemap-news/0.9\"\n"
	                 " xmlns:x=\"urn:other\">\n"
	                 "<url>\n"
	                 " <x:loc>https://evil.example/first</x:loc>\n"
	                 " <loc>https://shop.example/p</loc>\n"
	                 " <xhtml:link rel=\"alternate\" hreflang=\"de\""
	                 " href=\"https://shop.example/de/p\"/>\n"
	                 " <image:image><image:loc>https://cdn.example/i.jpg</"
	                 "image:loc>"
	                 "<image:caption>x</image:caption></image:image>\n"
	                 " <news:news><news:publication><news:name>N</"
	                 "news:name>"
	                 "</news:publication><news:title>T</news:title></"
	                 "news:news>\n"
	                 " <x:priority>0.1</x:priority>\n"
	                 " <x:url><loc>https://evil.example/nested</loc></"
	                 "x:url>\n"
	                 "</url>\n"
	                 "<x:url><loc>https://evil.example/x-url</loc></"
	                 "x:url>\n"
	                 "<url><loc>https://shop.example/q</loc><loc>https://"
	                 "shop.example/"
	                 "second-loc</loc></url>\n"
	                 "</urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 2);
	CHECK_STR_EQ(g.e[0].loc, "https://shop.example/p");
	CHECK(g.e[0].priority == -1);
	CHECK_STR_EQ(g.e[1].loc, "https://shop.example/q");

	/* The sitemap namespace with a prefix. */
	CHECK_INT_EQ(parse("<sm:urlset xmlns:sm=\"" NS "\"><sm:url><sm:loc>"
	                   "http://a.example/</sm:loc><loc>http://evil/</loc>"
	                   "</sm:url></sm:urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 1);
	CHECK_STR_EQ(g.e[0].loc, "http://a.example/");

	/* An undeclared prefix is an error libxml2 reads past. */
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a.example/</loc>"
	                   "<image:image>x</image:image></url></urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 1);
}

static void
t_text(void)
{
	CHECK_INT_EQ(parse("<urlset xmlns=\"" NS "\">"
	                   "<url><loc><![CDATA[https://shop.example/"
	                   "a?x=1&y=<2>]]>"
	                   "</loc></url>"
	                   "<url><loc>\n\t https://shop.example/b?x=1&amp;y=2"
	                   "&#x26;z=&#51; \r\n</loc></url>"
	                   "<url><loc> https://shop.example/<![CDATA[c]]>/d "
	                   "</loc></url>"
	                   "<url><loc>https://shop.example/e<!-- note -->f"
	                   "</loc></url>"
	                   "<url><loc>https://shop.example/g<b>h</b>i</loc></"
	                   "url>"
	                   "<url><loc>https://shop.example/sp ace</loc>"
	                   "<lastmod>  2024-01-01  </lastmod>"
	                   "<priority>\n.5\n</priority>"
	                   "<changefreq> never </changefreq></url>"
	                   "</urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.entries, 6);
	CHECK_STR_EQ(g.e[0].loc, "https://shop.example/a?x=1&y=<2>");
	CHECK_STR_EQ(g.e[1].loc, "https://shop.example/b?x=1&y=2&z=3");
	CHECK_STR_EQ(g.e[2].loc, "https://shop.example/c/d");
	CHECK_STR_EQ(g.e[3].loc, "https://shop.example/ef");
	/* Only the field's own text. */
	CHECK_STR_EQ(g.e[4].loc, "https://shop.example/gi");
	/* Inside white space stays: sitemap_url_check() refuses it. */
	CHECK_STR_EQ(g.e[5].loc, "https://shop.example/sp ace");
	CHECK_STR_EQ(g.e[5].lastmod, "2024-01-01");
	CHECK(g.e[5].lastmod_t == 1704067200.0);
	CHECK(g.e[5].priority == 0.5);
	CHECK_INT_EQ(g.e[5].changefreq, SITEMAP_CF_NEVER);
}

/* One entry's lastmod_t, priority or changefreq from its text. */
static double
one_lastmod(const char *v)
{
	char doc[512];

	snprintf(doc, sizeof doc,
	    "<urlset><url><loc>http://a/</loc><lastmod>%s</lastmod></url>"
	    "</urlset>",
	    v);
	if (parse(doc, NULL) != 0 || g.n != 1)
		return (-2);
	return (g.e[0].lastmod_t);
}

static double
one_priority(const char *v)
{
	char doc[512];

	snprintf(doc, sizeof doc,
	    "<urlset><url><loc>http://a/</loc><priority>%s</priority></url>"
	    "</urlset>",
	    v);
	if (parse(doc, NULL) != 0 || g.n != 1)
		return (-2);
	return (g.e[0].priority);
}

static int
one_changefreq(const char *v)
{
	char doc[512];

	snprintf(doc, sizeof doc,
	    "<urlset><url><loc>http://a/</loc><changefreq>%s</changefreq>"
	    "</url></urlset>",
	    v);
	if (parse(doc, NULL) != 0 || g.n != 1)
		return (-2);
	return ((int)g.e[0].changefreq);
}

static double
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return ((double)timegm(&tm));
}

static void
t_fields(void)
{
	static const char *const cf[] = { "always", "hourly", "daily", "weekly",
		"monthly", "yearly", "never" };
	unsigned i;

	CHECK(one_lastmod("2024") == utc(2024, 1, 1, 0, 0, 0));
	CHECK(one_lastmod("2024-07") == utc(2024, 7, 1, 0, 0, 0));
	CHECK(one_lastmod("2024-02-29") == utc(2024, 2, 29, 0, 0, 0));
	CHECK(one_lastmod("2000-02-29") == utc(2000, 2, 29, 0, 0, 0));
	CHECK(one_lastmod("1970-01-01") == 0);
	CHECK(one_lastmod("2038-01-19T03:14:08Z") == 2147483648.0);
	CHECK(one_lastmod("2099-12-31T23:59:59Z") ==
	    utc(2099, 12, 31, 23, 59, 59));
	CHECK(one_lastmod("2024-05-06T07:08Z") == utc(2024, 5, 6, 7, 8, 0));
	CHECK(one_lastmod("2024-05-06T07:08:09.25-02:30") ==
	    utc(2024, 5, 6, 9, 38, 9) + 0.25);
	CHECK(one_lastmod("2024-05-06T07:08:09+0200") ==
	    utc(2024, 5, 6, 5, 8, 9));
	CHECK(one_lastmod("2024-05-06T07:08:09") == utc(2024, 5, 6, 7, 8, 9));
	/* Unreadable: -1, the text still given. */
	CHECK(one_lastmod("2023-02-29") == -1);
	CHECK_STR_EQ(g.e[0].lastmod, "2023-02-29");
	CHECK(one_lastmod("1900-02-28") == -1);
	CHECK(one_lastmod("1970-01-01T00:30+01:00") == -1);
	CHECK(one_lastmod("2024-13-01") == -1);
	CHECK(one_lastmod("2024-00") == -1);
	CHECK(one_lastmod("2024-01-32") == -1);
	CHECK(one_lastmod("2024-01T10:00Z") == -1);
	CHECK(one_lastmod("2024-01-01T24:00Z") == -1);
	CHECK(one_lastmod("2024-01-01T10:60Z") == -1);
	CHECK(one_lastmod("2024-01-01T10:00:00.Z") == -1);
	CHECK(one_lastmod("2024-01-01T10Z") == -1);
	CHECK(one_lastmod("2024-01-01 10:00:00") == -1);
	CHECK(one_lastmod("24-01-01") == -1);
	CHECK(one_lastmod("yesterday") == -1);
	CHECK(one_lastmod("2024-01-01Z") == -1);
	CHECK(one_lastmod("2024-01-01T10:00+1") == -1);

	CHECK(one_priority("0.0") == 0.0);
	CHECK(one_priority("0.85") == 0.85);
	CHECK(one_priority(".3") == 0.3);
	CHECK(one_priority("1.") == 1.0);
	CHECK(one_priority("0001.000") == 1.0);
	CHECK(one_priority("1.5") == -1);
	CHECK(one_priority("2") == -1);
	CHECK(one_priority("-0.5") == -1);
	CHECK(one_priority("nan") == -1);
	CHECK(one_priority("0x1p-1") == -1);
	CHECK(one_priority("0,5") == -1);
	CHECK(one_priority(".") == -1);
	CHECK(one_priority("") == -1);
	CHECK(one_priority("0.5 high") == -1);

	for (i = 0; i < sizeof cf / sizeof cf[0]; i++)
		CHECK_INT_EQ(one_changefreq(cf[i]), SITEMAP_CF_ALWAYS + i);
	CHECK_INT_EQ(one_changefreq("Daily"), SITEMAP_CF_DAILY);
	CHECK_INT_EQ(one_changefreq("fortnightly"), SITEMAP_CF_NONE);
	CHECK_INT_EQ(one_changefreq(""), SITEMAP_CF_NONE);
}

static void
t_gzip(void)
{
	struct sitemap_limits lim;
	unsigned char *z, *z2, *two;
	size_t zlen, z2len;
	struct buf b = { 0 };
	char want[128];
	int r;

	z = gz(urlset, strlen(urlset), &zlen);
	CHECK_INT_EQ(parse_len(z, zlen, NULL), 0);
	CHECK_INT_EQ(st.entries, 3);
	CHECK_INT_EQ(st.bytes, strlen(urlset));
	CHECK_STR_EQ(g.e[2].loc, "https://shop.example/c");

	/* Cut short, anywhere. */
	CHECK_INT_EQ(parse_len(z, zlen - 4, NULL), -1);
	CHECK_STR_EQ(err, "truncated gzip data");
	CHECK_INT_EQ(parse_len(z, zlen / 2, NULL), -1);
	CHECK_STR_EQ(err, "truncated gzip data");
	CHECK_INT_EQ(parse_len(z, 2, NULL), -1);
	CHECK_STR_EQ(err, "truncated gzip data");
	/* Corrupt: the CRC no longer matches. */
	z[zlen / 2] ^= 0x55;
	r = parse_len(z, zlen, NULL);
	z[zlen / 2] ^= 0x55;
	CHECK_INT_EQ(r, -1);
	CHECK(strncmp(err, "bad gzip data (", 15) == 0);

	/* Two members are one document; garbage after one is an error. */
	two = malloc(zlen * 2);
	z2 = gz("<!-- -->", 8, &z2len);
	memcpy(two, z, zlen);
	memcpy(two + zlen, z2, z2len);
	CHECK_INT_EQ(parse_len(two, zlen + z2len, NULL), 0);
	CHECK_INT_EQ(st.entries, 3);
	CHECK_INT_EQ(st.bytes, strlen(urlset) + 8);
	memcpy(two + zlen, "junk", 4);
	CHECK_INT_EQ(parse_len(two, zlen + 4, NULL), -1);
	CHECK(strncmp(err, "bad gzip data (", 15) == 0);
	free(two);
	free(z2);

	/* Compressed twice: said so. */
	z2 = gz(z, zlen, &z2len);
	CHECK_INT_EQ(parse_len(z2, z2len, NULL), -1);
	CHECK_STR_EQ(err, "sitemap is gzip-compressed twice");
	free(z2);

	/* Inflated to max_bytes exactly is fine, one byte more is not. */
	memset(&lim, 0, sizeof lim);
	lim.max_bytes = strlen(urlset);
	CHECK_INT_EQ(parse_len(z, zlen, &lim), 0);
	CHECK_INT_EQ(st.entries, 3);
	lim.max_bytes = strlen(urlset) - 1;
	CHECK_INT_EQ(parse_len(z, zlen, &lim), -1);
	snprintf(want, sizeof want,
	    "sitemap too large (over %zu bytes inflated, limit max_bytes)",
	    strlen(urlset) - 1);
	CHECK_STR_EQ(err, want);
	CHECK_INT_EQ(g.n, 0);
	free(z);

	/* Past the first buffer (64 KiB) and its doublings. */
	buf_str(&b, "<urlset>");
	buf_rep(&b,
	    "<url><loc>https://shop.example/aaaaaaaaaaaaa</loc></url>\n",
	    20000);
	buf_str(&b, "</urlset>");
	z = gz(b.s, b.len, &zlen);
	CHECK_INT_EQ(parse_len(z, zlen, NULL), 0);
	CHECK_INT_EQ(st.entries, 20000);
	CHECK_INT_EQ(st.bytes, b.len);
	lim.max_bytes = b.len;
	CHECK_INT_EQ(parse_len(z, zlen, &lim), 0);
	lim.max_bytes = b.len - 1;
	CHECK_INT_EQ(parse_len(z, zlen, &lim), -1);
	CHECK(strstr(err, "limit max_bytes") != NULL);
	free(z);
	free(b.s);
}

static void
t_gzip_bomb(void)
{
	struct sitemap_limits lim;
	struct timespec t0;
	unsigned char *z;
	size_t zlen;
	long rss0;
	double secs;

	/* 1 GiB of zeros in about 1 MB. */
	z = gz_bomb(1024, &zlen);
	CHECK(zlen < 2 * MiB);
	rss0 = maxrss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT_EQ(parse_len(z, zlen, NULL), -1);
	secs = elapsed(&t0);
	CHECK_STR_EQ(err,
	    "sitemap too large (over 52428800 bytes inflated, "
	    "limit max_bytes)");
	CHECK_INT_EQ(g.n, 0);
	/* Inflating 50 MiB, not 1 GiB: well under a second, even with ASan. */
	CHECK(secs < 5.0);
	/* The peak grew by 50 MiB and change (ASan keeps freed blocks). */
	CHECK(maxrss_kib() - rss0 < 400 * 1024);
	printf("gzip bomb: %zu bytes, refused in %.3f s, peak RSS +%ld KiB\n",
	    zlen, secs, maxrss_kib() - rss0);

	/* A small cap is met as soon: the 1 MiB first block is enough. */
	memset(&lim, 0, sizeof lim);
	lim.max_bytes = 100000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT_EQ(parse_len(z, zlen, &lim), -1);
	CHECK(elapsed(&t0) < 1.0);
	CHECK_STR_EQ(err,
	    "sitemap too large (over 100000 bytes inflated, "
	    "limit max_bytes)");
	free(z);

	/* The bomb is a genuine one: under a 2 GiB cap it would inflate. */
	z = gz_bomb(3, &zlen);
	lim.max_bytes = 3 * MiB;
	CHECK_INT_EQ(parse_len(z, zlen, &lim), -1);
	/* All of it inflated: zeros are not XML. */
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	CHECK_INT_EQ(st.bytes, 3 * MiB);
	free(z);
}

static void
t_malformed(void)
{
	size_t cut;

	CHECK_INT_EQ(parse("<urlset>\n<url>\n<loc>http://a/</lo>\n</url>\n"
	                   "</urlset>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err,
	    "XML error at line 3: Opening and ending tag "
	    "mismatch: loc line 3 and lo");

	/* Cut anywhere after the first entry: that one may be given. */
	for (cut = 100; cut < strlen(urlset) - 2; cut += 37) {
		CHECK_INT_EQ(parse_len(urlset, cut, NULL), -1);
		CHECK(strncmp(err, "XML error at line ", 18) == 0);
		CHECK(g.n <= 2);
	}
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/</loc></url>", NULL),
	    -1);
	CHECK_INT_EQ(g.n, 1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);

	CHECK_INT_EQ(parse("<urlset></urlset><urlset/>", NULL), -1);
	CHECK_STR_EQ(err,
	    "XML error at line 1: Extra content at the end of the "
	    "document");
	CHECK_INT_EQ(parse("\n\nthis is not XML", NULL), -1);
	CHECK(strncmp(err, "XML error at line 3: ", 21) == 0);
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/\xff\xfe</loc></url>"
	                   "</urlset>",
	                 NULL),
	    -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	CHECK(strstr(err, "UTF-8") != NULL);
	CHECK_INT_EQ(parse("<?xml version=\"1.0\" "
	                   "encoding=\"no-such\"?><urlset/>",
	                 NULL),
	    -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	CHECK_INT_EQ(parse("<urlset><url><loc>a&b</loc></url></urlset>", NULL),
	    -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	/* An undefined entity, without a DTD */
	CHECK_INT_EQ(parse("<urlset><url><loc>&nope;</loc></url></urlset>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err, "XML error at line 1: Entity 'nope' not defined");
	CHECK_INT_EQ(g.n, 0);
	/* A NUL byte */
	CHECK_INT_EQ(parse_len("<urlset>\0</urlset>", 18, NULL), -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);

	/* Another encoding is fine when declared. */
	CHECK_INT_EQ(parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	                   "<urlset><url><loc>http://a/\xe4</loc></url></"
	                   "urlset>",
	                 NULL),
	    0);
	CHECK_STR_EQ(g.e[0].loc, "http://a/\xc3\xa4");
	/* A UTF-8 BOM */
	CHECK_INT_EQ(parse("\xef\xbb\xbf<urlset><url><loc>http://a/</loc></url>"
	                   "</urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 1);
}

static void
t_not_sitemap(void)
{
	CHECK_INT_EQ(parse_len("", 0, NULL), -1);
	CHECK_STR_EQ(err, "empty sitemap");
	CHECK_INT_EQ(st.kind, SITEMAP_NONE);
	CHECK_INT_EQ(parse(" \r\n\t\n", NULL), -1);
	CHECK_STR_EQ(err, "empty sitemap");
	CHECK_INT_EQ(parse(XMLDECL, NULL), -1);
	CHECK(strncmp(err, "XML error at line 2: ", 21) == 0);
	CHECK_INT_EQ(parse("<!-- only a comment -->", NULL), -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);

	CHECK_INT_EQ(parse("<!doctype-less><html><body><a href=\"x\">x</a>"
	                   "</body></html>",
	                 NULL),
	    -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	CHECK_INT_EQ(parse("<html><body><url><loc>http://a/</loc></url></body>"
	                   "</html>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err, "not a sitemap: root element html");
	CHECK_INT_EQ(g.n, 0);
	CHECK_INT_EQ(st.kind, SITEMAP_NONE);
	CHECK_INT_EQ(parse("<rss version=\"2.0\"><channel/></rss>", NULL), -1);
	CHECK_STR_EQ(err, "not a sitemap: root element rss");
	/* Case matters in XML. */
	CHECK_INT_EQ(parse("<URLSET/>", NULL), -1);
	CHECK_STR_EQ(err, "not a sitemap: root element URLSET");
	/* A long name is cut in the message. */
	CHECK_INT_EQ(parse("<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                   "aa"
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
	                   ">",
	                 NULL),
	    -1);
	CHECK_INT_EQ(strlen(err), strlen("not a sitemap: root element ") + 64);
	/* Non-ASCII in a name does not reach the message. */
	CHECK_INT_EQ(parse("<\xc3\xa9t\xc3\xa9/>", NULL), -1);
	CHECK_STR_EQ(err, "not a sitemap: root element ??t??");
}

static const char lol[] = XMLDECL
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"
    "&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"
    "&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"
    "&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"
    "&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"
    "&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"
    "&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"
    "&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;"
    "&lol8;\">\n"
    "]>\n"
    "<urlset><url><loc>http://a/&lol9;&lol9;&lol9;&lol9;</loc></url>"
    "<url><loc>&lol9;</loc></url></urlset>\n";

static void
t_dtd(void)
{
	struct timespec t0;
	long rss0;
	double secs;

	rss0 = maxrss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT_EQ(parse(lol, NULL), -1);
	secs = elapsed(&t0);
	CHECK_STR_EQ(err, "sitemap has a DTD: refused");
	CHECK_INT_EQ(g.n, 0);
	CHECK(secs < 1.0);
	CHECK(maxrss_kib() - rss0 < 64 * 1024);
	printf("billion laughs: refused in %.6f s\n", secs);

	/* A quadratic blow-up: one big entity used many times. */
	{
		struct buf b = { 0 };

		buf_str(&b, "<!DOCTYPE urlset [<!ENTITY a \"");
		buf_rep(&b, "aaaaaaaaaa", 10000);
		buf_str(&b, "\">]><urlset><url><loc>");
		buf_rep(&b, "&a;", 10000);
		buf_str(&b, "</loc></url></urlset>");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT_EQ(parse(b.s, NULL), -1);
		CHECK(elapsed(&t0) < 1.0);
		CHECK_STR_EQ(err, "sitemap has a DTD: refused");
		free(b.s);
	}

	/* External entities: nothing is loaded, nothing leaks. */
	loader_calls = 0;
	CHECK_INT_EQ(parse(XMLDECL
	                 "<!DOCTYPE urlset [\n"
	                 "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
	                 "]>\n"
	                 "<urlset><url><loc>http://a/&xxe;</loc></url>"
	                 "</urlset>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err, "sitemap has a DTD: refused");
	CHECK_INT_EQ(g.n, 0);
	CHECK(strstr(err, "root:") == NULL);
	CHECK_INT_EQ(parse(XMLDECL "<!DOCTYPE urlset SYSTEM "
	                           "\"file:///etc/passwd\">\n"
	                           "<urlset><url><loc>http://a/</loc></url>"
	                           "</urlset>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err, "sitemap has a DTD: refused");
	CHECK_INT_EQ(parse(XMLDECL "<!DOCTYPE urlset PUBLIC \"-//X//Y\" "
	                           "\"http://127.0.0.1:1/x.dtd\">\n"
	                           "<urlset/>",
	                 NULL),
	    -1);
	CHECK_STR_EQ(err, "sitemap has a DTD: refused");
	/* Parameter entities are read inside the DTD itself. */
	CHECK_INT_EQ(parse(XMLDECL
	                 "<!DOCTYPE urlset [\n"
	                 "<!ENTITY % p SYSTEM \"file:///etc/passwd\">\n"
	                 "%p;\n"
	                 "]>\n"
	                 "<urlset/>",
	                 NULL),
	    -1);
	CHECK(strstr(err, "root:") == NULL);
	CHECK_INT_EQ(parse(XMLDECL
	                 "<!DOCTYPE urlset [\n"
	                 "<!ENTITY % p SYSTEM \"http://127.0.0.1:1/\">\n"
	                 "%p;\n"
	                 "]>\n"
	                 "<urlset/>",
	                 NULL),
	    -1);
	CHECK_INT_EQ(loader_calls, 0);

	/* Even a harmless DTD, and one after the root would be. */
	CHECK_INT_EQ(parse("<!DOCTYPE urlset><urlset/>", NULL), -1);
	CHECK_STR_EQ(err, "sitemap has a DTD: refused");
	CHECK_INT_EQ(parse("<urlset/><!DOCTYPE urlset>", NULL), -1);
	CHECK(strncmp(err, "XML error at line 1: ", 21) == 0);
	/* XInclude is not processed (it needs XML_PARSE_XINCLUDE). */
	CHECK_INT_EQ(parse("<urlset "
	                   "xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	                   "<url><loc><xi:include href=\"file:///etc/passwd\" "
	                   "parse=\"text\"/></loc></url></urlset>",
	                 NULL),
	    0);
	CHECK_INT_EQ(st.skipped, 1);
	CHECK_INT_EQ(loader_calls, 0);
}

static void
t_limits(void)
{
	struct sitemap_limits lim;
	struct buf b = { 0 };
	char loc[3000];

	/* Entries: max_entries exactly, then one more. */
	memset(&lim, 0, sizeof lim);
	lim.max_entries = 3;
	buf_str(&b, "<urlset>");
	buf_rep(&b, "<url><loc>http://a/</loc></url>", 3);
	CHECK_INT_EQ(parse(b.s, &lim), -1); /* not closed yet */
	buf_str(&b, "</urlset>");
	CHECK_INT_EQ(parse(b.s, &lim), 0);
	CHECK_INT_EQ(g.n, 3);
	b.len -= strlen("</urlset>");
	buf_str(&b, "<url/></urlset>");
	CHECK_INT_EQ(parse(b.s, &lim), -1);
	CHECK_STR_EQ(err, "too many entries (over 3, limit max_entries)");
	CHECK_INT_EQ(g.n, 3);
	CHECK_INT_EQ(st.entries, 3);
	free(b.s);
	memset(&b, 0, sizeof b);

	/* The default: 50,000, and 50,001 is refused. */
	buf_str(&b, "<urlset>");
	buf_rep(&b, "<url><loc>http://a/</loc></url>", 50000);
	buf_str(&b, "</urlset>");
	CHECK_INT_EQ(parse(b.s, NULL), 0);
	CHECK_INT_EQ(st.entries, 50000);
	b.len -= strlen("</urlset>");
	buf_str(&b, "<url><loc>http://a/</loc></url></urlset>");
	CHECK_INT_EQ(parse(b.s, NULL), -1);
	CHECK_STR_EQ(err, "too many entries (over 50000, limit max_entries)");
	CHECK_INT_EQ(st.entries, 50000);
	lim.max_entries = 100000;
	CHECK_INT_EQ(parse(b.s, &lim), 0);
	CHECK_INT_EQ(st.entries, 50001);
	free(b.s);
	memset(&b, 0, sizeof b);

	/* Depth: the root is 1, <loc> is 3. */
	memset(&lim, 0, sizeof lim);
	lim.max_depth = 3;
	CHECK_INT_EQ(parse(urlset, &lim), 0);
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/</loc><x><y/></x></url>"
	                   "</urlset>",
	                 &lim),
	    -1);
	CHECK_STR_EQ(err, "sitemap too deep (over 3 levels, limit max_depth)");
	lim.max_depth = 4;
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/</loc><x><y/></x></url>"
	                   "</urlset>",
	                 &lim),
	    0);
	/* Deeper than libxml2's own limit (256): ours is met first. */
	buf_str(&b, "<urlset><url>");
	buf_rep(&b, "<a>", 100000);
	CHECK_INT_EQ(parse(b.s, NULL), -1);
	CHECK_STR_EQ(err, "sitemap too deep (over 16 levels, limit max_depth)");
	free(b.s);
	memset(&b, 0, sizeof b);

	/* max_url: trimmed, as many bytes and no more. */
	memset(loc, 'a', sizeof loc);
	memcpy(loc, "http://a/", 9);
	loc[2048] = '\0';
	buf_str(&b, "<urlset><url><loc>");
	buf_rep(&b, " \n", 50000);
	buf_str(&b, loc);
	buf_rep(&b, "\t\r\n", 50000);
	buf_str(&b, "</loc></url></urlset>");
	CHECK_INT_EQ(parse(b.s, NULL), 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_INT_EQ(strlen(g.e[0].loc), 2048);
	free(b.s);
	memset(&b, 0, sizeof b);
	loc[2048] = 'a';
	loc[2049] = '\0';
	buf_str(&b, "<urlset><url><loc>http://a/</loc></url><url><loc>");
	buf_str(&b, loc);
	buf_str(&b, "</loc></url></urlset>");
	CHECK_INT_EQ(parse(b.s, NULL), -1);
	CHECK_STR_EQ(err, "URL too long (over 2048 bytes, limit max_url)");
	CHECK_INT_EQ(g.n, 1);
	lim.max_url = 2049;
	CHECK_INT_EQ(parse(b.s, &lim), 0);
	CHECK_INT_EQ(g.n, 2);
	free(b.s);
	memset(&b, 0, sizeof b);
	/* White space inside counts. */
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/ \n x</loc></url>"
	                   "</urlset>",
	                 &(struct sitemap_limits){ .max_url = 13 }),
	    0);
	CHECK_STR_EQ(g.e[0].loc, "http://a/ \n x");
	CHECK_INT_EQ(parse("<urlset><url><loc>http://a/ \n x</loc></url>"
	                   "</urlset>",
	                 &(struct sitemap_limits){ .max_url = 12 }),
	    -1);
	CHECK_STR_EQ(err, "URL too long (over 12 bytes, limit max_url)");
	/* Other fields too long are unreadable, not an error. */
	CHECK(one_lastmod("2024-01-01T00:00:00.000000000000000000000000000000"
	                  "000000000000000000000Z") == -1);
	CHECK_STR_EQ(g.e[0].lastmod, NULL);

	/* An uncompressed document over max_bytes. */
	CHECK_INT_EQ(parse(urlset,
	                 &(struct sitemap_limits){ .max_bytes = 100 }),
	    -1);
	CHECK_STR_EQ(err,
	    "sitemap too large (over 100 bytes, limit max_bytes)");
	CHECK_INT_EQ(parse(urlset,
	                 &(struct sitemap_limits){
	                     .max_bytes = strlen(urlset) }),
	    0);
}

/* libxml2 must not write to stderr, whatever the document. */
static void
t_quiet(void)
{
	char path[] = "/tmp/test_sitemap.XXXXXX";
	struct stat sb;
	int fd, saved;

	fd = mkstemp(path);
	if (!CHECK(fd >= 0))
		return;
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	(void)parse("<urlset><url><loc>x</lo></url>", NULL);
	(void)parse(lol, NULL);
	(void)parse("<urlset><loc>\xff</loc></urlset>", NULL);
	(void)parse("<?xml version=\"1.0\" encoding=\"no-such\"?><urlset/>",
	    NULL);
	(void)parse("<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset/>",
	    NULL);
	(void)
	    parse("<urlset xmlns=\"relative\"><url><loc>x</loc></url></urlset>",
	        NULL);
	(void)parse("<urlset><x:y/></urlset>", NULL);
	(void)parse("<!DOCTYPE urlset SYSTEM \"file:///etc/passwd\"><urlset/>",
	    NULL);
	(void)
	    parse("<!DOCTYPE u [<!ENTITY % p SYSTEM \"file:///etc/passwd\">%p;"
	          "]><urlset/>",
	        NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK(fstat(fd, &sb) == 0);
	CHECK_INT_EQ(sb.st_size, 0);
	close(fd);
}

static void
t_url_check(void)
{
	const char *sm = "https://shop.example/sitemap.xml";
	char why[256], loc[3000];

#define OK(s, l)                                                               \
	do {                                                                   \
		strcpy(why, "(untouched)");                                    \
		CHECK_INT_EQ(sitemap_url_check(s, l, 0, why, sizeof why), 0);  \
		CHECK_STR_EQ(why, "");                                         \
	} while (0)
#define NO(s, l, reason)                                                       \
	do {                                                                   \
		CHECK_INT_EQ(sitemap_url_check(s, l, 0, why, sizeof why), -1); \
		CHECK_STR_EQ(why, reason);                                     \
	} while (0)

	OK(sm, "https://shop.example/");
	OK(sm, "https://shop.example/a/b?c=d&e=f#g");
	OK(sm, "https://SHOP.Example/x");
	OK(sm, "HTTPS://shop.example/x");
	OK(sm, "https://shop.example:443/x");
	OK("https://shop.example:443/s.xml", "https://shop.example/x");
	OK("http://shop.example/s.xml", "http://shop.example:80/x");
	OK("http://shop.example:8080/s.xml", "http://shop.example:8080/x");
	OK("http://[::1]:8080/s.xml", "http://[::1]:8080/x");
	OK(sm, "https://shop.example/%C3%A4");

	NO(sm, "https://other.example/",
	    "off-site URL (host other.example, sitemap on shop.example)");
	NO(sm, "https://www.shop.example/",
	    "off-site URL (host www.shop.example, sitemap on shop.example)");
	NO(sm, "https://shop.example.evil/",
	    "off-site URL (host shop.example.evil, sitemap on shop.example)");
	NO(sm, "http://shop.example/",
	    "off-site URL (scheme http, sitemap on https)");
	NO(sm, "https://shop.example:8443/",
	    "off-site URL (port 8443, sitemap on port 443)");
	NO("http://shop.example/s.xml", "http://shop.example:443/",
	    "off-site URL (port 443, sitemap on port 80)");

	NO(sm, "https://user:pass@shop.example/",
	    "user name or password in URL");
	NO(sm, "https://user@shop.example/", "user name or password in URL");
	NO(sm, "https://:pass@shop.example/", "user name or password in URL");
	NO(sm, "https://shop.example@other.example/",
	    "user name or password in URL");

	NO(sm, "javascript:alert(1)", "not an http(s) URL");
	NO(sm, "JavaScript://shop.example/%0aalert(1)", "not an http(s) URL");
	NO(sm, "data:text/html,<script>x</script>", "not an http(s) URL");
	NO(sm, "ftp://shop.example/x", "not an http(s) URL");
	NO(sm, "file:///etc/passwd", "not an http(s) URL");

	NO(sm, "https://shop.example/a b",
	    "control character, space or non-ASCII byte in URL");
	NO(sm, "https://shop.example/a\tb",
	    "control character, space or non-ASCII byte in URL");
	NO(sm, "https://shop.example/\r\nX-Evil: 1",
	    "control character, space or non-ASCII byte in URL");
	NO(sm, "https://shop.example/\x7f",
	    "control character, space or non-ASCII byte in URL");
	NO(sm, "https://shop.example/\xc3\xa4",
	    "control character, space or non-ASCII byte in URL");
	NO(sm, " https://shop.example/",
	    "control character, space or non-ASCII byte in URL");

	NO(sm, "", "unparsable URL (Bad scheme)");
	NO(sm, "/relative", "unparsable URL (Bad scheme)");
	NO(sm, "shop.example/x", "unparsable URL (Bad scheme)");
	NO(sm, "https://", "unparsable URL (No host part in the URL)");
	NO(sm, "https://[::1/", "unparsable URL (Bad IPv6 address)");
	NO(sm, "https://shop.example:99999/",
	    "unparsable URL (Port number was not a decimal number between 0 "
	    "and 65535)");

	/* Length: 2048 by default, or as given. */
	memset(loc, 'a', sizeof loc);
	memcpy(loc, "https://shop.example/", 21);
	loc[2048] = '\0';
	OK(sm, loc);
	loc[2048] = 'a';
	loc[2049] = '\0';
	NO(sm, loc, "URL too long (2049 bytes, limit 2048)");
	CHECK_INT_EQ(sitemap_url_check(sm, loc, 2049, why, sizeof why), 0);
	CHECK_INT_EQ(sitemap_url_check(sm, "https://shop.example/abc", 23, why,
	                 sizeof why),
	    -1);
	CHECK_STR_EQ(why, "URL too long (24 bytes, limit 23)");

	/* The sitemap's own URL must be one too. */
	NO("ftp://shop.example/s.xml", "https://shop.example/",
	    "bad sitemap URL: not an http(s) URL");
	NO("sitemap.xml", "https://shop.example/",
	    "bad sitemap URL: unparsable URL (Bad scheme)");

	/* Quoted input stays printable; why may be small or absent. */
	NO(sm, "https://xn--\x01/",
	    "control character, space or non-ASCII "
	    "byte in URL");
	CHECK_INT_EQ(sitemap_url_check(sm, "https://other.example/", 0, why,
	                 12),
	    -1);
	CHECK_STR_EQ(why, "off-site UR");
	CHECK_INT_EQ(sitemap_url_check(sm, "https://other.example/", 0, NULL,
	                 0),
	    -1);
	CHECK_INT_EQ(sitemap_url_check(sm, "https://shop.example/", 0, NULL, 0),
	    0);
#undef OK
#undef NO
}

static void
t_value(void)
{
	struct sitemap_entry e;
	double now = 1.8e9, day = 86400;

	memset(&e, 0, sizeof e);
	e.loc = "https://shop.example/";
	e.priority = -1;
	e.lastmod_t = -1;
	CHECK(sitemap_value(&e, now) == 0.5);
	e.priority = 0.8;
	CHECK(sitemap_value(&e, now) == 0.8);
	/* lastmod orders within a priority, never across one of 0.01. */
	e.lastmod_t = now;
	CHECK(sitemap_value(&e, now) > 0.8098 && sitemap_value(&e, now) < 0.81);
	e.lastmod_t = now - 365 * day;
	CHECK(sitemap_value(&e, now) > 0.8 &&
	    sitemap_value(&e, now) < 0.8 + 0.0099 / 2);
	/* The same page a day later is older, and worth less. */
	CHECK(sitemap_value(&e, now + day) < sitemap_value(&e, now));
	e.lastmod_t = now + day; /* in the future: as now */
	CHECK(sitemap_value(&e, now) < 0.81);
	e.priority = 0.79;
	CHECK(sitemap_value(&e, now) < 0.8);
}

int
main(void)
{
	xmlSetExternalEntityLoader(spy_loader);
	t_value();
	t_urlset();
	t_index();
	t_namespaces();
	t_text();
	t_fields();
	t_gzip();
	t_gzip_bomb();
	t_malformed();
	t_not_sitemap();
	t_dtd();
	t_limits();
	t_quiet();
	t_url_check();
	got_reset(&g);
	return (unit_done());
}
