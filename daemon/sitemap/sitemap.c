/*
 * Sitemaps as they come from the network, read with zlib and libxml2's
 * streaming reader: Debian packages both, and both made for hostile input
 * when told to be careful, which is what this file does.
 *
 *  - xmlTextReader hands over one node at a time and frees what it has
 *    passed, so a 50 MiB sitemap costs about its own size, and entries
 *    reach the caller while the rest is still being read.  Never a DOM.
 *  - XML_PARSE_NONET, and none of XML_PARSE_NOENT, XML_PARSE_DTDLOAD or
 *    XML_PARSE_HUGE: nothing is fetched, entities are not substituted, no
 *    external DTD is loaded and libxml2's own size limits stay on.  On
 *    top of that a sitemap has no use for a DTD, so the first DOCTYPE or
 *    entity reference ends the parse: that is what stops entity bombs and
 *    external entities, whatever the libxml2 version does by default.
 *  - The inflated size is capped while inflating: a gzip bomb costs at
 *    most max_bytes of memory and the time it takes to inflate them.
 *  - libxml2 writes its errors to stderr unless told otherwise.  The
 *    reader's structured handler gets what the parser reports; the
 *    thread's generic and structured handlers are replaced for the time
 *    of the parse for what libxml2 raises without a parser (encoding
 *    errors), and put back after.
 */

#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/xmlreader.h>
#define ZLIB_CONST
#include <zlib.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "sitemap.h"

/* The first inflate buffer; it doubles from there up to max_bytes. */
#define SM_INFLATE_START (64 * 1024)

/* Longest lastmod, changefreq or priority read; longer is unreadable. */
#define SM_FIELD_MAX 64

/* Longest root element name quoted in an error message. */
#define SM_NAME_QUOTE 64

/* libxml2 2.12 made the structured handler's error const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError sm_xml_error_t;
#else
typedef xmlError sm_xml_error_t;
#endif

enum sm_field {
	SM_F_LOC,
	SM_F_LASTMOD,
	SM_F_CHANGEFREQ,
	SM_F_PRIORITY,
	SM_F_N,
	SM_F_NONE = SM_F_N,
};

static const char *const sm_field_names[SM_F_N] = {
	"loc",
	"lastmod",
	"changefreq",
	"priority",
};

static const char *const sm_changefreqs[] = {
	[SITEMAP_CF_ALWAYS] = "always",
	[SITEMAP_CF_HOURLY] = "hourly",
	[SITEMAP_CF_DAILY] = "daily",
	[SITEMAP_CF_WEEKLY] = "weekly",
	[SITEMAP_CF_MONTHLY] = "monthly",
	[SITEMAP_CF_YEARLY] = "yearly",
	[SITEMAP_CF_NEVER] = "never",
};

/*
 * The text of one element, trimmed as it comes: leading white space is
 * dropped, white space after the last other character is counted but
 * kept only when more text follows.  So a <loc> padded with a megabyte
 * of new lines still fits in max_url bytes.
 */
struct sm_text {
	char *buf; /* max + 1 bytes */
	size_t max;
	size_t len; /* bytes kept */
	size_t pend; /* white space after them, in buf while it fits */
	int over; /* the trimmed text is longer than max */
};

struct sm_parse {
	unsigned magic;
#define SM_PARSE_MAGIC 0x51e7a9b3
	struct sitemap_limits lim;
	sitemap_entry_f *cb;
	void *priv;
	struct sitemap_stats st;
	xmlTextReaderPtr rd;
	const xmlChar *ns; /* the root's namespace (the reader's), or NULL */
	size_t seen; /* entry elements, with a <loc> or not */

	/* The entry being read. */
	int in_entry;
	unsigned entry_line;
	enum sm_field field; /* being read, or SM_F_NONE */
	unsigned have; /* 1 << field for each field met */
	struct sm_text text[SM_F_N];
	char small[SM_F_N - 1][SM_FIELD_MAX + 1]; /* all but <loc>'s */

	/* The first fatal error libxml2 reported, else the first error. */
	int xml_level;
	char xml_err[256];

	int failed;
	char err[256];
};

static int
sm_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* Error messages quote input: keep them to printable ASCII. */
static void
sm_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void
sm_copy_err(char *err, size_t errlen, const char *msg)
{
	if (err == NULL || errlen == 0)
		return;
	snprintf(err, errlen, "%s", msg);
	sm_printable(err);
}

static int __attribute__((format(printf, 2, 3)))
sm_fail(struct sm_parse *p, const char *fmt, ...)
{
	va_list ap;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	if (p->failed)
		return (-1);
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	return (-1);
}

/*--------------------------------------------------------------------
 * Text
 */

static void
text_reset(struct sm_text *t)
{
	t->len = 0;
	t->pend = 0;
	t->over = 0;
	t->buf[0] = '\0';
}

static void
text_add(struct sm_text *t, const char *s)
{
	for (; *s != '\0' && !t->over; s++) {
		if (sm_space(*s)) {
			if (t->len == 0)
				continue;
			if (t->len + t->pend < t->max)
				t->buf[t->len + t->pend] = *s;
			t->pend++;
			continue;
		}
		/* Whatever white space is pending is inside: it counts. */
		if (t->len + t->pend + 1 > t->max) {
			t->over = 1;
			break;
		}
		t->len += t->pend;
		t->pend = 0;
		t->buf[t->len++] = *s;
	}
}

static const char *
text_end(struct sm_text *t)
{
	t->buf[t->len] = '\0';
	return (t->buf);
}

/*--------------------------------------------------------------------
 * Field values
 */

/* n digits at *sp as a number, or -1. */
static int
sm_digits(const char **sp, int n)
{
	const char *s = *sp;
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		v = v * 10 + (*s - '0');
	}
	*sp = s;
	return (v);
}

static int
sm_leap(int y)
{
	return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static int
sm_mdays(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	return (mdays[m - 1] + (m == 2 && sm_leap(y)));
}

/* Days from 1970-01-01 to y-m-d, y >= 1970. */
static long
sm_days(int y, int m, int d)
{
	long days;
	int i;

	/* Leap years before y, minus those before 1970. */
	days = 365L * (y - 1970) +
	    ((y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) -
	    (1969 / 4 - 1969 / 100 + 1969 / 400);
	for (i = 1; i < m; i++)
		days += sm_mdays(y, i);
	return (days + d - 1);
}

/*
 * A W3C Datetime (https://www.w3.org/TR/NOTE-datetime), as sitemaps.org
 * asks: YYYY, YYYY-MM, YYYY-MM-DD, or a date and a time hh:mm[:ss[.s+]]
 * with a zone Z or +hh:mm.  A time without a zone is taken as UTC, and
 * +hhmm is accepted, as both are common.  Unix time, or -1.
 */
static double
sm_w3c_time(const char *s)
{
	int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, tzh, tzm, tz = 0, sign;
	int full = 0;
	double frac = 0, scale = 0.1, t;

	if ((y = sm_digits(&s, 4)) < 1970)
		return (-1);
	if (*s == '-') {
		s++;
		if ((mo = sm_digits(&s, 2)) < 1 || mo > 12)
			return (-1);
		if (*s == '-') {
			s++;
			d = sm_digits(&s, 2);
			if (d < 1 || d > sm_mdays(y, mo))
				return (-1);
			full = 1;
		}
	}
	/* A time needs a full date before it. */
	if (*s == 'T' && full) {
		s++;
		h = sm_digits(&s, 2);
		if (h < 0 || h > 23 || *s++ != ':')
			return (-1);
		if ((mi = sm_digits(&s, 2)) < 0 || mi > 59)
			return (-1);
		if (*s == ':') {
			s++;
			if ((sec = sm_digits(&s, 2)) < 0 || sec > 60)
				return (-1);
			if (*s == '.') {
				if (s[1] < '0' || s[1] > '9')
					return (-1);
				for (s++; *s >= '0' && *s <= '9'; s++) {
					frac += (*s - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = (*s++ == '-') ? -1 : 1;
			if ((tzh = sm_digits(&s, 2)) < 0 || tzh > 23)
				return (-1);
			if (*s == ':')
				s++;
			if ((tzm = sm_digits(&s, 2)) < 0 || tzm > 59)
				return (-1);
			tz = sign * (tzh * 60 + tzm);
		}
	}
	if (*s != '\0')
		return (-1);
	t = (double)sm_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec +
	    frac - tz * 60;
	return (t < 0 ? -1 : t);
}

/*
 * 0.0 to 1.0, digits and a decimal point only: strtod() would take
 * "nan", "0x1p-1" and the locale's decimal comma.  Or -1.
 */
static double
sm_priority(const char *s)
{
	double ip = 0, fp = 0, scale = 1;
	int n = 0, nf = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++)
		if ((ip = ip * 10 + (*s - '0')) > 1)
			return (-1);
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, n++)
			if (nf < 15) {
				/* Exact integers, one division: no drift. */
				fp = fp * 10 + (*s - '0');
				scale *= 10;
				nf++;
			}
	if (n == 0 || *s != '\0' || ip + fp / scale > 1)
		return (-1);
	return (ip + fp / scale);
}

static enum sitemap_changefreq
sm_changefreq(const char *s)
{
	unsigned i;

	for (i = SITEMAP_CF_ALWAYS; i <= SITEMAP_CF_NEVER; i++)
		if (strcasecmp(s, sm_changefreqs[i]) == 0)
			return ((enum sitemap_changefreq)i);
	return (SITEMAP_CF_NONE);
}

/*--------------------------------------------------------------------
 * Libxml2 error handlers
 */

static void
sm_xml_error(void *priv, sm_xml_error_t *e)
{
	struct sm_parse *p;
	size_t n;

	CAST_OBJ_NOTNULL(p, priv, SM_PARSE_MAGIC);
	/* Warnings (a relative namespace URI...) do not fail a sitemap. */
	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (p->xml_level != XML_ERR_NONE && (int)e->level <= p->xml_level)
		return;
	p->xml_level = (int)e->level;
	snprintf(p->xml_err, sizeof p->xml_err, "XML error at line %d: %s",
	    e->line, e->message != NULL ? e->message : "(no message)");
	n = strlen(p->xml_err);
	while (n > 0 && sm_space(p->xml_err[n - 1]))
		p->xml_err[--n] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sm_xml_generic(void *priv, const char *fmt, ...)
{
	struct sm_parse *p;
	char msg[200];
	va_list ap;
	size_t n;

	CAST_OBJ_NOTNULL(p, priv, SM_PARSE_MAGIC);
	if (p->xml_level != XML_ERR_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && sm_space(msg[n - 1]))
		msg[--n] = '\0';
	p->xml_level = XML_ERR_ERROR;
	snprintf(p->xml_err, sizeof p->xml_err, "XML error: %s", msg);
}

/*--------------------------------------------------------------------
 * The document
 */

static int
sm_same_ns(const struct sm_parse *p, const xmlChar *ns)
{
	if (p->ns == NULL || ns == NULL)
		return (p->ns == ns);
	return (xmlStrEqual(p->ns, ns));
}

static int
sm_entry_end(struct sm_parse *p)
{
	struct sitemap_entry e;
	struct sm_text *t;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	p->in_entry = 0;
	p->field = SM_F_NONE;
	t = &p->text[SM_F_LOC];
	if (!(p->have & (1U << SM_F_LOC)) || t->len == 0) {
		p->st.skipped++;
		return (0);
	}
	memset(&e, 0, sizeof e);
	e.loc = text_end(t);
	e.lastmod = NULL;
	e.lastmod_t = -1;
	e.priority = -1;
	e.changefreq = SITEMAP_CF_NONE;
	e.line = p->entry_line;
	t = &p->text[SM_F_LASTMOD];
	if ((p->have & (1U << SM_F_LASTMOD)) && t->len > 0 && !t->over) {
		e.lastmod = text_end(t);
		e.lastmod_t = sm_w3c_time(e.lastmod);
	}
	t = &p->text[SM_F_PRIORITY];
	if ((p->have & (1U << SM_F_PRIORITY)) && !t->over)
		e.priority = sm_priority(text_end(t));
	t = &p->text[SM_F_CHANGEFREQ];
	if ((p->have & (1U << SM_F_CHANGEFREQ)) && !t->over)
		e.changefreq = sm_changefreq(text_end(t));
	p->st.entries++;
	if (p->cb != NULL && p->cb(p->priv, p->st.kind, &e) != 0)
		return (1);
	return (0);
}

static int
sm_field_end(struct sm_parse *p)
{
	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	assert(p->field < SM_F_N);
	if (p->field == SM_F_LOC && p->text[SM_F_LOC].over)
		return (
		    sm_fail(p, "URL too long (over %zu bytes, limit max_url)",
		        p->lim.max_url));
	p->field = SM_F_NONE;
	return (0);
}

static int
sm_root(struct sm_parse *p, const char *name)
{
	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	if (strcmp(name, "urlset") == 0)
		p->st.kind = SITEMAP_URLSET;
	else if (strcmp(name, "sitemapindex") == 0)
		p->st.kind = SITEMAP_INDEX;
	else
		return (sm_fail(p, "not a sitemap: root element %.*s",
		    SM_NAME_QUOTE, name));
	/* The reader's strings live as long as the reader. */
	p->ns = xmlTextReaderConstNamespaceUri(p->rd);
	return (0);
}

/*
 * Entries are the root's children, fields the entries' children, both in
 * the root's namespace: that is how <image:loc> or an <xhtml:link> in a
 * <url> are told from the sitemap's own elements, and passed over.
 */
static int
sm_element(struct sm_parse *p, int depth)
{
	const char *name;
	const xmlChar *ns;
	int empty, f;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	if (depth < 0 || (unsigned)depth >= p->lim.max_depth)
		return (sm_fail(p,
		    "sitemap too deep (over %u levels, limit max_depth)",
		    p->lim.max_depth));
	name = (const char *)xmlTextReaderConstLocalName(p->rd);
	ns = xmlTextReaderConstNamespaceUri(p->rd);
	empty = xmlTextReaderIsEmptyElement(p->rd) == 1;
	if (name == NULL)
		return (sm_fail(p, "out of memory reading the sitemap"));
	if (depth == 0)
		return (sm_root(p, name));
	if (!sm_same_ns(p, ns))
		return (0);
	if (depth == 1) {
		if (strcmp(name,
		        p->st.kind == SITEMAP_INDEX ? "sitemap" : "url") != 0)
			return (0);
		if (p->seen == p->lim.max_entries)
			return (sm_fail(p,
			    "too many entries (over %zu, limit max_entries)",
			    p->lim.max_entries));
		p->seen++;
		p->in_entry = 1;
		p->have = 0;
		p->field = SM_F_NONE;
		/* The node's own line: the parser may be further on. */
		p->entry_line =
		    (unsigned)xmlGetLineNo(xmlTextReaderCurrentNode(p->rd));
		return (empty ? sm_entry_end(p) : 0);
	}
	if (depth != 2 || !p->in_entry)
		return (0);
	for (f = 0; f < SM_F_N; f++)
		if (strcmp(name, sm_field_names[f]) == 0)
			break;
	/* The first of each counts. */
	if (f == SM_F_N || (p->have & (1U << f)))
		return (0);
	p->have |= 1U << f;
	p->field = (enum sm_field)f;
	text_reset(&p->text[f]);
	return (empty ? sm_field_end(p) : 0);
}

static int
sm_node(struct sm_parse *p)
{
	const xmlChar *v;
	int depth;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	depth = xmlTextReaderDepth(p->rd);
	switch (xmlTextReaderNodeType(p->rd)) {
	case XML_READER_TYPE_DOCUMENT_TYPE:
	case XML_READER_TYPE_ENTITY:
	case XML_READER_TYPE_ENTITY_REFERENCE:
		return (sm_fail(p, "sitemap has a DTD: refused"));
	case XML_READER_TYPE_ELEMENT:
		return (sm_element(p, depth));
	case XML_READER_TYPE_END_ELEMENT:
		if (depth == 2 && p->field != SM_F_NONE)
			return (sm_field_end(p));
		if (depth == 1 && p->in_entry)
			return (sm_entry_end(p));
		return (0);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		/* Only the field's own text, not that of elements inside. */
		if (p->field == SM_F_NONE || depth != 3)
			return (0);
		v = xmlTextReaderConstValue(p->rd);
		if (v == NULL)
			return (
			    sm_fail(p, "out of memory reading the sitemap"));
		text_add(&p->text[p->field], (const char *)v);
		return (0);
	default:
		/* Comments, processing instructions. */
		return (0);
	}
}

static int
sm_xml(struct sm_parse *p, const char *doc, size_t len)
{
	xmlGenericErrorFunc ogeneric;
	xmlStructuredErrorFunc ostructured;
	void *ogeneric_ctx, *ostructured_ctx;
	xmlDocPtr xdoc = NULL;
	int rr = 0, r = 0;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	assert(len <= INT_MAX);
	xmlInitParser();
	ogeneric = xmlGenericError;
	ogeneric_ctx = xmlGenericErrorContext;
	ostructured = xmlStructuredError;
	ostructured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(p, sm_xml_generic);
	xmlSetStructuredErrorFunc(p, sm_xml_error);

	p->rd = xmlReaderForMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET);
	if (p->rd == NULL) {
		r = sm_fail(p, "cannot start an XML reader");
	} else {
		xmlTextReaderSetStructuredErrorHandler(p->rd, sm_xml_error, p);
		while (r == 0 && (rr = xmlTextReaderRead(p->rd)) == 1)
			r = sm_node(p);
		/*
		 * libxml2 may stop on an entity of a DTD before the reader
		 * has handed the DTD over.  Asked for the document, the
		 * reader leaves it to us, to look at and free.
		 */
		if (r == 0 && rr != 0)
			xdoc = xmlTextReaderCurrentDoc(p->rd);
		xmlFreeTextReader(p->rd);
		p->rd = NULL;
	}
	if (xdoc != NULL &&
	    (xdoc->intSubset != NULL || xdoc->extSubset != NULL))
		r = sm_fail(p, "sitemap has a DTD: refused");
	if (xdoc != NULL)
		xmlFreeDoc(xdoc);
	if (r == 0 && rr != 0) {
		if (p->xml_level != XML_ERR_NONE)
			r = sm_fail(p, "%s", p->xml_err);
		else
			r = sm_fail(p, "malformed XML");
	}
	if (r == 0 && p->st.kind == SITEMAP_NONE)
		r = sm_fail(p, "not a sitemap: no root element");

	xmlSetStructuredErrorFunc(ostructured_ctx, ostructured);
	xmlSetGenericErrorFunc(ogeneric_ctx, ogeneric);
	return (r);
}

/*--------------------------------------------------------------------
 * Gzip
 */

/*
 * Inflate into at most max_bytes.  The buffer doubles up to max_bytes;
 * once it is full, inflating into one spare byte tells whether the
 * document goes on, without making room for more of it.  Several gzip
 * members one after the other are one document, as for gzip(1).
 */
static int
sm_gunzip(struct sm_parse *p, const unsigned char *in, size_t inlen,
    unsigned char **outp, size_t *outlenp)
{
	unsigned char *out = NULL, *t, spare;
	size_t max = p->lim.max_bytes, cap, len = 0, rest = inlen, room;
	unsigned before;
	z_stream zs;
	int zr, r = -1;

	CHECK_OBJ_NOTNULL(p, SM_PARSE_MAGIC);
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return (sm_fail(p, "gzip: cannot start zlib"));
	cap = max < SM_INFLATE_START ? max : SM_INFLATE_START;
	out = malloc(cap);
	if (out == NULL) {
		(void)inflateEnd(&zs);
		return (sm_fail(p, "out of memory inflating the sitemap"));
	}
	for (;;) {
		if (zs.avail_in == 0 && rest > 0) {
			zs.next_in = in + (inlen - rest);
			zs.avail_in =
			    rest > UINT_MAX ? UINT_MAX : (unsigned)rest;
			rest -= zs.avail_in;
		}
		if (len == cap && cap < max) {
			cap = cap > max / 2 ? max : cap * 2;
			t = realloc(out, cap);
			if (t == NULL) {
				sm_fail(p,
				    "out of memory inflating the sitemap");
				break;
			}
			out = t;
		}
		if (len < cap) {
			room = cap - len;
			zs.next_out = out + len;
			zs.avail_out =
			    room > UINT_MAX ? UINT_MAX : (unsigned)room;
		} else {
			zs.next_out = &spare;
			zs.avail_out = 1;
		}
		before = zs.avail_out;
		zr = inflate(&zs, Z_NO_FLUSH);
		if (len == cap && zs.avail_out != before) {
			sm_fail(p,
			    "sitemap too large (over %zu bytes inflated, "
			    "limit max_bytes)",
			    max);
			break;
		}
		if (len < cap)
			len += before - zs.avail_out;
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0 && rest == 0) {
				r = 0;
				break;
			}
			/* Another member follows, or garbage inflate refuses. */
			if (inflateReset(&zs) != Z_OK) {
				sm_fail(p, "gzip: cannot restart zlib");
				break;
			}
			continue;
		}
		if (zr == Z_BUF_ERROR && zs.avail_in == 0 && rest == 0) {
			sm_fail(p, "truncated gzip data");
			break;
		}
		if (zr != Z_OK) {
			sm_fail(p, "bad gzip data (%s)",
			    zs.msg != NULL ? zs.msg : "zlib error");
			break;
		}
	}
	(void)inflateEnd(&zs);
	if (r != 0) {
		free(out);
		return (-1);
	}
	*outp = out;
	*outlenp = len;
	return (0);
}

/*--------------------------------------------------------------------
 * Entry point
 */

static void
sm_limits(struct sitemap_limits *l, const struct sitemap_limits *in)
{
	if (in != NULL)
		*l = *in;
	else
		memset(l, 0, sizeof *l);
	if (l->max_bytes == 0)
		l->max_bytes = SITEMAP_MAX_BYTES;
	/* xmlReaderForMemory() takes an int. */
	if (l->max_bytes > INT_MAX)
		l->max_bytes = INT_MAX;
	if (l->max_depth == 0)
		l->max_depth = SITEMAP_MAX_DEPTH;
	if (l->max_entries == 0)
		l->max_entries = SITEMAP_MAX_ENTRIES;
	if (l->max_url == 0)
		l->max_url = SITEMAP_MAX_URL;
	if (l->max_url > l->max_bytes)
		l->max_url = l->max_bytes;
}

static int
sm_gzip_magic(const unsigned char *b, size_t len)
{
	return (len >= 2 && b[0] == 0x1f && b[1] == 0x8b);
}

static int
sm_blank(const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!sm_space(b[i]))
			return (0);
	return (1);
}

int
sitemap_parse(const void *buf, size_t len, const struct sitemap_limits *lim,
    sitemap_entry_f *cb, void *priv, struct sitemap_stats *stats, char *err,
    size_t errlen)
{
	const unsigned char *doc = buf;
	unsigned char *inflated = NULL;
	struct sm_parse *p;
	size_t dlen = len;
	int f, r = -1;

	assert(buf != NULL || len == 0);
	p = calloc(1, sizeof *p);
	if (p == NULL) {
		sm_copy_err(err, errlen, "out of memory");
		return (-1);
	}
	p->magic = SM_PARSE_MAGIC;
	sm_limits(&p->lim, lim);
	p->cb = cb;
	p->priv = priv;
	p->field = SM_F_NONE;
	p->xml_level = XML_ERR_NONE;
	for (f = 0; f < SM_F_N; f++) {
		if (f == SM_F_LOC) {
			p->text[f].max = p->lim.max_url;
			p->text[f].buf = malloc(p->lim.max_url + 1);
		} else {
			p->text[f].max = SM_FIELD_MAX;
			p->text[f].buf = p->small[f - 1];
		}
	}
	if (p->text[SM_F_LOC].buf == NULL) {
		sm_fail(p, "out of memory");
		goto done;
	}

	if (sm_gzip_magic(doc, len)) {
		if (sm_gunzip(p, doc, len, &inflated, &dlen) != 0)
			goto done;
		doc = inflated;
	} else if (len > p->lim.max_bytes) {
		sm_fail(p,
		    "sitemap too large (over %zu bytes, limit max_bytes)",
		    p->lim.max_bytes);
		goto done;
	}
	p->st.bytes = dlen;
	if (sm_gzip_magic(doc, dlen))
		sm_fail(p, "sitemap is gzip-compressed twice");
	else if (sm_blank(doc, dlen))
		sm_fail(p, "empty sitemap");
	else
		r = sm_xml(p, (const char *)doc, dlen);

done:
	if (p->failed)
		r = -1;
	if (stats != NULL)
		*stats = p->st;
	if (r < 0)
		sm_copy_err(err, errlen, p->err);
	else if (err != NULL && errlen > 0)
		*err = '\0';
	free(inflated);
	free(p->text[SM_F_LOC].buf);
	p->magic = 0;
	free(p);
	return (r);
}

/*--------------------------------------------------------------------
 * URLs
 */

struct sm_url {
	CURLU *u;
	char *scheme, *host, *port;
};

static void
sm_url_free(struct sm_url *su)
{
	curl_free(su->scheme);
	curl_free(su->host);
	curl_free(su->port);
	curl_url_cleanup(su->u);
	memset(su, 0, sizeof *su);
}

/* 0, or -1 with why.  Parsing is curl's, as the fetches will be. */
static int
sm_url_open(struct sm_url *su, const char *url, size_t max_url, char *why,
    size_t whylen)
{
	const unsigned char *c;
	CURLUcode rc;
	char *x = NULL;

	memset(su, 0, sizeof *su);
	if (strlen(url) > max_url) {
		snprintf(why, whylen, "URL too long (%zu bytes, limit %zu)",
		    strlen(url), max_url);
		return (-1);
	}
	/*
	 * curl would take some of these (a raw UTF-8 path), but a URL in a
	 * sitemap must be percent-encoded, and what a server or Varnish
	 * makes of the raw bytes is anyone's guess.
	 */
	for (c = (const unsigned char *)url; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f) {
			snprintf(why, whylen,
			    "control character, space or non-ASCII byte "
			    "in URL");
			return (-1);
		}
	su->u = curl_url();
	if (su->u == NULL) {
		snprintf(why, whylen, "out of memory");
		return (-1);
	}
	rc = curl_url_set(su->u, CURLUPART_URL, url, 0);
	if (rc == CURLUE_UNSUPPORTED_SCHEME) {
		snprintf(why, whylen, "not an http(s) URL");
		return (-1);
	}
	if (rc != CURLUE_OK) {
		snprintf(why, whylen, "unparsable URL (%s)",
		    curl_url_strerror(rc));
		return (-1);
	}
	if (curl_url_get(su->u, CURLUPART_SCHEME, &su->scheme, 0) !=
	        CURLUE_OK ||
	    (strcasecmp(su->scheme, "http") != 0 &&
	        strcasecmp(su->scheme, "https") != 0)) {
		snprintf(why, whylen, "not an http(s) URL");
		return (-1);
	}
	if (curl_url_get(su->u, CURLUPART_HOST, &su->host, 0) != CURLUE_OK ||
	    curl_url_get(su->u, CURLUPART_PORT, &su->port,
	        CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(why, whylen, "unparsable URL (no host or port)");
		return (-1);
	}
	if (curl_url_get(su->u, CURLUPART_USER, &x, 0) == CURLUE_OK ||
	    curl_url_get(su->u, CURLUPART_PASSWORD, &x, 0) == CURLUE_OK ||
	    curl_url_get(su->u, CURLUPART_OPTIONS, &x, 0) == CURLUE_OK) {
		curl_free(x);
		snprintf(why, whylen, "user name or password in URL");
		return (-1);
	}
	return (0);
}

int
sitemap_url_check(const char *sitemap_url, const char *loc, size_t max_url,
    char *why, size_t whylen)
{
	struct sm_url s, l;
	char reason[256], sub[200];
	int r = -1;

	AN(sitemap_url);
	AN(loc);
	memset(&s, 0, sizeof s);
	memset(&l, 0, sizeof l);
	if (max_url == 0)
		max_url = SITEMAP_MAX_URL;
	*reason = '\0';
	if (sm_url_open(&l, loc, max_url, reason, sizeof reason) != 0) {
		/* reason says it */
	} else if (sm_url_open(&s, sitemap_url, SIZE_MAX, sub, sizeof sub) !=
	    0) {
		snprintf(reason, sizeof reason, "bad sitemap URL: %s", sub);
	} else if (strcasecmp(l.scheme, s.scheme) != 0) {
		snprintf(reason, sizeof reason,
		    "off-site URL (scheme %s, sitemap on %s)", l.scheme,
		    s.scheme);
	} else if (strcasecmp(l.host, s.host) != 0) {
		snprintf(reason, sizeof reason,
		    "off-site URL (host %s, sitemap on %s)", l.host, s.host);
	} else if (strtoul(l.port, NULL, 10) != strtoul(s.port, NULL, 10)) {
		snprintf(reason, sizeof reason,
		    "off-site URL (port %s, sitemap on port %s)", l.port,
		    s.port);
	} else {
		r = 0;
	}
	sm_url_free(&l);
	sm_url_free(&s);
	if (r != 0)
		sm_copy_err(why, whylen, reason);
	else if (why != NULL && whylen > 0)
		*why = '\0';
	return (r);
}

/*--------------------------------------------------------------------
 * An entry's worth
 */

/* Recent is within a month or so: a page changed a year ago counts
 * for little more than one that never says. */
#define SM_LASTMOD_SCALE (30.0 * 86400)
#define SM_LASTMOD_WEIGHT 0.0099

double
sitemap_value(const struct sitemap_entry *e, double now)
{
	double v, age;

	AN(e);
	v = e->priority >= 0 ? e->priority : 0.5;
	if (e->lastmod_t > 0) {
		age = now > e->lastmod_t ? now - e->lastmod_t : 0;
		v += SM_LASTMOD_WEIGHT / (1 + age / SM_LASTMOD_SCALE);
	}
	return (v);
}
